#!/usr/bin/env python3
"""Lag in seconds is the age of the oldest unconsumed record, checked against the record
timestamps Kafka's console consumer prints, on the real cluster:

  * a group part-way through old records: kafka_consumergroup_lag_seconds equals the age
    of the record at its committed offset, to within a second;
  * a caught-up group on a topic that stayed idle, with the exporter started during the
    idle period: when one record arrives, the lag is that record's age (seconds), not the
    length of the idle period, and the series is there from the exporter's first cycles;
  * status, as Burrow judges it over the window: STOPPED (no member, offsets still), OK
    (caught up), REWIND (offsets reset to earliest; lag then the first record's age),
    STALLED (a member that reads but never commits).

Usage: lag_seconds_test.py SOURCE_DIR BUILD_DIR
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from harness import Children, tool, wait_for  # noqa: E402
from lagkit import BOOTSTRAP, collected_at, log_ends, series  # noqa: E402
import lagkit  # noqa: E402

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-lag-"))
children = Children(work)
CLUSTER_PORT, BROKER_BASE = 19208, 19271
PORTS = (CLUSTER_PORT, BROKER_BASE, BROKER_BASE + 1, BROKER_BASE + 2)
suffix = f"{int(time.time())}-{os.getpid()}"
TOPIC, BEHIND, CAUGHT_UP = f"kse-lag-{suffix}", f"kse-lag-behind-{suffix}", f"kse-lag-caught-up-{suffix}"
STUCK = f"kse-lag-stuck-{suffix}"
IDLE_S = 30


def main():
    tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--create", "--topic", TOPIC, "--partitions", "3",
         "--replication-factor", "2")
    lagkit.produce(TOPIC, [f"k{i}:old-{i}" for i in range(60)])
    old_ends = log_ends(TOPIC)
    time.sleep(8)
    lagkit.produce(TOPIC, [f"k{i}:new-{i}" for i in range(60)])
    # BEHIND sits on the last old record of each partition; CAUGHT_UP at the log end.
    behind = {p: end - 1 for p, end in old_ends.items() if end > 0}
    lagkit.commit(BEHIND, TOPIC, behind)
    lagkit.commit(CAUGHT_UP, TOPIC, log_ends(TOPIC))
    truth = {p: lagkit.record_timestamp(TOPIC, p, offset) for p, offset in behind.items()}

    # The topic stays idle; the exporter starts in the middle of it.
    time.sleep(IDLE_S / 2)
    config = work / "exporter.yml"
    config.write_text(f"""
