#!/usr/bin/env python3
"""Consumer lag where logs are not a plain run of records, and while consumers stop or catch up,
on the real cluster. Lag in records is compared with kafka-consumer-groups, lag in seconds
with the record timestamps the console consumer prints (within 1.5 s: the cycle's start and
the page's publication are a few hundred milliseconds apart):

  * transactions (courier-tx, every second transaction aborted): a group whose committed
    offset sits on the last transaction marker has Kafka's lag of 1 but nothing left to read:
    lag in seconds 0 and status OK, never STOPPED; a group on a commit marker followed by an
    aborted transaction is as old as the first aborted record, which Kafka's lag counts too;
  * a compacted topic: the record at the committed offset was cleaned away; the oldest
    unconsumed record is the next one left;
  * a committed offset below the log start (records deleted, as retention does): the oldest
    unconsumed record is the first one left;
  * a consumer that stopped while records keep coming: lag in seconds is the age of the record
    at its committed offset and grows with the wall clock; status STOPPED; after an exporter
    restart the same age is served from the first cycle;
  * a consumer catching up after a burst: status WARNING while its lag grows, OK once it
    catches up, never STALLED or STOPPED.
Usage: lag_scenarios_test.py SOURCE_DIR BUILD_DIR
"""
import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from harness import Children, tool, wait_for  # noqa: E402
from lagkit import (BOOTSTRAP, collected_at, commit, first_record, log_ends, produce, scrape_all,  # noqa: E402
                    series, statuses, tool_lag, wait_status)

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-lag-scenarios-"))
children = Children(work)
CLUSTER_PORT, BROKER_BASE = 19608, 19671
PORTS = (CLUSTER_PORT, BROKER_BASE, BROKER_BASE + 1, BROKER_BASE + 2)
INTERVAL_S = 2
BOUND_S = 1.5
suffix = f"{int(time.time())}-{os.getpid()}"
PREFIX = f"kse-lag-scenarios-{suffix}"
TX_TOPIC, COMPACTED, RETAINED, LIVE, BURST = (f"{PREFIX}-{name}" for name in
                                              ("tx", "compacted", "retained", "live", "burst"))
ON_MARKER, ON_ABORTED, ON_CLEANED, BELOW_START, STOPPED, CATCHING_UP = (
    f"{PREFIX}-{name}" for name in ("on-marker", "on-aborted", "on-cleaned", "below-start", "stopped", "catching-up"))
GROUPS = [ON_MARKER, ON_ABORTED, ON_CLEANED, BELOW_START, STOPPED, CATCHING_UP]
TOPICS = [TX_TOPIC, COMPACTED, RETAINED, LIVE, BURST]


def create(topic, *configs, partitions=1):
    tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--create", "--topic", topic, "--partitions",
         str(partitions), "--replication-factor", "2", *[arg for c in configs for arg in ("--config", c)])


def start_exporter(name):
    config = work / "exporter.yml"
    config.write_text(f"""
kafka: {{bootstrap_servers: [{BOOTSTRAP}], request_timeout: 800ms}}
collect: {{interval: {INTERVAL_S}s, timeout: 1800ms, lag_status_window: 3}}
serve: {{listen_address: 127.0.0.1, cluster_port: {CLUSTER_PORT}, broker_port_base: {BROKER_BASE}}}
probe: {{enabled: false}}
filters: {{topic_include: "^{PREFIX}-.*"}}
""")
    process = children.start([build / "exporter" / "kafka-sidecar-exporter", "-c", config], f"{name}.log")
    wait_for(f"http://127.0.0.1:{CLUSTER_PORT}/ready", 60)
    return process


def check_age(text, group, topic, partition, created, what):
    served = series(text, "kafka_consumergroup_lag_seconds", consumergroup=group, topic=topic, partition=partition)
    expected = collected_at(text) - created
    if served is None or abs(served - expected) > BOUND_S:
        raise AssertionError(f"{what}: lag_seconds {served}, the oldest unconsumed record is {expected:.2f}s old")
    print(f"{what}: lag_seconds {served:.2f}, the record's age from the console consumer {expected:.2f}s",
          flush=True)


def check_lag_equals_kafka(text, group, topic, what):
    kafka = tool_lag(group, topic)
    served = {p: series(text, "kafka_consumergroup_lag", consumergroup=group, topic=topic, partition=p) for p in kafka}
    if served != {p: float(v) for p, v in kafka.items()}:
        raise AssertionError(f"{what}: lag served {served}, kafka-consumer-groups says {kafka}")


