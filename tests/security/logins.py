"""What the login tests share: free ports for an exporter, its pages, the full page of a
login compared with a PLAINTEXT run of the same exporter, and the check that a refused
login leaves the metadata collector down with reason authentication."""
import pathlib
import socket
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import fail, http_get, log_ends, parse_page, served, tool, until, valid_pages  # noqa: E402

BROKERS = (1, 2, 3)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ports():
    """A cluster port and a base with the three broker ports after it, all free now."""
    while True:
        cluster, base = free_port(), free_port()
        if cluster not in range(base, base + 3) and base + 3 < 65535:
            return cluster, base


def page(port):
    return parse_page(http_get(f"http://127.0.0.1:{port}/metrics", 10).decode())


def families(series):
    return {name for name, _ in series}


def all_ports(cluster_port, base):
    return [cluster_port] + [base + b - 1 for b in BROKERS]


def seeded_topic(env, topic):
    """`topic` made with 3 partitions and 300 records by Kafka's tools over PLAINTEXT; its log
    ends as kafka-get-offsets reads them."""
    admin = env["BOOTSTRAP"].split(",")[0]
    tool("kafka-topics", "--bootstrap-server", admin, "--create", "--topic", topic, "--partitions", "3",
         "--replication-factor", "3")
    tool("kafka-producer-perf-test", "--topic", topic, "--num-records", "300", "--record-size", "50",
         "--throughput", "-1", "--producer-props", f"bootstrap.servers={admin}", "acks=all")
    return log_ends(topic, admin)


def plaintext_probe(cluster_port):
    """The probe line of a PLAINTEXT twin's configuration (harness.quick_exporter_config)."""
    return f"probe: {{enabled: true, group: kse-plain-probe-{cluster_port}, interval: 1s}}"


def collected(cluster_port, base, topic, ends):
    """The exporter's pages when every collector is up, its probe up on every broker and
    `topic`'s log ends served; else None."""
    series = valid_pages(all_ports(cluster_port, base))
    ups = served(series, "kafka_sidecar_collector_up")
    probe = served(series, "kafka_probe_up")
    offsets = {p: served(series, "kafka_topic_partition_current_offset", topic=topic, partition=p) for p in ends}
    if ups and min(ups) == 1 and len(probe) == len(BROKERS) and min(probe) == 1 and all(offsets.values()):
        return series
    return None


def full_page(method, login, plain, topic, ends, log):
    """Waits until the exporter logging in with `method` (ports `login`) and its PLAINTEXT twin
    (ports `plain`) both collect everything, then checks they serve the same families and the
    login's log ends equal Kafka's tool (`ends`). Returns the login's series."""
    first = until(f"the {method} exporter collects every family and its probe is up", 120,
                  lambda: collected(*login, topic, ends), lambda: pathlib.Path(log).read_text()[-600:])
    second = until("the PLAINTEXT exporter collects every family", 120, lambda: collected(*plain, topic, ends))
    difference = None
    for _ in range(10):  # a family can depend on the moment (a probe latency left out for a round)
        difference = families(first) ^ families(second)
        if not difference:
            break
        time.sleep(2)
        first, second = valid_pages(all_ports(*login)), valid_pages(all_ports(*plain))
    if difference:
        fail(f"families only on one of {method} / PLAINTEXT: {sorted(difference)}")
    for partition, end in ends.items():
        got = served(first, "kafka_topic_partition_current_offset", topic=topic, partition=partition)
        if got != [end]:
            fail(f"{topic}-{partition}: log end {got} over {method}, kafka-get-offsets says {end}")
    return first


def refused_login(name, port):
    """The exporter on `port` cannot log in: its metadata collector (the one every other needs)
    down with reason authentication, and no broker up."""
    def check():
        series = page(port)
        up = served(series, "kafka_sidecar_collector_up", collector="metadata")
        errors = served(series, "kafka_sidecar_collector_error_info", collector="metadata", reason="authentication")
        return series if up == [0.0] and errors == [1.0] and not any(served(series, "kafka_broker_up")) else None

    until(f"{name}: the metadata collector down with reason authentication", 60, check,
          lambda: [(n, sorted(ls), v) for (n, ls), v in page(port).items() if n.startswith("kafka_sidecar_collector")])
