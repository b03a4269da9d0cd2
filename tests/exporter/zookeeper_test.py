#!/usr/bin/env python3
"""ZooKeeper mode end to end: a private Kafka 3.9 cluster with a 3-node ZooKeeper ensemble
(cluster/kafka-cluster, KSE_KAFKA_MODE=zookeeper, on a port offset of its own), started and
removed by this test, and an exporter with zookeeper.servers listing the three nodes.

  * every node's role (kafka_zookeeper_server_state) equals what the node itself says to
    `srvr`, read here over its client port; one leader, whose synced followers equal its
    own mntr's; kafka_zookeeper_up 1 for each;
  * kafka_cluster_metadata_mode says zookeeper, no kafka_kraft_quorum_* family is served
    (absent, not zero), and every collector is up;
  * a follower stopped: its up series is 0 and it has no other series, the two others keep
    theirs, the zookeeper collector is down naming that node; the page stays valid;
  * a second node stopped (quorum lost): the last node answers that it is not serving, so it
    has no state either; the brokers are still counted, or, where they stopped answering
    too, absent with the metadata collector down;
  * both nodes started again: all three are up with one leader.
Usage: zookeeper_test.py SOURCE_DIR BUILD_DIR
"""
import os
import pathlib
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))

OFFSET = 700
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-zookeeper-"))
os.environ.update(KSE_KAFKA_MODE="zookeeper", KSE_KAFKA_VERSION=os.environ.get("KSE_ZK_KAFKA_VERSION", "3.9.1"),
                  KSE_PORT_OFFSET=str(OFFSET), KSE_CLUSTER_DIR=str(work / "cluster"))
from harness import Children, quick_exporter_config, cluster, fail, run_test, served, until, valid_pages  # noqa: E402

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
binary = build / "exporter" / "kafka-sidecar-exporter"
OWNER = "zookeeper_e2e"
CLUSTER_PORT = 19908
BROKER_BASE = 19971
INTERVAL_S = 2
ZK_PORTS = {node: 2180 + node + OFFSET for node in (1, 2, 3)}
SERVERS = {node: f"127.0.0.1:{port}" for node, port in ZK_PORTS.items()}
BOOTSTRAP = f"127.0.0.1:{9092 + OFFSET}"
children = Children(work)


def four_letter(node, word):
    """The node's own answer to a four-letter word, '' when it gives none."""
    try:
        with socket.create_connection(("127.0.0.1", ZK_PORTS[node]), timeout=3) as s:
            s.sendall(word.encode())
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks).decode()
    except OSError:
        return ""


def role(node):
    """leader, follower... as `srvr` says; None when the node does not serve."""
    for line in four_letter(node, "srvr").splitlines():
        if line.startswith("Mode: "):
            return line.split(": ", 1)[1]
    return None


def states(series):
    """{server: state} of every kafka_zookeeper_server_state series at 1."""
    out = {}
    for (name, labels), value in series.items():
        if name == "kafka_zookeeper_server_state" and value == 1:
            labels = dict(labels)
            out[labels["server"]] = labels["state"]
    return out


def on_page(check):
    """check(series) of the cluster page, for until()."""
    return lambda: check(valid_pages([CLUSTER_PORT]))


def zookeeper_series():
    """What the cluster page serves of the ensemble, for until()'s failure message."""
    return {k: v for k, v in valid_pages([CLUSTER_PORT]).items() if k[0].startswith("kafka_zookeeper")}


def ensemble_agrees(series, nodes):
    """The served roles of `nodes` equal their own srvr answers, read around the page."""
    before = {SERVERS[n]: role(n) for n in nodes}
    after = {SERVERS[n]: role(n) for n in nodes}
    got = {s: v for s, v in states(series).items() if s in before}
    return before == after and None not in before.values() and got == before


