"""docker-compose.yml without a Docker engine: it parses (and passes `docker-compose config`
when a compose client is installed), every bind-mounted path exists, images are pinned,
the Dockerfile copies what exists, every Prometheus target of prometheus-compose.yml is a
service port that something listens on, the host ports are those of the local stack
(prometheus/prometheus.yml), and the exporter sidecars' settings pass the real binary's
--check-config."""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import yaml

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
failures, notes = [], []


def fail(message):
    failures.append(message)


compose_file = root / "docker-compose.yml"
compose = yaml.safe_load(compose_file.read_text())
services = compose["services"]

# 1. The compose client's own validation, when one is installed (it needs no engine).
client = None
if shutil.which("docker-compose"):
    client = ["docker-compose"]
elif shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
    client = ["docker", "compose"]
if client:
    checked = subprocess.run([*client, "-f", str(compose_file), "config", "-q"], capture_output=True, text=True,
                             timeout=60, cwd=root)
    if checked.returncode != 0:
        fail(f"{' '.join(client)} config: {checked.stderr.strip()}")
    notes.append(f"{' '.join(client)} config: {'ok' if checked.returncode == 0 else 'FAILED'}")
else:
    notes.append("no compose client installed: validated with the YAML parser only")


def command_args(service):
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else [str(a) for a in command]


def flag(args, name):
    """--name value or --name=value in a command line."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def bind_mounts(service):
    for volume in service.get("volumes", []):
        source, target = (volume["source"], volume["target"]) if isinstance(volume, dict) else volume.split(":")[:2]
        if source.startswith((".", "/")):
            yield source, target


def host_path(service, container_path):
    """The repository path a container path comes from, through the service's bind mounts."""
    for source, target in bind_mounts(service):
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            return (root / source).resolve() / os.path.relpath(container_path, target)
    return None


# 2. Bind mounts exist; images are pinned; the built image carries the project's version.
project_version = re.search(r"project\(\w+ VERSION ([\d.]+)", (root / "CMakeLists.txt").read_text()).group(1)
for name, service in services.items():
    for source, target in bind_mounts(service):
        if not (root / source).exists():
            fail(f"service {name}: bind mount {source} -> {target} does not exist in the repository")
    image = service.get("image", "")
    repository, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    if not tag or tag == "latest":
        fail(f"service {name}: image '{image}' is not pinned to a version")
    if "build" in service:
        if tag != project_version:
            fail(f"service {name}: built image tag '{tag}' is not the project version {project_version}")
        context = service["build"] if isinstance(service["build"], str) else service["build"].get("context", ".")
        if not (root / context / "Dockerfile").exists():
            fail(f"service {name}: build context {context} has no Dockerfile")
    if service.get("network_mode", "").startswith("service:"):
        shared = service["network_mode"].split(":", 1)[1]
        if shared not in services:
            fail(f"service {name}: network_mode names unknown service {shared}")

# 3. The Dockerfile copies what exists and .dockerignore lets it through.
dockerfile = (root / "Dockerfile").read_text()
ignore = (root / ".dockerignore").read_text().splitlines()
for source in re.findall(r"^COPY (?!--from)(\S+)", dockerfile, re.M):
    if not (root / source).exists():
        fail(f"Dockerfile: COPY {source}: not in the repository")
    allowed = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    if "*" in ignore and not any(source.rstrip("/") == a or source.startswith(a + "/") for a in allowed):
        fail(f".dockerignore excludes {source}, which the Dockerfile copies")
for base in re.findall(r"^FROM (\S+)", dockerfile, re.M):
    if ":" not in base:
        fail(f"Dockerfile: base image {base} is not pinned")


# 4. What listens where: (service whose network namespace it is, port).
def published(service):
    ports = set()
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports.add((int(entry["published"]), int(entry["target"])))
        else:
            parts = str(entry).split(":")
            ports.add((int(parts[-2]), int(parts[-1])))
    return ports


def environment(service):
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


