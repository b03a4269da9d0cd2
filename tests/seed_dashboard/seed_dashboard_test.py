"""The seed's workshop 9 without the JMX exporter agent: our exporter loads the
seed's own rules file (kafka_broker.yml) through Jolokia, a real Prometheus
scrapes our broker ports with the labels the seed's "Kafka Overview" dashboard
filters on (job="kafka", env), and every panel query of the KRaft-relevant rows
returns data."""
import json
import pathlib
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, http_get, kafka_tool as tool, prometheus_query, wait_for  # noqa: E402

root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
assets = root.parent / "shared" / "seed-assets"
if not (assets / "kafka_broker.yml").exists() or not (assets / "kafka-overview.json").exists():
    print(f"SKIP: the seed's rules and dashboard are not in {assets}")
    print("0 passed, 0 failed, 1 skipped")
    sys.exit(77)  # ctest: skipped, not passed

PROM_PORT, CLUSTER_PORT, BROKER_BASE = 19590, 19508, 19571
# Panels that need what this cluster does not have, with the reason.
EXPECTED_EMPTY = {
    "Unclean Leader Election Rate": "the seed's rule keeps only this bean's Count, absent until an unclean election",
}
SKIPPED_ROWS = {"Zookeeper": "KRaft cluster: no ZooKeeper"}

work = pathlib.Path(tempfile.mkdtemp(prefix="kse-seed-dashboard-"))
children = Children(work)
start = children.start


def query(expr):
    return prometheus_query(PROM_PORT, expr, timeout=10)


try:
    config = work / "exporter.yml"
    config.write_text(f"""
kafka:
  bootstrap_servers: [127.0.0.1:9092, 127.0.0.1:9192, 127.0.0.1:9292]
  request_timeout: 1200ms
collect: {{interval: 3s, timeout: 2500ms}}
serve:
  listen_address: 127.0.0.1
  cluster_port: {CLUSTER_PORT}
  broker_ports: {{1: {BROKER_BASE}, 2: {BROKER_BASE + 1}, 3: {BROKER_BASE + 2}}}
jmx:
  enabled: true
  timeout: 15s
  rules_file: {assets / "kafka_broker.yml"}
  brokers:
    1: http://127.0.0.1:8778/jolokia/
    2: http://127.0.0.1:8779/jolokia/
    3: http://127.0.0.1:8780/jolokia/
""")
    start([str(build / "exporter" / "kafka-sidecar-exporter"), "-c", str(config)], "exporter.log")
    wait_for(f"http://127.0.0.1:{CLUSTER_PORT}/ready", 60)
    prometheus_yml = work / "prometheus.yml"
    targets = "\n".join(
        f"      - targets: ['127.0.0.1:{BROKER_BASE + i}']\n        labels: {{env: dev, broker: '{i + 1}'}}" for i in range(3))
    prometheus_yml.write_text(f"""
global: {{scrape_interval: 2s, evaluation_interval: 2s}}
scrape_configs:
  - job_name: kafka
    static_configs:
{targets}
""")
    start(["prometheus", f"--config.file={prometheus_yml}", f"--storage.tsdb.path={work / 'tsdb'}",
           f"--web.listen-address=127.0.0.1:{PROM_PORT}"], "prometheus.log")
    wait_for(f"http://127.0.0.1:{PROM_PORT}/-/ready", 60)

    # Produce and consume so the request and throughput panels have data.
    produced = tool("kafka-producer-perf-test", "--topic", "position", "--num-records", "20000", "--record-size", "100",
                    "--throughput", "2000", "--producer-props", "bootstrap.servers=127.0.0.1:9092", "acks=all")
    assert produced.returncode == 0, produced.stderr
    tool("kafka-console-consumer", "--bootstrap-server", "127.0.0.1:9092", "--topic", "position", "--group",
         "seed-dashboard", "--from-beginning", "--max-messages", "5000", "--timeout-ms", "20000")
    time.sleep(10)

    targets_state = json.loads(http_get(f"http://127.0.0.1:{PROM_PORT}/api/v1/targets"))["data"]["activeTargets"]
    down = [t["scrapeUrl"] for t in targets_state if t["health"] != "up"]
    assert not down, f"targets down: {down}"

    dashboard = json.loads((assets / "kafka-overview.json").read_text())
    variables = {"$env": "dev", "$broker_id": ".*", "$percentile": ".*", "$topic": ".*"}
    passed, failed, skipped = 0, [], []
    row = ""
    for panel in dashboard["panels"]:
        members = [panel] + panel.get("panels", [])
        for p in members:
            if p.get("type") == "row":
                row = p.get("title", "")
                continue
            for target in p.get("targets", []):
                expr = target.get("expr")
                if not expr:
                    continue
                for name, value in variables.items():
                    expr = expr.replace(name, value)
                title = p.get("title", "")
                if row in SKIPPED_ROWS:
                    skipped.append(f"{row} / {title}: {SKIPPED_ROWS[row]}")
                    continue
                result = query(expr)
                if result:
                    passed += 1
                elif title in EXPECTED_EMPTY:
                    skipped.append(f"{title}: {EXPECTED_EMPTY[title]}")
                else:
                    failed.append(f"{row} / {title}: {expr}")
    for line in skipped:
        print("skipped:", line)
    for line in failed:
        print("NO DATA:", line)
    print(f"{passed} passed, {len(failed)} failed, {len(skipped)} skipped")
    sys.exit(1 if failed else 0)
finally:
    children.stop()
    shutil.rmtree(work, ignore_errors=True)
