#!/usr/bin/env python3
"""The synthetic cluster speaks the bytes the exporter expects: the real exporter, run
against a small one (3 brokers, 300 partitions, 20 groups, KRaft), serves what the
generator says (`synthetic_cluster --facts`) and every collector is up.

usage: synthetic_cluster_test.py SYNTHETIC_CLUSTER EXPORTER"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from harness import parse_page  # noqa: E402

BROKERS, PARTITIONS, GROUPS = 3, 300, 20
INTERVAL_S = 2



def parse(page):
    """[(name, {label: value}, value)] of an exposition page (the tests' parser)."""
    return [(name, dict(labels), value) for (name, labels), value in parse_page(page).items()]


def free_ports(count):
    """The first of `count` consecutive free loopback ports."""
    for base in range(31000 + (os.getpid() % 400) * 50, 60000, 137):
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free ports")


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return answer.read().decode()


def main():
    synthetic, exporter = sys.argv[1], sys.argv[2]
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    base = free_ports(BROKERS + BROKERS + 1)
    # The exporter's cluster port below its broker ports (it must lie outside base..base+63).
    exporter_cluster, exporter_base, cluster_ports = base, base + 1, base + 1 + BROKERS
    start_ms = int(time.time() * 1000)
    shape = ["--brokers", str(BROKERS), "--partitions", str(PARTITIONS), "--groups", str(GROUPS),
             "--kraft", "--base-port", str(cluster_ports), "--start-ms", str(start_ms)]
    facts = json.loads(subprocess.run([synthetic, *shape, "--facts"], check=True, capture_output=True,
                                      text=True).stdout)
    work = tempfile.mkdtemp(prefix="synthetic-cluster-test-")
    server = subprocess.Popen([synthetic, *shape], stdout=subprocess.PIPE, text=True)
    exporter_process = None
    try:
        ready = server.stdout.readline()
        if not ready.startswith("ready"):
            print(f"synthetic cluster did not start: {ready!r}")
            return 1
        config = os.path.join(work, "exporter.yml")
        with open(config, "w") as f:
            f.write(f'kafka: {{bootstrap_servers: ["127.0.0.1:{cluster_ports}"], request_timeout: 800ms}}\n'
                    f"collect: {{interval: {INTERVAL_S}s, timeout: 1800ms}}\n"
                    f"serve: {{listen_address: 127.0.0.1, cluster_port: {exporter_cluster}, "
                    f"broker_port_base: {exporter_base}}}\n"
                    "probe: {enabled: false}\n")
        log = open(os.path.join(work, "exporter.log"), "w")
        exporter_process = subprocess.Popen([exporter, "-c", config], stdout=log, stderr=subprocess.STDOUT)
        # Three cycles: lag in seconds needs the record reads of the first.
        deadline = time.time() + 15
        cycles = 0
        while time.time() < deadline and cycles < 3:
            time.sleep(0.3)
            try:
                cycles = sum(v for n, _, v in parse(scrape(exporter_cluster))
                             if n == "kafka_sidecar_collect_cycles_total")
            except OSError:
                pass
        if cycles < 3:
            log.flush()
            with open(os.path.join(work, "exporter.log")) as f:
                print(f"the exporter finished {cycles} cycles in 15 s, wanted 3; its log:\n{f.read()}")
            return 1

        before_ms = time.time() * 1000 - INTERVAL_S * 1000 - 500
        samples = parse(scrape(exporter_cluster))
        for broker in range(1, BROKERS + 1):
            samples += parse(scrape(exporter_base + broker - 1))
        after_ms = time.time() * 1000

        def values(name):
            return [(labels, value) for n, labels, value in samples if n == name]

        def one(name):
            found = values(name)
            return found[0][1] if len(found) == 1 else None

        # Every collector the synthetic cluster offers an API for is up.
        up = {labels["collector"]: value for labels, value in values("kafka_sidecar_collector_up")}
        for collector in ["metadata", "groups", "offsets", "record_times", "log_dirs", "topic_configs", "quorum",
                          "reassignments", "transactions", "quotas", "registrations"]:
            check(up.get(collector) == 1, f"collector {collector} up = {up.get(collector)}")
        check(not values("kafka_sidecar_collector_error_info"),
              f"collector errors: {values('kafka_sidecar_collector_error_info')}")
        check(one("kafka_cluster_metadata_mode") == 1 and values("kafka_cluster_metadata_mode")[0][0]["mode"]
              == "kraft", "metadata mode is not kraft")
        check(one("kafka_kraft_quorum_voters") == 3, f"quorum voters {one('kafka_kraft_quorum_voters')}")

        # Brokers.
        check(one("kafka_brokers") == BROKERS, f"kafka_brokers {one('kafka_brokers')}")
        broker_up = {labels["broker"]: value for labels, value in values("kafka_broker_up")}
        check(broker_up == {str(b): 1 for b in range(1, BROKERS + 1)}, f"kafka_broker_up {broker_up}")

        # Partitions: count, leaders, and the log end within the window the cycle read it in.
        check(one("kafka_cluster_partitions") == facts["partitions"],
              f"kafka_cluster_partitions {one('kafka_cluster_partitions')}, generator {facts['partitions']}")
        check(sum(v for _, v in values("kafka_topic_partitions")) == facts["partitions"],
              "kafka_topic_partitions does not add up")
        current = {(l["topic"], int(l["partition"])): v for l, v in values("kafka_topic_partition_current_offset")}
        oldest = {(l["topic"], int(l["partition"])): v for l, v in values("kafka_topic_partition_oldest_offset")}
        leader = {(l["topic"], int(l["partition"])): v for l, v in values("kafka_topic_partition_leader")}
        check(len(current) == facts["partitions"], f"{len(current)} current offsets, wanted {facts['partitions']}")
        rates = {}
        for topic, index, lead, base_offset, rate, earliest in facts["partition"]:
            rates[(topic, index)] = (base_offset, rate)
            low = base_offset + rate * int(max(before_ms - start_ms, 0)) // 1000
            high = base_offset + rate * int(after_ms - start_ms) // 1000
            got = current.get((topic, index))
            check(got is not None and low <= got <= high,
                  f"{topic}-{index}: log end {got}, generator {low}..{high}")
            check(oldest.get((topic, index)) == earliest, f"{topic}-{index}: oldest {oldest.get((topic, index))}")
            check(leader.get((topic, index)) == lead, f"{topic}-{index}: leader {leader.get((topic, index))}")

        # Groups: count, members, and each partition's lag (the log end moves between the
        # group read and the offsets read, by at most rate × the cycle's length).
        states = values("kafka_consumergroup_state")
        check(len({l["consumergroup"] for l, _ in states}) == facts["groups"],
              f"{len(states)} groups, generator {facts['groups']}")
        members = {l["consumergroup"]: v for l, v in values("kafka_consumergroup_members")}
        lag = {(l["consumergroup"], l["topic"], int(l["partition"])): v
               for l, v in values("kafka_consumergroup_lag")}
        lag_seconds = {(l["consumergroup"], l["topic"], int(l["partition"])): v
                       for l, v in values("kafka_consumergroup_lag_seconds")}
        # A partition two groups consume at different offsets is fetched once a cycle, from the
        # lower offset: the other group's age is served when its record is in the same bytes
        # (checked when served), else not (never a guess).
        consumers = {}
        for group, _, _, topic, partitions in facts["group"]:
            for index, _ in partitions:
                consumers[(topic, index)] = consumers.get((topic, index), 0) + 1
        checked_seconds = 0
        for group, coordinator, member_count, topic, partitions in facts["group"]:
            check(members.get(group) == member_count, f"{group}: members {members.get(group)}, wanted {member_count}")
            for index, want in partitions:
                got = lag.get((group, topic, index))
                rate = rates[(topic, index)][1]
                check(got is not None and want <= got <= want + rate + 1,
                      f"{group} {topic}-{index}: lag {got}, generator {want}")
                seconds = lag_seconds.get((group, topic, index))
                if rate > 0 and want > 0 and (consumers[(topic, index)] == 1 or seconds is not None):
                    # The record at the committed offset is want / rate seconds older than the
                    # log end when the group was read, up to one cycle before.
                    check(seconds is not None and want / rate - 1 <= seconds <= want / rate + INTERVAL_S + 2,
                          f"{group} {topic}-{index}: lag {seconds} s, generator about {want / rate:.1f} s")
                    checked_seconds += 1
        check(checked_seconds > 0, "no lagging partition had its lag in seconds checked")

        if failures:
            print(f"{len(failures)} mismatches (exporter log in {work}):")
            for failure in failures[:40]:
                print("  " + failure)
            return 1
        print(f"ok: {facts['partitions']} partitions, {facts['groups']} groups, {BROKERS} brokers, "
              f"{checked_seconds} lag-seconds values as the generator says")
        return 0
    finally:
        if exporter_process:
            exporter_process.terminate()
            exporter_process.wait(timeout=10)
        server.terminate()
        server.wait(timeout=10)
        if server.returncode != 0:
            print(f"synthetic cluster exited with {server.returncode}")


if __name__ == "__main__":
    sys.exit(main())
