#!/usr/bin/env python3
"""The container stack without a Docker daemon, as CI runs it: scripts/container-images
builds the Debian 12 base (debootstrap), the exporter's image from the repository's
Dockerfile and the Kafka stand-in (deploy/container/kafka.Dockerfile) with podman; then a
Kafka container and the exporter's container run on the host network, on ports of their
own. The exporter's pages pass `promtool check metrics`, say one broker, and serve a topic
made with Kafka's own tools in the Kafka container with the partitions and log-end offsets
kafka-get-offsets reads there. The exporter runs as the Dockerfile's non-root user.
Exactly the containers this test started are removed at the end.

Without podman (or root or password-less sudo, or deb.debian.org on a first run) this test fails:
it never skips. KSE_CONTAINER_TEST_FRESH=1 builds in a temporary podman storage (removed
after) instead of the cached one, to time a build from nothing but the base tarball.

Usage: container_stack_test.py <source dir>
"""
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, fail, run_test, served, until, valid_pages  # noqa: E402

root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2]
IMAGES = root / "scripts" / "container-images"
# Away from the local cluster (9092-9299, 8778-8781, 19098+, 2181-2183, 7991, 8188-8189)
# and the other tests (17xxx-19xxx).
KAFKA_PORT, CONTROLLER_PORT, JOLOKIA_PORT = 29092, 29093, 29778
CLUSTER_PORT, BROKER_PORT = 29308, 29371
BOOTSTRAP = f"127.0.0.1:{KAFKA_PORT}"
TOPIC, PARTITIONS, MESSAGES = "container-e2e", 3, 60
BUILD_SECONDS = 1800

work = pathlib.Path(tempfile.mkdtemp(prefix="kse-container-test-"))
fresh_storage = work / "containers" if os.environ.get("KSE_CONTAINER_TEST_FRESH") else None
started = []  # ids of the containers this test started, in order
timings = {}
outcome = {"passed": False}


def images_script(*args, stdin=None, timeout=120, output=None):
    """scripts/container-images ARGS on this test's storage; its output in `output` (a file) or captured."""
    env = dict(os.environ)
    if fresh_storage:
        env["KSE_CONTAINERS_DIR"] = str(fresh_storage)
    streams = {"stdout": output, "stderr": subprocess.STDOUT} if output else {"capture_output": True}
    return subprocess.run([str(IMAGES), *[str(a) for a in args]], input=stdin, text=True, timeout=timeout, env=env,
                          **streams)


def podman(*args, stdin=None, timeout=120, check=True):
    """podman on the images' private storage and settings (as root: the script uses sudo if needed)."""
    done = images_script("podman", *args, stdin=stdin, timeout=timeout)
    if check and done.returncode != 0:
        fail(f"podman {' '.join(str(a) for a in args[:3])} ... exited {done.returncode}: "
             f"{(done.stderr or done.stdout).strip()[-600:]}")
    return done


def kafka_tool(container, tool, *args, stdin=None):
    """The standard output of one of Kafka's tool scripts, run inside the Kafka container."""
    done = podman("exec", *(["-i"] if stdin is not None else []), container, f"/opt/kafka/bin/{tool}.sh",
                  "--bootstrap-server", BOOTSTRAP, *args, stdin=stdin, timeout=120, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{tool} in the Kafka container: {done.stderr.strip()[-400:]}")
    return done.stdout


def port_taken(port):
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def compose_images():
    """The compose file's image names for the exporter and for Kafka."""
    services = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]
    exporter = next(s["image"] for s in services.values() if "build" in s)
    kafka = next(s["image"] for s in services.values() if s.get("image", "").startswith("apache/kafka:"))
    return exporter, kafka


def save_logs():
    """Each started container's log into the work directory (exporter.log for run_test)."""
    for name, container in zip(("kafka", "exporter"), started):
        done = podman("logs", container, check=False, timeout=60)
        (work / f"{name}.log").write_text(done.stdout + done.stderr)


