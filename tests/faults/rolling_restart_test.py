#!/usr/bin/env python3
"""A rolling restart under load, as the course's operations workshop (8) runs it, checked
against Kafka's own tools of the same jars while the exporter runs.

A producer writes with acks=all to a topic of 5 partitions, RF 3, min.insync.replicas 2.
Each broker in turn is stopped gracefully, then started again:

  * while it is down: every partition's ISR shrinks to the two others, and the served
    ISR sizes, under-replicated flags and leaders equal `kafka-topics --describe`'s
    (read before and after the pages); no partition is under min ISR;
  * once it is back: the ISR expands to 3 again and under-replication falls to 0, as
    the tool says; the time from the start to that page is printed;
  * the topic's ISR shrink and expand counters grew by at least the partitions the
    step moved, and never fell.

At the end the producer stops by itself, and the records it counted as sent equal the sum
of the log ends from `kafka-get-offsets` and the sum of the served current offsets: a
rolling restart loses nothing and the exporter says so.
Usage: rolling_restart_test.py SOURCE_DIR BUILD_DIR
"""
import os
import pathlib
import re
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import (Children, cluster, cluster_env, fail, log_ends, quick_exporter_config,  # noqa: E402
                     run_test, served, tool, until, valid_pages)

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
binary = build / "exporter" / "kafka-sidecar-exporter"
BOOTSTRAP = cluster_env()["BOOTSTRAP"]  # all three: each broker is down in turn
CLUSTER_PORT, BROKER_BASE = 19608, 19671
PORTS = [CLUSTER_PORT] + [BROKER_BASE + i for i in range(3)]
TOPIC = f"kse-rolling-{os.getpid()}"
PARTITIONS, BROKERS = 5, (1, 2, 3)
RATE, RECORDS = 400, 400 * 90  # 90 s of writes; the three steps take about 35 s
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-rolling-"))
children = Children(work)


def describe():
    """{partition: (leader, replicas, isr)} as kafka-topics --describe says."""
    partitions = {}
    for line in tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--describe", "--topic", TOPIC).splitlines():
        fields = dict(part.split(": ", 1) for part in line.strip().split("\t") if ": " in part)
        if "Partition" in fields and "Isr" in fields:
            partitions[int(fields["Partition"])] = (int(fields["Leader"]), len(fields["Replicas"].split(",")),
                                                    len(fields["Isr"].split(",")))
    return partitions


def counters(series):
    return (served(series, "kafka_topic_isr_shrinks_total", topic=TOPIC),
            served(series, "kafka_topic_isr_expands_total", topic=TOPIC))


def agrees(isr_size):
    """A check: every partition's ISR has `isr_size` replicas as the tool says, twice, and
    the pages say the same of ISR, under-replication, min ISR and leader."""
    def check():
        before = describe()
        series = valid_pages(PORTS)
        after = describe()
        if before != after or len(before) != PARTITIONS:
            return None
        for partition, (leader, replicas, isr) in before.items():
            if isr != isr_size:
                return None
            labels = {"topic": TOPIC, "partition": partition}
            if (served(series, "kafka_topic_partition_in_sync_replica", **labels) != [float(isr)]
                    or served(series, "kafka_topic_partition_under_replicated_partition", **labels)
                    != [1.0 if isr < replicas else 0.0]
                    or served(series, "kafka_topic_partition_under_min_isr", **labels) != [0.0]
                    or served(series, "kafka_topic_partition_leader", **labels) != [float(leader)]):
                return None
        return before, series
    return check


def page_state():
    series = valid_pages(PORTS)
    return describe(), {k: v for k, v in series.items() if ("topic", TOPIC) in k[1] and (
        k[0].startswith("kafka_topic_partition_in_sync") or k[0].startswith("kafka_topic_partition_under_rep"))}


def total(values):
    if len(values) != 1:
        fail(f"expected one series, got {values}")
    return values[0]


