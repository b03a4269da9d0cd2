"""What the consumer-lag tests share: Kafka's tools on one topic, and reading the exporter's pages."""
import pathlib
import re
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import harness  # noqa: E402
from harness import http_get, tool  # noqa: E402

BOOTSTRAP = "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292"


def produce(topic, lines):
    """Writes `key:value` lines with the console producer."""
    tool("kafka-console-producer", "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--property", "parse.key=true",
         "--property", "key.separator=:", stdin="".join(f"{line}\n" for line in lines))


def log_ends(topic):
    return harness.log_ends(topic, BOOTSTRAP)


def first_record(topic, partition, offset, isolation="read_uncommitted"):
    """(offset, CreateTime in seconds) of the first record the console consumer is given from
    `offset` on: the record at `offset`, or the next one left (compaction, transaction markers)."""
    out = tool("kafka-console-consumer", "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--partition",
               str(partition), "--offset", str(offset), "--max-messages", "1", "--property", "print.timestamp=true",
               "--property", "print.offset=true", "--isolation-level", isolation, "--timeout-ms", "20000")
    match = re.search(r"CreateTime:(\d+)\s+Offset:(\d+)", out)
    if not match:
        raise AssertionError(f"console consumer gave no record at or after {topic}-{partition}@{offset}: {out!r}")
    return int(match.group(2)), int(match.group(1)) / 1000.0


def record_timestamp(topic, partition, offset):
    """CreateTime of the record at exactly `offset`, as the console consumer prints it."""
    found, created = first_record(topic, partition, offset)
    if found != offset:
        raise AssertionError(f"console consumer gave offset {found}, not {offset}, of {topic}-{partition}")
    return created


def commit(group, topic, offsets):
    for partition, offset in offsets.items():
        tool("kafka-consumer-groups", "--bootstrap-server", BOOTSTRAP, "--group", group, "--topic",
             f"{topic}:{partition}", "--reset-offsets", "--to-offset", str(offset), "--execute")


def tool_lag(group, topic):
    """{partition: LAG} as kafka-consumer-groups --describe prints it."""
    out = tool("kafka-consumer-groups", "--bootstrap-server", BOOTSTRAP, "--describe", "--group", group)
    header, lags = None, {}
    for line in out.splitlines():
        fields = line.split()
        if "LAG" in fields and "PARTITION" in fields:
            header = fields
        elif header and len(fields) >= len(header) and fields[header.index("TOPIC")] == topic:
            row = dict(zip(header, fields))
            lags[int(row["PARTITION"])] = int(row["LAG"])
    return lags


def scrape_all(ports):
    return "\n".join(http_get(f"http://127.0.0.1:{port}/metrics", 5).decode() for port in ports)


def series(text, name, **labels):
    wanted = "".join(f'(?=[^}}]*{k}="{re.escape(str(v))}")' for k, v in labels.items())
    match = re.search(rf"^{name}\{{{wanted}[^}}]*\}} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def collected_at(text):
    """When the page's cycle was published (its values are as of the cycle's start, a few ms before)."""
    return float(re.search(r"^kafka_sidecar_last_collect_timestamp_seconds (\S+)$", text, re.M).group(1))


def statuses(text, group):
    return re.findall(rf'^kafka_consumergroup_status\{{consumergroup="{group}",status="(\w+)"\}} 1$', text, re.M)


def wait_status(ports, group, status, when, seconds=20):
    """The group's status becomes `status` within the window and a few seconds."""
    deadline = time.time() + seconds
    while True:
        found = statuses(scrape_all(ports), group)
        if found == [status]:
            return
        if time.time() > deadline:
            raise AssertionError(f"{group} {when}: kafka_consumergroup_status {found}, expected {status}")
        time.sleep(1)