def main():
    cluster("start", "--owner", OWNER, timeout=600)
    config = work / "exporter.yml"
    config.write_text(quick_exporter_config(BOOTSTRAP, CLUSTER_PORT, BROKER_BASE, f"""
zookeeper: {{servers: [{", ".join(f'"{s}"' for s in SERVERS.values())}], timeout: 1s}}
"""))
    children.start([str(binary), "--config", str(config)], "exporter.log")

    # Healthy: roles as the nodes say, one leader, its followers synced, every collector up.
    series = until("every node's role as its srvr says", 60,
                   on_page(lambda s: ensemble_agrees(s, (1, 2, 3)) and s), zookeeper_series)
    roles = states(series)
    leaders = [s for s, r in roles.items() if r == "leader"]
    if len(leaders) != 1:
        fail(f"not one leader: {roles}")
    leader_node = next(n for n, s in SERVERS.items() if s == leaders[0])
    mntr = dict(line.split("\t", 1) for line in four_letter(leader_node, "mntr").splitlines() if "\t" in line)
    if served(series, "kafka_zookeeper_synced_followers", server=leaders[0]) != [float(mntr["zk_synced_followers"])]:
        fail(f"synced followers {served(series, 'kafka_zookeeper_synced_followers', server=leaders[0])}, "
             f"the leader's mntr says {mntr['zk_synced_followers']}")
    for server in SERVERS.values():
        if served(series, "kafka_zookeeper_up", server=server) != [1.0]:
            fail(f"{server}: kafka_zookeeper_up {served(series, 'kafka_zookeeper_up', server=server)}")
    if served(series, "kafka_zookeeper_ensemble_servers") != [3.0]:
        fail(f"kafka_zookeeper_ensemble_servers {served(series, 'kafka_zookeeper_ensemble_servers')}")
    if served(series, "kafka_cluster_metadata_mode", mode="zookeeper") != [1.0]:
        fail(f"kafka_cluster_metadata_mode: {[k for k in series if k[0] == 'kafka_cluster_metadata_mode']}")
    kraft = sorted({n for n, _ in series if n.startswith("kafka_kraft_quorum")})
    if kraft:
        fail(f"KRaft families served in ZooKeeper mode: {kraft}")
    down = [dict(ls)["collector"] for (n, ls), v in series.items() if n == "kafka_sidecar_collector_up" and v != 1]
    if down:
        fail(f"collectors down on a healthy ZooKeeper cluster: {down}")
    if served(series, "kafka_brokers") != [3.0]:
        fail(f"kafka_brokers {served(series, 'kafka_brokers')}")
    print(f"healthy: roles {roles} equal srvr's, leader {leaders[0]} with "
          f"{mntr['zk_synced_followers']} synced followers, mode zookeeper, no KRaft family", flush=True)

    # One follower stopped: only its own series change.
    follower = next(n for n, s in SERVERS.items() if roles[s] == "follower")
    others = [n for n in SERVERS if n != follower]
    cluster("stop-zookeeper", str(follower))
    stopped = time.monotonic()

    def follower_down(series):
        gone = SERVERS[follower]
        return (served(series, "kafka_zookeeper_up", server=gone) == [0.0]
                and not [k for k in series if k[0].startswith("kafka_zookeeper") and ("server", gone) in k[1]
                         and k[0] != "kafka_zookeeper_up"]
                and ensemble_agrees(series, others)
                and served(series, "kafka_sidecar_collector_up", collector="zookeeper") == [0.0]
                and series)

    series = until(f"node {follower} marked down alone", 30, on_page(follower_down), zookeeper_series)
    reasons = [dict(ls)["reason"] for (n, ls), _ in series.items()
               if n == "kafka_sidecar_collector_error_info" and ("collector", "zookeeper") in ls]
    if reasons != ["connection"]:
        fail(f"the zookeeper collector's reason is {reasons}, expected [connection] (the node refuses connections)")
    said = [line for line in (work / "exporter.log").read_text().splitlines()
            if "collector zookeeper" in line and SERVERS[follower] in line]
    if not said:
        fail(f"the exporter's log does not name {SERVERS[follower]} as the zookeeper collector's problem")
    print(f"node {follower} stopped: up 0 and no other series {time.monotonic() - stopped:.1f}s later; "
          f"the two others keep their roles; reason connection; the log says: {said[0][-120:]}", flush=True)

    # A second node stopped: no quorum. The last node does not serve: no state for anyone.
    second = others[0] if roles[SERVERS[others[0]]] == "follower" else others[1]
    last = next(n for n in others if n != second)
    cluster("stop-zookeeper", str(second))

    # Without a ZooKeeper quorum the brokers may stop answering too (their request threads
    # wait on ZooKeeper for what they keep there, such as client quotas): the brokers are
    # then absent with the metadata collector down, never counted as 0.
    def quorum_lost(series):
        brokers = served(series, "kafka_brokers")
        brokers_true = brokers == [3.0] or (
            not brokers and served(series, "kafka_sidecar_collector_up", collector="metadata") == [0.0])
        return (not states(series) and role(last) is None
                and served(series, "kafka_zookeeper_up", server=SERVERS[last]) == [0.0]
                and brokers_true and series)

    until("no node serving once the quorum is lost", 60, on_page(quorum_lost), zookeeper_series)
    print(f"nodes {follower} and {second} stopped: node {last} does not serve, no state served; brokers "
          f"{'still served' if served(valid_pages([CLUSTER_PORT]), 'kafka_brokers') else 'absent, metadata down'}",
          flush=True)

    cluster("start-zookeeper", str(follower))
    cluster("start-zookeeper", str(second))
    series = until("the whole ensemble back", 90, on_page(lambda s: ensemble_agrees(s, (1, 2, 3)) and s),
                   zookeeper_series)
    roles = states(series)
    if sorted(roles.values()).count("leader") != 1:
        fail(f"after recovery, not one leader: {roles}")
    print(f"recovered: {roles}", flush=True)


def remove_cluster():
    try:
        cluster("stop", "--owner", OWNER, timeout=300)
    finally:
        shutil.rmtree(work, ignore_errors=True)


run_test("zookeeper_e2e", main, work, children, remove_cluster)
