"""The platform around the brokers end to end (seed workshops 5 and 6): Kafka Connect,
MirrorMaker 2 on it and a schema registry, watched by our exporter, scraped by a real
Prometheus with our rules, whose alerts a real Alertmanager sends to a webhook receiver
in this process. Every number is compared with an independent source: the Connect REST
API, Kafka's own tools on both clusters, the registry's own answers.

* a FileStreamSinkConnector on a fresh topic: RUNNING with its task on the worker REST
  names, its group connect-NAME caught up as kafka-consumer-groups says; pointed at a
  directory that does not exist, its task FAILED with a trace as REST says, and
  KafkaConnectTaskFailed fires and reaches the webhook; the directory made and the task
  restarted, RUNNING again, kafka_connect_task_restarts_total up, the alert resolved;
* MirrorMaker 2 (backup -> primary): records written to 'mirrored' on the backup cluster
  while mm2-source is paused are its lag, per partition exactly the backup's log end
  (kafka-get-offsets) minus the next offset to copy (GET /connectors/mm2-source/offsets
  + 1, or the log start of a partition never copied from), and KafkaMirrorLagHigh fires;
  resumed, the lag is 0, every copied offset is the backup's log end, backup.mirrored on
  the primary grew by as many records, the alert resolves; replication latency and
  record age from the workers' JMX at least the pause, KafkaMirrorReplicationLatencyHigh
  fires then resolves; heartbeats fresh; a checkpoint once a group of the backup commits;
* the registry (Confluent API): subject at BACKWARD, an Avro Position schema, a
  compatible evolution (version 2) and incompatible ones (HTTP 409): versions, latest,
  level and refusals as the registry says; stopped (when this test started it), only
  kafka_schema_registry_up 0 is left and KafkaSchemaRegistryDown fires, then resolves;
* Connect worker 2 stopped: the exporter goes on through worker 1 and sees the tasks
  move as REST does; worker 1 stopped too: kafka_connect_up 0, nothing else of Connect,
  KafkaConnectDown fires; both started again: it resolves;
* every exporter page passes promtool check metrics, in each of these states;
* every panel query of grafana/dashboards/kafka-connect-mirroring.json returns data.

The test uses the cluster of cluster/kafka-cluster (KSE_CLUSTER_DIR / KSE_PORT_OFFSET
select a private one), starts Connect, the mirror and the registry when they are not
running, and at the end stops exactly what it started. The alert rules are rewritten
into the temporary directory with every `for:` at 10s, the mirror lag threshold at 100
records and the replication latency one at 5 s (docs/alerts.md says so). A value the
exporter gets wrong in the mirror lag is reported and fails the test at the end, the
other scenarios still run; so does an alert or the dashboard missing from the repository.
Usage: platform_e2e_test.py SOURCE_DIR BUILD_DIR"""
import functools
import json
import math
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "dashboards"))
import dashboard_queries as dq  # noqa: E402
import harness  # noqa: E402
from harness import Children, Webhook, cluster_env, free_port, http_get, log_ends, parse_page, prometheus_query, \
    served, short_alert_rules, tool, until, valid_pages  # noqa: E402

root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
exporter_binary = build / "exporter" / "kafka-sidecar-exporter"
DASHBOARD = "kafka-connect-mirroring.json"
TASK_FAILED, CONNECT_DOWN, REGISTRY_DOWN = "KafkaConnectTaskFailed", "KafkaConnectDown", "KafkaSchemaRegistryDown"
MIRROR_LAG, MIRROR_LATENCY = "KafkaMirrorLagHigh", "KafkaMirrorReplicationLatencyHigh"
# Thresholds lowered for minutes-long scenarios: mirror lag in records, replication latency in seconds.
RULE_REWRITES = {MIRROR_LAG: [("> 1000", "> 100")], MIRROR_LATENCY: [("> 30", "> 5")]}
PLATFORM_ALERTS = [TASK_FAILED, "KafkaConnectConnectorFailed", "KafkaConnectConnectorNoRunningTask", CONNECT_DOWN,
                   MIRROR_LATENCY, MIRROR_LAG, "KafkaMirrorCheckpointStale", "KafkaMirrorHeartbeatStale", REGISTRY_DOWN]
# Silent once everything runs again (the latency alert fires on purpose after the paused mirror).
QUIET_ALERTS = [a for a in PLATFORM_ALERTS if a != MIRROR_LATENCY]
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"
SINK_RECORDS, MIRROR_RECORDS = 300, 240
REGISTRY_JSON = "application/vnd.schemaregistry.v1+json"
# The families the exporter reads from each REST API: all absent while that API is down.
CONNECT_FAMILIES = ["kafka_connect_connectors", "kafka_connect_connector_info", "kafka_connect_connector_state",
                    "kafka_connect_connector_trace_present", "kafka_connect_connector_tasks",
                    "kafka_connect_task_state", "kafka_connect_task_trace_present",
                    "kafka_connect_task_restarts_total", "kafka_mirror_partition_copied_offset",
                    "kafka_mirror_partition_source_end_offset", "kafka_mirror_partition_lag",
                    "kafka_mirror_topic_lag", "kafka_mirror_heartbeat_age_seconds",
                    "kafka_mirror_checkpoint_age_seconds"]

work = pathlib.Path(tempfile.mkdtemp(prefix="kse-platform-e2e-"))
children = Children(work)
passed = 0
missing = []  # what the repository lacks (an alert, the dashboard): reported, and the test fails
wrong = []  # where the exporter differs from Kafka's tools or a REST API: reported, and the test fails
cluster = functools.partial(harness.cluster, timeout=300)


def check(condition, message):
    global passed
    if not condition:
        raise AssertionError(message)
    passed += 1
    print("ok:", message, flush=True)


def matching(read, accept):
    """A check for until(): what read() returns, when accept() takes it; else None."""
    def attempt():
        value = read()
        return value if accept(value) else None
    return attempt


