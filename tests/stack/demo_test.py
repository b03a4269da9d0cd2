#!/usr/bin/env python3
"""The README's demo command, as a new user runs it: every Prometheus target up,
every rule group of rules/ loaded, the exporter's ports serving the live cluster,
the URLs printed, and Ctrl-C stopping everything the demo started.

Usage: demo_test.py <source dir> <build dir>
"""
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import http_get  # noqa: E402

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
PROMETHEUS = "http://127.0.0.1:9090"
DEMO_PORTS = {"cluster port": 9308, "broker 1": 7071, "broker 2": 7072, "broker 3": 7073, "Prometheus": 9090,
              "Alertmanager": 9097, "webhook": 9096, "courier-producer": 7081, "courier-consumer": 7082,
              "courier-tx": 7083}


def port_open(port):
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def prometheus(path):
    return json.loads(http_get(PROMETHEUS + path, 10))["data"]


failures = []
busy = [f"{name} ({port})" for name, port in DEMO_PORTS.items() if port_open(port)]
if busy:
    raise SystemExit(f"FAIL: the demo's ports are in use before it starts: {', '.join(busy)}")

# On a cluster shared with earlier tests, the demo's consumer group starts at the log end,
# as it would on the fresh cluster the demo makes: its backlog is the other tests' records.
subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-consumer-groups", "--bootstrap-server",
                "127.0.0.1:9092", "--group", "consumer", "--reset-offsets", "--to-latest", "--all-topics",
                "--execute"], capture_output=True, timeout=120)

work = pathlib.Path(tempfile.mkdtemp(prefix="kse-demo-test-"))
output = open(work / "demo.out", "w")
demo = subprocess.Popen([str(root / "scripts" / "demo")], cwd=root, stdout=output, stderr=subprocess.STDOUT,
                        env={**os.environ, "KSE_BUILD": str(build), "STACK_DIR": str(work / "stack")},
                        start_new_session=True)
try:
    deadline = time.time() + 300
    while "Ctrl-C stops everything." not in (work / "demo.out").read_text():
        if demo.poll() is not None or time.time() > deadline:
            raise SystemExit("FAIL: the demo did not come up:\n" + (work / "demo.out").read_text()[-3000:])
        time.sleep(1)
    printed = (work / "demo.out").read_text()
    for url in ("http://127.0.0.1:9308/metrics", "http://127.0.0.1:7071/metrics", "http://127.0.0.1:9090/",
                "http://127.0.0.1:9097/"):
        if url not in printed:
            failures.append(f"the demo does not print {url}")

    # Every target up (the exporter's four ports and the three courier tools).
    deadline = time.time() + 120
    while True:
        targets = prometheus("/api/v1/targets")["activeTargets"]
        down = [f"{t['scrapeUrl']}: {t['health']} {t['lastError']}" for t in targets if t["health"] != "up"]
        if not down and len(targets) >= 7:
            break
        if time.time() > deadline:
            failures.append(f"{len(targets)} targets, not up after 120 s: {down}")
            break
        time.sleep(2)
    jobs = sorted({t["labels"]["job"] for t in targets})
    print(f"targets: {len(targets)} up, jobs {jobs}")

    # Every group of every rules file loaded, every rule healthy.
    shipped = {group["name"] for path in sorted((root / "rules").glob("*.yml"))
               for group in yaml.safe_load(path.read_text())["groups"]}
    loaded = prometheus("/api/v1/rules")["groups"]
    missing = shipped - {group["name"] for group in loaded}
    if missing:
        failures.append(f"rule groups not loaded: {sorted(missing)}")
    unhealthy = [f"{rule['name']}: {rule.get('lastError')}" for group in loaded for rule in group["rules"]
                 if rule.get("health") not in ("ok", "unknown")]
    if unhealthy:
        failures.append(f"rules failing: {unhealthy}")
    print(f"rules: {sum(len(g['rules']) for g in loaded)} in {len(loaded)} groups")

    # The live cluster on the ports: three brokers, and partitions on each broker's port.
    brokers = prometheus('/api/v1/query?query=kafka_brokers')["result"]
    if not brokers or float(brokers[0]["value"][1]) != 3:
        failures.append(f"kafka_brokers in Prometheus: {brokers}")
    for broker in (1, 2, 3):
        page = http_get(f"http://127.0.0.1:{7070 + broker}/metrics", 10).decode()
        if f'kafka_broker_up{{broker="{broker}"}} 1' not in page:
            failures.append(f"port {7070 + broker} does not say broker {broker} is up")

    # At rest the demo is quiet: no alert pending or firing (a phantom broker's JMX, say)
    # over a minute of rule evaluations. The cluster may be shared with tests that stopped
    # brokers before: its leaders are put back first, as an operator would after a restart.
    subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-leader-election", "--bootstrap-server",
                    "127.0.0.1:9092", "--election-type", "PREFERRED", "--all-topic-partitions"],
                   capture_output=True, timeout=120)
    time.sleep(30)
    # Consumer groups other tests left on a shared cluster (stopped on purpose) are not the
    # demo's: only its own groups count, the courier consumer and the exporter's probe.
    demo_groups = {"consumer", "_kse_probe_group"}
    quiet_until = time.time() + 60
    while time.time() < quiet_until:
        alerts = [a for a in prometheus("/api/v1/query?query=ALERTS")["result"]
                  if a["metric"].get("consumergroup", "consumer") in demo_groups]
        if alerts:
            failures.append("alerts at rest: " + ", ".join(
                f"{a['metric']['alertname']}{{broker={a['metric'].get('broker', '')},"
                f"consumergroup={a['metric'].get('consumergroup', '')}}} {a['metric']['alertstate']}"
                for a in alerts))
            break
        time.sleep(5)
finally:
    # Ctrl-C: the terminal sends SIGINT to the demo's whole process group.
    if demo.poll() is None:
        os.killpg(demo.pid, signal.SIGINT)
    try:
        demo.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(demo.pid, signal.SIGKILL)
        demo.wait(timeout=30)
        failures.append("the demo did not stop within 120 s of Ctrl-C")
    output.close()

still = []
for _ in range(20):
    still = [f"{name} ({port})" for name, port in DEMO_PORTS.items() if port_open(port)]
    if not still:
        break
    time.sleep(1)
if still:
    failures.append(f"still listening after Ctrl-C: {', '.join(still)}")
if demo.returncode != 0:
    failures.append(f"the demo exited with {demo.returncode} after Ctrl-C")

# A port the demo needs, already taken: the demo stops at once and says which.
if not still:
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", 9308))
        squatter.listen()
        started = time.time()
        refused = subprocess.run([str(root / "scripts" / "demo")], cwd=root, capture_output=True, text=True,
                                 timeout=600, env={**os.environ, "KSE_BUILD": str(build),
                                                   "STACK_DIR": str(work / "stack-busy")})
        if refused.returncode == 0 or "9308" not in refused.stderr or "already in use" not in refused.stderr:
            failures.append(f"with port 9308 taken the demo exited {refused.returncode}: {refused.stderr[-500:]}")
        else:
            print(f"demo: with 9308 taken, stopped in {time.time() - started:.0f} s saying so")

for failure in failures:
    print("FAIL:", failure)
if failures:
    print((work / "demo.out").read_text()[-3000:])
    sys.exit(1)
print("demo: up, all targets and rules, stopped cleanly by Ctrl-C")
