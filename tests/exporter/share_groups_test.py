#!/usr/bin/env python3
"""Share groups (KIP-932, Kafka 4.2+) end to end on the local cluster, against Kafka's own
kafka-share-groups of the same jars:

  * a share group that read part of a topic and left: its state (Empty), no members, and
    each share-partition's start offset and lag equal `kafka-share-groups --describe`'s, a
    partition the tool shows as "-" absent (not 0), and the topic's lag sum their sum;
  * the same group while a share consumer is in it: Stable, one member, as
    `kafka-share-groups --describe --state` says;
  * none of its series under kafka_consumergroup_ (a share group commits no offsets), and
    the groups collector stays up.
Usage: share_groups_test.py SOURCE_DIR BUILD_DIR
"""
import os
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, quick_exporter_config, fail, run_test, served, tool, until, valid_pages  # noqa: E402

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
binary = build / "exporter" / "kafka-sidecar-exporter"
OFFSET = int(os.environ.get("KSE_PORT_OFFSET", "0"))
BOOTSTRAP = f"127.0.0.1:{9092 + OFFSET}"
CLUSTER_PORT = 19608
BROKER_BASE = 19671
INTERVAL_S = 2
SUFFIX = str(os.getpid())
TOPIC = f"kse-share-{SUFFIX}"
GROUP = f"kse-share-group-{SUFFIX}"
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-share-groups-"))
children = Children(work)
PORTS = [CLUSTER_PORT] + [BROKER_BASE + i for i in range(3)]


def merged_pages():
    return valid_pages(PORTS)


def tool_offsets():
    """{partition: (start offset, lag)} as kafka-share-groups --describe prints them; None for '-'."""
    rows = {}
    for line in tool("kafka-share-groups", "--bootstrap-server", BOOTSTRAP, "--describe", "--group", GROUP).splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0] == GROUP and fields[1] == TOPIC:
            as_number = [None if f == "-" else float(f) for f in fields[-2:]]
            rows[int(fields[2])] = tuple(as_number)
    return rows


def tool_state():
    """(state, members) from kafka-share-groups --describe --state."""
    for line in tool("kafka-share-groups", "--bootstrap-server", BOOTSTRAP, "--describe", "--group", GROUP,
                     "--state").splitlines():
        fields = line.split()
        if fields and fields[0] == GROUP:
            return fields[-2], float(fields[-1])
    fail("kafka-share-groups --describe --state does not show the group")


def main():
    tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--create", "--topic", TOPIC, "--partitions", "3",
         "--replication-factor", "3")
    # 30 records with keys, spread over the three partitions.
    records = "".join(f"k{i}:v{i}\n" for i in range(30))
    tool("kafka-console-producer", "--bootstrap-server", BOOTSTRAP, "--topic", TOPIC, "--property", "parse.key=true",
         "--property", "key.separator=:", stdin=records)
    tool("kafka-configs", "--bootstrap-server", BOOTSTRAP, "--alter", "--entity-type", "groups", "--entity-name", GROUP,
         "--add-config", "share.auto.offset.reset=earliest")
    tool("kafka-console-share-consumer", "--bootstrap-server", BOOTSTRAP, "--topic", TOPIC, "--group", GROUP,
         "--max-messages", "7", "--timeout-ms", "30000")

    config = work / "exporter.yml"
    config.write_text(quick_exporter_config(BOOTSTRAP, CLUSTER_PORT, BROKER_BASE, f"""
filters: {{topic_include: "^{TOPIC}$", group_include: "^{GROUP}$"}}
"""))
    children.start([str(binary), "--config", str(config)], "exporter.log")

    # The group left: offsets and lag equal the tool's, read around the page.
    def offsets_agree():
        before = tool_offsets()
        series = merged_pages()
        after = tool_offsets()
        # The ports' pages are read one after the other and may come from two cycles: the
        # groups collector must be up on the same reading (a fresh cluster's share
        # coordinator can miss the first cycle's deadline, and that cycle says so).
        if before != after or not before or served(series, "kafka_sidecar_collector_up", collector="groups") != [1.0]:
            return None
        for partition, (start, lag) in before.items():
            got_start = served(series, "kafka_sharegroup_start_offset", sharegroup=GROUP, topic=TOPIC,
                               partition=partition)
            got_lag = served(series, "kafka_sharegroup_lag", sharegroup=GROUP, topic=TOPIC, partition=partition)
            if got_start != ([] if start is None else [start]) or got_lag != ([] if lag is None else [lag]):
                return None
        return before, series

    rows, series = until("start offsets and lag as kafka-share-groups says", 60, offsets_agree)
    lags = [lag for _, lag in rows.values() if lag is not None]
    if not lags or sum(lags) <= 0:
        fail(f"the tool shows no lag to compare with: {rows}")
    whole = all(lag is not None for _, lag in rows.values())
    lag_sum = served(series, "kafka_sharegroup_lag_sum", sharegroup=GROUP, topic=TOPIC)
    if lag_sum != ([sum(lags)] if whole else []):
        fail(f"kafka_sharegroup_lag_sum {lag_sum}, the tool's rows {rows}")
    # The group settles after its consumer left: state and members are compared with the
    # tool read around the page, until both readings agree.
    def state_agrees():
        before = tool_state()
        page = merged_pages()
        after = tool_state()
        state, members = before
        if (before == after and served(page, "kafka_sharegroup_state", sharegroup=GROUP, state=state) == [1.0]
                and served(page, "kafka_sharegroup_members", sharegroup=GROUP) == [members]):
            return before
        return None

    state, members = until("state and members as kafka-share-groups --describe --state says", 60, state_agrees,
                           lambda: (tool_state(), {k: v for k, v in merged_pages().items()
                                                   if k[0] in ("kafka_sharegroup_state", "kafka_sharegroup_members")}))
    if [k for k in series if k[0].startswith("kafka_consumergroup_") and ("consumergroup", GROUP) in k[1]]:
        fail("the share group is served as a consumer group")
    if served(series, "kafka_sidecar_collector_up", collector="groups") != [1.0]:
        fail("the groups collector is down with a share group on the cluster")
    print(f"left group: {len(rows)} share-partitions (start offset, lag) {rows} as the tool says; lag sum "
          f"{lag_sum}; state {state}, {members:.0f} members", flush=True)

    # A member in the group: Stable and one member, as the tool says.
    consumer = subprocess.Popen([str(root / "cluster" / "kafka-tool"), "kafka-console-share-consumer",
                                 "--bootstrap-server", BOOTSTRAP, "--topic", TOPIC, "--group", GROUP,
                                 "--timeout-ms", "120000"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        until("the tool shows one member", 60, lambda: tool_state() == ("Stable", 1.0))

        def member_served():
            series = merged_pages()
            return (served(series, "kafka_sharegroup_members", sharegroup=GROUP) == [1.0]
                    and served(series, "kafka_sharegroup_state", sharegroup=GROUP, state="Stable") == [1.0]
                    and served(series, "kafka_sharegroup_assigned_partitions", sharegroup=GROUP) != [])

        until("one member served, Stable, with its assignment", 30, member_served)
        print("with a share consumer running: Stable, 1 member and its assigned partitions served", flush=True)
    finally:
        consumer.terminate()
        try:
            consumer.wait(timeout=20)
        except subprocess.TimeoutExpired:
            consumer.kill()
            consumer.wait()


def drop_topic():
    subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-topics", "--bootstrap-server", BOOTSTRAP, "--delete",
                    "--topic", TOPIC], capture_output=True, timeout=120)


run_test("share_groups_e2e", main, work, children, drop_topic)
