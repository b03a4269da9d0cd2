#!/usr/bin/env python3
"""Every configuration the project ships serves valid pages on every port, on the real cluster:

  * the demo's exporter/examples/local-cluster.yml (probe and JMX on, broker 4 listed);
  * the Debian package's packaging/deb/exporter.yml (as installed: probe and JMX off);
  * docker-compose.yml's exporter1: the environment every sidecar shares, with `--broker-id 1`
    (sidecar mode, JMX on, probe on by default);
  * danielqsj/kafka_exporter's flags (one port, probe off).

Each runs with only what cannot be the same here changed: its listening ports (test ports on
loopback), and for the compose file the container host names, which become the local
cluster's addresses. For each one, after two collection cycles (and the probe's client
statistics, and the JMX bridge's first read, where they are on) every port's page must pass
`promtool check metrics`, hold one HELP/TYPE block per family, and carry the families that
configuration turns on.
Usage: shipped_configs_test.py SOURCE_DIR BUILD_DIR
"""
import pathlib
import re
import socket
import sys
import tempfile
import time

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, cluster_env, http_get, parse_page, promtool_problems  # noqa: E402

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
binary = build / "exporter" / "kafka-sidecar-exporter"
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-shipped-configs-"))
children = Children(work)
CLUSTER_PORT = 19808
BROKER_BASE = 19871  # broker N on BROKER_BASE + N - 1
WAIT_S = 90


def fail(message):
    raise AssertionError(message)


def broker_ports(brokers):
    return "{" + ", ".join(f"{b}: {BROKER_BASE + b - 1}" for b in brokers) + "}"


def families_declared(text):
    """Each family's count of # TYPE lines: more than one makes a page invalid for Go's parser."""
    counts = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name = line.split()[2]
            counts[name] = counts.get(name, 0) + 1
    return counts


def scrape(port, path="/metrics"):
    try:
        return http_get(f"http://127.0.0.1:{port}{path}", 10).decode()
    except OSError as error:
        fail(f"port {port} did not answer: {error}")


def cycles_done(page):
    return sum(v for (name, _), v in parse_page(page).items() if name == "kafka_sidecar_collect_cycles_total")