def transactions():
    """Offsets 0-4 committed with their marker at 5; 6-10 aborted, marker at 11."""
    create(TX_TOPIC)
    done = subprocess.run([build / "workload" / "courier-tx", "--bootstrap-servers", BOOTSTRAP, "--topic", TX_TOPIC,
                           "--messages", "10", "--transaction-size", "5", "--abort-every", "2", "--interval-ms", "100",
                           "--report-interval-s", "0"], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"courier-tx failed: {done.stderr[-400:]}")
    if log_ends(TX_TOPIC) != {0: 12}:
        raise AssertionError(f"{TX_TOPIC}: log end {log_ends(TX_TOPIC)}, expected 12 (10 records, 2 markers)")
    commit(ON_MARKER, TX_TOPIC, {0: 11})
    commit(ON_ABORTED, TX_TOPIC, {0: 5})
    # A read_committed consumer is given nothing after the last marker; read_uncommitted, the aborted records.
    aborted_offset, aborted_created = first_record(TX_TOPIC, 0, 5)
    if aborted_offset != 6:
        raise AssertionError(f"the console consumer gives offset {aborted_offset} after the commit marker, not 6")
    return aborted_created


def compaction():
    """Ten keys written twice, then one more record: once cleaned, offsets 0-9 are gone."""
    create(COMPACTED, "cleanup.policy=compact", "segment.ms=200", "min.cleanable.dirty.ratio=0.001",
           "min.compaction.lag.ms=0", "delete.retention.ms=0")
    produce(COMPACTED, [f"k{i}:first-{i}" for i in range(10)])
    time.sleep(1)
    produce(COMPACTED, [f"k{i}:second-{i}" for i in range(10)])
    time.sleep(1)
    produce(COMPACTED, ["roll:the-active-segment"])
    deadline = time.time() + 120
    while first_record(COMPACTED, 0, 0)[0] < 10:
        if time.time() > deadline:
            raise AssertionError(f"{COMPACTED} was not compacted within 120s")
        produce(COMPACTED, ["roll:again"])
        time.sleep(3)
    commit(ON_CLEANED, COMPACTED, {0: 3})
    offset, created = first_record(COMPACTED, 0, 3)
    print(f"compacted topic: the first record left at or after offset 3 is offset {offset}", flush=True)
    return created


def retention():
    """Ten records, a group at 5, then records below 8 deleted."""
    create(RETAINED)
    produce(RETAINED, [f"k{i}:r-{i}" for i in range(10)])
    commit(BELOW_START, RETAINED, {0: 5})
    spec = work / "delete.json"
    spec.write_text(f'{{"partitions": [{{"topic": "{RETAINED}", "partition": 0, "offset": 8}}], "version": 1}}')
    tool("kafka-delete-records", "--bootstrap-server", BOOTSTRAP, "--offset-json-file", str(spec))
    return first_record(RETAINED, 0, 8)[1]


