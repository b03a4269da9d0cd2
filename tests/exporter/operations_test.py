#!/usr/bin/env python3
"""The course's operations workshop (8) on the local cluster, each step checked against
Kafka's own tools of the same jars while the exporter runs:

  * partitions 5 -> 8: kafka_topic_partitions follows `kafka-topics --describe`'s
    PartitionCount, and every partition's leader and replicas equal the tool's;
  * segment.bytes 1 MiB (Kafka 4's minimum; the course's 512 KB is refused there) and a
    shrinking retention.bytes: the served retention equals `kafka-configs --describe`,
    and once the broker deleted old segments the served oldest offset equals
    `kafka-get-offsets --time -2` and the partition's size on each broker is within 1 %
    of `kafka-log-dirs`;
  * a producer_byte_rate quota for alice: kafka_quota equals `kafka-configs --describe`,
    and goes away when the quota is removed;
  * a client over its quota is throttled: the broker's own throttle time for that client,
    through the JMX bridge and our rules (kafka_server_produce_throttle_time), is above
    0 while `kafka-producer-perf-test --print-metrics` reports the throttle it saw.
Usage: operations_test.py SOURCE_DIR BUILD_DIR
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, quick_exporter_config, fail, log_ends, run_test, served, tool, until, valid_pages  # noqa: E402

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
binary = build / "exporter" / "kafka-sidecar-exporter"
OFFSET = int(os.environ.get("KSE_PORT_OFFSET", "0"))
BOOTSTRAP = f"127.0.0.1:{9092 + OFFSET}"
CLUSTER_PORT = 19708
BROKER_BASE = 19771
INTERVAL_S = 2
SUFFIX = str(os.getpid())
TOPIC = f"kse-ops-{SUFFIX}"
RETAINED = f"kse-ops-retention-{SUFFIX}"
USER = f"alice-{SUFFIX}"
MIB = 1048576
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-operations-"))
children = Children(work)
PORTS = [CLUSTER_PORT] + [BROKER_BASE + i for i in range(3)]


def merged_pages():
    return valid_pages(PORTS)


def describe_topic(topic):
    """(partition count, {partition: (leader, replicas)}) as kafka-topics --describe says."""
    count, partitions = None, {}
    for line in tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--describe", "--topic", topic).splitlines():
        fields = dict(part.split(": ", 1) for part in line.strip().split("\t") if ": " in part)
        if "PartitionCount" in fields:
            count = int(fields["PartitionCount"])
        elif "Partition" in fields:
            partitions[int(fields["Partition"])] = (float(fields["Leader"]),
                                                    [int(r) for r in fields["Replicas"].split(",")])
    return count, partitions


def partitions_agree(topic, expected_count):
    """A check: the served partition count, and each partition's leader and replica count,
    equal kafka-topics --describe's, read around the pages."""
    def check():
        before = describe_topic(topic)
        series = merged_pages()
        after = describe_topic(topic)
        count, partitions = before
        if before != after or count != expected_count or len(partitions) != expected_count:
            return None
        if served(series, "kafka_topic_partitions", topic=topic) != [float(count)]:
            return None
        for partition, (leader, replicas) in partitions.items():
            if served(series, "kafka_topic_partition_leader", topic=topic, partition=partition) != [leader]:
                return None
            if served(series, "kafka_topic_partition_replicas", topic=topic,
                      partition=partition) != [float(len(replicas))]:
                return None
        return partitions
    return check


def earliest(topic):
    out = tool("kafka-get-offsets", "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--time", "-2")
    return {int(p): int(o) for t, p, o in (line.rsplit(":", 2) for line in out.split()) if t == topic}


def log_dir_sizes(topic):
    """{broker: size} of the topic's partition 0 as kafka-log-dirs --describe says."""
    out = tool("kafka-log-dirs", "--bootstrap-server", BOOTSTRAP, "--describe", "--topic-list", topic)
    data = json.loads(out[out.index("{"):])
    sizes = {}
    for broker in data["brokers"]:
        for log_dir in broker["logDirs"]:
            for partition in log_dir["partitions"]:
                if partition["partition"] == f"{topic}-0" and not partition["isFuture"]:
                    sizes[broker["broker"]] = partition["size"]
    return sizes