def check(name, args, env, ports, wanted, path="/metrics", cwd=None):
    """Runs the exporter with `args` and `env`, waits until every family of `wanted` is served
    on some port and two cycles were published, then checks each port's page."""
    for port in ports:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            fail(f"{name}: port {port} is already served by another process")
        except OSError:
            pass
    process = children.start(args, re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") + ".log", env=env, cwd=cwd)
    deadline = time.time() + WAIT_S
    while True:
        if process.poll() is not None:
            fail(f"{name}: the exporter exited with {process.returncode} (log: {work})")
        try:
            http_get(f"http://127.0.0.1:{ports[0]}/ready", 2)
        except OSError:
            if time.time() > deadline:
                fail(f"{name}: not ready after {WAIT_S}s (log: {work})")
            time.sleep(0.5)
            continue
        pages = {port: scrape(port, path) for port in ports}
        served = set()
        for page in pages.values():
            served.update(n for (n, _) in parse_page(page))
        missing = wanted - served
        # The exporter's own families are on the cluster port, or in sidecar mode on the broker's.
        cycles = max(cycles_done(page) for page in pages.values())
        if not missing and cycles >= 2:
            break
        if time.time() > deadline:
            fail(f"{name}: after {WAIT_S}s still missing {sorted(missing)} ({cycles:.0f} cycles; log: {work})")
        time.sleep(1)
    lines = 0
    for port, page in pages.items():
        problems = promtool_problems(page)
        if problems:
            fail(f"{name}: the page of port {port} fails promtool check metrics: {problems}")
        twice = sorted(n for n, count in families_declared(page).items() if count > 1)
        if twice:
            fail(f"{name}: port {port} declares {twice[:5]} more than once")
        lines += page.count("\n")
    children.stop_one(process)
    print(f"{name}: {len(ports)} ports, {lines} lines, every page valid for promtool; "
          f"{len(wanted)} expected families served", flush=True)


def main():
    if not binary.exists():
        fail(f"exporter not built at {binary}")
    env_of = cluster_env()
    bootstrap = env_of["BOOTSTRAP"]
    jolokia = {b: env_of[f"BROKER_{b}_JOLOKIA"] for b in (1, 2, 3)}
    brokers = [1, 2, 3]
    every_port = [CLUSTER_PORT] + [BROKER_BASE + b - 1 for b in brokers]
    base = {"KSE_SERVE_CLUSTER_PORT": str(CLUSTER_PORT), "KSE_SERVE_LISTEN_ADDRESS": "127.0.0.1"}
    core = {"kafka_brokers", "kafka_broker_up", "kafka_topic_partition_current_offset",
            "kafka_sidecar_collector_up"}

    # The demo's config, from the repository root as scripts/demo runs it.
    check("demo (exporter/examples/local-cluster.yml)",
          [binary, "-c", root / "exporter" / "examples" / "local-cluster.yml"],
          {**base, "KSE_SERVE_BROKER_PORTS": broker_ports(brokers + [4])}, every_port,
          core | {"kafka_probe_up", "kafka_client_broker_up", "kafka_sidecar_jmx_up",
                  "kafka_server_replicamanager_underreplicatedpartitions"}, cwd=root)

    # The Debian package's config as installed: its rules file is where the package puts it
    # (a path the exporter checks when it reads the file, before any override applies).
    installed_rules = "/etc/kafka-sidecar-exporter/kafka-broker-rules.yml"
    deb = (root / "packaging" / "deb" / "exporter.yml").read_text()
    if installed_rules not in deb:
        fail(f"packaging/deb/exporter.yml no longer names {installed_rules}; update this test")
    (work / "deb-exporter.yml").write_text(deb.replace(installed_rules, str(root / "exporter" / "kafka-broker-rules.yml")))
    check("Debian package (packaging/deb/exporter.yml)", [binary, "-c", work / "deb-exporter.yml"],
          {**base, "KSE_SERVE_BROKER_PORT_BASE": str(BROKER_BASE)}, every_port, core)

    # docker-compose.yml's exporter1, hosts mapped to the local cluster.
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    shared = dict(compose["x-exporter-environment"])
    service = compose["services"]["exporter1"]
    if service.get("environment") != shared:
        fail("docker-compose.yml: exporter1 no longer uses x-exporter-environment; update this test")
    shared.update(base)
    shared["KSE_KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    shared["KSE_SERVE_BROKER_PORTS"] = broker_ports(brokers)
    shared["KSE_JMX_RULES_FILE"] = str(root / "exporter" / "kafka-broker-rules.yml")
    # Inside the compose file each sidecar reads its own broker's agent on localhost.
    shared["KSE_JMX_BROKERS"] = "{" + ", ".join(f"{b}: {url}" for b, url in jolokia.items()) + "}"
    check("docker-compose.yml exporter1 (sidecar of broker 1)", [binary, *service["command"]], shared,
          [CLUSTER_PORT, BROKER_BASE],
          core | {"kafka_probe_up", "kafka_sidecar_jmx_up",
                  "kafka_server_replicamanager_underreplicatedpartitions"})

    # kafka_exporter's command line, one port at its telemetry path.
    check("kafka_exporter flags", [binary, *[f"--kafka.server={s}" for s in bootstrap.split(",")],
                                   f"--web.listen-address=127.0.0.1:{CLUSTER_PORT}",
                                   "--web.telemetry-path=/metrics"],
          {}, [CLUSTER_PORT], {"kafka_brokers", "kafka_topic_partition_current_offset", "kafka_broker_info"})


try:
    main()
except (AssertionError, OSError, KeyError) as failure:
    print(f"FAIL: {failure}", flush=True)
    sys.exit(1)
finally:
    children.stop()
