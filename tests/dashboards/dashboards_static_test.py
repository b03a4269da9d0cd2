"""The provisioned dashboards without a Grafana: every file parses, has a uid and a
title, unique panel ids, the provisioned datasource, the expected variables, only
variables it defines, PromQL that promtool accepts, and only metric names the
exporter, the rules, the client statistics or the JMX rules produce."""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import dashboard_queries as dq  # noqa: E402

root = pathlib.Path(sys.argv[1])
failures = []
checked = {"dashboards": 0, "targets": 0, "names": 0}

# Series of the librdkafka statistics and the courier workload, for when docs/client-metrics.md
# does not list them (it is the authority when present).
CLIENT_AND_WORKLOAD_NAMES = """
kafka_client_messages_sent_total kafka_client_message_bytes_sent_total kafka_client_messages_received_total
kafka_client_message_bytes_received_total kafka_client_requests_sent_total kafka_client_queue_messages
kafka_client_queue_bytes kafka_client_broker_up kafka_client_broker_connects_total
kafka_client_broker_disconnects_total kafka_client_broker_request_errors_total
kafka_client_broker_response_errors_total kafka_client_broker_request_timeouts_total
kafka_client_broker_requests_in_flight kafka_client_partition_consumer_lag
kafka_client_partition_messages_sent_total kafka_client_partition_messages_received_total
kafka_client_group_rebalances_total kafka_client_group_assignment_partitions kafka_client_group_state
kafka_client_transaction_state courier_messages_sent_total courier_messages_delivered_total
courier_messages_failed_total courier_messages_consumed_total courier_duplicates_total
""".split()
CLIENT_SUMMARIES = """kafka_client_broker_rtt_seconds kafka_client_broker_throttle_seconds
kafka_client_broker_internal_latency_seconds kafka_client_broker_outbuf_latency_seconds
kafka_client_topic_batch_size_bytes kafka_client_topic_batch_count_messages""".split()


def fail(message):
    failures.append(message)


def exporter_names():
    """docs/metrics.md, generated from the code: histograms add _bucket, _sum and _count."""
    names = set()
    for line in (root / "docs" / "metrics.md").read_text().splitlines():
        match = re.match(r"\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|\s*(\w+)\s*\|", line)
        if not match:
            continue
        name, kind = match.groups()
        names.add(name)
        if kind in ("histogram", "summary"):
            names.update({name + "_sum", name + "_count"})
        if kind == "histogram":
            names.add(name + "_bucket")
    return names


def recording_rule_names():
    names = set()
    for path in sorted((root / "rules").glob("*.yml")):
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []):
            names.update(rule["record"] for rule in group.get("rules", []) if "record" in rule)
    return names


def client_names():
    names = set(CLIENT_AND_WORKLOAD_NAMES)
    summaries = set(CLIENT_SUMMARIES)
    doc = root / "docs" / "client-metrics.md"
    if doc.exists():
        for line in doc.read_text().splitlines():
            for name in re.findall(r"`((?:kafka_client|courier)_[a-z0-9_]+)`", line):
                names.add(name)
                if "summary" in line:
                    summaries.add(name)
    for name in summaries:
        names.update({name, name + "_sum", name + "_count"})
    return names


def jmx_names():
    """Names in the tables of docs/jmx-metrics.md. A row may abbreviate: `kafka_x_y_a`, `b`
    means kafka_x_y_b, and `jvm_memory_bytes_used`, `_committed` means jvm_memory_bytes_committed."""
    names = set()
    for line in (root / "docs" / "jmx-metrics.md").read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = line.split("|")
        if len(cells) < 3:
            continue
        first_cells = cells[1] + " " + cells[-2] if len(cells) > 3 else cells[1]
        tokens = re.findall(r"`([A-Za-z_][A-Za-z0-9_*]*)`", first_cells)
        full = [t for t in tokens if re.match(r"(kafka|jvm|jmx|process)_", t) and "*" not in t]
        short = [t for t in tokens if t not in full and "*" not in t]
        names.update(full)
        for name in full:
            if "_count" in line:
                names.add(name + "_count")
            for position in [m.start() for m in re.finditer("_", name)]:
                for suffix in short:
                    names.add(name[:position] + (suffix if suffix.startswith("_") else "_" + suffix))
        if "(`_count`, `_sum`)" in line:
            names.update({n + suffix for n in full for suffix in ("_count", "_sum")})
    return names


allowed = {
    "docs/metrics.md": exporter_names(),
    "a recording rule in rules/": recording_rule_names(),
    "client statistics / workload": client_names(),
    "docs/jmx-metrics.md": jmx_names(),
}
every_allowed = set().union(*allowed.values())

