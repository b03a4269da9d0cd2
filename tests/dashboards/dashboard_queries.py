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
