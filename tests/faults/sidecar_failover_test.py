#!/usr/bin/env python3
"""Sidecar mode under faults, on the real cluster: three sidecars (--broker-id 1, 2, 3),
each serving its broker's port, and the cluster port served by exactly one of them.

  * at rest the sidecar of broker 1 serves the cluster port, and every series is on one
    port only across the three sidecars;
  * when that sidecar dies (SIGKILL) or stops (SIGTERM), the sidecar of broker 2 takes the
    cluster port over; when it comes back, broker 1's sidecar serves it again;
  * when a partition's leader moves from broker 1 to broker 2, its series go from sidecar
    1's port to sidecar 2's, served twice for at most one collection interval;

Usage: sidecar_failover_test.py SOURCE_DIR BUILD_DIR
"""
import json
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, http_get, tool, wait_for  # noqa: E402

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-sidecars-"))
children = Children(work)
BOOTSTRAP = "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292"
CLUSTER_PORT = 19808
PORTS = {1: 19871, 2: 19872, 3: 19873}
INTERVAL_S = 3
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) \S+$')


def fail(message):
    raise AssertionError(message)


def start_sidecar(broker):
    config = work / f"sidecar-{broker}.yml"
    ports = ", ".join(f"{b}: {p}" for b, p in PORTS.items())
    config.write_text(f"""
kafka: {{bootstrap_servers: [{BOOTSTRAP}], request_timeout: 1200ms}}
collect: {{interval: {INTERVAL_S}s, timeout: 2500ms}}
serve: {{listen_address: 127.0.0.1, cluster_port: {CLUSTER_PORT}, broker_id: {broker}, broker_ports: {{{ports}}}}}
probe: {{enabled: false}}
""")
    process = children.start([build / "exporter" / "kafka-sidecar-exporter", "-c", config], f"sidecar-{broker}.log")
    wait_for(f"http://127.0.0.1:{PORTS[broker]}/ready", 60)
    return process


def page(port):
    try:
        return http_get(f"http://127.0.0.1:{port}/metrics", 3).decode()
    except OSError:
        return None


def cluster_port_owner(sidecars):
    """The broker whose sidecar process listens on the cluster port, as the kernel says."""
    out = subprocess.run(["ss", "-Htlnp", f"sport = :{CLUSTER_PORT}"], capture_output=True, text=True,
                         timeout=10).stdout
    pids = {int(pid) for pid in re.findall(r"pid=(\d+)", out)}
    owners = [broker for broker, process in sidecars.items() if process.pid in pids]
    if len(owners) > 1:
        fail(f"the cluster port is held by the sidecars of brokers {owners}")
    return owners[0] if owners else None


def duplicates(processes_alive):
    """Series served on more than one port across the live sidecars and the cluster port."""
    seen, dup = {}, []
    for name, port in [("cluster", CLUSTER_PORT)] + [(b, p) for b, p in PORTS.items() if processes_alive(b)]:
        text = page(port)
        if text is None:
            continue
        for line in text.splitlines():
            match = SAMPLE.match(line)
            if not match or line.startswith("#"):
                continue
            key = match.group(1)
            # Each process's own series (kafka_sidecar_*) describe that process: the scrape
            # target tells them apart. Kafka's facts must be on one port only.
            if key.startswith("kafka_sidecar_"):
                continue
            if key in seen and seen[key] != name:
                dup.append(f"{key} on {seen[key]} and {name}")
            seen[key] = name
    return dup


def lasting_duplicates(processes_alive):
    """Duplicates that are still there one collection interval later. The sidecars collect
    at their own moments, so a partition whose leadership moves between two of their cycles
    (Kafka's own leader rebalance, an internal topic being created) is served by both for
    one interval, as leader_move() measures; one served twice for longer is a fault."""
    first = duplicates(processes_alive)
    if not first:
        return []
    time.sleep(INTERVAL_S + 1)
    return [d for d in duplicates(processes_alive) if d in first]


def wait_until(what, seconds, attempt):
    deadline = time.time() + seconds
    while True:
        result = attempt()
        if result:
            return time.time() - (deadline - seconds)
        if time.time() > deadline:
            fail(f"{what}: not within {seconds}s")
        time.sleep(0.5)