def main():
    aborted_created = transactions()
    cleaned_created = compaction()
    retained_created = retention()

    # A consumer stopped at offset 3 while records keep coming, one every 500 ms.
    create(LIVE)
    produce(LIVE, [f"k{i}:live-{i}" for i in range(5)])
    commit(STOPPED, LIVE, {0: 3})
    stopped_created = first_record(LIVE, 0, 3)[1]
    children.start([build / "workload" / "courier-producer", "--bootstrap-servers", BOOTSTRAP, "--topic", LIVE,
                    "--couriers", "1", "--messages-per-courier", "0", "--interval-ms", "500", "--duration-s", "90",
                    "--report-interval-s", "0"], "live-producer.log")

    exporter = start_exporter("exporter-1")
    time.sleep(INTERVAL_S * 4)  # a full status window after the first cycle
    text = scrape_all(PORTS)
    check_lag_equals_kafka(text, ON_MARKER, TX_TOPIC, "group on the last transaction marker")
    # Nothing left to read: no record is waiting, so none is old.
    check_age(text, ON_MARKER, TX_TOPIC, 0, collected_at(text), "group on the last transaction marker (lag 1)")
    check_age(text, ON_ABORTED, TX_TOPIC, 0, aborted_created, "group on a commit marker before an aborted transaction")
    check_lag_equals_kafka(text, ON_CLEANED, COMPACTED, "group on a compacted-away offset")
    check_age(text, ON_CLEANED, COMPACTED, 0, cleaned_created, "group on a compacted-away offset")
    check_lag_equals_kafka(text, BELOW_START, RETAINED, "group below the log start")
    check_age(text, BELOW_START, RETAINED, 0, retained_created, "group below the log start")
    check_age(text, STOPPED, LIVE, 0, stopped_created, "consumer stopped while records keep coming")
    wait_status(PORTS, ON_MARKER, "OK", "on the last transaction marker with no member")
    wait_status(PORTS, STOPPED, "STOPPED", "stopped while records keep coming")
    first_age = series(text, "kafka_consumergroup_lag_seconds", consumergroup=STOPPED, topic=LIVE, partition=0)
    first_at = collected_at(text)
    time.sleep(6)
    text = scrape_all(PORTS)
    check_age(text, STOPPED, LIVE, 0, stopped_created, "the same consumer later")
    grown = series(text, "kafka_consumergroup_lag_seconds", consumergroup=STOPPED, topic=LIVE, partition=0) - first_age
    elapsed = collected_at(text) - first_at
    if abs(grown - elapsed) > BOUND_S:
        raise AssertionError(f"stopped consumer: lag_seconds grew by {grown:.2f}s in {elapsed:.2f}s of wall time")
    print(f"stopped consumer: lag_seconds grew by {grown:.2f}s in {elapsed:.2f}s of wall time; status STOPPED; "
          f"group on the last marker: Kafka's lag 1, lag_seconds 0, status OK", flush=True)

    # The exporter restarted: the same ages from its first cycle, not after the log end moves twice.
    children.stop_one(exporter)
    start_exporter("exporter-2")
    time.sleep(INTERVAL_S + 1)
    text = scrape_all(PORTS)
    check_age(text, STOPPED, LIVE, 0, stopped_created, "stopped consumer, first cycles after an exporter restart")
    check_age(text, BELOW_START, RETAINED, 0, retained_created, "below the log start, after an exporter restart")

    # A burst (about 2,000 records a second for 8 s) read by a consumer slower than it, which
    # then catches up.
    create(BURST, partitions=2)
    consumer = children.start([build / "workload" / "courier-consumer", "--bootstrap-servers", BOOTSTRAP,
                               "--topic", BURST, "--group", CATCHING_UP, "--concurrency", "1", "--manual-commit",
                               "--max-poll-records", "200", "--batch-delay-ms", "200", "--duration-s", "150",
                               "--report-interval-s", "0"], "catching-up.log")
    time.sleep(8)  # joined the group
    children.start([build / "workload" / "courier-producer", "--bootstrap-servers", BOOTSTRAP, "--topic", BURST,
                    "--couriers", "20", "--messages-per-courier", "0", "--interval-ms", "10", "--duration-s", "8",
                    "--report-interval-s", "0"], "burst-producer.log")
    seen, deadline = [], time.time() + 120
    while time.time() < deadline:
        found = statuses(scrape_all(PORTS), CATCHING_UP)
        if found and (not seen or seen[-1] != found[0]):
            seen.append(found[0])
        if set(found) & {"STALLED", "STOPPED", "REWIND"}:
            raise AssertionError(f"a consumer catching up after a burst was judged {found[0]} (statuses {seen})")
        if "WARNING" in seen and seen[-1] == "OK" and sum(tool_lag(CATCHING_UP, BURST).values()) == 0:
            break
        time.sleep(1)
    else:
        raise AssertionError(f"catching up after a burst: statuses {seen}, expected WARNING then OK")
    if consumer.poll() is not None:
        raise AssertionError(f"the catching-up consumer exited early ({consumer.returncode})")
    print(f"consumer catching up after a burst: statuses {' -> '.join(seen)}, never STALLED or STOPPED", flush=True)


exit_code = 1
try:
    main()
    print("PASS: lag over transactions, compaction, retention, a stopped and a catching-up consumer")
    exit_code = 0
except (AssertionError, subprocess.SubprocessError) as error:
    print(f"FAIL: {error}")
    for log in sorted(work.glob("exporter-*.log")):
        print(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:]))
finally:
    children.stop()
    for topic in TOPICS:
        subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-topics", "--bootstrap-server", BOOTSTRAP,
                        "--delete", "--topic", topic], capture_output=True, timeout=120)
    for group in GROUPS:
        subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-consumer-groups", "--bootstrap-server",
                        BOOTSTRAP, "--delete", "--group", group], capture_output=True, timeout=120)
sys.exit(exit_code)
