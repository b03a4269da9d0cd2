"""Reading the provisioned dashboards: their panels, the PromQL of every target,
Grafana's variable substitution, and the metric names an expression uses."""
import json
import pathlib
import re

DATASOURCE_UID = "prometheus"
BUILTIN_VARIABLES = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms",
                     "__from", "__to", "__all"}
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                   "offset", "inf", "nan", "atan2"}


def dashboard_files(root):
    return sorted((pathlib.Path(root) / "grafana" / "dashboards").glob("*.json"))


def panels(dashboard):
    """Every panel, rows included, panels of collapsed rows too."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def targets(dashboard):
    """(row title, panel, target) for every target with a PromQL expression."""
    row = ""
    for panel in panels(dashboard):
        if panel.get("type") == "row":
            row = panel.get("title", "")
            continue
        for target in panel.get("targets", []):
            if target.get("expr"):
                yield row, panel, target


def variable_query(variable):
    query = variable.get("query")
    if isinstance(query, dict):
        query = query.get("query", "")
    return query or variable.get("definition", "")


_VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)(?::\w+)?\}|\[\[([A-Za-z_]\w*)\]\]|\$([A-Za-z_]\w*)")


def used_variables(expr):
    return {next(group for group in match.groups() if group) for match in _VARIABLE.finditer(expr)}


def substitute(expr, values):
    """Grafana's interpolation of $name, ${name} and [[name]]; an unknown name is an error."""
    def replace(match):
        name = next(group for group in match.groups() if group)
        if name not in values:
            raise KeyError(f"variable ${name} has no value")
        return values[name]
    return _VARIABLE.sub(replace, expr)


def metric_names(expr):
    """Metric names of a PromQL expression: identifiers that are not functions, keywords,
    label names (in braces or grouping clauses), strings, durations or numbers."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"'(?:[^'\\]|\\.)*'", "''", text)
    text = re.sub(r"\{[^}]*\}", "{}", text)
    text = re.sub(r"\[[^\]]*\]", "[]", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in PROMQL_KEYWORDS:
            continue
        if re.fullmatch(r"\d+[smhdwy]", name):
            continue
        names.add(name)
    return names


def load(path):
    return json.loads(pathlib.Path(path).read_text())


def label_values(prom_port, variable_query, seconds=300):
    """Grafana's label_values(selector, label), through the series API of the Prometheus on
    127.0.0.1:prom_port over the last `seconds`."""
    import time
    import urllib.parse
    import urllib.request
    match = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", variable_query)
    if not match:
        raise ValueError(f"unsupported variable query {variable_query}")
    selector, label = match.groups()
    url = f"http://127.0.0.1:{prom_port}/api/v1/series?" + urllib.parse.urlencode(
        {"match[]": selector, "start": time.time() - seconds, "end": time.time()})
    with urllib.request.urlopen(url, timeout=15) as response:
        series = json.loads(response.read())["data"]
    return sorted({s[label] for s in series if label in s})


def grafana_regex_escape(value):
    """What Grafana's Prometheus datasource does to each value of a multi-value variable."""
    return re.sub(r"([$^*{}\[\]'+?.()|])", r"\\\\\1", value.replace("\\", "\\\\\\\\"))


class PanelResults:
    """What run_panels found: passed (a count), and failed, skipped and absent (lines saying where and why)."""

    def __init__(self):
        self.passed = 0
        self.failed, self.skipped, self.absent = [], [], []

    def report(self):
        for line in self.skipped:
            print("skipped:", line)
        for line in self.absent:
            print("absent, as it must be:", line)
        for line in self.failed:
            print("NO DATA / WRONG:", line)


def run_panels(dashboard, name, prom_port, query, results, preferred=None, skip=None, why_absent=None):
    """Every variable query and every panel target of `dashboard` (named `name` in the lines of
    `results`) against the Prometheus on prom_port, variables substituted as Grafana does: pass 1
    with every variable at All, pass 2 with the values an operator picks (`preferred`,
    {variable: [values]}, those offered; else every value offered). A variable without values, a
    query Prometheus refuses and a target without data are failures. `query(expr)` is an instant
    query (RuntimeError when refused); skip(title, expr) may say why a target cannot run here,
    why_absent(expr) why it must show nothing here (then data is a failure). Returns the
    variables' values of both passes: (everything, selected)."""
    preferred = preferred or {}
    variables = dashboard.get("templating", {}).get("list", [])
    everything = {"__rate_interval": "20s", "__interval": "2s", "__interval_ms": "2000", "__range": "5m",
                  "__range_s": "300", "__range_ms": "300000"}
    selected = dict(everything)
    for variable in variables:
        variable_name = variable["name"]
        options = label_values(prom_port, substitute(variable_query(variable), {**selected, **{
            v["name"]: selected.get(v["name"], ".*") for v in variables}}))
        if not options:
            results.failed.append(f"{name} / variable {variable_name}: {variable_query(variable)} has no values")
            options = [".*"]
        else:
            results.passed += 1
        if variable.get("includeAll"):
            everything[variable_name] = variable.get("allValue", ".*")
            picked = [v for v in preferred.get(variable_name, []) if v in options]
            selected[variable_name] = "(" + "|".join(grafana_regex_escape(v) for v in picked or options) + ")"
        else:
            everything[variable_name] = selected[variable_name] = "dev" if "dev" in options else options[0]
    for label, values in (("All", everything), ("selected", selected)):
        for row, panel, target in targets(dashboard):
            title = panel.get("title", "")
            where = f"{name} [{label}] / {row} / {title} / {target['refId']}"
            reason = skip(title, target["expr"]) if skip else None
            if reason:
                results.skipped.append(f"{where}: {reason}")
                continue
            expr = substitute(target["expr"], values)
            try:
                result = query(expr)
            except RuntimeError as error:
                results.failed.append(f"{where}: {error}: {expr}")
                continue
            reason = why_absent(target["expr"]) if why_absent else None
            if reason and result:
                results.failed.append(f"{where}: shows data where the cluster cannot have any ({reason}): {expr}")
            elif reason:
                results.absent.append(f"{where}: {reason}")
            elif result:
                results.passed += 1
            else:
                results.failed.append(f"{where}: {expr}")
    return everything, selected
