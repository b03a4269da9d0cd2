#!/usr/bin/env python3
"""Fault suite: the exporter against the real 3-broker cluster while brokers hang, die and
stop, each scenario checked at every collection cycle from the fault to the recovery.

Invariants, at every cycle:
  * every port's page passes `promtool check metrics` (probe and JMX on, as shipped);
  * each series is served on exactly one port;
  * the healthy brokers are up, on their own ports, and their partitions' log ends are
    served and equal to what kafka-get-offsets says on a quiet topic;
  * the broker at fault is marked down (or its series are absent), never frozen up; with
    the whole cluster paused, every broker and the metadata collector are marked down;
  * no false zero, no partial sum: the lag sum of a group on a quiet topic is either
    absent or exactly the lag Kafka's own tools gave before the fault;
  * the exporter keeps running and its resident size stays bounded.
Scenarios (SCENARIOS): a broker paused, killed, stopped cleanly; the exporter restarted during a
hung broker; one broker's network blackholed or slowed; the whole cluster paused; a throttled
reassignment; a broker added then decommissioned (stopped, its replicas moved, unregistered).
The exporter reaches the brokers through a proxy (fault_proxy.py) on the cluster's PROXIED
listener, which blackholes one broker (marked down like a hung one) or slows it by 300 ms each
way (not down: every value stays present and right), for the exporter only.
Then, after recovery, the values are compared with Kafka's tools again.

Usage: faults_test.py SOURCE_DIR BUILD_DIR [--soak SECONDS | --only SCENARIO[,SCENARIO...]]. Prints what it measured (time
to mark a broker down, time to recover) and exits non-zero on the first violated invariant.
With --soak, random faults (the first six scenarios and the whole cluster paused) follow one
another for SECONDS instead (bench/soak/run), while the courier workload produces to and
consumes from a topic of its own: then, at every cycle, its group's lag is never negative and
its lag sum is served only whole; at the start and after each recovery its log ends lie
between two readings of kafka-get-offsets taken around the cycle.
"""
import collections
import json
import os
import pathlib
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from harness import (Children, cluster, cluster_env, http_get, log_ends, parse_page,  # noqa: E402
                     promtool_problems, tool, wait_for)
from fault_proxy import FaultProxy  # noqa: E402

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
soak_seconds = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--soak" else None
# --only NAME[,NAME...] runs only those scenarios (names as in SCENARIOS).
only = set(sys.argv[4].split(",")) if len(sys.argv) > 4 and sys.argv[3] == "--only" else None
SCENARIOS = ["paused", "killed", "stopped", "exporter restarted", "blackholed", "slowed", "whole cluster",
             "reassignment", "lifecycle"]
exporter_binary = build / "exporter" / "kafka-sidecar-exporter"
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-faults-"))
children = Children(work)

BROKERS = [1, 2, 3]
CLUSTER_PORT = 19908
BROKER_BASE = 19971  # broker N on BROKER_BASE + N - 1
INTERVAL_S = 4
RSS_LIMIT_KB = 256 * 1024
suffix = f"{int(time.time())}-{os.getpid()}"
QUIET_TOPIC = f"kse-faults-{suffix}"
QUIET_GROUP = f"kse-faults-{suffix}"
RECORDS_PER_PARTITION = 50
COMMITTED = 20
CATALOGUE = set()
LEADERS_SEEN = {}  # partition of the quiet topic -> its leader at the last 3 cycles checked
PROXY_DELAY_S = 0.3
PROXY = {}  # broker -> (proxy, its port): the exporter reaches each broker through it
# The soak's courier workload: its topic, group and partition count, and what was checked.
LIVE = {}


def say(message):
    print(message, flush=True)


def fail(message):
    raise AssertionError(message)


def bootstrap(excluding=None):
    return ",".join(f"127.0.0.1:{9092 + 100 * (b - 1)}" for b in BROKERS if b != excluding)


def catalogue_families():
    """Families made from the Kafka protocol, which carry their broker, topic or group in
    their labels: each such series must be on one port only. (A broker's JMX internals
    carry no broker label, like the JMX exporter's: the scrape target adds it.)"""
    doc = subprocess.run([str(exporter_binary), "--print-metrics-doc"], capture_output=True, text=True,
                         timeout=30).stdout
    return set(re.findall(r"^\| `(kafka_[a-z_]+)`", doc, re.M))


