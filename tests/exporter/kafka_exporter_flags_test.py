#!/usr/bin/env python3
"""The exporter started with danielqsj/kafka_exporter's flags, as its README writes them,
serves kafka_exporter's families with kafka_exporter's label names on the one port it
is given, on the real cluster:

  * two --kafka.server flags, --web.listen-address and --web.telemetry-path: every
    documented family on that port, at the telemetry path and at /metrics, the broker
    and partition counts as kafka-topics reports them;
  * SASL/PLAIN (user alice) on the brokers' SASL listeners (127.0.0.1:9095, ...): the
    cluster is read;
  * --topic.filter: only topics the pattern is found in (Go's unanchored match);
  * --use.consumelag.zookeeper: refused, one line, exit code 2.

The test makes its own group first (a topic of 2 partitions, 3 records, a group that reads
them and commits), so the group families are always checked and __consumer_offsets exists
even on a fresh cluster; both are deleted at the end. The probe is off with kafka_exporter
flags.
Usage: kafka_exporter_flags_test.py SOURCE_DIR BUILD_DIR
"""
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, http_get, kafka_tool, tool, wait_for  # noqa: E402

build = pathlib.Path(sys.argv[2])
binary = build / "exporter" / "kafka-sidecar-exporter"
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-kafka-exporter-flags-"))
children = Children(work)
GROUP = TOPIC = f"kse-flags-{os.getpid()}"
RECORDS = 3

# kafka_exporter's README: family -> label names. kafka_broker_info also has `rack` here
# (docs/migrating-from-kafka_exporter.md).
CLUSTER_FAMILIES = {
    "kafka_brokers": set(),
    "kafka_broker_info": {"address", "id", "rack"},
    "kafka_topic_partitions": {"topic"},
    "kafka_topic_partition_current_offset": {"topic", "partition"},
    "kafka_topic_partition_oldest_offset": {"topic", "partition"},
    "kafka_topic_partition_in_sync_replica": {"topic", "partition"},
    "kafka_topic_partition_leader": {"topic", "partition"},
    "kafka_topic_partition_leader_is_preferred": {"topic", "partition"},
    "kafka_topic_partition_replicas": {"topic", "partition"},
    "kafka_topic_partition_under_replicated_partition": {"topic", "partition"},
}
GROUP_FAMILIES = {
    "kafka_consumergroup_current_offset": {"consumergroup", "topic", "partition"},
    "kafka_consumergroup_current_offset_sum": {"consumergroup", "topic"},
    "kafka_consumergroup_lag": {"consumergroup", "topic", "partition"},
    "kafka_consumergroup_lag_sum": {"consumergroup", "topic"},
    "kafka_consumergroup_members": {"consumergroup"},
}
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def free_port():
    for port in range(18300, 18999):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("FAIL: no free port in 18300..18998")


def samples(text):
    """family -> list of (labels dict, value)."""
    found = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            labels = dict(LABEL.findall(match.group(2) or ""))
            found.setdefault(match.group(1), []).append((labels, float(match.group(3))))
    return found


def run_exporter(name, flags, path="/metrics"):
    """Starts the exporter with `flags` on a free port; returns the page once ready."""
    port = free_port()
    process = children.start([binary, f"--web.listen-address=127.0.0.1:{port}", *flags], f"{name}.log")
    wait_for(f"http://127.0.0.1:{port}/ready", 60)
    page = http_get(f"http://127.0.0.1:{port}{path}").decode()
    return port, process, page


def check_families(name, found, families):
    for family, labels in families.items():
        check(family in found, f"{name}: {family} is not served")
        for series_labels, _ in found.get(family, []):
            check(set(series_labels) == labels,
                  f"{name}: {family} has labels {sorted(series_labels)}, kafka_exporter's are {sorted(labels)}")
            break


def live_brokers():
    """Broker ids that answer, from kafka-broker-api-versions."""
    out = tool("kafka-broker-api-versions", "--bootstrap-server", "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292")
    return set(re.findall(r"\(id: (\d+) rack", out))


def describe_partitions():
    """topic -> partition count, from kafka-topics --describe."""
    out = tool("kafka-topics", "--bootstrap-server", "127.0.0.1:9092", "--describe")
    counts = {}
    for line in out.splitlines():
        match = re.search(r"Topic:\s*(\S+)\s+TopicId:.*PartitionCount:\s*(\d+)", line)
        if match:
            counts[match.group(1)] = int(match.group(2))
    return counts