def soft_until(what, seconds, attempt, state):
    """until(), but a value the exporter gets wrong is recorded (the test fails at the end) and
    the scenarios go on; None then."""
    try:
        return until(what, seconds, attempt, state)
    except AssertionError as failure:
        wrong.append(str(failure))
        print("WRONG:", failure, flush=True)
        return None


def lacking(what):
    if what not in missing:
        missing.append(what)
        print("MISSING:", what, flush=True)


# ---------------------------------------------------------------- REST APIs

def call(method, url, body=None, content_type="application/json", timeout=30):
    """(HTTP status, the answer as JSON, or as text when it is not) of one call; 4xx and 5xx included."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": content_type, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode(errors="replace")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


def connect(method, path, body=None):
    """A Connect REST call on the first worker that answers."""
    failures = []
    for url in connect_urls:
        try:
            return call(method, url + path, body)
        except OSError as error:
            failures.append(f"{url}: {error}")
    raise AssertionError(f"no Connect worker answers {method} {path}: {failures}")


def connect_ok(method, path, body=None):
    status, answer = connect(method, path, body)
    if status // 100 != 2:
        raise AssertionError(f"{method} {path}: HTTP {status} {answer}")
    return answer


def connector_status(name):
    return connect_ok("GET", f"/connectors/{name}/status")


def rest_copied():
    """{partition: next offset to copy} of 'mirrored', from mm2-source's committed offsets."""
    offsets = connect_ok("GET", "/connectors/mm2-source/offsets")["offsets"]
    return {o["partition"]["partition"]: o["offset"]["offset"] + 1 for o in offsets
            if o["partition"].get("topic") == mirror_topic and o["partition"].get("cluster") == source_alias}


def still_copied():
    """[rest_copied()] when it is the same 2 s later (empty when nothing was copied yet), else None."""
    before = rest_copied()
    time.sleep(2)
    return [before] if before == rest_copied() else None


def registry(method, path, body=None):
    return call(method, registry_url + path, body, content_type=REGISTRY_JSON)


def avro(*extra_fields):
    fields = [{"name": "courierId", "type": "string"}, {"name": "lat", "type": "double"},
              {"name": "lon", "type": "double"}, *extra_fields]
    return {"schema": json.dumps({"type": "record", "name": "Position", "namespace": "course.couriers",
                                  "fields": fields})}


# ---------------------------------------------------------------- the exporter and Prometheus

def cluster_page():
    return parse_page(http_get(f"http://127.0.0.1:{cluster_port}/metrics", 10).decode())


def all_pages():
    series = {}
    for port in (cluster_port, *broker_ports.values()):
        series.update(parse_page(http_get(f"http://127.0.0.1:{port}/metrics", 10).decode()))
    return series


def one(series, name, **labels):
    """The value of the one series of `name` with `labels`, None when there is none."""
    values = served(series, name, **labels)
    if len(values) > 1:
        raise AssertionError(f"{len(values)} series {name}{labels}")
    return values[0] if values else None


def rows(series, name, **labels):
    """The label dicts (with 'value') of every series of `name` whose labels include `labels`."""
    wanted = {(k, str(v)) for k, v in labels.items()}
    return [dict(ls, value=v) for (n, ls), v in series.items() if n == name and wanted <= ls]


def query(expr):
    return prometheus_query(prom_port, expr, timeout=10)


def firing(alertname, **labels):
    matchers = "".join(f',{key}="{value}"' for key, value in labels.items())
    return query(f'ALERTS{{alertname="{alertname}",alertstate="firing"{matchers}}}')


def alert_fires(alertname, labels, what):
    """Waits until `alertname` (with `labels`) fires in Prometheus and reaches the webhook."""
    if alertname not in loaded_alerts:
        print(f"skipped: {alertname} for {what} (not in rules/kafka-alerts.yml)", flush=True)
        return False
    until(f"{alertname} firing in Prometheus ({what})", 60, lambda: firing(alertname, **labels))
    check(True, f"{alertname} fires in Prometheus: {what}")
    until(f"{alertname} firing at the webhook", 60,
          lambda: [a for a in webhook.alerts(alertname, "firing") if labels.items() <= a.items()])
    check(True, f"Alertmanager delivered {alertname} (firing) to the webhook")
    return True


def alert_resolved(alertname, labels, what):
    until(f"{alertname} no longer firing in Prometheus", 60, lambda: not firing(alertname, **labels))
    until(f"{alertname} resolved at the webhook", 60,
          lambda: [a for a in webhook.alerts(alertname, "resolved") if labels.items() <= a.items()])
    check(True, f"{alertname} resolved in Prometheus and at the webhook: {what}")


# ---------------------------------------------------------------- Kafka's tools

def produce(bootstrap_servers, topic, records):
    """Writes `records` (key, value) with kafka-console-producer."""
    lines = "".join(f"{key}|{value}\n" for key, value in records)
    tool("kafka-console-producer", "--bootstrap-server", bootstrap_servers, "--topic", topic, "--property",
         "parse.key=true", "--property", "key.separator=|", stdin=lines)


def positions(count, start=0):
    """Courier positions keyed by courier, over 30 couriers (so over every partition)."""
    return [(f"courier-{i % 30}", json.dumps({"courierId": f"courier-{i % 30}", "lat": 48.85 + i / 1e4,
                                              "lon": 2.35 + i / 1e4})) for i in range(start, start + count)]


def written_to(topic):
    """The sum of the log ends of `topic` on the primary; 0 when it does not exist yet."""
    try:
        return sum(log_ends(topic, bootstrap).values())
    except AssertionError:
        return 0