def ports():
    return {"cluster": CLUSTER_PORT, **{b: BROKER_BASE + b - 1 for b in BROKERS}}


def scrape(port):
    try:
        return http_get(f"http://127.0.0.1:{port}/metrics", 5).decode()
    except OSError as error:
        return error


def value(series, name, **labels):
    wanted = frozenset((k, str(v)) for k, v in labels.items())
    found = [v for (n, l), v in series.items() if n == name and wanted <= l]
    return found[0] if len(found) == 1 else (None if not found else found)


def exporter_rss_kb(process):
    with open(f"/proc/{process.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_cycle(after):
    """Waits for the exporter to publish a cycle that started after `after` (unix time); returns the pages."""
    deadline = time.time() + 3 * INTERVAL_S + 20
    while time.time() < deadline:
        page = scrape(CLUSTER_PORT)
        if isinstance(page, str):
            stamp = value(parse_page(page), "kafka_sidecar_last_collect_timestamp_seconds")
            if isinstance(stamp, float) and stamp > after:
                return {key: scrape(port) for key, port in ports().items()}
        time.sleep(0.5)
    fail(f"no collection cycle published within {3 * INTERVAL_S + 20}s")


# Per scenario, the cycles with every broker paused whose metadata collector was checked.
WHOLE_CLUSTER_CHECKS = {}


def check_cycle(pages, process, faulty, expected_ends, expected_lag, scenario, fault_complete_at=None):
    """The invariants of one cycle; returns the parsed pages by port key. `faulty`: the brokers
    at fault (a set, or one broker id, or None)."""
    faulty = set() if faulty is None else faulty if isinstance(faulty, set) else {faulty}
    if process.poll() is not None:
        fail(f"{scenario}: the exporter exited with {process.returncode}")
    rss = exporter_rss_kb(process)
    if rss > RSS_LIMIT_KB:
        fail(f"{scenario}: exporter RSS {rss} kB above {RSS_LIMIT_KB} kB")
    parsed, owner_of = {}, {}
    for key, page in pages.items():
        if not isinstance(page, str):
            # A broker's port stays open even while the broker is down.
            fail(f"{scenario}: port of {key} did not answer: {page}")
        problems = promtool_problems(page)
        if problems:
            fail(f"{scenario}: page of {key} fails promtool check metrics: {problems[:3]}")
        parsed[key] = parse_page(page)
        for series in parsed[key]:
            if series[0] not in CATALOGUE:
                continue
            if series in owner_of:
                fail(f"{scenario}: {series} served on both {owner_of[series]} and {key}")
            owner_of[series] = key
    marked = True
    for broker in BROKERS:
        up = value(parsed[broker], "kafka_broker_up", broker=broker)
        if broker in faulty:
            marked = marked and up != 1  # until then, the caller times it
        elif up != 1:
            fail(f"{scenario}: healthy broker {broker} has kafka_broker_up {up} on its port")
    # A cycle that began before every broker was paused may have read Metadata in time
    # (and then lost the other requests): only a cycle begun after must find none.
    cycle_began = None
    ended = value(parsed["cluster"], "kafka_sidecar_last_collect_timestamp_seconds")
    took = value(parsed["cluster"], "kafka_sidecar_collect_duration_seconds")
    if isinstance(ended, float) and isinstance(took, float):
        cycle_began = ended - took
    began_after_fault = (fault_complete_at is not None and cycle_began is not None
                         and cycle_began > fault_complete_at)
    if faulty == set(BROKERS) and marked and began_after_fault:
        WHOLE_CLUSTER_CHECKS[scenario] = WHOLE_CLUSTER_CHECKS.get(scenario, 0) + 1
        metadata_up = value(parsed["cluster"], "kafka_sidecar_collector_up", collector="metadata")
        if metadata_up != 0:
            fail(f"{scenario}: no broker answers, yet kafka_sidecar_collector_up{{collector=\"metadata\"}} is "
                 f"{metadata_up}")
    if not marked:
        return parsed, False
    # The quiet topic's log ends, wherever they are served, equal Kafka's; absent only
    # for partitions led by the broker at fault.
    merged = {}
    for key in parsed:
        merged.update(parsed[key])
    for partition, end in expected_ends.items():
        served = value(merged, "kafka_topic_partition_current_offset", topic=QUIET_TOPIC, partition=partition)
        leader = value(merged, "kafka_topic_partition_leader", topic=QUIET_TOPIC, partition=partition)
        seen = LEADERS_SEEN.setdefault(partition, collections.deque(maxlen=3))
        seen.append(leader)
        # While leadership moves, the new leader may answer NOT_LEADER_OR_FOLLOWER for a
        # cycle or two: the value is then absent (never wrong), which the rule allows.
        moving = len(set(seen)) > 1
        if served is None and not moving:
            if not faulty or (leader is not None and leader not in faulty):
                fail(f"{scenario}: log end of {QUIET_TOPIC}-{partition} (leader {leader}) absent "
                     f"though its leader is healthy and did not change in the last 3 cycles")
        elif served is not None and served != end:
            fail(f"{scenario}: log end of {QUIET_TOPIC}-{partition} served as {served}, Kafka says {end}")
    lag = value(merged, "kafka_consumergroup_lag_sum", consumergroup=QUIET_GROUP, topic=QUIET_TOPIC)
    if lag is not None and lag != expected_lag:
        fail(f"{scenario}: lag sum of {QUIET_GROUP} served as {lag}, Kafka's tools say {expected_lag} "
             "(a partial sum)")
    if not faulty and lag is None:
        fail(f"{scenario}: lag sum of {QUIET_GROUP} absent on a healthy cluster")
    if LIVE:
        check_live_group(merged, scenario)
    return parsed, True


def check_live_group(merged, scenario):
    """The courier group's lag while records flow: no negative lag, and a lag sum served only
    with every partition's lag, equal to their sum (never a partial sum)."""
    topic, group = LIVE["topic"], LIVE["group"]
    lags = {dict(labels)["partition"]: v for (name, labels), v in merged.items()
            if name == "kafka_consumergroup_lag" and ("consumergroup", group) in labels and ("topic", topic) in labels}
    negative = {p: v for p, v in lags.items() if v < 0}
    if negative:
        fail(f"{scenario}: negative lag of {group} on {topic}: {negative}")
    total = value(merged, "kafka_consumergroup_lag_sum", consumergroup=group, topic=topic)
    if total is None:
        return
    if len(lags) != LIVE["partitions"]:
        fail(f"{scenario}: lag sum of {group} served ({total}) with {len(lags)} of {LIVE['partitions']} "
             "partitions' lag: a partial sum")
    if total != sum(lags.values()):
        fail(f"{scenario}: lag sum of {group} is {total}, its partitions' lags add up to {sum(lags.values())}")
    LIVE["checked"] += 1


def check_live_log_ends(scenario):
    """On a healthy cluster, each log end of the courier topic served by a cycle that began after
    kafka-get-offsets was run lies between that reading and one taken after the scrape."""
    topic = LIVE["topic"]

    before = log_ends(topic, bootstrap())
    pages = wait_cycle(time.time())
    after = log_ends(topic, bootstrap())
    merged = {}
    for page in pages.values():
        merged.update(parse_page(page))
    for partition in range(LIVE["partitions"]):
        served = value(merged, "kafka_topic_partition_current_offset", topic=topic, partition=partition)
        if served is None:
            fail(f"{scenario}: log end of {topic}-{partition} absent on a healthy cluster")
        if not before.get(partition, -1) <= served <= after.get(partition, -1):
            fail(f"{scenario}: log end of {topic}-{partition} served as {served}, outside Kafka's "
                 f"[{before.get(partition)}, {after.get(partition)}] read around the cycle")
    LIVE["ends_checked"] += 1


def quiet_topic_truth():
    return log_ends(QUIET_TOPIC, bootstrap())


def group_lag_from_tool():
    out = tool("kafka-consumer-groups", "--bootstrap-server", bootstrap(), "--describe", "--group", QUIET_GROUP)
    header, lag = None, 0
    for line in out.splitlines():
        fields = line.split()
        if "LAG" in fields and "CURRENT-OFFSET" in fields:
            header = fields
        elif header and fields and fields[0] == QUIET_GROUP:
            lag += int(dict(zip(header, fields))["LAG"])
    if header is None:
        fail(f"kafka-consumer-groups shows no partition of {QUIET_GROUP}")
    return float(lag)


class Exporter:
    """The exporter under test; restart() replaces its process (same config, same ports)."""

    def __init__(self, config):
        self.config = config
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.process = children.start([exporter_binary, "-c", self.config], f"exporter-{self.starts}.log")
        wait_for(f"http://127.0.0.1:{CLUSTER_PORT}/ready", 90)

    def restart(self):
        """Stops the exporter (which must take at most 15 s, whatever the brokers do: half of
        Kubernetes' default grace period) and starts it again; returns (seconds to stop,
        seconds until ready)."""
        stopping = time.time()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        stopped_in = time.time() - stopping
        if stopped_in > 15:
            fail(f"the exporter took {stopped_in:.1f}s to stop on SIGTERM")
        started = time.time()
        self.start()
        return stopped_in, time.time() - started


def run_scenario(name, exporter, broker, inject, recover, hold_s):
    """Injects a fault on `broker` (an id, or a set of ids), checks every cycle while it lasts
    and after recovery."""
    ends, lag = quiet_topic_truth(), group_lag_from_tool()
    WHOLE_CLUSTER_CHECKS.pop(name, None)
    say(f"{name}: injecting on broker(s) {broker}")
    injected = time.time()
    inject()
    complete = time.time()
    marked_after, cycles = None, 0
    last = injected
    hold_until = time.time() + hold_s
    while time.time() < hold_until:
        pages = wait_cycle(last)
        last = time.time()
        _, marked = check_cycle(pages, exporter.process, broker, ends, lag, name, complete)
        cycles += 1
        if marked and marked_after is None:
            marked_after = last - injected
    if marked_after is None:
        fail(f"{name}: broker(s) {broker} never marked down in {hold_s}s ({cycles} cycles)")
    if broker == set(BROKERS) and not WHOLE_CLUSTER_CHECKS.get(name):
        fail(f"{name}: no cycle began after every broker was paused in {hold_s}s: the metadata collector "
             "was never checked")
    recovered_at = time.time()
    recover()
    deadline = time.time() + 240
    while True:
        pages = wait_cycle(last)
        last = time.time()
        try:
            check_cycle(pages, exporter.process, None, quiet_topic_truth(), group_lag_from_tool(),
                        name + " (recovered)")
            break
        except AssertionError as error:
            if time.time() > deadline:
                raise
            say(f"{name}: not yet recovered: {error}")
    if LIVE:
        check_live_log_ends(name + " (recovered)")
    say(f"{name}: broker(s) {broker} marked down {marked_after:.1f}s after the fault, {cycles} cycles checked "
        f"with no violation; every value equal to Kafka's tools again {time.time() - recovered_at:.1f}s "
        "after the recovery started")
    return cycles + 1


def main():
    if not exporter_binary.exists():
        fail(f"exporter not built at {exporter_binary}")
    CATALOGUE.update(catalogue_families())
    if "kafka_broker_up" not in CATALOGUE:
        fail("--print-metrics-doc lists no kafka_broker_up")
    status = cluster("status")
    for broker in BROKERS:
        if f"broker {broker}: running" not in status:
            fail(f"broker {broker} is not running:\n{status}")
    env = cluster_env()

    # A quiet topic (no producer during the test) with a group committed part-way.
    tool("kafka-topics", "--bootstrap-server", bootstrap(), "--create", "--topic", QUIET_TOPIC,
         "--partitions", "6", "--replication-factor", "2")
    records = "\n".join(f"{i}:position-{i}" for i in range(RECORDS_PER_PARTITION * 6)) + "\n"
    tool("kafka-console-producer", "--bootstrap-server", bootstrap(), "--topic", QUIET_TOPIC, "--property",
         "parse.key=true", "--property", "key.separator=:", stdin=records)
    tool("kafka-consumer-groups", "--bootstrap-server", bootstrap(), "--group", QUIET_GROUP, "--topic",
         QUIET_TOPIC, "--reset-offsets", "--to-offset", str(COMMITTED), "--execute")

    # The exporter (and its probe) reach the brokers through a proxy that can blackhole
    # or slow one of them, for the exporter only: Kafka itself stays healthy.
    def listening(address):
        host, port = address.rsplit(":", 1)
        try:
            socket.create_connection((host, int(port)), 2).close()
            return True
        except OSError:
            return False

    if not all(listening(env.get(f"BROKER_{b}_PROXIED", "127.0.0.1:0")) for b in BROKERS):
        fail("the brokers have no PROXIED listener; restart the cluster (cluster/kafka-cluster stop; start --secure)")
    def port_of(address):
        return int(address.rsplit(":", 1)[1])

    address = {b: env[f"BROKER_{b}_PROXY"] for b in BROKERS}
    # Broker N's ports are broker 1's plus 100 (N - 1): broker 4 of the lifecycle scenario too.
    proxied = {b: port_of(env["BROKER_1_PROXIED"]) + 100 * (b - 1) for b in BROKERS + [4]}
    proxy_ports = {b: port_of(env["BROKER_1_PROXY"]) + 100 * (b - 1) for b in BROKERS + [4]}
    proxy = FaultProxy({proxy_ports[b]: ("127.0.0.1", proxied[b]) for b in proxied}, delay=PROXY_DELAY_S)
    PROXY.update({b: (proxy, proxy_ports[b]) for b in proxied})
    jolokia = "\n".join(f"    {b}: {env[f'BROKER_{b}_JOLOKIA']}" for b in BROKERS)
    config = work / "exporter.yml"
    config.write_text(f"""
kafka:
  bootstrap_servers: [{",".join(address.values())}]
  request_timeout: 1500ms
collect: {{interval: {INTERVAL_S}s, timeout: 3500ms}}
serve:
  listen_address: 127.0.0.1
  cluster_port: {CLUSTER_PORT}
  broker_port_base: {BROKER_BASE}
probe:
  enabled: true
  interval: 1s
  topic: _kse_probe_faults
  group: kse-faults-probe
jmx:
  enabled: true
  timeout: 3s
  rules_file: {root / "exporter" / "kafka-broker-rules.yml"}
  brokers:
{jolokia}
""")
    exporter = Exporter(config)
    exporter.start()
    start_rss = exporter_rss_kb(exporter.process)

    # The healthy cluster first: the same invariants with no fault.
    ends, lag = quiet_topic_truth(), group_lag_from_tool()
    if lag != float(sum(ends.values()) - COMMITTED * len(ends)):
        fail(f"kafka-consumer-groups says lag {lag}, the log ends say otherwise")
    last = time.time()
    for _ in range(2):
        pages = wait_cycle(last)
        last = time.time()
        check_cycle(pages, exporter.process, None, ends, lag, "healthy")
    say(f"healthy: 2 cycles, every page valid, lag sum {lag:.0f} equal to kafka-consumer-groups")

    if soak_seconds is not None:
        soak(exporter, soak_seconds, start_rss)
        return
    if only and not only <= set(SCENARIOS):
        fail(f"unknown scenario(s) {sorted(only - set(SCENARIOS))}; known: {SCENARIOS}")

    def wanted(name):
        return only is None or name in only

    for name, broker, hold_s in (("paused", 2, 25), ("killed", 3, 20), ("stopped", 1, 20),
                                 ("exporter restarted", 3, 20), ("blackholed", 2, 20)):
        if wanted(name):
            run_scenario(*fault(name, broker, exporter), hold_s=hold_s)
    if wanted("slowed"):
        slow_network_scenario(exporter, broker=3, cycles=5)
    if wanted("whole cluster"):
        run_scenario("whole cluster paused", exporter, set(BROKERS),
                     lambda: [cluster("pause-broker", str(b)) for b in BROKERS],
                     lambda: [cluster("resume-broker", str(b)) for b in BROKERS], hold_s=20)
    if wanted("reassignment"):
        reassignment_scenario(exporter)
    if wanted("lifecycle"):
        broker_lifecycle_scenario(exporter)
    say(f"exporter RSS {start_rss} kB at start, {exporter_rss_kb(exporter.process)} kB at the end")


def fault(kind, broker, exporter):
    """(name, exporter, broker, inject, recover) of one fault on one broker."""
    b = str(broker)
    if kind == "paused":
        return "paused (SIGSTOP)", exporter, broker, lambda: cluster("pause-broker", b), \
            lambda: cluster("resume-broker", b)
    if kind == "killed":
        return "killed (SIGKILL)", exporter, broker, lambda: cluster("kill-broker", b), \
            lambda: cluster("start-broker", b)
    if kind == "stopped":
        return "stopped cleanly", exporter, broker, lambda: cluster("stop-broker", b), \
            lambda: cluster("start-broker", b)

    if kind == "blackholed":
        proxy, port = PROXY[broker]
        return "network blackholed for the exporter", exporter, broker, lambda: proxy.set_mode(port, "blackhole"), \
            lambda: proxy.set_mode(port, "pass")

    def pause_then_restart_exporter():
        cluster("pause-broker", b)
        time.sleep(INTERVAL_S)
        stopped_in, ready_in = exporter.restart()
        say(f"exporter restarted while broker {b} is paused: stopped in {stopped_in:.1f}s, ready again "
            f"in {ready_in:.1f}s")

    return "exporter restarted during a hung broker", exporter, broker, pause_then_restart_exporter, \
        lambda: cluster("resume-broker", b)


def slow_network_scenario(exporter, broker, cycles):
    """A slow link is not a dead broker: with PROXY_DELAY_S more each way to `broker`, every
    value stays present and equal to Kafka's tools and the broker stays up."""
    proxy, port = PROXY[broker]
    ends, lag = quiet_topic_truth(), group_lag_from_tool()
    say(f"slowed network: {PROXY_DELAY_S * 1000:.0f} ms each way to broker {broker}, for the exporter only")
    proxy.set_mode(port, "slow")
    try:
        last = time.time()
        wait_cycle(last)  # a cycle that began before the delay may straddle it
        last = time.time()
        for _ in range(cycles):
            pages = wait_cycle(last)
            last = time.time()
            check_cycle(pages, exporter.process, None, ends, lag, "slowed network")
    finally:
        proxy.set_mode(port, "pass")
    say(f"slowed network: {cycles} cycles with broker {broker} {PROXY_DELAY_S * 1000:.0f} ms away each way, "
        "every broker up and every value present and equal to Kafka's tools")


def soak(exporter, seconds, start_rss):
    """Random faults one after another until `seconds` have passed while the courier workload
    produces and consumes, every cycle checked."""
    rng = random.Random(int(os.environ.get("KSE_SOAK_SEED", time.time())))
    end = time.time() + seconds
    LIVE.update(topic=f"{QUIET_TOPIC}-couriers", group=f"{QUIET_GROUP}-couriers", partitions=6, checked=0,
                ends_checked=0)
    tool("kafka-topics", "--bootstrap-server", bootstrap(), "--create", "--topic", LIVE["topic"],
         "--partitions", str(LIVE["partitions"]), "--replication-factor", "3")
    workload = build / "workload"
    # Straight to the brokers, not through the proxy: a blackhole is for the exporter only.
    common = ["--bootstrap-servers", bootstrap(), "--topic", LIVE["topic"], "--duration-s", str(seconds + 30),
              "--report-interval-s", "0"]
    producer = children.start([workload / "courier-producer", *common, "--couriers", "20",
                               "--messages-per-courier", "0", "--interval-ms", "100"], "producer.log")
    consumer = children.start([workload / "courier-consumer", *common, "--group", LIVE["group"],
                               "--concurrency", "2"], "consumer.log")
    check_live_log_ends("soak start")
    cycles = faults = 0
    while time.time() < end - 60:
        kind = rng.choice(["paused", "killed", "stopped", "exporter restarted", "blackholed", "slowed",
                           "whole cluster"])
        if kind == "slowed":
            slow_network_scenario(exporter, broker=rng.choice(BROKERS), cycles=3)
            cycles += 3
        elif kind == "whole cluster":
            cycles += run_scenario("whole cluster paused", exporter, set(BROKERS),
                                   lambda: [cluster("pause-broker", str(b)) for b in BROKERS],
                                   lambda: [cluster("resume-broker", str(b)) for b in BROKERS],
                                   hold_s=rng.randint(8, 15))
        else:
            cycles += run_scenario(*fault(kind, rng.choice(BROKERS), exporter), hold_s=rng.randint(8, 20))
        faults += 1
    for process in (producer, consumer):
        if process.poll() is not None:
            fail(f"the courier workload ended early (exit {process.returncode}, logs in {work})")
        children.stop_one(process, timeout=40)
    produced = (work / "producer.log").read_text().strip().splitlines()
    say(f"soak: {cycles} cycles checked, {faults} faults injected, 0 violations; the courier group's lag "
        f"checked on {LIVE['checked']} cycles and its topic's log ends against Kafka's "
        f"{LIVE['ends_checked']} times (at the start and after each recovery); producer: {produced[-1] if produced else 'no summary'}; "
        f"exporter RSS {start_rss} kB at start, {exporter_rss_kb(exporter.process)} kB at the end")


def reassignment_scenario(exporter):
    """A throttled reassignment adding a replica: Kafka's tools list no under-replicated
    partition while the copy runs, and neither may the exporter."""
    topic = f"{QUIET_TOPIC}-moving"
    tool("kafka-topics", "--bootstrap-server", bootstrap(), "--create", "--topic", topic, "--replica-assignment", "1")
    tool("kafka-producer-perf-test", "--topic", topic, "--num-records", "12000", "--record-size", "1000",
         "--throughput", "-1", "--producer-props", f"bootstrap.servers={bootstrap()}", "acks=1",
         "batch.size=262144", "linger.ms=20", timeout=180)
    plan = work / "reassignment.json"
    plan.write_text('{"version":1,"partitions":[{"topic":"%s","partition":0,"replicas":[1,2]}]}' % topic)
    tool("kafka-reassign-partitions", "--bootstrap-server", bootstrap(), "--reassignment-json-file", str(plan),
         "--execute", "--throttle", "400000")
    seen_moving, last = 0, time.time()
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            pages = wait_cycle(last)
            last = time.time()
            kafka_urp = tool("kafka-topics", "--bootstrap-server", bootstrap(), "--describe",
                             "--under-replicated-partitions", "--topic", topic).strip()
            described = tool("kafka-topics", "--bootstrap-server", bootstrap(), "--describe", "--topic", topic)
            merged = {}
            for page in pages.values():
                merged.update(parse_page(page))
            moving = value(merged, "kafka_topic_partition_reassignment_in_progress", topic=topic, partition=0)
            if moving is None:
                break
            if "Adding Replicas" not in described:
                # The copy ended after the exporter's cycle: the controller no longer lists the
                # move while a broker's metadata may still show the old ISR, so kafka-topics and
                # the page describe different moments. Nothing to compare in this cycle.
                continue
            seen_moving += 1
            served = value(merged, "kafka_topic_partition_under_replicated_partition", topic=topic, partition=0)
            if served != (1.0 if kafka_urp else 0.0):
                fail(f"reassignment: kafka-topics lists {kafka_urp or 'no under-replicated partition'}, "
                     f"the exporter serves under_replicated {served} for {topic}-0")
            if value(merged, "kafka_cluster_reassigning_partitions") in (None, 0.0):
                fail(f"reassignment: kafka_cluster_reassigning_partitions "
                     f"{value(merged, 'kafka_cluster_reassigning_partitions')} while {topic}-0 moves")
        if seen_moving == 0:
            fail("reassignment: the copy ended before a cycle saw it; nothing was compared")
        say(f"throttled reassignment: {seen_moving} cycles while the copy ran, under-replicated as "
            "kafka-topics says (none)")
    finally:
        tool("kafka-reassign-partitions", "--bootstrap-server", bootstrap(), "--reassignment-json-file", str(plan),
             "--verify")
        subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-topics", "--bootstrap-server", bootstrap(),
                        "--delete", "--topic", topic], capture_output=True, timeout=120)