kafka: {{bootstrap_servers: [{BOOTSTRAP}], request_timeout: 1200ms}}
collect: {{interval: 3s, timeout: 2500ms, lag_status_window: 3}}
serve: {{listen_address: 127.0.0.1, cluster_port: {CLUSTER_PORT}, broker_port_base: {BROKER_BASE}}}
probe: {{enabled: false}}
filters: {{topic_include: "^{TOPIC}$"}}
""")
    children.start([build / "exporter" / "kafka-sidecar-exporter", "-c", config], "exporter.log")
    wait_for(f"http://127.0.0.1:{CLUSTER_PORT}/ready", 60)
    time.sleep(4)
    text = lagkit.scrape_all(PORTS)
    at = collected_at(text)
    for partition, created in truth.items():
        served = series(text, "kafka_consumergroup_lag_seconds", consumergroup=BEHIND, topic=TOPIC,
                        partition=partition)
        if served is None:
            raise AssertionError(f"no lag_seconds for {BEHIND} {TOPIC}-{partition} in the first cycles:\n"
                                 + "\n".join(line for line in text.splitlines() if "lag_seconds" in line))
        expected = at - created
        if abs(served - expected) > 1.5:
            raise AssertionError(f"{TOPIC}-{partition}: lag_seconds {served:.2f}, but the record at offset "
                                 f"{behind[partition]} was created {expected:.2f}s before the cycle")
        print(f"{TOPIC}-{partition}: lag_seconds {served:.2f}, record age from the console consumer "
              f"{expected:.2f}")
    caught_up = [series(text, "kafka_consumergroup_lag_seconds", consumergroup=CAUGHT_UP, topic=TOPIC,
                        partition=p) for p in old_ends]
    if caught_up != [0.0] * len(old_ends):
        raise AssertionError(f"caught-up group: lag_seconds {caught_up}, expected 0 on every partition")

    # Status over the last 3 cycles, as Burrow judges it: the group behind has no member
    # (kafka-consumer-groups says so) and its offsets do not move: STOPPED; the caught-up one: OK.
    described = tool("kafka-consumer-groups", "--bootstrap-server", BOOTSTRAP, "--describe", "--state", "--group",
                     BEHIND)
    if not re.search(r"\bEmpty\b\s+0\s*$", described, re.M):
        raise AssertionError(f"kafka-consumer-groups does not show {BEHIND} Empty with 0 members: {described}")
    deadline = time.time() + 20
    while True:
        text = lagkit.scrape_all(PORTS)
        statuses = {group: lagkit.statuses(text, group) for group in (BEHIND, CAUGHT_UP)}
        if statuses == {BEHIND: ["STOPPED"], CAUGHT_UP: ["OK"]}:
            break
        if time.time() > deadline:
            raise AssertionError(f"kafka_consumergroup_status after 3 cycles: {statuses}")
        time.sleep(1)
    print(f"status: {BEHIND} STOPPED (no members, offsets still), {CAUGHT_UP} OK")

    # After the idle period one record arrives: the caught-up group's oldest unconsumed
    # record is seconds old, however long the topic was idle.
    time.sleep(IDLE_S / 2)
    before = log_ends(TOPIC)
    lagkit.produce(TOPIC, ["k0:after-idle"])
    after = log_ends(TOPIC)
    moved = [p for p in after if after[p] > before[p]]
    created = lagkit.record_timestamp(TOPIC, moved[0], before[moved[0]])
    deadline = time.time() + 15
    while True:
        time.sleep(1)
        text = lagkit.scrape_all(PORTS)
        served = series(text, "kafka_consumergroup_lag_seconds", consumergroup=CAUGHT_UP, topic=TOPIC,
                        partition=moved[0])
        if served is not None and served > 0:
            break
        if time.time() > deadline:
            raise AssertionError(f"lag_seconds of {CAUGHT_UP} never rose after a record arrived ({served})")
    expected = collected_at(text) - created
    if abs(served - expected) > 1.5:
        raise AssertionError(f"after {IDLE_S}s idle, one new record: lag_seconds {served:.2f}, its age "
                             f"{expected:.2f}s")
    print(f"after {IDLE_S}s idle, one new record: lag_seconds {served:.2f}, its age {expected:.2f}s")

    # Offsets reset to earliest (as an operator replays a topic): REWIND within the window,
    # and the lag is now the age of each partition's first record.
    tool("kafka-consumer-groups", "--bootstrap-server", BOOTSTRAP, "--group", BEHIND, "--topic", TOPIC,
         "--reset-offsets", "--to-earliest", "--execute")
    first = {p: lagkit.record_timestamp(TOPIC, p, 0) for p in behind}
    lagkit.wait_status(PORTS, BEHIND, "REWIND", "after --reset-offsets --to-earliest")
    text = lagkit.scrape_all(PORTS)
    for partition, created in first.items():
        served = series(text, "kafka_consumergroup_lag_seconds", consumergroup=BEHIND, topic=TOPIC,
                        partition=partition)
        expected = collected_at(text) - created
        if served is None or abs(served - expected) > 1.5:
            raise AssertionError(f"after the rewind, {TOPIC}-{partition}: lag_seconds {served}, the record at offset "
                                 f"0 is {expected:.2f}s old")
    print(f"status: {BEHIND} REWIND after its offsets were reset to earliest; lag_seconds the age of each "
          "partition's first record")

    # A member that reads but never commits (a consumer stuck on a record it keeps failing
    # on looks the same from outside): STALLED.
    lagkit.commit(STUCK, TOPIC, {p: 1 for p in behind})
    children.start([root / "cluster" / "kafka-tool", "kafka-console-consumer", "--bootstrap-server", BOOTSTRAP,
                    "--topic", TOPIC, "--group", STUCK, "--timeout-ms", "90000", "--consumer-property",
                    "enable.auto.commit=false"], "stuck-consumer.log")
    deadline = time.time() + 60
    while not re.search(r"\bStable\b\s+1\s*$", tool("kafka-consumer-groups", "--bootstrap-server", BOOTSTRAP,
                                                     "--describe", "--state", "--group", STUCK), re.M):
        if time.time() > deadline:
            raise AssertionError(f"{STUCK} never became Stable with 1 member")
        time.sleep(2)
    lagkit.wait_status(PORTS, STUCK, "STALLED", "with a member that never commits")
    committed = tool("kafka-consumer-groups", "--bootstrap-server", BOOTSTRAP, "--describe", "--group", STUCK)
    if not all(re.search(rf"^{STUCK}\s+{re.escape(TOPIC)}\s+{p}\s+1\s", committed, re.M) for p in behind):
        raise AssertionError(f"kafka-consumer-groups does not show {STUCK} still at offset 1: {committed}")
    print(f"status: {STUCK} STALLED (1 member, committed offsets still at 1 as kafka-consumer-groups shows)")


exit_code = 1
try:
    main()
    print("PASS: lag in seconds is the age of the oldest unconsumed record")
    exit_code = 0
except AssertionError as error:
    print(f"FAIL: {error}")
    log = work / "exporter.log"
    if log.exists():
        print("\n".join(log.read_text(errors="replace").splitlines()[-30:]))
finally:
    children.stop()
    subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-topics", "--bootstrap-server", BOOTSTRAP,
                    "--delete", "--topic", TOPIC], capture_output=True, timeout=120)
    for group in (BEHIND, CAUGHT_UP, STUCK):
        subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-consumer-groups", "--bootstrap-server", BOOTSTRAP,
                        "--delete", "--group", group], capture_output=True, timeout=120)
sys.exit(exit_code)