def main():
    tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--create", "--topic", TOPIC, "--partitions",
         str(PARTITIONS), "--replication-factor", "3", "--config", "min.insync.replicas=2")
    config = work / "exporter.yml"
    config.write_text(quick_exporter_config(BOOTSTRAP, CLUSTER_PORT, BROKER_BASE,
                                            f'filters: {{topic_include: "^{TOPIC}$"}}\n'))
    children.start([str(binary), "--config", str(config)], "exporter.log")
    _, series = until("the topic healthy, as kafka-topics says", 60, agrees(3), page_state)
    shrinks, expands = (total(c) for c in counters(series))

    producer = children.start([str(root / "cluster" / "kafka-tool"), "kafka-producer-perf-test", "--topic", TOPIC,
                               "--num-records", str(RECORDS), "--record-size", "200", "--throughput", str(RATE),
                               "--producer-props", f"bootstrap.servers={BOOTSTRAP}", "acks=all",
                               "enable.idempotence=true", "delivery.timeout.ms=120000"], "producer.log")
    time.sleep(5)
    for broker in BROKERS:
        cluster("stop-broker", str(broker))
        stopped = time.monotonic()
        layout, series = until(f"broker {broker} stopped: ISR 2 and under-replicated everywhere, as kafka-topics "
                               f"says", 60, agrees(2), page_state)
        if any(leader == broker for leader, _, _ in layout.values()):
            fail(f"broker {broker} stopped but still leads: {layout}")
        down_at = time.monotonic() - stopped
        new_shrinks, _ = (total(c) for c in counters(series))
        if new_shrinks < shrinks + PARTITIONS:
            fail(f"ISR shrinks went from {shrinks} to {new_shrinks}, {PARTITIONS} partitions lost broker {broker}")
        cluster("start-broker", str(broker), timeout=300)
        _, series = until(f"broker {broker} back: ISR 3 and no under-replication, as kafka-topics says", 120,
                          agrees(3), page_state)
        back_at = time.monotonic() - stopped
        shrinks, new_expands = (total(c) for c in counters(series))
        if new_expands < expands + PARTITIONS:
            fail(f"ISR expands went from {expands} to {new_expands}, {PARTITIONS} partitions got broker {broker} "
                 f"back")
        expands = new_expands
        print(f"broker {broker}: ISR 2 of 3 and under-replication served {down_at:.1f}s after the stop, "
              f"ISR 3 and none {back_at:.1f}s after it; ISR shrinks {shrinks:.0f}, expands {expands:.0f} so far",
              flush=True)
    if producer.poll() is not None:
        fail("the producer ended before the last broker was back: the restarts were not all under load")
    if producer.wait(timeout=300) != 0:
        fail(f"the producer failed: {(work / 'producer.log').read_text()[-800:]}")
    said = (work / "producer.log").read_text()
    sent = re.findall(r"^(\d+) records sent", said, re.M)
    if not sent:
        fail(f"the producer's summary is missing: {said[-800:]}")
    ends = log_ends(TOPIC, BOOTSTRAP)

    def offsets_served():
        series = valid_pages(PORTS)
        values = {p: served(series, "kafka_topic_partition_current_offset", topic=TOPIC, partition=p)
                  for p in range(PARTITIONS)}
        return values if all(v == [float(ends[p])] for p, v in values.items()) else None

    until("the served log ends equal kafka-get-offsets", 30, offsets_served)
    if sum(ends.values()) != int(sent[-1]):
        fail(f"the producer sent {sent[-1]} records, the log ends add up to {sum(ends.values())}: {ends}")
    print(f"under load: {sent[-1]} records sent with acks=all, log ends add up to {sum(ends.values())} as "
          f"kafka-get-offsets and the served current offsets say", flush=True)


def cleanup():
    status = cluster("status")
    for broker in BROKERS:
        if f"broker {broker}: running" not in status:
            cluster("start-broker", str(broker), timeout=300)
    try:
        tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--delete", "--topic", TOPIC)
    except AssertionError:
        pass


run_test("rolling_restart_e2e", main, work, children, cleanup)