listening = {}  # (namespace service, port) -> what listens
for name, service in services.items():
    namespace = service.get("network_mode", "service:" + name).split(":", 1)[1]
    env = environment(service)
    args = command_args(service)
    if "KAFKA_LISTENERS" in env:
        for port in re.findall(r":(\d+)", env["KAFKA_LISTENERS"]):
            listening[(namespace, int(port))] = f"{name} listener"
    if "KSE_SERVE_BROKER_PORTS" in env:
        broker_id = int(flag(args, "--broker-id"))
        ports = yaml.safe_load(env["KSE_SERVE_BROKER_PORTS"])
        if broker_id not in ports:
            fail(f"service {name}: --broker-id {broker_id} has no port in KSE_SERVE_BROKER_PORTS")
        else:
            listening[(namespace, ports[broker_id])] = f"{name} broker {broker_id} port"
        listening[(namespace, int(env.get("KSE_SERVE_CLUSTER_PORT", 9308)))] = f"{name} cluster port"
    if flag(args, "--metrics-port"):
        listening[(namespace, int(flag(args, "--metrics-port")))] = f"{name} /metrics"
    if flag(args, "--web.listen-address"):
        listening[(namespace, int(flag(args, "--web.listen-address").rsplit(":", 1)[1]))] = name
    elif (service.get("image") or "").startswith("prom/prometheus"):
        listening[(namespace, 9090)] = name
    if (service.get("image") or "").startswith("grafana/grafana"):
        listening[(namespace, 3000)] = name

host_ports = {}
for name, service in services.items():
    for host, container in published(service):
        if host in host_ports:
            fail(f"host port {host} published by both {host_ports[host]} and {name}")
        host_ports[host] = name
        if (name, container) not in listening:
            fail(f"service {name}: publishes {host}:{container} but nothing in its namespace listens on {container}")

# 5. Kafka: node ids, quorum voters and advertised listeners agree with the services.
voters_seen = set()
for name, service in services.items():
    env = environment(service)
    if "KAFKA_NODE_ID" not in env:
        continue
    voters = dict(v.split("@") for v in env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","))
    voters_seen.add(env["KAFKA_NODE_ID"])
    address = voters.get(env["KAFKA_NODE_ID"], "")
    host, _, port = address.partition(":")
    if host not in (name, service.get("hostname")) or (name, int(port or 0)) not in listening:
        fail(f"service {name}: quorum voter {env['KAFKA_NODE_ID']}@{address} is not its own controller listener")
    for listener in env["KAFKA_ADVERTISED_LISTENERS"].split(","):
        listener_name, host, port = re.match(r"(\w+)://([^:]*):(\d+)", listener).groups()
        if host == "localhost" and (int(port), int(port)) not in published(service):
            fail(f"service {name}: advertises {listener} but does not publish {port}:{port}")
if voters_seen != {"1", "2", "3"}:
    fail(f"expected brokers with node ids 1, 2, 3, found {sorted(voters_seen)}")


# 6. Prometheus in compose: its config file, rules, Alertmanager and every scrape target.
def target_served(address, what):
    host, port = address.rsplit(":", 1)
    if host not in services:
        fail(f"prometheus-compose.yml: {what} {address}: no service named {host}")
    elif (host, int(port)) not in listening:
        fail(f"prometheus-compose.yml: {what} {address}: nothing in service {host}'s namespace listens on {port}")


prometheus = next(s for s in services.values() if (s.get("image") or "").startswith("prom/prometheus"))
config_path = host_path(prometheus, flag(command_args(prometheus), "--config.file"))
if config_path is None or not config_path.exists():
    fail(f"prometheus: --config.file is not a mounted repository file ({config_path})")