def main():
    sidecars = {b: start_sidecar(b) for b in (1, 2, 3)}
    alive = {1: True, 2: True, 3: True}
    wait_until("the sidecar of broker 1 serves the cluster port", 30, lambda: cluster_port_owner(sidecars) == 1)
    time.sleep(2 * INTERVAL_S)
    dup = lasting_duplicates(lambda b: alive[b])
    if dup:
        fail(f"at rest, series served twice: {dup[:5]}")
    print("at rest: broker 1's sidecar serves the cluster port, every series on one port")

    # (A hung sidecar keeps its sockets bound: on one host the next one cannot bind the
    # cluster port; across pods, where each has its own address, it can.)
    for fault, sig, back in (("killed", signal.SIGKILL, None), ("stopped", signal.SIGTERM, None)):
        sidecars[1].send_signal(sig)
        alive[1] = False
        took = wait_until(f"sidecar of broker 2 takes the cluster port over after sidecar 1 {fault}",
                          6 * INTERVAL_S + 10,
                          lambda: cluster_port_owner(sidecars) == 2 and page(CLUSTER_PORT) is not None)
        print(f"sidecar 1 {fault}: sidecar 2 serves the cluster port {took:.1f}s later")
        if back is None:
            sidecars[1].wait(timeout=10)
            sidecars[1] = start_sidecar(1)
        else:
            sidecars[1].send_signal(back)
        alive[1] = True
        took = wait_until("sidecar 2 gives the cluster port back once sidecar 1 runs again", 6 * INTERVAL_S + 10,
                          lambda: cluster_port_owner(sidecars) == 1 and page(CLUSTER_PORT) is not None)
        print(f"sidecar 1 back: it serves the cluster port again {took:.1f}s later")
        time.sleep(2 * INTERVAL_S)
        dup = lasting_duplicates(lambda b: alive[b])
        if dup:
            fail(f"after sidecar 1 {fault} and came back, series served twice: {dup[:5]}")
    leader_move()


def leader_move():
    """Leadership of a partition moves from broker 1 to broker 2 (preferred replica changed,
    then a preferred election): the partition's series go from sidecar 1's port to sidecar
    2's, and are served twice for at most one collection interval."""
    topic = f"kse-sidecar-move-{int(time.time())}"
    tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--create", "--topic", topic, "--replica-assignment", "1:2:3")

    def leader_on(broker):
        text = page(PORTS[broker]) or ""
        return f'kafka_topic_partition_leader{{topic="{topic}",partition="0"}} {broker}' in text

    try:
        wait_until(f"sidecar 1 serves {topic}-0, which broker 1 leads", 6 * INTERVAL_S + 10, lambda: leader_on(1))
        plan = work / "move.json"
        plan.write_text(json.dumps({"version": 1, "partitions": [{"topic": topic, "partition": 0,
                                                                  "replicas": [2, 1, 3]}]}))
        tool("kafka-reassign-partitions", "--bootstrap-server", BOOTSTRAP, "--reassignment-json-file", str(plan),
             "--execute")
        tool("kafka-leader-election", "--bootstrap-server", BOOTSTRAP, "--election-type", "PREFERRED", "--topic",
             topic, "--partition", "0")
        moved, twice_for, settled = time.time(), 0.0, None
        while time.time() < moved + 6 * INTERVAL_S + 10:
            dup = [d for d in duplicates(lambda b: True) if f'topic="{topic}"' in d]
            now = time.time() - moved
            if dup:
                twice_for = now
            elif leader_on(2) and not leader_on(1):
                settled = now
                break
            time.sleep(0.25)
        if settled is None:
            fail(f"{topic}-0 never settled on sidecar 2's port alone after the leader moved to broker 2")
        if twice_for > INTERVAL_S + 1:
            fail(f"{topic}-0's series were served by two sidecars for {twice_for:.1f}s, more than one interval "
                 f"({INTERVAL_S}s)")
        print(f"leader move 1 -> 2: served by sidecar 2 alone {settled:.1f}s after the election; served twice for "
              f"{twice_for:.1f}s (at most one interval, {INTERVAL_S}s)")
    finally:
        subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-topics", "--bootstrap-server", BOOTSTRAP,
                        "--delete", "--topic", topic], capture_output=True, timeout=120)


exit_code = 1
try:
    main()
    print("PASS: the cluster port has one server at a time, with fail-over")
    exit_code = 0
except AssertionError as error:
    print(f"FAIL: {error}")
    for log in sorted(work.glob("sidecar-*.log")):
        print(f"{log.name}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
finally:
    for process in children.processes:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
    children.stop()
sys.exit(exit_code)