try:
    tool("kafka-topics", "--bootstrap-server", "127.0.0.1:9092", "--create", "--topic", TOPIC, "--partitions", "2",
         "--replication-factor", "1")
    tool("kafka-console-producer", "--bootstrap-server", "127.0.0.1:9092", "--topic", TOPIC,
         stdin="".join(f"record {i}\n" for i in range(RECORDS)))
    consumed = kafka_tool("kafka-console-consumer", "--bootstrap-server", "127.0.0.1:9092", "--topic", TOPIC,
                          "--group", GROUP, "--from-beginning", "--max-messages", str(RECORDS), "--timeout-ms",
                          "30000")
    if f"Processed a total of {RECORDS} messages" not in consumed.stderr:
        raise SystemExit(f"FAIL: the test's group did not read its {RECORDS} records: {consumed.stderr[-400:]}")

    # README: --kafka.server repeated; the telemetry path moved.
    port, _, page = run_exporter("plain", ["--kafka.server=127.0.0.1:9092", "--kafka.server", "127.0.0.1:9192",
                                           "--web.telemetry-path=/kafka-metrics", "--log.level=info"],
                                 "/kafka-metrics")
    found = samples(page)
    check_families("plain", found, CLUSTER_FAMILIES)
    brokers = len(live_brokers())
    check(found.get("kafka_brokers", [({}, 0)])[0][1] == brokers, f"plain: kafka_brokers is not {brokers}")
    check(len(found.get("kafka_broker_info", [])) == brokers, f"plain: kafka_broker_info has not {brokers} series")
    check("kafka_brokers" in samples(http_get(f"http://127.0.0.1:{port}/metrics").decode()),
          "plain: /metrics does not serve the page too")
    topics = {labels["topic"]: value for labels, value in found.get("kafka_topic_partitions", [])}
    expected = describe_partitions()
    check("__consumer_offsets" in topics, "plain: __consumer_offsets is not served")
    # Other tests may create and delete topics meanwhile: topics both sides saw are compared.
    for topic in set(expected) & set(topics):
        check(topics[topic] == expected[topic],
              f"plain: {topic} has {topics[topic]} partitions, kafka-topics says {expected[topic]}")
    check_families("plain", found, GROUP_FAMILIES)
    committed = [value for labels, value in found.get("kafka_consumergroup_current_offset_sum", [])
                 if labels.get("consumergroup") == GROUP and labels.get("topic") == TOPIC]
    check(committed == [RECORDS], f"plain: {GROUP} committed {committed}, it read {RECORDS} records")

    # README: SASL/PLAIN.
    _, _, page = run_exporter("sasl", ["--kafka.server=127.0.0.1:9095", "--kafka.server=127.0.0.1:9195",
                                       "--kafka.server=127.0.0.1:9295", "--sasl.enabled", "--sasl.mechanism=plain",
                                       "--sasl.username=alice", "--sasl.password=alice-secret"])
    found = samples(page)
    check(found.get("kafka_brokers", [({}, 0)])[0][1] >= 1, "sasl: no broker read")
    up = {labels.get("collector"): value for labels, value in found.get("kafka_sidecar_collector_up", [])}
    check(up.get("metadata") == 1, f"sasl: the metadata collector is not up ({up})")

    # README: --topic.filter, a pattern found anywhere in the name as Go's regexp does.
    _, _, page = run_exporter("filter", ["--kafka.server=127.0.0.1:9092", "--topic.filter=consumer_off"])
    topics = {labels["topic"] for labels, _ in samples(page).get("kafka_topic_partitions", [])}
    check("__consumer_offsets" in topics, f"filter: __consumer_offsets is missing ({sorted(topics)})")
    check(all("consumer_off" in topic for topic in topics), f"filter: other topics served ({sorted(topics)})")

    refused = subprocess.run([binary, "--kafka.server=127.0.0.1:9092", "--use.consumelag.zookeeper"],
                             capture_output=True, text=True, timeout=30)
    check(refused.returncode == 2, f"refused: exit code {refused.returncode}, not 2")
    check(refused.stderr.count("\n") == 1 and "flag --use.consumelag.zookeeper: not supported" in refused.stderr,
          f"refused: {refused.stderr!r}")
finally:
    children.stop()
    kafka_tool("kafka-consumer-groups", "--bootstrap-server", "127.0.0.1:9092", "--delete", "--group", GROUP)
    kafka_tool("kafka-topics", "--bootstrap-server", "127.0.0.1:9092", "--delete", "--topic", TOPIC)

if failures:
    print(f"{len(failures)} failure(s); logs in {work}")
    sys.exit(1)
print("PASS")
