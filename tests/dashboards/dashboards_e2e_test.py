"""Our provisioned dashboards against the real thing: the exporter (JMX bridge and
probe on) watches the shared cluster, Kafka's own tools (and the courier workload
when it is built) produce and consume, a real Prometheus scrapes with the shipped
prometheus.yml's jobs and labels and evaluates our rules, then every variable
query and every panel target (variables substituted as Grafana does) must return
data. The numbers an operator reads first are compared with Kafka's own tools.
It runs on every supported Kafka (ctest label compat): a panel that cannot have data
on the running version or mode (the KRaft quorum in ZooKeeper mode, the ensemble in
KRaft mode, volume sizes before 3.3) must then show nothing at all.
The Connect and mirroring dashboard (kafka-connect-mirroring.json) is skipped, and says so:
this cluster runs no Kafka Connect, MirrorMaker 2 or schema registry;
tests/platform/platform_e2e_test.py runs its panels against them."""
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import dashboard_queries as dq  # noqa: E402
from harness import Children, cluster_env, http_get, kafka_tool as tool, prometheus_query, tool_controller_id, \
    wait_for  # noqa: E402

root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
BOOTSTRAP = "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292"
PROM_PORT, CLUSTER_PORT, BROKER_BASE, WORKLOAD_BASE = 29090, 29308, 29071, 29081
# The shipped configuration's ports, and where this test serves them instead.
PORT_MAP = {9308: CLUSTER_PORT, 7071: BROKER_BASE, 7072: BROKER_BASE + 1, 7073: BROKER_BASE + 2,
            7081: WORKLOAD_BASE, 7082: WORKLOAD_BASE + 1, 7083: WORKLOAD_BASE + 2}
TOPIC, GROUP, LIVE_GROUP = "position", "kse-dashboards-e2e", "kse-dashboards-e2e-live"
RECORDS = 30000
COURIER_TOOLS = {"producer": "courier-producer", "consumer": "courier-consumer", "tx": "courier-tx"}
# Dashboards of the platform around the brokers, which this test's cluster does not run.
NEEDS_PLATFORM = {
    "kafka-connect-mirroring.json": "needs Kafka Connect, MirrorMaker 2 and a schema registry, which this test does "
                                    "not run; tests/platform/platform_e2e_test.py runs its panels",
}
# Panels whose series only a client of the workload produces.
WORKLOAD_ONLY = {
    "Idempotent and transactional producers": "librdkafka reports eos state only for idempotent or transactional "
                                              "producers; the probe's producer is neither",
}

# What a cluster of this version or mode cannot have: a panel whose every family is one of
# these must show nothing there (absent, never a made-up 0), and is counted apart.
CLUSTER = cluster_env()
VERSION = tuple(int(part) for part in CLUSTER["KAFKA_VERSION"].split(".")[:2])
CANNOT_HAVE = [
    (re.compile(r"kafka_kraft_\w+"), CLUSTER["MODE"] == "zookeeper", "no KRaft quorum in ZooKeeper mode"),
    (re.compile(r"kafka_zookeeper_\w+"), CLUSTER["MODE"] != "zookeeper", "no ZooKeeper ensemble in KRaft mode"),
    (re.compile(r"kafka_log_dir_(total|usable)_bytes"), VERSION < (3, 3),
     "volume sizes come with DescribeLogDirs v4 (Kafka 3.3, KIP-827)"),
]


def why_absent(expr):
    """The reason this cluster cannot have data for `expr`, or None when it must."""
    families = set(re.findall(r"\bkafka_[a-z0-9_]+", expr))
    reasons = set()
    for family in families:
        reason = next((why for pattern, applies, why in CANNOT_HAVE if applies and pattern.fullmatch(family)), None)
        if reason is None:
            return None
        reasons.add(reason)
    return "; ".join(sorted(reasons)) if reasons else None


exporter_binary = build / "exporter" / "kafka-sidecar-exporter"
if not exporter_binary.exists():
    print(f"FAIL: {exporter_binary} is not built")
    sys.exit(1)
