#!/usr/bin/env python3
"""Consumer groups of the new protocol (KIP-848, Kafka 4): a console consumer with
group.protocol=consumer joins a group on a 3-partition topic, and the exporter serves
the group's members, state and assignment as kafka-consumer-groups --describe
--members --verbose shows them (DescribeGroups alone calls such a group Dead with
no members). Usage: consumer_protocol_test.py SOURCE_DIR BUILD_DIR"""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, http_get, tool, wait_for  # noqa: E402

root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-kip848-"))
children = Children(work)
BOOTSTRAP = "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292"
CLUSTER_PORT, BROKER_BASE, INTERVAL_S = 19608, 19671, 2
TOPIC = GROUP = f"kse-kip848-{int(time.time())}"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def fail(message):
    raise AssertionError(message)


def series(name, **labels):
    """Samples of `name` with `labels`, over every port: [(labels, value)]."""
    found = []
    for port in [CLUSTER_PORT] + [BROKER_BASE + i for i in range(3)]:
        for line in http_get(f"http://127.0.0.1:{port}/metrics", 5).decode().splitlines():
            match = SAMPLE.match(line)
            if match and match.group(1) == name:
                have = dict(LABEL.findall(match.group(2)))
                if all(have.get(k) == str(v) for k, v in labels.items()):
                    found.append((have, float(match.group(3))))
    return found


def members_from_tool():
    """kafka-consumer-groups --members --verbose: {client_id: assigned partition count}."""
    out = tool("kafka-consumer-groups", "--bootstrap-server", BOOTSTRAP, "--describe", "--group", GROUP,
               "--members", "--verbose")
    members, header = {}, None
    for line in out.splitlines():
        fields = line.split()
        if "CLIENT-ID" in fields:
            header = fields
        elif header and fields and fields[0] == GROUP:
            row = dict(zip(header, fields))
            members[row["CLIENT-ID"]] = int(row["#PARTITIONS"])
    return members


def main():
    tool("kafka-topics", "--bootstrap-server", BOOTSTRAP, "--create", "--topic", TOPIC, "--partitions", "3",
         "--replication-factor", "2")
    tool("kafka-producer-perf-test", "--topic", TOPIC, "--num-records", "90", "--record-size", "20",
         "--throughput", "-1", "--producer-props", f"bootstrap.servers={BOOTSTRAP}")
    children.start([root / "cluster" / "kafka-tool", "kafka-console-consumer", "--bootstrap-server", BOOTSTRAP,
                    "--topic", TOPIC, "--group", GROUP, "--from-beginning", "--timeout-ms", "120000",
                    "--consumer-property", "group.protocol=consumer", "--consumer-property",
                    "client.id=kip848-consumer"], "consumer.log")
    deadline = time.time() + 60
    while members_from_tool() != {"kip848-consumer": 3}:
        if time.time() > deadline:
            fail(f"the consumer never held the 3 partitions: {members_from_tool()}")
        time.sleep(2)
    state = tool("kafka-consumer-groups", "--bootstrap-server", BOOTSTRAP, "--describe", "--group", GROUP, "--state")
    types = tool("kafka-consumer-groups", "--bootstrap-server", BOOTSTRAP, "--list", "--type")
    if "Stable" not in state or not re.search(rf"^{re.escape(GROUP)}\s+Consumer\b", types, re.MULTILINE):
        fail(f"kafka-consumer-groups does not show a Stable group of the consumer protocol:\n{state}\n{types}")

    config = work / "exporter.yml"
    config.write_text(f"""
kafka: {{bootstrap_servers: [{BOOTSTRAP}], request_timeout: 900ms}}
collect: {{interval: {INTERVAL_S}s, timeout: 1800ms}}
serve: {{listen_address: 127.0.0.1, cluster_port: {CLUSTER_PORT}, broker_port_base: {BROKER_BASE}}}
probe: {{enabled: false}}
""")
    children.start([build / "exporter" / "kafka-sidecar-exporter", "-c", config], "exporter.log")
    wait_for(f"http://127.0.0.1:{CLUSTER_PORT}/ready", 60)
    time.sleep(2 * INTERVAL_S + 1)
    members = series("kafka_consumergroup_members", consumergroup=GROUP)
    if [value for _, value in members] != [1.0]:
        fail(f"kafka_consumergroup_members for {GROUP}: {members}; kafka-consumer-groups shows 1 member")
    stable = series("kafka_consumergroup_state", consumergroup=GROUP, state="Stable")
    if [value for _, value in stable] != [1.0]:
        fail(f"kafka_consumergroup_state{{state=\"Stable\"}} for {GROUP}: {stable}")
    assigned = series("kafka_consumergroup_assigned_partitions", consumergroup=GROUP)
    if [(labels.get("client_id"), value) for labels, value in assigned] != [("kip848-consumer", 3.0)]:
        fail(f"kafka_consumergroup_assigned_partitions for {GROUP}: {assigned}; the tool shows "
             f"{members_from_tool()}")
    print(f"group {GROUP} of the consumer protocol: 1 member holding 3 partitions, Stable, as "
          "kafka-consumer-groups shows", flush=True)


try:
    main()
    exit_code = 0
    print("1 passed, 0 failed", flush=True)
except (AssertionError, RuntimeError, subprocess.SubprocessError) as failure:
    exit_code = 1
    print(f"FAIL: {failure}\nlogs in {work}", flush=True)
finally:
    children.stop()
    for cleanup in (("kafka-consumer-groups", "--delete", "--group", GROUP), ("kafka-topics", "--delete", "--topic", TOPIC)):
        subprocess.run([str(root / "cluster" / "kafka-tool"), cleanup[0], "--bootstrap-server", BOOTSTRAP, *cleanup[1:]],
                       capture_output=True, timeout=120)
if exit_code == 0:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(exit_code)
