#!/usr/bin/env python3
"""ACLs that deny the exporter part of what it reads, on the real secure cluster. The
exporter logs in as alice (PLAIN, SASL_PLAINTEXT listener); Kafka's ACLs deny alice
DescribeConfigs on every topic, Describe on every group and Alter on the cluster. Then:

  * the exporter keeps serving what alice may read: brokers up, partitions and log ends
    equal to kafka-get-offsets run as alice;
  * topic configs: kafka_sidecar_collector_up{collector="topic_configs"} is 0,
    kafka_sidecar_collector_error_info says TOPIC_AUTHORIZATION_FAILED, and every
    family that needs min.insync.replicas is absent (never 0): the cluster-wide
    under-min-ISR and at-min-ISR counts and the per-partition gauges;
  * groups: kafka-consumer-groups --describe run as alice is refused; the exporter's
    groups collector is down and it serves no lag or members for the group (never 0);
  * every page passes promtool check metrics.
The ACLs are removed at the end, whatever happened.
Usage: acl_test.py SOURCE_DIR BUILD_DIR"""
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, cluster_env, http_get, log_ends, parse_page, promtool_problems, tool, wait_for  # noqa: E402

root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-acl-"))
children = Children(work)
ADMIN_BOOTSTRAP = "127.0.0.1:9092"  # PLAINTEXT: ANONYMOUS, a super user of the test cluster
CLUSTER_PORT, BROKER_BASE, INTERVAL_S = 19708, 19771, 3
TOPIC = f"kse-acl-{int(time.time())}"
GROUP = TOPIC
# A resource with any ACL allows only what an ACL allows (allow.everyone.if.no.acl.found
# no longer applies to it): alice keeps Describe and Read on topics, Describe and
# DescribeConfigs on the cluster, and loses the rest of what the exporter reads.
ACLS = [("--allow-principal", "--operation", "Describe", "--operation", "Read", "--topic", "*"),
        ("--allow-principal", "--operation", "Describe", "--operation", "DescribeConfigs", "--cluster"),
        ("--deny-principal", "--operation", "DescribeConfigs", "--topic", "*"),
        ("--deny-principal", "--operation", "Describe", "--group", "*"),
        ("--deny-principal", "--operation", "Alter", "--cluster")]
MIN_ISR_FAMILIES = ["kafka_cluster_under_min_isr_partitions", "kafka_cluster_at_min_isr_partitions",
                    "kafka_topic_partition_under_min_isr"]


def fail(message):
    raise AssertionError(message)


def acl(action):
    for principal, *rest in ACLS:
        tool("kafka-acls", "--bootstrap-server", ADMIN_BOOTSTRAP, action, "--force", principal, "User:alice", *rest)