def broker_lifecycle_scenario(exporter):
    """A broker joins (add-broker 4), leads a partition, is decommissioned (its replicas moved
    away, stopped, unregistered) and stops being reported, while brokers 1-3 keep every
    invariant. Broker 4's port is BROKER_BASE + 3."""
    topic, port = f"{QUIET_TOPIC}-on-4", BROKER_BASE + 3
    ends, lag = quiet_topic_truth(), group_lag_from_tool()
    say("broker lifecycle: adding broker 4")
    added = time.time()
    cluster("add-broker", "4", timeout=240)
    try:
        tool("kafka-topics", "--bootstrap-server", bootstrap(), "--create", "--topic", topic,
             "--replica-assignment", "4:1")
        last, seen_at = time.time(), None
        for _ in range(10):
            pages = wait_cycle(last)
            last = time.time()
            check_cycle(pages, exporter.process, None, ends, lag, "broker 4 joined")
            page = scrape(port)
            if not isinstance(page, str):
                continue
            own = parse_page(page)
            cluster_page = parse_page(pages["cluster"])
            if value(own, "kafka_broker_up", broker=4) == 1 and value(cluster_page, "kafka_brokers") == 4.0 and \
                    value(own, "kafka_topic_partition_leader", topic=topic, partition=0) == 4.0:
                seen_at = time.time()
                break
        if seen_at is None:
            fail("broker lifecycle: within 10 cycles, broker 4's port never served it up, leading "
                 f"{topic}-0, with kafka_brokers 4")
        say(f"broker lifecycle: broker 4 served on its port {seen_at - added:.1f}s after add-broker began, "
            f"leading {topic}-0; kafka_brokers 4")

        # Decommissioned as an operator does it in KRaft: stop the broker, move every replica
        # it holds (the probe's partition too) to the others, then unregister it.
        cluster("stop-broker", "4")
        moves = []
        for line in tool("kafka-topics", "--bootstrap-server", bootstrap(), "--describe").splitlines():
            fields = dict(re.findall(r"(\w+): (\S*)", line))
            if "Partition" not in fields or "4" not in fields.get("Replicas", "").split(","):
                continue
            replicas = [int(r) for r in fields["Replicas"].split(",") if r != "4"]
            replicas.append(next(b for b in BROKERS if b not in replicas))
            moves.append({"topic": fields["Topic"], "partition": int(fields["Partition"]), "replicas": replicas})
        plan = work / "decommission.json"
        plan.write_text(json.dumps({"version": 1, "partitions": moves}))
        tool("kafka-reassign-partitions", "--bootstrap-server", bootstrap(), "--reassignment-json-file", str(plan),
             "--execute")
        deadline = time.time() + 120
        while "is still in progress" in tool("kafka-reassign-partitions", "--bootstrap-server", bootstrap(),
                                             "--reassignment-json-file", str(plan), "--verify"):
            if time.time() > deadline:
                fail(f"broker lifecycle: moving {len(moves)} partition(s) off broker 4 did not complete in 120s")
            time.sleep(2)
        # Stopped and holding no replica, but still registered (fenced): down, not gone.
        last, fenced_seen = time.time(), False
        for _ in range(5):
            wait_cycle(last)
            last = time.time()
            page = scrape(port)
            own = parse_page(page) if isinstance(page, str) else {}
            if value(own, "kafka_broker_fenced", broker=4) == 1.0 and value(own, "kafka_broker_up", broker=4) == 0.0:
                fenced_seen = True
                break
        if not fenced_seen:
            fail("broker lifecycle: stopped broker 4, registered and holding no replica, is not served as fenced "
                 "and down on its port")
        say("broker lifecycle: broker 4 stopped with no replica left: served fenced and down, not gone")
        tool("kafka-cluster", "unregister", "--bootstrap-server", bootstrap(), "--id", "4")
        gone = time.time()
        last = time.time()
        for cycles in range(1, 11):
            pages = wait_cycle(last)
            last = time.time()
            check_cycle(pages, exporter.process, None, ends, lag, "broker 4 decommissioned")
            everywhere = dict(pages, four=scrape(port))
            reported = [key for key, page in everywhere.items()
                        if isinstance(page, str) and value(parse_page(page), "kafka_broker_up", broker=4) is not None]
            if not reported and value(parse_page(pages["cluster"]), "kafka_brokers") == 3.0:
                say(f"broker lifecycle: broker 4 no longer reported on any port {time.time() - gone:.1f}s after "
                    f"it was unregistered ({cycles} cycles); kafka_brokers 3")
                return
        fail(f"broker lifecycle: broker 4 still reported ({reported}) 10 cycles after it was unregistered")
    finally:
        subprocess.run([str(root / "cluster" / "kafka-cluster"), "stop-broker", "4"], capture_output=True, timeout=120)
        subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-topics", "--bootstrap-server", bootstrap(),
                        "--delete", "--topic", topic], capture_output=True, timeout=120)


def restore_cluster():
    """Leaves every broker running, whatever the test did to it."""
    for broker in BROKERS:
        subprocess.run([str(root / "cluster" / "kafka-cluster"), "resume-broker", str(broker)],
                       capture_output=True, timeout=60)
    status = subprocess.run([str(root / "cluster" / "kafka-cluster"), "status"], capture_output=True, text=True,
                            timeout=60).stdout
    for broker in BROKERS:
        if f"broker {broker}: running" not in status:
            subprocess.run([str(root / "cluster" / "kafka-cluster"), "start-broker", str(broker)],
                           capture_output=True, timeout=240)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
exit_code = 1
try:
    main()
    say("PASS: fault suite")
    exit_code = 0
except AssertionError as error:
    say(f"FAIL: {error}")
finally:
    children.stop()
    restore_cluster()
    subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-topics", "--bootstrap-server", bootstrap(),
                    "--delete", "--topic", QUIET_TOPIC], capture_output=True, timeout=120)
    if exit_code != 0:
        for log in sorted(work.glob("exporter-*.log")):
            say(f"{log.name} (last 40 lines):\n" + "\n".join(log.read_text(errors="replace").splitlines()[-40:]))
sys.exit(exit_code)