def group_partitions(group):
    """{partition: (current offset, lag)} of the group, from kafka-consumer-groups --describe."""
    out = tool("kafka-consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group)
    header, found = None, {}
    for line in out.splitlines():
        fields = line.split()
        if "LAG" in fields and "CURRENT-OFFSET" in fields:
            header = fields
        elif header and fields and fields[0] == group:
            row = dict(zip(header, fields))
            if row["CURRENT-OFFSET"].isdigit():
                found[int(row["PARTITION"])] = (int(row["CURRENT-OFFSET"]), int(row["LAG"]))
    return found


# ---------------------------------------------------------------- setup

def ensure_platform():
    """Starts what is not running: Connect (or a missing worker), the mirror, the registry;
    `undo` gets the command that stops each."""
    env = cluster_env()
    running = [w for w in ("1", "2") if env.get(f"CONNECT_{w}_URL")]
    # Each undo is recorded first: a start that fails half way is stopped too.
    if not running:
        undo.append(("stop-connect",))
        cluster("start-connect")
    elif len(running) == 1:
        worker = "2" if running == ["1"] else "1"
        undo.append(("stop-connect-worker", worker))
        cluster("start-connect-worker", worker)
    if not env.get("BACKUP_BOOTSTRAP"):
        undo.append(("stop-mirror",))
        cluster("start-mirror")
    registry_started = env.get("REGISTRY_RUNNING") != "1"
    if registry_started:
        undo.append(("stop-registry",))
        cluster("start-registry", timeout=900)  # the first start builds it (about 80 s)
    started = ", ".join(" ".join(u).replace("stop-", "") for u in undo)
    print(f"started by this test (and stopped at its end): {started or 'nothing'}", flush=True)
    return cluster_env(), registry_started


def write_exporter_config(env):
    (work / "exporter.yml").write_text(f"""
kafka: {{bootstrap_servers: [{env['BOOTSTRAP']}], request_timeout: 800ms}}
collect: {{interval: 2s, timeout: 1800ms}}
serve:
  listen_address: 127.0.0.1
  cluster_port: {cluster_port}
  broker_ports: {{{", ".join(f"{b}: {p}" for b, p in broker_ports.items())}}}
probe: {{enabled: false}}
connect:
  urls: [{env['CONNECT_URLS'].replace(',', ', ')}]
  jolokia_urls: [{env['CONNECT_JOLOKIA_URLS'].replace(',', ', ')}]
  rules_file: {root / 'exporter' / 'kafka-connect-rules.yml'}
  timeout: 2s
  mirror_lag: true
schema_registry:
  url: {env['REGISTRY_URL']}
  metrics_url: {env['REGISTRY_METRICS']}
  timeout: 2s
""")


def start_alerting():
    """Alertmanager (the shipped config, short waits, our webhook) and Prometheus (the shipped
    job kafka on this test's ports, our rules with short `for:`)."""
    alertmanager = yaml.safe_load((root / "prometheus" / "alertmanager.yml").read_text())
    alertmanager["route"].update(group_wait="1s", group_interval="2s", repeat_interval="1m")
    for receiver in alertmanager["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = f"http://127.0.0.1:{webhook_port}/alerts"
    (work / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager, sort_keys=False))
    children.start(["prometheus-alertmanager", f"--config.file={work / 'alertmanager.yml'}",
                    f"--storage.path={work / 'alertmanager'}", f"--web.listen-address=127.0.0.1:{am_port}",
                    "--cluster.listen-address="], "alertmanager.log")

    prometheus = yaml.safe_load((root / "prometheus" / "prometheus.yml").read_text())
    prometheus["global"].update(scrape_interval="2s", evaluation_interval="2s", scrape_timeout="2s")
    prometheus["rule_files"] = [str(path) for path in short_alert_rules(root, work, "10s", RULE_REWRITES)]
    prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = [f"127.0.0.1:{am_port}"]
    prometheus["scrape_configs"] = [job for job in prometheus["scrape_configs"] if job["job_name"] == "kafka"]
    for target_group in prometheus["scrape_configs"][0]["static_configs"]:
        broker = str(target_group["labels"]["broker"])
        target_group["targets"] = [f"127.0.0.1:{cluster_port if broker == 'cluster' else broker_ports[broker]}"]
    (work / "prometheus.yml").write_text(yaml.safe_dump(prometheus, sort_keys=False))
    children.start(["prometheus", f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}"], "prometheus.log")


# ---------------------------------------------------------------- scenarios

def connector_scenario():
    """A sink connector: running, caught up, failed, restarted."""
    tool("kafka-topics", "--bootstrap-server", bootstrap, "--create", "--topic", sink_topic, "--partitions", "3",
         "--replication-factor", "3")
    created.append("topic")
    sink_dir = work / "sink"
    sink_dir.mkdir()
    good = {"connector.class": FILE_SINK, "tasks.max": "1", "topics": sink_topic,
            "file": str(sink_dir / "positions.txt"), "key.converter": STRING_CONVERTER,
            "value.converter": STRING_CONVERTER}
    connect_ok("PUT", f"/connectors/{sink}/config", good)
    created.append("connector")
    produce(bootstrap, sink_topic, positions(SINK_RECORDS))

    def rest_running():
        status = connector_status(sink)
        return (status["connector"]["state"] == "RUNNING" and [t["state"] for t in status["tasks"]] == ["RUNNING"]
                and status)

    status = until(f"REST: {sink} and its task RUNNING", 60, rest_running)
    connector_worker, task_worker = status["connector"]["worker_id"], status["tasks"][0]["worker_id"]

    def exporter_running():
        page = cluster_page()
        return (one(page, "kafka_connect_connector_state", connector=sink, worker=connector_worker,
                    state="RUNNING") == 1 and
                one(page, "kafka_connect_task_state", connector=sink, task=0, worker=task_worker,
                    state="RUNNING") == 1 and page)

    page = until(f"the exporter shows {sink} RUNNING on {connector_worker}, task 0 on {task_worker}", 30,
                 exporter_running, state=lambda: rows(cluster_page(), "kafka_connect_task_state", connector=sink))
    check(True, f"exporter: {sink} RUNNING on {connector_worker} and task 0 RUNNING on {task_worker}, as REST says")
    check(one(page, "kafka_connect_connector_info", connector=sink, type="sink", **{"class": FILE_SINK}) == 1 and
          one(page, "kafka_connect_connector_tasks", connector=sink, state="RUNNING") == 1 and
          one(page, "kafka_connect_connector_trace_present", connector=sink) == 0,
          f"exporter: {sink} is a sink of class {FILE_SINK} with 1 RUNNING task and no trace")
    names = sorted(connect_ok("GET", "/connectors"))
    check(one(page, "kafka_connect_connectors") == len(names) and
          sorted(r["connector"] for r in rows(page, "kafka_connect_connector_info")) == names,
          f"exporter: the {len(names)} connectors GET /connectors lists ({', '.join(names)})")

    ends = log_ends(sink_topic, bootstrap)
    kafka_said = until(f"kafka-consumer-groups: {sink_group} caught up on {sink_topic}", 60, matching(
        lambda: group_partitions(sink_group), lambda said: said == {p: (end, 0) for p, end in ends.items()}))

    def exporter_group():
        pages = all_pages()
        lags = {int(r["partition"]): r["value"] for r in rows(pages, "kafka_consumergroup_lag",
                                                              consumergroup=sink_group, topic=sink_topic)}
        current = {int(r["partition"]): r["value"] for r in rows(pages, "kafka_consumergroup_current_offset",
                                                                 consumergroup=sink_group, topic=sink_topic)}
        return {p: (current.get(p), lags.get(p)) for p in ends} if lags else None

    shown = until(f"the exporter shows {sink_group} caught up", 30,
                  matching(exporter_group, lambda s: s == kafka_said), state=exporter_group)
    check(sum(ends.values()) == SINK_RECORDS,
          f"exporter: group {sink_group} at {', '.join(f'{p}:{c:g}' for p, (c, _) in sorted(shown.items()))}, "
          f"lag 0 on every partition, as kafka-consumer-groups says")
    written = until(f"{SINK_RECORDS} lines in {good['file']}", 30, matching(
        lambda: len(pathlib.Path(good["file"]).read_text().splitlines()), lambda n: n == SINK_RECORDS))
    check(written == SINK_RECORDS, f"the connector wrote the {SINK_RECORDS} records to its file")

    # A configuration its task cannot start with: a file in a directory that does not exist.
    missing_dir = work / "not-yet"
    connect_ok("PUT", f"/connectors/{sink}/config", dict(good, file=str(missing_dir / "positions.txt")))
    status = until(f"REST: {sink}'s task FAILED", 60, matching(
        lambda: connector_status(sink), lambda s: s["tasks"] and s["tasks"][0]["state"] == "FAILED"))
    task = status["tasks"][0]
    check("trace" in task and "positions.txt" in task["trace"],
          f"REST: task 0 FAILED on {task['worker_id']} with a trace naming the file")

    def exporter_failed():
        page = cluster_page()
        return (one(page, "kafka_connect_task_state", connector=sink, task=0, worker=task["worker_id"],
                    state="FAILED") == 1 and one(page, "kafka_connect_task_trace_present", connector=sink, task=0) == 1
                and page)

    page = until("the exporter shows task 0 FAILED with a trace", 30, exporter_failed,
                 state=lambda: rows(cluster_page(), "kafka_connect_task_state", connector=sink, task=0))
    status = connector_status(sink)
    check(one(page, "kafka_connect_connector_tasks", connector=sink, state="FAILED") == 1 and
          one(page, "kafka_connect_connector_state", connector=sink, state=status["connector"]["state"]) == 1,
          f"exporter: task 0 FAILED on {task['worker_id']} with a trace, 1 FAILED task, connector "
          f"{status['connector']['state']}, as REST says")
    restarts_before = one(page, "kafka_connect_task_restarts_total", connector=sink, task=0)
    alert_fires(TASK_FAILED, {"connector": sink}, f"task 0 of {sink} FAILED")

    # The operator's fix: make the directory, restart the task.
    missing_dir.mkdir()
    status_code, answer = connect("POST", f"/connectors/{sink}/tasks/0/restart")
    check(status_code // 100 == 2, f"POST /connectors/{sink}/tasks/0/restart answered {status_code}")
    status = until(f"REST: {sink}'s task RUNNING again", 60, rest_running)

    def exporter_restarted():
        page = cluster_page()
        restarts = one(page, "kafka_connect_task_restarts_total", connector=sink, task=0)
        return (one(page, "kafka_connect_task_state", connector=sink, task=0, worker=status["tasks"][0]["worker_id"],
                    state="RUNNING") == 1 and one(page, "kafka_connect_task_trace_present", connector=sink, task=0) == 0
                and restarts is not None and restarts >= restarts_before + 1 and restarts)

    restarts = until("the exporter shows task 0 RUNNING again, restarts up by 1", 30, exporter_restarted,
                     state=lambda: rows(cluster_page(), "kafka_connect_task_restarts_total", connector=sink) +
                     rows(cluster_page(), "kafka_connect_task_state", connector=sink, state="RUNNING"))
    check(True, f"exporter: task 0 RUNNING again without a trace, kafka_connect_task_restarts_total "
                f"{restarts_before:g} -> {restarts:g}")
    if TASK_FAILED in loaded_alerts:
        alert_resolved(TASK_FAILED, {"connector": sink}, "the task runs again")


def mirror_scenario():
    """MirrorMaker 2's lag while mm2-source is paused, then caught up; heartbeats and checkpoints."""
    connect_ok("PUT", "/connectors/mm2-source/pause")
    paused.append("mm2-source")
    until("REST: mm2-source and its task PAUSED", 60, matching(lambda: connector_status("mm2-source"), lambda s: (
        s["connector"]["state"] == "PAUSED" and all(t["state"] == "PAUSED" for t in s["tasks"]))))
    copied = until("REST: mm2-source's offsets still for 2 s", 20, still_copied)[0]
    # A partition MirrorMaker 2 never copied from has no offset in REST; it copies it from its
    # log start (its consumer's auto.offset.reset is earliest).
    starts = log_ends(mirror_topic, backup_bootstrap, "--time", "-2")
    base = {p: copied.get(p, start) for p, start in starts.items()}
    remote_before = written_to(remote_topic)
    produce(backup_bootstrap, mirror_topic, positions(MIRROR_RECORDS))
    produced_at = time.time()
    ends = log_ends(mirror_topic, backup_bootstrap)
    pending = {p: ends[p] - base[p] for p in ends}
    check(rest_copied() == copied and all(pending.values()) and sum(pending.values()) >= MIRROR_RECORDS,
          f"{MIRROR_RECORDS} records written to {mirror_topic} while mm2-source is paused: per partition backup log "
          f"end {ends}, next to copy {base} (REST offsets + 1 {copied or 'none'}, else the log start {starts})")

    def exporter_lag():
        page = cluster_page()
        labels = {"connector": "mm2-source", "source_cluster": source_alias, "topic": mirror_topic}
        return {"copied": {int(r["partition"]): int(r["value"]) for r in
                           rows(page, "kafka_mirror_partition_copied_offset", **labels)},
                "source_end": {int(r["partition"]): int(r["value"]) for r in
                               rows(page, "kafka_mirror_partition_source_end_offset", **labels)},
                "lag": {int(r["partition"]): int(r["value"]) for r in
                        rows(page, "kafka_mirror_partition_lag", **labels)},
                "topic_lag": one(page, "kafka_mirror_topic_lag", **labels),
                "paused": one(page, "kafka_connect_connector_state", connector="mm2-source", state="PAUSED")}

    lag = sum(pending.values())
    expected = {"copied": base, "source_end": ends, "lag": pending, "topic_lag": lag, "paused": 1}
    if soft_until("the exporter's mirror lag equals kafka-get-offsets (backup) minus the next offsets to copy", 30,
                  lambda: exporter_lag() == expected, state=lambda: f"exporter {exporter_lag()}, expected {expected}"):
        check(True, f"exporter: mm2-source PAUSED, per partition copied {base}, source end {ends}, lag {pending}, "
                    f"kafka_mirror_topic_lag {lag}: kafka-get-offsets (backup) minus REST offsets + 1, exactly")
        until("Prometheus has the mirror lag", 20, lambda: query(
            f'kafka_mirror_topic_lag{{connector="mm2-source",topic="{mirror_topic}"}} == {lag}'))
        check(True, f"Prometheus: kafka_mirror_topic_lag {lag} for {mirror_topic}")
        alert_fires(MIRROR_LAG, {"topic": mirror_topic}, f"{lag} records not mirrored (threshold lowered to 100)")
    else:
        print(f"skipped: {MIRROR_LAG} (the exporter does not show the lag)", flush=True)
    # The paused records wait 15 s at least: the replication latency alert below (threshold 5 s).
    time.sleep(max(0.0, produced_at + 15 - time.time()))

    connect_ok("PUT", "/connectors/mm2-source/resume")
    resumed_at = time.time()
    paused.remove("mm2-source")
    caught_up = {"copied": ends, "source_end": ends, "lag": {p: 0 for p in ends}, "topic_lag": 0, "paused": 0}
    until("the exporter's mirror lag back to 0, copied = the backup's log ends", 60,
          lambda: exporter_lag() == caught_up, state=lambda: f"exporter {exporter_lag()}, expected {caught_up}")
    check(rest_copied() == ends == log_ends(mirror_topic, backup_bootstrap),
          f"exporter: lag 0 and every copied offset the backup's log end {ends}, as REST and kafka-get-offsets say")
    remote_after = until(f"{remote_topic} on the primary grew by {lag}", 30,
                         matching(lambda: written_to(remote_topic), lambda n: n == remote_before + lag))
    check(True, f"kafka-get-offsets (primary): {remote_topic} log ends sum {remote_before} -> {remote_after}")
    if MIRROR_LAG in loaded_alerts and webhook.alerts(MIRROR_LAG, "firing"):
        alert_resolved(MIRROR_LAG, {"topic": mirror_topic}, "the mirror caught up")

    # A group of the backup cluster reads and commits: the checkpoint connector has something to translate.
    checkpoint_topic = f"{source_alias}.checkpoints.internal"
    checkpoints_before = written_to(checkpoint_topic)
    tool("kafka-console-consumer", "--bootstrap-server", backup_bootstrap, "--topic", mirror_topic, "--group",
         backup_group, "--from-beginning", "--max-messages", str(MIRROR_RECORDS // 2), "--timeout-ms", "30000")
    committed_at = time.time()
    created.append("backup group")

    # The workers' own view, through Jolokia and kafka-connect-rules.yml.
    def jmx_mirror():
        page = cluster_page()
        found = {}
        for family in ("kafka_connect_mirror_source_connector_replication_latency_max_seconds",
                       "kafka_connect_mirror_source_connector_record_age_max_seconds"):
            values = [r["value"] for r in rows(page, family, source=source_alias, target=target_alias,
                                               topic=remote_topic)]
            if len(values) != len(ends) or not all(math.isfinite(v) and v >= 0 for v in values):
                return None
            found[family] = max(values)
        return found

    jmx = until("replication latency and record age of every partition from the workers' JMX", 30, jmx_mirror,
                state=lambda: rows(cluster_page(),
                                   "kafka_connect_mirror_source_connector_replication_latency_max_seconds"))
    # The records written during the pause waited at least from their writing to the resume.
    waited = resumed_at - produced_at
    check(all(v >= waited - 1 for v in jmx.values()),
          "exporter (JMX): " + ", ".join(f"{k.split('connector_')[1]} {v:.1f}" for k, v in jmx.items()) +
          f" for {remote_topic}, at least the {waited:.1f}s the records waited for the resume")
    alert_fires(MIRROR_LATENCY, {"topic": remote_topic}, f"records copied {waited:.0f}s after they were written "
                                                         f"(threshold lowered to 5s)")

    heartbeats_before = written_to("heartbeats")
    labels = {"connector": "mm2-heartbeat", "source_cluster": source_alias, "target_cluster": target_alias}
    age = until("a heartbeat age under 60 s", 30, matching(
        lambda: one(cluster_page(), "kafka_mirror_heartbeat_age_seconds", **labels),
        lambda a: a is not None and a < 60))
    heartbeats_after = until("heartbeats written on the primary", 30,
                             matching(lambda: written_to("heartbeats"), lambda n: n > heartbeats_before))
    check(age < 60, f"exporter: heartbeat age {age:.1f}s while kafka-get-offsets shows heartbeats written "
                    f"({heartbeats_before} -> {heartbeats_after})")
    # MirrorMaker 2 writes a group's checkpoint when its offsets move, not again while it is idle:
    # the newest checkpoint is at most as old as the group's commit.
    labels = {"connector": "mm2-checkpoint", "source_cluster": source_alias, "target_cluster": target_alias}
    checkpoints = until(f"checkpoints of {backup_group} in {checkpoint_topic} on the primary", 90,
                        matching(lambda: written_to(checkpoint_topic), lambda n: n > checkpoints_before),
                        state=lambda: connector_status("mm2-checkpoint"))
    age = until("the exporter serves the checkpoint age", 30,
                lambda: served(cluster_page(), "kafka_mirror_checkpoint_age_seconds", **labels))[0]
    since_commit = time.time() - committed_at
    check(age <= since_commit + 2, f"exporter: checkpoint age {age:.1f}s, within the {since_commit:.0f}s since "
                                   f"{backup_group} committed; kafka-get-offsets (primary): {checkpoint_topic} "
                                   f"{checkpoints_before} -> {checkpoints} records")


def registry_scenario():
    """A subject's versions, compatibility and refusals, as the registry answers."""
    refused_before = until("the exporter counts refused registrations", 30,
                           lambda: served(cluster_page(), "kafka_schema_registry_refused_registrations_total"))[0]
    status, answer = registry("PUT", f"/config/{subject}", {"compatibility": "BACKWARD"})
    check(status == 200, f"registry: compatibility BACKWARD set on {subject} (HTTP {status} {answer})")
    created.append("subject")
    answers = [registry("POST", f"/subjects/{subject}/versions", avro()),
               registry("POST", f"/subjects/{subject}/versions",
                        avro({"name": "speed", "type": "double", "default": 0.0}))]
    check([s for s, _ in answers] == [200, 200], f"registry: Position registered, then evolved with a field with "
                                                 f"a default ({answers})")
    refusals = [registry("POST", f"/subjects/{subject}/versions",
                         avro({"name": "speed", "type": "double", "default": 0.0}, field))
                for field in ({"name": "heading", "type": "double"}, {"name": "vehicle", "type": "string"})]
    check([s for s, _ in refusals] == [409, 409],
          f"registry: {len(refusals)} evolutions adding a field without a default refused with HTTP 409")
    versions = registry("GET", f"/subjects/{subject}/versions")[1]
    level = registry("GET", f"/config/{subject}")[1]["compatibilityLevel"]
    latest = registry("GET", f"/subjects/{subject}/versions/latest")[1]["version"]
    subjects = registry("GET", "/subjects")[1]
    check(versions == [1, 2] and latest == 2 and level == "BACKWARD",
          f"registry: {subject} has versions {versions}, latest {latest}, level {level}")

    def exporter_subject():
        page = cluster_page()
        return {"versions": one(page, "kafka_schema_registry_subject_versions", subject=subject),
                "latest": one(page, "kafka_schema_registry_subject_latest_version", subject=subject),
                "level": [r["level"] for r in rows(page, "kafka_schema_registry_subject_compatibility",
                                                   subject=subject) if r["value"] == 1],
                "subjects": one(page, "kafka_schema_registry_subjects"),
                "refused": one(page, "kafka_schema_registry_refused_registrations_total")}

    expected = {"versions": 2, "latest": 2, "level": ["BACKWARD"], "subjects": len(subjects),
                "refused": refused_before + len(refusals)}
    until("the exporter shows the subject as the registry answers", 30, lambda: exporter_subject() == expected,
          state=lambda: f"exporter {exporter_subject()}, expected {expected}")
    check(True, f"exporter: {subject} 2 versions, latest 2, BACKWARD; {len(subjects)} subjects; refused "
                f"registrations {refused_before:g} -> {refused_before + len(refusals):g} (the test's "
                f"{len(refusals)} refusals)")
    until("Prometheus has the subject's versions", 20,
          lambda: query(f'kafka_schema_registry_subject_versions{{subject="{subject}"}} == 2'))
    check(True, f"Prometheus: kafka_schema_registry_subject_versions 2 for {subject}")


def registry_down_scenario():
    cluster("stop-registry")
    registry_stopped.append(True)

    def exporter_down():
        page = cluster_page()
        others = sorted({n for (n, _) in page if n.startswith("kafka_schema_registry_")} - {"kafka_schema_registry_up"})
        return (one(page, "kafka_schema_registry_up") == 0 and
                one(page, "kafka_sidecar_collector_up", collector="schema_registry") == 0 and not others and page)

    until("the exporter shows the registry down, nothing else of it", 30, exporter_down,
          state=lambda: sorted({n for (n, _) in cluster_page() if n.startswith("kafka_schema_registry")}))
    check(True, "exporter: kafka_schema_registry_up 0, collector schema_registry down, every other "
                "kafka_schema_registry_* family absent")
    valid_pages([cluster_port, *broker_ports.values()])
    check(True, "every exporter page passes promtool check metrics with the registry down")
    alert_fires(REGISTRY_DOWN, {}, "the registry stopped")
    cluster("start-registry")
    registry_stopped.pop()
    until("the exporter shows the registry up again", 30,
          lambda: one(cluster_page(), "kafka_schema_registry_up") == 1)
    check(True, "exporter: kafka_schema_registry_up 1 once the registry runs again")
    if REGISTRY_DOWN in loaded_alerts:
        alert_resolved(REGISTRY_DOWN, {}, "the registry runs again")


def connect_down_scenario():
    """Worker 2 stopped: served through worker 1, tasks moved; both stopped: Connect down."""
    worker_1, worker_2 = (urllib.parse.urlsplit(connect_env[f"CONNECT_{w}_URL"]).netloc for w in ("1", "2"))
    cluster("stop-connect-worker", "2")
    stopped_workers.append("2")
    seen_down = []

    def all_on_worker_1():
        page = cluster_page()
        if one(page, "kafka_connect_up") != 1:
            seen_down.append(time.time())
        statuses = connect_ok("GET", "/connectors?expand=status")
        places = {(name, "connector", "-"): (s["status"]["connector"]["state"], s["status"]["connector"]["worker_id"])
                  for name, s in statuses.items()}
        places.update({(name, "task", str(t["id"])): (t["state"], t["worker_id"])
                       for name, s in statuses.items() for t in s["status"]["tasks"]})
        if any(place != ("RUNNING", worker_1) for place in places.values()):
            return None
        shown = {(r["connector"], "connector", "-"): (r["state"], r["worker"])
                 for r in rows(page, "kafka_connect_connector_state") if r["value"] == 1}
        shown.update({(r["connector"], "task", r["task"]): (r["state"], r["worker"])
                      for r in rows(page, "kafka_connect_task_state") if r["value"] == 1})
        return shown == places and places

    places = until(f"REST and the exporter: every connector and task RUNNING on worker 1 ({worker_1})", 90,
                   all_on_worker_1)
    check(not seen_down, f"exporter: kafka_connect_up stayed 1 through worker 1 while worker 2 ({worker_2}) stopped")
    check(True, f"exporter: the {len(places)} connectors and tasks moved to {worker_1}, as REST says")

    cluster("stop-connect-worker", "1")
    stopped_workers.append("1")

    def exporter_down():
        page = cluster_page()
        left = sorted({n for (n, _) in page if n in CONNECT_FAMILIES})
        return (one(page, "kafka_connect_up") == 0 and
                one(page, "kafka_sidecar_collector_up", collector="connect") == 0 and not left and page)

    until("the exporter shows Connect down, nothing else of it", 30, exporter_down,
          state=lambda: sorted({n for (n, _) in cluster_page() if n in CONNECT_FAMILIES or n == "kafka_connect_up"}))
    check(True, "exporter: kafka_connect_up 0, collector connect down, the connectors', tasks' and mirrors' "
                "families absent")
    valid_pages([cluster_port, *broker_ports.values()])
    check(True, "every exporter page passes promtool check metrics with Connect down")
    alert_fires(CONNECT_DOWN, {}, "both Connect workers stopped")
    restore_workers()
    until("REST: every connector and task RUNNING again", 120, lambda: all(
        s["status"]["connector"]["state"] == "RUNNING" and all(t["state"] == "RUNNING" for t in s["status"]["tasks"])
        for s in connect_ok("GET", "/connectors?expand=status").values()))
    until("the exporter shows Connect up again", 30, lambda: one(cluster_page(), "kafka_connect_up") == 1)
    check(True, "exporter: kafka_connect_up 1 once both workers run again, every connector and task RUNNING")
    if CONNECT_DOWN in loaded_alerts:
        alert_resolved(CONNECT_DOWN, {}, "the workers run again")


def dashboard_scenario():
    path = root / "grafana" / "dashboards" / DASHBOARD
    if not path.exists():
        lacking(f"grafana/dashboards/{DASHBOARD}")
        return
    results = dq.PanelResults()
    dq.run_panels(dq.load(path), DASHBOARD, prom_port, query, results,
                  preferred={"connector": [sink, "mm2-source"], "subject": [subject], "topic": [mirror_topic]})
    results.report()
    check(not results.failed, f"{DASHBOARD}: {results.passed} variable queries and panel targets return data"
                              + (f", {len(results.failed)} do not" if results.failed else ""))


def restore_workers():
    for worker in list(stopped_workers):
        cluster("start-connect-worker", worker)
        stopped_workers.remove(worker)


# ---------------------------------------------------------------- main

cluster_port, prom_port, am_port, webhook_port = free_port(), free_port(), free_port(), free_port()
broker_ports = {broker: free_port() for broker in ("1", "2", "3")}
suffix = f"{int(time.time())}-{os.getpid()}"
sink = f"kse-platform-e2e-sink-{suffix}"
sink_topic, sink_group = f"kse-platform-e2e-{suffix}", f"connect-kse-platform-e2e-sink-{suffix}"
backup_group = f"kse-platform-e2e-backup-{suffix}"
subject = f"kse-platform-e2e-{suffix}-value"
undo, created, paused, stopped_workers, registry_stopped = [], [], [], [], []
loaded_alerts = set()
webhook = None
exit_code = 1
started_at = time.monotonic()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

try:
    check(exporter_binary.exists(), f"exporter built at {exporter_binary}")
    connect_env, registry_started_here = ensure_platform()
    bootstrap = connect_env["BOOTSTRAP"].split(",")[0]
    connect_urls = connect_env["CONNECT_URLS"].split(",")
    backup_bootstrap = connect_env["BACKUP_BOOTSTRAP"]
    mirror_topic, remote_topic = connect_env["MIRROR_TOPIC"], connect_env["MIRROR_REMOTE_TOPIC"]
    source_alias, target_alias = connect_env["MIRROR_SOURCE_ALIAS"], connect_env["MIRROR_TARGET_ALIAS"]
    registry_url = connect_env["REGISTRY_URL"]
    plugins = {p["class"] for p in connect_ok("GET", "/connector-plugins")}
    check(FILE_SINK in plugins, f"Connect {connect_env.get('CONNECT_KAFKA_VERSION')} offers {FILE_SINK}")

    webhook = Webhook(webhook_port)
    write_exporter_config(connect_env)
    children.start([exporter_binary, "-c", work / "exporter.yml"], "exporter.log")
    start_alerting()
    for url in (f"http://127.0.0.1:{cluster_port}/ready", f"http://127.0.0.1:{am_port}/-/ready",
                f"http://127.0.0.1:{prom_port}/-/ready"):
        until(f"{url} answers", 60, lambda: http_get(url, 2) is not None)
    rules = json.loads(http_get(f"http://127.0.0.1:{prom_port}/api/v1/rules"))["data"]["groups"]
    loaded_alerts = {rule["name"] for group in rules for rule in group["rules"] if rule["type"] == "alerting"}
    for alert in PLATFORM_ALERTS:
        if alert not in loaded_alerts:
            lacking(f"alert {alert} in rules/kafka-alerts.yml")

    def platform_up():
        page = cluster_page()
        return all(one(page, name, **labels) == 1 for name, labels in (
            ("kafka_connect_up", {}), ("kafka_schema_registry_up", {}),
            *(("kafka_sidecar_collector_up", {"collector": c}) for c in ("connect", "mirrors", "schema_registry"))))

    until("the exporter reads Connect, the mirrors and the registry", 30, platform_up)
    check(True, "exporter: kafka_connect_up 1, kafka_schema_registry_up 1, collectors connect, mirrors, "
                "schema_registry up")

    connector_scenario()
    mirror_scenario()
    registry_scenario()
    series = valid_pages([cluster_port, *broker_ports.values()])
    check(True, f"every exporter page passes promtool check metrics ({len(series)} series, all up)")
    false_alarms = sorted({a["metric"]["alertname"] for a in query(
        f'ALERTS{{alertname=~"{"|".join(QUIET_ALERTS)}",alertstate="firing"}}')})
    check(not false_alarms, f"none of {len(QUIET_ALERTS)} platform alerts firing once everything runs again"
          + (f" (firing: {false_alarms})" if false_alarms else ""))
    dashboard_scenario()
    if registry_started_here:
        registry_down_scenario()
    else:
        print("skipped: stopping the registry (this test did not start it; it is someone else's)", flush=True)
    if MIRROR_LATENCY in loaded_alerts:
        alert_resolved(MIRROR_LATENCY, {"topic": remote_topic}, "no slow record in Kafka's metrics window any more")
    connect_down_scenario()
    series = valid_pages([cluster_port, *broker_ports.values()])
    check(True, "every exporter page passes promtool check metrics once everything runs again")
    if missing or wrong:
        for failure in wrong:
            print(f"FAIL: {failure}", flush=True)
        if missing:
            print(f"FAIL: the repository lacks {missing}", flush=True)
        print(f"{passed} passed, {len(wrong)} failed, {len(missing)} missing (logs in {work})", flush=True)
    else:
        print(f"{passed} passed, 0 failed ({time.monotonic() - started_at:.0f}s)", flush=True)
        exit_code = 0
except (AssertionError, RuntimeError, OSError, subprocess.SubprocessError) as failure:
    for earlier in wrong:
        print(f"FAIL: {earlier}", flush=True)
    print(f"FAIL: {failure}", flush=True)
    print(f"{passed} passed, {len(wrong) + 1} failed (logs in {work})", flush=True)
    log = work / "exporter.log"
    if log.exists():
        print("exporter log (last lines):\n" + "\n".join(log.read_text().splitlines()[-15:]), flush=True)
finally:
    children.stop()
    cleanups = []
    if stopped_workers:
        cleanups.append(("Connect workers started again", restore_workers))
    if registry_stopped:
        cleanups.append(("registry started again", lambda: cluster("start-registry")))
    if paused:
        cleanups.append(("mm2-source resumed", lambda: connect_ok("PUT", "/connectors/mm2-source/resume")))
    if "connector" in created:
        cleanups.append((f"connector {sink} deleted", lambda: connect_ok("DELETE", f"/connectors/{sink}")))
    if "topic" in created:
        cleanups.append((f"group {sink_group} and topic {sink_topic} deleted", lambda: (
            harness.kafka_tool("kafka-consumer-groups", "--bootstrap-server", bootstrap, "--delete", "--group",
                               sink_group, timeout=60),
            harness.kafka_tool("kafka-topics", "--bootstrap-server", bootstrap, "--delete", "--topic", sink_topic,
                               timeout=60))))
    if "backup group" in created and ("stop-mirror",) not in undo:
        cleanups.append((f"group {backup_group} deleted on the backup cluster", lambda: harness.kafka_tool(
            "kafka-consumer-groups", "--bootstrap-server", backup_bootstrap, "--delete", "--group", backup_group,
            timeout=60)))
    if "subject" in created and ("stop-registry",) not in undo:
        cleanups.append((f"subject {subject} deleted", lambda: (
            registry("DELETE", f"/subjects/{subject}"), registry("DELETE", f"/subjects/{subject}?permanent=true"))))
    for command in reversed(undo):
        cleanups.append((f"kafka-cluster {' '.join(command)}", functools.partial(cluster, *command)))
    for what, cleanup in cleanups:
        try:
            cleanup()
            print(f"cleanup: {what}", flush=True)
        except (AssertionError, RuntimeError, OSError, subprocess.SubprocessError) as failure:
            print(f"FAIL: cleanup: {what}: {failure}", flush=True)
            exit_code = 1
    if webhook:
        webhook.close()
    if exit_code == 0:
        shutil.rmtree(work, ignore_errors=True)
    print(f"run time {time.monotonic() - started_at:.0f}s", flush=True)
sys.exit(exit_code)