for program in ("prometheus", "kcat"):
    if not shutil.which(program):
        print(f"FAIL: {program} is not installed (scripts/install-deps installs it)")
        sys.exit(1)

work = pathlib.Path(tempfile.mkdtemp(prefix="kse-dashboards-e2e-"))
children = Children(work)
start = children.start


def query(expr):
    return prometheus_query(PROM_PORT, expr)


def wait_for_series(expr, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if query(expr):
            return True
        time.sleep(1)
    return False


def workload_skip(title, expr):
    """Why a target cannot have data without the courier tools, or None."""
    if with_workload or not ("courier_" in expr or title in WORKLOAD_ONLY):
        return None
    return f"{WORKLOAD_ONLY.get(title, 'courier series')}; workload tools not built ({', '.join(missing_tools)})"


def workload_tools():
    tools = {role: build / "workload" / name for role, name in COURIER_TOOLS.items()}
    missing = [str(path) for path in tools.values() if not path.exists()]
    return tools, missing


def prometheus_config(with_workload):
    """The shipped prometheus.yml with this test's ports, short intervals and our rules."""
    shipped = yaml.safe_load((root / "prometheus" / "prometheus.yml").read_text())
    jobs = []
    for job in shipped.get("scrape_configs", []):
        static = []
        for group in job.get("static_configs", []):
            targets = []
            for address in group.get("targets", []):
                port = int(address.rsplit(":", 1)[1])
                if port in PORT_MAP:
                    targets.append(f"127.0.0.1:{PORT_MAP[port]}")
            if targets:
                static.append({"targets": targets, "labels": group.get("labels", {})})
        if static and (job["job_name"] != "workload" or with_workload):
            jobs.append(dict(job, static_configs=static, scrape_interval="2s", scrape_timeout="1s"))
    names = [job["job_name"] for job in jobs]
    if "kafka" not in names:
        raise SystemExit("FAIL: prometheus/prometheus.yml has no job 'kafka' with the exporter's ports")
    for job in jobs:
        if job["job_name"] == "kafka" and not job.get("honor_labels"):
            print("note: prometheus/prometheus.yml lacks honor_labels: true on job kafka; the dashboards need it, "
                  "the test sets it")
            job["honor_labels"] = True
    if with_workload and "workload" not in names:
        print("note: prometheus/prometheus.yml has no job 'workload'; the test adds one")
        jobs.append({"job_name": "workload", "scrape_interval": "2s", "scrape_timeout": "1s", "honor_labels": True,
                     "static_configs": [
                         {"targets": [f"127.0.0.1:{PORT_MAP[7081 + i]}"], "labels": {"instance_role": role,
                                                                                    "env": "dev"}}
                         for i, role in enumerate(COURIER_TOOLS)]})
    return {"global": {"scrape_interval": "2s", "evaluation_interval": "2s"},
            "rule_files": [str(path) for path in sorted((root / "rules").glob("*.yml"))],
            "scrape_configs": jobs}


def start_workload(tools):
    """The courier tools (seed workshops 2-4): positions to 'position', the group 'consumer', and
    transactions to 'position-tx'; each keeps serving /metrics after its work."""
    created = tool("kafka-topics", "--bootstrap-server", "127.0.0.1:9092", "--create", "--if-not-exists", "--topic",
                   "position-tx", "--partitions", "5", "--replication-factor", "3")
    assert created.returncode == 0, created.stderr
    common = ["--bootstrap-servers", BOOTSTRAP, "--stats-interval-ms", "1000"]
    start([tools["producer"], *common, "--metrics-port", PORT_MAP[7081], "--couriers", "10",
           "--messages-per-courier", "200", "--interval-ms", "10", "--linger-after-s", "240"], "courier-producer.log")
    start([tools["consumer"], *common, "--metrics-port", PORT_MAP[7082], "--duration-s", "240"],
          "courier-consumer.log")
    start([tools["tx"], *common, "--metrics-port", PORT_MAP[7083], "--messages", "200", "--transaction-size", "10",
           "--linger-after-s", "240"], "courier-tx.log")


def kafka_facts():
    """What Kafka's own tools say, for the numbers compared below."""
    facts = {}
    metadata = subprocess.run(["kcat", "-b", "127.0.0.1:9092", "-L", "-J"], capture_output=True, text=True,
                              timeout=30)
    assert metadata.returncode == 0, metadata.stderr
    parsed = json.loads(metadata.stdout)
    facts["brokers"] = len(parsed["brokers"])
    facts["partitions"] = sum(len(t["partitions"]) for t in parsed["topics"])
    facts[f"partitions {TOPIC}"] = next(len(t["partitions"]) for t in parsed["topics"] if t["topic"] == TOPIC)
    facts["controller"] = tool_controller_id()
    urp = tool("kafka-topics", "--bootstrap-server", "127.0.0.1:9092", "--describe", "--under-replicated-partitions")
    facts["under-replicated"] = sum(1 for line in urp.stdout.splitlines() if "Partition:" in line)
    described = tool("kafka-consumer-groups", "--bootstrap-server", "127.0.0.1:9092", "--describe", "--group", GROUP,
                     "--group", LIVE_GROUP)
    lag = 0
    for line in described.stdout.splitlines():
        columns = line.split()
        if len(columns) >= 6 and columns[1] == TOPIC and columns[5].isdigit():
            lag += int(columns[5])
    facts["group lag"] = lag
    return facts


def panel_value(dashboard, title, values):
    """The single number a stat panel shows, its first target evaluated now."""
    for row, panel, target in dq.targets(dashboard):
        if panel.get("title") == title:
            result = query(dq.substitute(target["expr"], values))
            return float(result[0]["value"][1]) if result else None
    raise KeyError(f"{dashboard['uid']}: no panel '{title}'")


try:
    tools, missing_tools = workload_tools()
    with_workload = not missing_tools
    config = work / "exporter.yml"
    config.write_text(f"""
kafka:
  bootstrap_servers: [{BOOTSTRAP}]
  request_timeout: 1200ms
collect: {{interval: 3s, timeout: 2500ms}}
serve:
  listen_address: 127.0.0.1
  cluster_port: {CLUSTER_PORT}
  broker_port_base: {BROKER_BASE}
  broker_ports: {{1: {BROKER_BASE}, 2: {BROKER_BASE + 1}, 3: {BROKER_BASE + 2}}}
probe:
  enabled: true
  interval: 1s
  group: kse-dashboards-e2e-probe
jmx:
  enabled: true
  timeout: 10s
  rules_file: {root / "exporter" / "kafka-broker-rules.yml"}
  brokers:
    1: http://127.0.0.1:8778/jolokia/
    2: http://127.0.0.1:8779/jolokia/
    3: http://127.0.0.1:8780/jolokia/
""" + (f"zookeeper: {{servers: [{', '.join(repr(z) for z in CLUSTER['ZOOKEEPER'].split(','))}]}}\n"
       if CLUSTER["ZOOKEEPER"] else ""))
    start([exporter_binary, "-c", config], "exporter.log")
    wait_for(f"http://127.0.0.1:{CLUSTER_PORT}/ready", 60)
    prometheus_yml = work / "prometheus.yml"
    prometheus_yml.write_text(yaml.safe_dump(prometheus_config(with_workload), sort_keys=False))
    start(["prometheus", f"--config.file={prometheus_yml}", f"--storage.tsdb.path={work / 'tsdb'}",
           f"--web.listen-address=127.0.0.1:{PROM_PORT}"], "prometheus.log")
    wait_for(f"http://127.0.0.1:{PROM_PORT}/-/ready", 60)
    if with_workload:
        start_workload(tools)

    # Kafka's own tools: a burst of positions, a group that reads only part of it so it keeps a lag,
    # and a group with a live member (members and assignments), stopped at the end.
    start([root / "cluster" / "kafka-tool", "kafka-console-consumer", "--bootstrap-server", "127.0.0.1:9092",
           "--topic", TOPIC, "--group", LIVE_GROUP, "--timeout-ms", "240000"], "live-consumer.log")
    producer = start([root / "cluster" / "kafka-tool", "kafka-producer-perf-test", "--topic", TOPIC,
                      "--num-records", str(RECORDS), "--record-size", "100", "--throughput", "1500",
                      "--producer-props", "bootstrap.servers=127.0.0.1:9092", "acks=all"], "producer.log")
    time.sleep(6)
    consumed = tool("kafka-console-consumer", "--bootstrap-server", "127.0.0.1:9092", "--topic", TOPIC, "--group",
                    GROUP, "--from-beginning", "--max-messages", "5000", "--timeout-ms", "30000")
    assert consumed.returncode == 0 or "Processed a total of" in consumed.stderr, consumed.stderr
    assert producer.wait(timeout=120) == 0, (work / "producer.log").read_text()

    # Data has arrived once the group's lag in seconds (two log-end points) and the probe's histograms are there.
    # The stopped group is judged STOPPED once the status window is full of still offsets.
    for expr in (f'kafka_consumergroup_lag_seconds{{consumergroup="{GROUP}"}}',
                 f'kafka_consumergroup_partition_status{{consumergroup="{GROUP}",status="STOPPED"}}',
                 "kafka_probe_end_to_end_latency_seconds_bucket", "kafka_server_brokertopicmetrics_bytesinpersec"):
        if not wait_for_series(expr, 90):
            print(f"note: {expr} still absent after 90s")
    time.sleep(8)  # a few more scrapes so rate() windows hold several samples

    targets_state = json.loads(http_get(f"http://127.0.0.1:{PROM_PORT}/api/v1/targets"))["data"]["activeTargets"]
    down = [f"{t['scrapeUrl']} ({t['lastError']})" for t in targets_state if t["health"] != "up"]
    assert not down, f"targets down: {down}"

    results = dq.PanelResults()
    facts = kafka_facts()
    for path in dq.dashboard_files(root):
        if path.name in NEEDS_PLATFORM:
            results.skipped.append(f"{path.name}: {NEEDS_PLATFORM[path.name]}")
            continue
        dashboard = dq.load(path)
        everything, selected = dq.run_panels(dashboard, path.name, PROM_PORT, query, results,
                                             preferred={"topic": [TOPIC], "group": [GROUP, LIVE_GROUP]},
                                             skip=workload_skip, why_absent=why_absent)

        # The figures an operator reads first, against Kafka's own tools.
        all_values = dict(everything)
        expected = []
        if dashboard["uid"] == "kafka-cluster-overview":
            expected = [("Brokers", facts["brokers"]), ("Brokers down", 0), ("Active controller", facts["controller"]),
                        ("Under-replicated partitions", facts["under-replicated"]), ("Partitions", facts["partitions"]),
                        ("Offline partitions", 0)]
        elif dashboard["uid"] == "kafka-topics":
            all_values = dict(selected)
            expected = [("Partitions", facts[f"partitions {TOPIC}"])]
        elif dashboard["uid"] == "kafka-consumer-groups":
            all_values = dict(selected)
            expected = [("Lag (records)", facts["group lag"])]
        for title, value in expected:
            shown = panel_value(dashboard, title, all_values)
            if shown is None or abs(shown - value) > 1e-9:
                results.failed.append(f"{path.name} / {title}: panel shows {shown}, Kafka's tools say {value}")
            else:
                results.passed += 1
                print(f"{path.name} / {title}: {shown:g} (Kafka's tools: {value})")

    results.report()
    print(f"Kafka {CLUSTER['KAFKA_VERSION']} ({CLUSTER['MODE']}): {results.passed} passed, {len(results.failed)} "
          f"failed, {len(results.absent)} absent as this cluster requires, {len(results.skipped)} skipped")
    sys.exit(1 if results.failed else 0)
finally:
    children.stop()
    if "--keep" in sys.argv:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