def main():
    tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--create", "--topic", TOPIC, "--partitions", "5",
         "--replication-factor", "2")
    tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--create", "--topic", RETAINED, "--partitions", "1",
         "--replication-factor", "2", "--config", f"segment.bytes={MIB}")
    config = work / "exporter.yml"
    config.write_text(quick_exporter_config(BOOTSTRAP, CLUSTER_PORT, BROKER_BASE, f"""
filters: {{topic_include: "^kse-ops-(retention-)?{SUFFIX}$"}}
jmx:
  enabled: true
  rules_file: {root}/exporter/kafka-broker-rules.yml
  brokers: {{{", ".join(f"{b}: http://127.0.0.1:{8777 + b + OFFSET}/jolokia/" for b in (1, 2, 3))}}}
"""))
    children.start([str(binary), "--config", str(config)], "exporter.log")

    # Partitions 5 -> 8.
    until("5 partitions as kafka-topics says", 60, partitions_agree(TOPIC, 5))
    tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--alter", "--topic", TOPIC, "--partitions", "8")
    started = time.monotonic()
    layout = until("8 partitions, leaders and replica counts as kafka-topics says", 60, partitions_agree(TOPIC, 8))
    print(f"partitions 5 -> 8: served {time.monotonic() - started:.1f}s after the change, leaders "
          f"{ {p: int(leader) for p, (leader, _) in layout.items()} } as kafka-topics says", flush=True)

    # A shrinking retention on 1 MiB segments: about 4 MiB written, then 1 MiB kept.
    tool("kafka-producer-perf-test", "--topic", RETAINED, "--num-records", "4000", "--record-size", "1000",
         "--throughput", "-1", "--producer-props", f"bootstrap.servers={BOOTSTRAP}", "acks=all", timeout=180)
    tool("kafka-configs", "--bootstrap-server", BOOTSTRAP, "--alter", "--entity-type", "topics", "--entity-name",
         RETAINED, "--add-config", f"retention.bytes={MIB}")
    described = tool("kafka-configs", "--bootstrap-server", BOOTSTRAP, "--describe", "--entity-type", "topics",
                     "--entity-name", RETAINED)
    if f"retention.bytes={MIB}" not in described:
        fail(f"kafka-configs does not show the new retention: {described}")
    until("retention.bytes served as kafka-configs says", 60,
          lambda: served(merged_pages(), "kafka_topic_config_retention_bytes", topic=RETAINED) == [float(MIB)])

    def retention_applied():
        before = earliest(RETAINED)
        series = merged_pages()
        after = earliest(RETAINED)
        if before != after or before.get(0, 0) == 0:
            return None  # the broker has not deleted a segment yet, or did it just now
        if served(series, "kafka_topic_partition_oldest_offset", topic=RETAINED, partition=0) != [float(before[0])]:
            return None
        return before[0], series

    oldest, _ = until("old segments deleted and the oldest offset as kafka-get-offsets says", 120,
                      retention_applied)

    # Each replica deletes its own segments, on its broker's own retention check: the sizes
    # are compared once both replicas have applied it and the tool reads the same twice.
    def sizes_agree():
        before = log_dir_sizes(RETAINED)
        series = merged_pages()
        after = log_dir_sizes(RETAINED)
        # What retention keeps: at most retention.bytes plus the active segment.
        if before != after or len(before) != 2 or max(before.values()) > 2 * MIB + 65536:
            return None
        for broker, size in before.items():
            got = served(series, "kafka_log_dir_partition_size_bytes", topic=RETAINED, partition=0, broker=broker)
            if len(got) != 1 or abs(got[0] - size) > 0.01 * size + 1:
                return None
        return before

    sizes = until("each replica's size within 1 % of kafka-log-dirs, retention applied on both", 120, sizes_agree,
                  lambda: (log_dir_sizes(RETAINED), {k: v for k, v in merged_pages().items()
                                                     if k[0] == "kafka_log_dir_partition_size_bytes"
                                                     and ("topic", RETAINED) in k[1]}))
    end = log_ends(RETAINED, BOOTSTRAP)[0]
    print(f"retention.bytes 1 MiB: oldest offset {oldest} of {end} as kafka-get-offsets says; sizes {sizes} "
          f"within 1 % of kafka-log-dirs", flush=True)

    # A quota for alice, then none.
    entity = f"user={USER}"
    tool("kafka-configs", "--bootstrap-server", BOOTSTRAP, "--alter", "--entity-type", "users", "--entity-name", USER,
         "--add-config", "producer_byte_rate=1024")
    described = tool("kafka-configs", "--bootstrap-server", BOOTSTRAP, "--describe", "--entity-type", "users",
                     "--entity-name", USER)
    if "producer_byte_rate=1024" not in described:
        fail(f"kafka-configs does not show the quota: {described}")
    until("the quota served as kafka-configs says", 60,
          lambda: served(merged_pages(), "kafka_quota", entity=entity, key="producer_byte_rate") == [1024.0])
    tool("kafka-configs", "--bootstrap-server", BOOTSTRAP, "--alter", "--entity-type", "users", "--entity-name", USER,
         "--delete-config", "producer_byte_rate")
    until("the quota gone once removed", 60,
          lambda: served(merged_pages(), "kafka_quota", entity=entity, key="producer_byte_rate") == [])
    print(f"quota producer_byte_rate=1024 for {USER}: served as kafka-configs says, gone once removed", flush=True)

    # A client over its quota: the broker throttles it, and both sides say so.
    client = f"kse-ops-throttled-{SUFFIX}"
    tool("kafka-configs", "--bootstrap-server", BOOTSTRAP, "--alter", "--entity-type", "clients", "--entity-name",
         client, "--add-config", "producer_byte_rate=2048")
    until("the client quota served", 60,
          lambda: served(merged_pages(), "kafka_quota", entity=f"client-id={client}", key="producer_byte_rate")
          == [2048.0])
    # A quota holds per broker, and a rate is taken over the whole quota window (about 10 s):
    # 60 KB spread over three leaders is barely above 2 KB/s on each, so all of it goes to
    # the one partition of RETAINED and its leader alone.
    producer = subprocess.Popen(
        [str(root / "cluster" / "kafka-tool"), "kafka-producer-perf-test", "--topic", RETAINED, "--num-records", "60",
         "--record-size", "1000", "--throughput", "-1", "--print-metrics", "--producer-props",
         f"bootstrap.servers={BOOTSTRAP}", f"client.id={client}", "batch.size=1000", "linger.ms=0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # (An average over a window without samples is NaN, which is not above 0.)
        def throttle_served():
            values = [v for v in served(merged_pages(), "kafka_server_produce_throttle_time", client_id=client)
                      if v > 0]
            return max(values) if values else None

        throttled = until("the broker's throttle time for the client above 0, through JMX", 90, throttle_served,
                          lambda: ({k: v for k, v in merged_pages().items() if k[0].endswith("_throttle_time")},
                                   f"producer {'running' if producer.poll() is None else 'ended'}"))
        out, _ = producer.communicate(timeout=180)
    finally:
        if producer.poll() is None:
            producer.kill()
            print(f"producer output: {producer.communicate()[0][-1500:]}", flush=True)
    seen = re.search(r"producer-metrics:produce-throttle-time-max:\{client-id=" + re.escape(client) + r"\}\s*:\s*(\S+)",
                     out)
    if producer.returncode != 0 or not seen or float(seen.group(1)) <= 0:
        fail(f"kafka-producer-perf-test did not report being throttled (exit {producer.returncode}): {out[-800:]}")
    print(f"client {client} over producer_byte_rate 2048: kafka_server_produce_throttle_time {throttled:.0f} ms "
          f"served; the producer saw a throttle of up to {float(seen.group(1)):.0f} ms", flush=True)


def drop_topics():
    for topic in (TOPIC, RETAINED):
        try:
            tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--delete", "--topic", topic)
        except AssertionError:
            pass


run_test("operations_e2e", main, work, children, drop_topics)