def main():
    if shutil.which("podman") is None:
        fail("podman is not installed: scripts/install-deps installs podman, runc and debootstrap")
    taken = [p for p in (KAFKA_PORT, CONTROLLER_PORT, JOLOKIA_PORT, CLUSTER_PORT, BROKER_PORT) if port_taken(p)]
    if taken:
        fail(f"ports {taken} are already in use on 127.0.0.1: another run of this test, or a stale container "
             "(scripts/container-images podman ps)")

    # 1. The images, built (or their cached layers reused) by the same script operators run.
    begin = time.monotonic()
    with open(work / "images.log", "w") as log:  # the build's progress, as it goes
        built = images_script("build", timeout=BUILD_SECONDS, output=log)
    timings["images"] = time.monotonic() - begin
    said = (work / "images.log").read_text().splitlines()
    print("\n".join(line for line in said if line.startswith("container-images:")))
    if built.returncode != 0:
        fail(f"scripts/container-images build exited {built.returncode}:\n" + "\n".join(said[-30:]))

    # The compose file's names resolve to the local images, without a registry.
    exporter_image, kafka_image = compose_images()
    for image in (exporter_image, kafka_image):
        if podman("image", "exists", image, check=False).returncode != 0:
            fail(f"the compose file's image {image} is not among the built images")

    # 2. Kafka: one KRaft node on the host network, Jolokia on the loopback for the sidecar.
    kafka = podman(
        "run", "-d", "--network", "host", "--label", "kse-test=container_stack_e2e",
        "-e", "KAFKA_NODE_ID=1",
        "-e", f"KAFKA_LISTENERS=PLAINTEXT://127.0.0.1:{KAFKA_PORT},CONTROLLER://127.0.0.1:{CONTROLLER_PORT}",
        "-e", f"KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://{BOOTSTRAP}",
        "-e", f"KAFKA_CONTROLLER_QUORUM_VOTERS=1@127.0.0.1:{CONTROLLER_PORT}",
        "-e", "KAFKA_AUTO_CREATE_TOPICS_ENABLE=false",
        "-e", f"KAFKA_OPTS=-javaagent:/opt/jolokia/jolokia-agent.jar=host=127.0.0.1,port={JOLOKIA_PORT},"
              "discoveryEnabled=false",
        kafka_image).stdout.strip()
    started.append(kafka)
    begin = time.monotonic()
    until("Kafka in its container answers kafka-broker-api-versions", 240,
          lambda: kafka_tool(kafka, "kafka-broker-api-versions") or True,
          state=lambda: podman("logs", "--tail", "5", kafka, check=False).stdout)
    timings["kafka start"] = time.monotonic() - begin

    # 3. The exporter, a sidecar of broker 1, from the Dockerfile's image as the compose file runs it.
    exporter = podman(
        "run", "-d", "--network", "host", "--label", "kse-test=container_stack_e2e",
        "-e", "KSE_SERVE_LISTEN_ADDRESS=127.0.0.1",
        "-e", f"KSE_SERVE_CLUSTER_PORT={CLUSTER_PORT}",
        "-e", f"KSE_SERVE_BROKER_PORTS={{1: {BROKER_PORT}}}",
        "-e", "KSE_COLLECT_INTERVAL=2s", "-e", "KSE_COLLECT_TIMEOUT=1800ms", "-e", "KSE_KAFKA_REQUEST_TIMEOUT=800ms",
        "-e", "KSE_PROBE_REPLICATION_FACTOR=1",
        "-e", "KSE_JMX_ENABLED=true",
        "-e", "KSE_JMX_RULES_FILE=/etc/kafka-sidecar-exporter/kafka-broker-rules.yml",
        "-e", f"KSE_JMX_BROKERS={{1: http://127.0.0.1:{JOLOKIA_PORT}/jolokia/}}",
        exporter_image, "--bootstrap-servers", BOOTSTRAP, "--broker-id", "1").stdout.strip()
    started.append(exporter)

    # 4. It runs as the Dockerfile's USER, not root: in the image, in the container, on the host.
    user = podman("image", "inspect", "-f", "{{.Config.User}}", exporter_image).stdout.strip()
    if not user or user in ("root", "0"):
        fail(f"the exporter image's user is '{user}', expected the Dockerfile's non-root USER")
    def running():
        status = podman("inspect", "-f", "{{.State.Status}}", exporter).stdout.strip()
        if status in ("exited", "stopped"):
            logs = podman("logs", "--tail", "5", exporter, check=False)
            raise SystemExit(f"FAIL: the exporter's container exited: {(logs.stdout + logs.stderr).strip()}")
        return status == "running"

    until("the exporter's container is running", 30, running)
    pid = podman("inspect", "-f", "{{.State.Pid}}", exporter).stdout.strip()
    uid = next(line.split()[1] for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("Uid:"))
    inside = podman("exec", exporter, "id", "-u", user).stdout.strip()
    if uid == "0" or uid != inside:
        fail(f"the exporter's process runs as uid {uid}; the image's user {user} is uid {inside}")

    # 5. A topic and some records, with Kafka's own tools in the Kafka container.
    kafka_tool(kafka, "kafka-topics", "--create", "--topic", TOPIC, "--partitions", str(PARTITIONS),
               "--replication-factor", "1")
    kafka_tool(kafka, "kafka-console-producer", "--topic", TOPIC, "--property", "parse.key=true",
               "--property", "key.separator=:", stdin="".join(f"key-{i}:record {i}\n" for i in range(MESSAGES)))
    said = kafka_tool(kafka, "kafka-get-offsets", "--topic", TOPIC)
    offsets = {int(p): int(o) for t, p, o in (line.rsplit(":", 2) for line in said.split()) if t == TOPIC}
    if sorted(offsets) != list(range(PARTITIONS)) or sum(offsets.values()) != MESSAGES:
        fail(f"kafka-get-offsets says {offsets}, expected {PARTITIONS} partitions holding {MESSAGES} records")

    # 6. The exporter's pages: valid, one broker, the topic as Kafka's tools say.
    def pages():
        return valid_pages((CLUSTER_PORT, BROKER_PORT))

    def agrees():
        series = pages()
        wanted = {
            "kafka_brokers": (served(series, "kafka_brokers"), [1.0]),
            "kafka_topic_partitions": (served(series, "kafka_topic_partitions", topic=TOPIC), [float(PARTITIONS)]),
            "kafka_sidecar_jmx_up": (served(series, "kafka_sidecar_jmx_up", broker=1), [1.0]),
        }
        for partition, offset in offsets.items():
            wanted[f"current offset of partition {partition}"] = (
                served(series, "kafka_topic_partition_current_offset", topic=TOPIC, partition=partition),
                [float(offset)])
        wrong = {name: seen for name, (seen, expected) in wanted.items() if seen != expected}
        if wrong:
            raise AssertionError(f"not yet as Kafka says: {wrong}")
        return series

    begin = time.monotonic()
    series = until("the exporter's pages agree with Kafka's tools", 120, agrees)
    timings["exporter agrees"] = time.monotonic() - begin
    print(f"pages: {len(series)} series on ports {CLUSTER_PORT} and {BROKER_PORT}, promtool-valid; "
          f"kafka_brokers 1; {TOPIC}: {PARTITIONS} partitions, log ends {offsets} as kafka-get-offsets says; "
          f"exporter runs as {user} (uid {uid})")


def guarded_main():
    try:
        main()
        outcome["passed"] = True
    finally:
        if started:
            save_logs()


def cleanup():
    problems = []
    for container in reversed(started):
        done = podman("rm", "-f", "-v", "-t", "10", container, check=False, timeout=120)
        if done.returncode != 0:
            problems.append(f"podman rm {container[:12]}: {done.stderr.strip()}")
    if fresh_storage:
        done = images_script("clean", timeout=300)
        if done.returncode != 0:
            problems.append(f"scripts/container-images clean: {done.stderr.strip()}")
    print("timings: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
    if problems:
        print("cleanup: " + "; ".join(problems), file=sys.stderr)
    if outcome["passed"] and not problems:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"logs of the images' build and of the containers: {work}", file=sys.stderr)


run_test("container_stack_e2e", guarded_main, work, Children(work), cleanup)