def main():
    env = cluster_env()
    if env.get("SECURE") != "1":
        fail("the test cluster runs without --secure: no SASL listener to log in as alice")
    sasl = [f"127.0.0.1:{9095 + 100 * b}" for b in range(3)]
    alice = work / "alice.properties"
    alice.write_text("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
                     "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" "
                     "password=\"alice-secret\";\n")
    tool("kafka-topics", "--bootstrap-server", ADMIN_BOOTSTRAP, "--create", "--topic", TOPIC, "--partitions", "3",
         "--replication-factor", "3", "--config", "min.insync.replicas=2")
    tool("kafka-producer-perf-test", "--topic", TOPIC, "--num-records", "300", "--record-size", "50",
         "--throughput", "-1", "--producer-props", f"bootstrap.servers={ADMIN_BOOTSTRAP}", "acks=all")
    tool("kafka-consumer-groups", "--bootstrap-server", ADMIN_BOOTSTRAP, "--group", GROUP, "--topic", TOPIC,
         "--reset-offsets", "--to-offset", "10", "--execute")
    acl("--add")
    try:
        described = subprocess.run([str(root / "cluster" / "kafka-tool"), "kafka-consumer-groups", "--bootstrap-server",
                                    sasl[0], "--command-config", str(alice), "--describe", "--group", GROUP],
                                   capture_output=True, text=True, timeout=120)
        if "GroupAuthorizationException" not in described.stdout + described.stderr:
            fail(f"the ACLs are not in force: alice describes group {GROUP}: {described.stdout[-300:]}")
        ends = log_ends(TOPIC, sasl[0], "--command-config", str(alice))
        config = work / "exporter.yml"
        config.write_text(f"""
kafka:
  bootstrap_servers: [{", ".join(sasl)}]
  request_timeout: 1200ms
  sasl: {{mechanism: PLAIN, username: alice, password: alice-secret}}
collect: {{interval: {INTERVAL_S}s, timeout: 2500ms}}
serve: {{listen_address: 127.0.0.1, cluster_port: {CLUSTER_PORT}, broker_port_base: {BROKER_BASE}}}
probe: {{enabled: false}}
""")
        children.start([build / "exporter" / "kafka-sidecar-exporter", "-c", config], "exporter.log")
        wait_for(f"http://127.0.0.1:{CLUSTER_PORT}/ready", 60)
        time.sleep(2 * INTERVAL_S + 1)  # two full cycles after the first
        pages = {port: http_get(f"http://127.0.0.1:{port}/metrics", 5).decode()
                 for port in [CLUSTER_PORT] + [BROKER_BASE + i for i in range(3)]}
        merged = {}
        for port, text in pages.items():
            problems = promtool_problems(text)
            if problems:
                fail(f"the page of port {port} fails promtool check metrics: {problems}")
            merged.update(parse_page(text))

        def served(name, **labels):
            wanted = {(k, str(v)) for k, v in labels.items()}
            return [v for (n, ls), v in merged.items() if n == name and wanted <= ls]

        for broker in (1, 2, 3):
            if served("kafka_broker_up", broker=broker) != [1.0]:
                fail(f"broker {broker}: kafka_broker_up {served('kafka_broker_up', broker=broker)}, expected [1.0]")
        for partition, end in ends.items():
            if served("kafka_topic_partition_current_offset", topic=TOPIC, partition=partition) != [end]:
                fail(f"{TOPIC}-{partition}: log end "
                     f"{served('kafka_topic_partition_current_offset', topic=TOPIC, partition=partition)}, "
                     f"kafka-get-offsets as alice says {end}")
        if served("kafka_sidecar_collector_up", collector="topic_configs") != [0.0]:
            fail("DescribeConfigs is denied, yet kafka_sidecar_collector_up{collector=\"topic_configs\"} is "
                 f"{served('kafka_sidecar_collector_up', collector='topic_configs')}")
        for collector, reason in (("topic_configs", "TOPIC_AUTHORIZATION_FAILED"),
                                  ("groups", "GROUP_AUTHORIZATION_FAILED")):
            if served("kafka_sidecar_collector_error_info", collector=collector, reason=reason) != [1.0]:
                fail(f"the exporter does not say why {collector} is down: kafka_sidecar_collector_error_info "
                     f"{[labels for (n, labels) in merged if n == 'kafka_sidecar_collector_error_info']}")
        for family in MIN_ISR_FAMILIES:
            if served(family):
                fail(f"{family} served ({len(served(family))} series) although no topic config could be read")
        if served("kafka_sidecar_collector_up", collector="groups") != [0.0]:
            fail("Describe on groups is denied, yet kafka_sidecar_collector_up{collector=\"groups\"} is "
                 f"{served('kafka_sidecar_collector_up', collector='groups')}")
        for family in ("kafka_consumergroup_lag_sum", "kafka_consumergroup_lag", "kafka_consumergroup_members"):
            if served(family, consumergroup=GROUP):
                fail(f"{family} served for {GROUP}, which alice may not describe: {served(family, consumergroup=GROUP)}")
        log = (work / "exporter.log").read_text()
        if "AUTHORIZATION_FAILED" not in log:
            fail("the exporter's log does not say which read was denied")
        print(f"ACLs: as alice, 3 brokers up and {len(ends)} log ends equal to kafka-get-offsets; topic_configs "
              f"and groups collectors down, none of {len(MIN_ISR_FAMILIES)} min-ISR families served, no lag for "
              f"{GROUP} (kafka-consumer-groups as alice is refused too); every page valid", flush=True)
    finally:
        children.stop()
        acl("--remove")
        for cleanup in (("kafka-consumer-groups", "--delete", "--group", GROUP), ("kafka-topics", "--delete", "--topic", TOPIC)):
            subprocess.run([str(root / "cluster" / "kafka-tool"), cleanup[0], "--bootstrap-server", ADMIN_BOOTSTRAP,
                            *cleanup[1:]], capture_output=True, timeout=120)


try:
    main()
    shutil.rmtree(work, ignore_errors=True)
    print("1 passed, 0 failed", flush=True)
except (AssertionError, RuntimeError, subprocess.SubprocessError) as failure:
    print(f"FAIL: {failure}", flush=True)
    print(f"logs in {work}", flush=True)
    sys.exit(1)