else:
    config = yaml.safe_load(config_path.read_text())
    container_dir = os.path.dirname(flag(command_args(prometheus), "--config.file"))
    for pattern in config.get("rule_files", []):
        container_pattern = os.path.normpath(os.path.join(container_dir, pattern))
        directory = host_path(prometheus, os.path.dirname(container_pattern))
        matched = sorted(directory.glob(os.path.basename(container_pattern))) if directory else []
        if not matched:
            fail(f"prometheus-compose.yml: rule_files {pattern} matches no mounted file")
    for group in config.get("alerting", {}).get("alertmanagers", []):
        for static in group.get("static_configs", []):
            for address in static["targets"]:
                target_served(address, "alertmanager")
    compose_labels = {}
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for address in static["targets"]:
                target_served(address, f"job {job['job_name']} target")
                compose_labels.setdefault(job["job_name"], []).append(static.get("labels", {}))
        if job["job_name"].startswith("kafka") and not job.get("honor_labels"):
            fail(f"prometheus-compose.yml: job {job['job_name']} needs honor_labels: true (series carry 'broker')")

    # The same host ports and labels as the local stack's prometheus.yml.
    local = yaml.safe_load((root / "prometheus" / "prometheus.yml").read_text())
    for job in local["scrape_configs"]:
        for static in job.get("static_configs", []):
            for address in static["targets"]:
                port = int(address.rsplit(":", 1)[1])
                if port not in host_ports:
                    fail(f"prometheus.yml job {job['job_name']} scrapes port {port}, which compose does not publish")
            labels = static.get("labels", {})
            if not any(labels == other for others in compose_labels.values() for other in others):
                fail(f"prometheus.yml job {job['job_name']} labels {labels} have no equal in prometheus-compose.yml")
    for group in local.get("alerting", {}).get("alertmanagers", []):
        for static in group.get("static_configs", []):
            for address in static["targets"]:
                if int(address.rsplit(":", 1)[1]) not in host_ports:
                    fail(f"prometheus.yml alertmanager {address}: compose does not publish that port")

# 7. Grafana: provisioning and dashboards mounted where the provider looks; datasource is Prometheus.
grafana = next(s for s in services.values() if (s.get("image") or "").startswith("grafana/grafana"))
provisioning = host_path(grafana, "/etc/grafana/provisioning")
if provisioning is None or provisioning != (root / "grafana" / "provisioning").resolve():
    fail("grafana: grafana/provisioning is not mounted at /etc/grafana/provisioning")
else:
    for provider in yaml.safe_load((provisioning / "dashboards" / "kafka.yml").read_text())["providers"]:
        folder = host_path(grafana, provider["options"]["path"])
        if folder is None or not list(folder.glob("*.json")):
            fail(f"grafana: dashboard provider path {provider['options']['path']} is not the mounted dashboards")
    for source in yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]:
        address = re.match(r"https?://([^/]+)", source["url"]).group(1)
        target_served(address, "grafana datasource")
if environment(grafana).get("GF_SECURITY_ADMIN_PASSWORD") != "admin":
    fail("grafana: admin/admin expected (seed workshop 9)")

# 8. The sidecars' settings, checked by the exporter itself.
exporter = build / "exporter" / "kafka-sidecar-exporter" if build else None
if exporter and exporter.exists():
    for name, service in services.items():
        env = environment(service)
        if "KSE_SERVE_BROKER_PORTS" not in env:
            continue
        env["KSE_JMX_RULES_FILE"] = str(root / "exporter" / "kafka-broker-rules.yml")
        checked = subprocess.run([str(exporter), *command_args(service), "--check-config"],
                                 env={**{k: v for k, v in os.environ.items() if not k.startswith("KSE_")}, **env},
                                 capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            fail(f"service {name}: kafka-sidecar-exporter --check-config: {(checked.stderr or checked.stdout).strip()}")
    notes.append("sidecar settings checked with --check-config")
else:
    notes.append("exporter not built: sidecar settings not checked with --check-config")

for line in failures:
    print("FAIL:", line)
print(f"{len(services)} services; {'; '.join(notes)}; {len(failures)} failures")
sys.exit(1 if failures else 0)