provisioned = yaml.safe_load((root / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
provisioned_uids = {source.get("uid") for source in provisioned.get("datasources", [])}
if dq.DATASOURCE_UID not in provisioned_uids:
    fail(f"grafana/provisioning/datasources/prometheus.yml: no datasource with uid '{dq.DATASOURCE_UID}'")

generator = subprocess.run([sys.executable, str(root / "grafana" / "generate_dashboards.py"), "--check"],
                           capture_output=True, text=True, timeout=60)
if generator.returncode != 0:
    fail(generator.stdout.strip() or generator.stderr.strip())

files = dq.dashboard_files(root)
if len(files) < 5:
    fail(f"expected the 5 dashboards in grafana/dashboards, found {[f.name for f in files]}")
uids = {}
expressions = []
for path in files:
    name = path.name
    try:
        dashboard = dq.load(path)
    except json.JSONDecodeError as error:
        fail(f"{name}: invalid JSON: {error}")
        continue
    checked["dashboards"] += 1
    uid, title = dashboard.get("uid"), dashboard.get("title")
    if not uid or not title:
        fail(f"{name}: uid and title are required, found uid={uid!r} title={title!r}")
    if uid in uids:
        fail(f"{name}: uid '{uid}' also used by {uids[uid]}")
    uids[uid] = name
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    if dq.variable_query(variables.get("env", {})) != "label_values(kafka_brokers, env)":
        fail(f"{name}: variable env must be label_values(kafka_brokers, env)")
    for variable in variables.values():
        if variable.get("datasource", {}).get("uid") != dq.DATASOURCE_UID:
            fail(f"{name}: variable {variable['name']} does not use datasource uid '{dq.DATASOURCE_UID}'")
        for used in dq.used_variables(dq.variable_query(variable)) - set(variables):
            fail(f"{name}: variable {variable['name']} uses undefined ${used}")
    ids = [panel.get("id") for panel in dq.panels(dashboard)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1 or i is None}, key=str)
    if duplicates:
        fail(f"{name}: panel ids missing or repeated: {duplicates}")
    for panel in dq.panels(dashboard):
        if panel.get("type") == "row":
            continue
        where = f"{name} / panel {panel.get('id')} '{panel.get('title')}'"
        if not panel.get("title") or "gridPos" not in panel:
            fail(f"{where}: a panel needs a title and a gridPos")
        if panel.get("datasource", {}).get("uid") != dq.DATASOURCE_UID:
            fail(f"{where}: datasource is {panel.get('datasource')}, expected uid '{dq.DATASOURCE_UID}'")
        if not panel.get("targets"):
            fail(f"{where}: no query")
    for row, panel, target in dq.targets(dashboard):
        where = f"{name} / panel {panel.get('id')} '{panel.get('title')}' / {target.get('refId')}"
        checked["targets"] += 1
        expr = target["expr"]
        if target.get("datasource", {}).get("uid") != dq.DATASOURCE_UID:
            fail(f"{where}: target datasource is {target.get('datasource')}, expected uid '{dq.DATASOURCE_UID}'")
        undefined = dq.used_variables(expr) - set(variables) - dq.BUILTIN_VARIABLES
        if undefined:
            fail(f"{where}: undefined variables {sorted(undefined)} in {expr}")
        for metric in sorted(dq.metric_names(expr)):
            checked["names"] += 1
            if metric not in every_allowed:
                fail(f"{where}: metric '{metric}' is in none of {', '.join(allowed)}: {expr}")
        values = {v: ".*" for v in variables}
        values.update({"__rate_interval": "1m", "__interval": "15s", "__range": "1h", "__range_s": "3600",
                       "__range_ms": "3600000", "__interval_ms": "15000"})
        try:
            expressions.append((where, dq.substitute(expr, values)))
        except KeyError as error:
            fail(f"{where}: {error}")

# promtool parses every expression as a recording rule: a syntax error names the panel.
promtool_note = "promtool not found: PromQL syntax not checked"
if subprocess.run(["sh", "-c", "command -v promtool"], capture_output=True).returncode == 0:
    with tempfile.TemporaryDirectory(prefix="kse-dashboards-") as work:
        def promtool_rejects(batch):
            rules = pathlib.Path(work) / "panels.yml"
            rules.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": [
                {"record": "panel:check", "expr": expr} for _, expr in batch]}]}))
            result = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True,
                                    timeout=60)
            return None if result.returncode == 0 else " ".join((result.stdout + result.stderr).split())
        # All at once; only when that fails, one by one to name the panel.
        if promtool_rejects(expressions):
            for where, expr in expressions:
                output = promtool_rejects([(where, expr)])
                if output:
                    fail(f"{where}: promtool rejects the query: {output}")
    promtool_note = f"promtool accepted {len(expressions)} expressions"

for line in failures:
    print("FAIL:", line)
print(f"{checked['dashboards']} dashboards, {checked['targets']} queries, {checked['names']} metric names checked; "
      f"{promtool_note}; {len(failures)} failures")
sys.exit(1 if failures else 0)
