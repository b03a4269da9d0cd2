#!/usr/bin/env python3
"""Offline checks of the Helm chart in deploy/helm/kafka-sidecar-exporter.

    tests/deploy/helm_chart_test.py SOURCE_DIR [BUILD_DIR]
    tests/deploy/helm_chart_test.py --write-example SOURCE_DIR   (what deploy/helm/render-example runs)

For the default values and every values profile in the chart's ci/ folder:
`helm lint --strict` and `helm template`; every rendered object validated against the
Kubernetes schemas (kubernetes-validate) or, for the Prometheus Operator's kinds, against
the openAPIV3Schema of its CRD (unknown fields refused); an object of any other kind fails.
Then what matters to a user: non-root read-only containers with probes, no secret in a
ConfigMap or in values, the sidecar's --broker-id equal to its broker's node.id and the
PodMonitor's broker label, the monitors' targets, the NetworkPolicy's ports, the
dashboards' ConfigMaps, the PrometheusRule equal to rules/*.yml and passing
`promtool check rules` and the rule unit tests of rules/tests/, the rendered exporter.yml
accepted by `kafka-sidecar-exporter --check-config` (with BUILD_DIR), the chart's links to
rules and dashboards and deploy/examples/ up to date. Last, mutated charts and renders
must be refused by these checks, so that the test is known to be able to fail.

Tools come from a cache (KSE_CACHE_DIR, default ~/.cache/kafka-sidecar-exporter): helm
built from the Go module proxy (the version scripts/install-deps pins; built here when
missing), a virtualenv with kubernetes-validate and jsonschema from PyPI, the CRDs from
the prometheus-operator module on the Go module proxy. A tool that cannot be had fails
the test.
"""

import copy
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KUBE_VERSIONS = ["1.29.0", "1.35.0"]  # oldest and newest validated (kubernetes-validate's schemas)
PIP_PINS = ["kubernetes-validate==1.35.0", "jsonschema==4.25.1", "PyYAML==6.0.2"]
PROMETHEUS_OPERATOR = "github.com/prometheus-operator/prometheus-operator@v0.85.0"
CRD_FILES = {
    "ServiceMonitor": "monitoring.coreos.com_servicemonitors.yaml",
    "PodMonitor": "monitoring.coreos.com_podmonitors.yaml",
    "PrometheusRule": "monitoring.coreos.com_prometheusrules.yaml",
}
EXPORTER_CONTAINER = "kafka-sidecar-exporter"
RELEASE, NAMESPACE = "kse", "kafka"
EXAMPLE_PROFILE = "sidecar-example-values.yaml"
EXAMPLE_FILE = "deploy/examples/kraft-statefulset-with-sidecar.yaml"


class Failure(Exception):
    pass


def cache_dir():
    return Path(os.environ.get("KSE_CACHE_DIR", Path.home() / ".cache" / "kafka-sidecar-exporter"))


def go_binary():
    for candidate in (shutil.which("go"), "/usr/local/go/bin/go"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise Failure("no go toolchain (go on PATH or /usr/local/go/bin/go) to build helm and fetch the CRDs")


# ---------------------------------------------------------------- tools, cached

def ensure_venv():
    """Re-runs this script in the cached virtualenv (created when missing)."""
    digest = hashlib.sha256(" ".join(PIP_PINS).encode()).hexdigest()[:12]
    venv = cache_dir() / f"deploy-venv-{digest}"
    python = venv / "bin" / "python"
    if os.environ.get("KSE_HELM_TEST_IN_VENV") == str(venv):
        return
    if not (venv / ".complete").exists():
        print(f"helm_chart_test: creating {venv} ({', '.join(PIP_PINS)})", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PIP_PINS],
                       check=True)
        (venv / ".complete").write_text("\n".join(PIP_PINS) + "\n")
    env = dict(os.environ, KSE_HELM_TEST_IN_VENV=str(venv))
    os.execve(str(python), [str(python), os.path.abspath(__file__), *sys.argv[1:]], env)


def helm_version(source):
    text = (source / "scripts" / "install-deps").read_text()
    match = re.search(r"^KSE_HELM_VERSION=(v3\.\d+\.\d+)$", text, re.M)
    if not match:
        raise Failure("scripts/install-deps pins no KSE_HELM_VERSION=v3.x.y")
    return match.group(1)


def ensure_helm(source):
    version = helm_version(source)
    helm = cache_dir() / f"helm-{version}" / "bin" / "helm"
    if not os.access(helm, os.X_OK):
        print(f"helm_chart_test: building helm {version} from the Go module proxy", flush=True)
        env = dict(os.environ, GOBIN=str(helm.parent), GOFLAGS="-buildvcs=false")
        result = subprocess.run([go_binary(), "install", f"helm.sh/helm/v3/cmd/helm@{version}"], env=env)
        if result.returncode != 0 or not os.access(helm, os.X_OK):
            raise Failure(f"could not build helm {version} (go install failed)")
    return str(helm)


def ensure_crds():
    """The three CRDs, from the prometheus-operator module (checked against the Go checksum db)."""
    module, version = PROMETHEUS_OPERATOR.split("@")
    target = cache_dir() / f"prometheus-operator-crds-{version}"
    if not all((target / f).exists() for f in CRD_FILES.values()):
        print(f"helm_chart_test: fetching the CRDs of {PROMETHEUS_OPERATOR}", flush=True)
        with tempfile.TemporaryDirectory() as gopath:
            env = dict(os.environ, GOPATH=gopath, GOMODCACHE=str(Path(gopath) / "mod"), GOFLAGS="-modcacherw")
            result = subprocess.run([go_binary(), "mod", "download", "-json", PROMETHEUS_OPERATOR],
                                    env=env, cwd=gopath, capture_output=True, text=True)
            if result.returncode != 0:
                raise Failure(f"go mod download {PROMETHEUS_OPERATOR} failed: {result.stdout}{result.stderr}")
            folder = Path(json.loads(result.stdout)["Dir"]) / "example" / "prometheus-operator-crd"
            target.mkdir(parents=True, exist_ok=True)
            for name in CRD_FILES.values():
                shutil.copyfile(folder / name, target / name)
    import yaml
    schemas = {}
    for kind, name in CRD_FILES.items():
        crd = yaml.safe_load((target / name).read_text())
        if crd["spec"]["names"]["kind"] != kind:
            raise Failure(f"{name} defines {crd['spec']['names']['kind']}, not {kind}")
        for version_entry in crd["spec"]["versions"]:
            schemas[(f"{crd['spec']['group']}/{version_entry['name']}", kind)] = \
                strict_schema(version_entry["schema"]["openAPIV3Schema"])
    return schemas


def strict_schema(schema):
    """An OpenAPI v3 schema where objects with listed properties refuse other fields, as the
    API server prunes them silently (a misspelt field would vanish unnoticed)."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (node.get("type") == "object" and "properties" in node and "additionalProperties" not in node
                    and not node.get("x-kubernetes-preserve-unknown-fields")):
                node["additionalProperties"] = False
            if node.get("x-kubernetes-int-or-string"):
                node.pop("type", None)
                node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    # metadata is checked on its own (the CRD leaves it free)
    if "metadata" in schema.get("properties", {}):
        schema["properties"]["metadata"] = {"type": "object"}
    return schema


# ---------------------------------------------------------------- helm

def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def helm_template(helm, chart, values=None, extra=()):
    command = [helm, "template", RELEASE, str(chart), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSIONS[-1]]
    if values:
        command += ["-f", str(values)]
    command += list(extra)
    result = run(command)
    if result.returncode != 0:
        raise Failure(f"helm template {values or '(defaults)'} failed:\n{result.stderr}")
    return result.stdout


def helm_lint(helm, chart, values=None):
    command = [helm, "lint", "--strict", str(chart), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSIONS[-1]]
    if values:
        command += ["-f", str(values)]
    result = run(command)
    if result.returncode != 0:
        raise Failure(f"helm lint --strict {values or '(defaults)'} failed:\n{result.stdout}{result.stderr}")


VALUE_REF = re.compile(r"(\$?[A-Za-z_]*)\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
ALIAS = re.compile(r"(\$[A-Za-z_][A-Za-z0-9_]*)\s*:=\s*\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*\}\}")


def check_value_references(chart):
    """Every .Values path a template reads exists in values.yaml (helm renders a missing one
    as empty, silently); maps that are empty by default ({}, podLabels...) are the user's."""
    import yaml
    values = yaml.safe_load((chart / "values.yaml").read_text())
    references = 0
    for template in sorted((chart / "templates").glob("*")):
        text = template.read_text()
        aliases = {m.group(1): m.group(2) for m in ALIAS.finditer(text)}
        paths = [m.group(2) for m in VALUE_REF.finditer(text) if m.group(1) in ("", "$")]
        for alias, base in aliases.items():
            paths += [base + m.group(1) for m in re.finditer(re.escape(alias) + r"((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", text)]
        for path in paths:
            node = values
            for part in path.strip(".").split("."):
                if isinstance(node, dict) and node and part not in node:
                    raise Failure(f"templates/{template.name} reads .Values{path}, which values.yaml does not have")
                if not isinstance(node, dict) or not node:
                    break
                node = node[part]
            references += 1
    return references


def parse(rendered):
    import yaml
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


# ---------------------------------------------------------------- schema validation

def validate_objects(objects, crd_schemas):
    import jsonschema
    import kubernetes_validate
    for obj in objects:
        api, kind = obj.get("apiVersion"), obj.get("kind")
        name = f"{kind} {obj.get('metadata', {}).get('name')}"
        metadata = obj.get("metadata", {})
        if not isinstance(metadata.get("name"), str) or not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?",
                                                                         metadata["name"]) or len(metadata["name"]) > 253:
            raise Failure(f"{name}: metadata.name is not a valid name")
        for key in ("labels", "annotations"):
            for k, v in (metadata.get(key) or {}).items():
                if not isinstance(v, str):
                    raise Failure(f"{name}: metadata.{key}.{k} is not a string")
        if (api, kind) in crd_schemas:
            errors = sorted(jsonschema.Draft7Validator(crd_schemas[(api, kind)]).iter_errors(obj), key=str)
            if errors:
                raise Failure(f"{name} does not match its CRD's schema: "
                              + "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]))
            continue
        if api and api.startswith("monitoring.coreos.com"):
            raise Failure(f"{name}: {api} {kind} has no CRD schema here")
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                raise Failure(f"{name}: unknown kind {api}/{kind} for Kubernetes {version}")
            except kubernetes_validate.ValidationError as error:
                raise Failure(f"{name} is not valid for Kubernetes {version}: {error.message} at "
                              f"{'/'.join(map(str, error.path))}")


# ---------------------------------------------------------------- what a user relies on

def pod_specs(objects):
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
            yield obj, obj["spec"]["template"]


def exporter_containers(objects):
    found = []
    for obj, template in pod_specs(objects):
        for container in template["spec"]["containers"]:
            if container["name"] == EXPORTER_CONTAINER:
                found.append((obj, template, container))
    return found


def check_containers(objects, mode):
    containers = exporter_containers(objects)
    if mode == "cluster" and [o["kind"] for o, _, _ in containers] != ["Deployment"]:
        raise Failure("cluster mode: expected the exporter in exactly one Deployment")
    for obj, template, container in containers:
        where = f"{obj['kind']} {obj['metadata']['name']}"
        pod_sc = template["spec"].get("securityContext", {})
        sc = container.get("securityContext", {})
        if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
            raise Failure(f"{where}: the exporter container may run as root")
        if (sc.get("runAsUser", pod_sc.get("runAsUser")) or 0) == 0:
            raise Failure(f"{where}: the exporter needs a numeric non-zero runAsUser (its image's user is named)")
        if sc.get("readOnlyRootFilesystem") is not True:
            raise Failure(f"{where}: the exporter's root file system is writable")
        if sc.get("allowPrivilegeEscalation") is not False:
            raise Failure(f"{where}: allowPrivilegeEscalation is not false")
        if "ALL" not in (sc.get("capabilities", {}).get("drop") or []) or sc.get("capabilities", {}).get("add"):
            raise Failure(f"{where}: capabilities are not all dropped")
        seccomp = sc.get("seccompProfile", pod_sc.get("seccompProfile", {}))
        if seccomp.get("type") != "RuntimeDefault":
            raise Failure(f"{where}: no RuntimeDefault seccomp profile")
        ports = {p["containerPort"] for p in container.get("ports", [])} | {p["name"] for p in container.get("ports", [])}
        for probe_name, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/ready")):
            probe = container.get(probe_name)
            if not probe:
                raise Failure(f"{where}: no {probe_name}")
            if "httpGet" in probe:
                if probe["httpGet"].get("path") != path or probe["httpGet"].get("port") not in ports:
                    raise Failure(f"{where}: {probe_name} must be GET {path} on one of the exporter's ports")
            elif "tcpSocket" in probe:
                # Only when the ports require credentials (a web configuration file).
                if not any(m["mountPath"].endswith("/web") for m in container.get("volumeMounts", [])):
                    raise Failure(f"{where}: {probe_name} is a TCP check without a web configuration")
            else:
                raise Failure(f"{where}: {probe_name} checks neither {path} nor the port")
        resources = container.get("resources", {})
        for part in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(resources.get(part, {})):
                raise Failure(f"{where}: resources.{part} must give cpu and memory")
        # Secret files must reach the exporter with a mode it accepts (no o+r) and a group it is in.
        for volume in template["spec"].get("volumes", []):
            if "secret" in volume:
                mode = volume["secret"].get("defaultMode", 0o644)
                if mode & 0o004:
                    raise Failure(f"{where}: secret volume {volume['name']} is world-readable (mode {mode:o}); "
                                  "the exporter refuses such files")
                if "fsGroup" not in pod_sc:
                    raise Failure(f"{where}: secret volume {volume['name']} without a pod fsGroup: "
                                  "the exporter's user could not read it")
        if template["spec"].get("automountServiceAccountToken") is not False:
            raise Failure(f"{where}: the pod mounts a service account token it does not need")
    return len(containers)


SECRET_KEY = re.compile(r"(password|passwd|secret|token|private_?key)$", re.I)
PEM = re.compile(r"-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----")


def walk_keys(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}.{key}".lstrip("."), key, value
            yield from walk_keys(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk_keys(value, f"{path}[{index}]")


def check_no_secrets(objects, values_files):
    import yaml
    for obj in objects:
        if obj["kind"] == "Secret":
            raise Failure(f"the chart renders a Secret ({obj['metadata']['name']}): secrets are the user's")
        if obj["kind"] == "ConfigMap":
            for key, text in (obj.get("data") or {}).items():
                if PEM.search(text):
                    raise Failure(f"ConfigMap {obj['metadata']['name']}: {key} holds PEM material")
                if key.endswith((".yml", ".yaml")):
                    for path, name, value in walk_keys(yaml.safe_load(text)):
                        if SECRET_KEY.search(str(name)) and isinstance(value, (str, int)) and value != "":
                            raise Failure(f"ConfigMap {obj['metadata']['name']}: {key} sets the secret {path}")
    for values in values_files:
        data = yaml.safe_load(Path(values).read_text()) or {}
        for path, name, value in walk_keys(data):
            if SECRET_KEY.search(str(name)) and isinstance(value, (str, int)) and value != "":
                raise Failure(f"{values}: {path} holds a secret; name a Kubernetes Secret instead")
            if isinstance(value, str) and PEM.search(value):
                raise Failure(f"{values}: {path} holds PEM material")


def exporter_config(objects):
    import yaml
    for obj in objects:
        if obj["kind"] == "ConfigMap" and "exporter.yml" in (obj.get("data") or {}):
            return obj, yaml.safe_load(obj["data"]["exporter.yml"])
    raise Failure("no ConfigMap holds exporter.yml")


def shell_eval(command, pod_name, stub_name, stub_body):
    """Runs a container's `sh -c` command with POD_NAME set and the program it execs stubbed."""
    with tempfile.TemporaryDirectory() as stub_dir:
        stub = Path(stub_dir) / stub_name
        stub.write_text("#!/bin/sh\n" + stub_body + "\n")
        stub.chmod(0o755)
        script = command.replace("/etc/kafka/docker/run", str(stub))
        result = run(["/bin/sh", "-c", script], env={"PATH": f"{stub_dir}:/usr/bin:/bin", "POD_NAME": pod_name})
        if result.returncode != 0:
            raise Failure(f"`{script}` failed for {pod_name}: {result.stderr}")
        return result.stdout.strip()


def relabel(relabelings, labels):
    """Prometheus' replace action (the regex anchored at both ends)."""
    labels = dict(labels)
    for rule in relabelings:
        if rule.get("action", "replace") != "replace":
            continue
        value = ";".join(labels.get(s, "") for s in rule.get("sourceLabels", []))
        match = re.fullmatch(rule.get("regex", "(.*)"), value)
        if match:
            replacement = re.sub(r"\$\{(\d+)\}|\$(\d+)", lambda m: match.group(int(m.group(1) or m.group(2))) or "",
                                 rule.get("replacement", "$1"))
            labels[rule["targetLabel"]] = replacement
    return labels


def check_sidecar(objects, values, source):
    """Each broker pod's sidecar serves its own broker: --broker-id = Kafka's node.id = the
    PodMonitor's broker label, on the port the probes and the PodMonitor use."""
    config_map, config = exporter_config(objects)
    if "broker_id" in config.get("serve", {}):
        raise Failure("sidecar mode: serve.broker_id in the shared ConfigMap would make every pod the same broker")
    offset = int(values.get("sidecar", {}).get("brokerIdOffset", 0))
    replicas = int(values.get("sidecar", {}).get("replicas", 3))
    base = config["serve"]["broker_port_base"]
    monitors = [o for o in objects if o["kind"] == "PodMonitor"]
    containers = exporter_containers(objects)
    checked = 0
    example = [(o, t, c) for o, t, c in containers if o["kind"] == "StatefulSet"]
    if values.get("example", {}).get("enabled") and not example:
        raise Failure("example.enabled rendered no StatefulSet with the sidecar")
    # The container a user adds (NOTES.txt) is the one of the example: check it through a render.
    for sts, template, container in example:
        env = {e["name"]: e for e in container.get("env", [])}
        if env.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != "metadata.name":
            raise Failure("the sidecar does not get POD_NAME from the downward API")
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        if ports.get("kse-broker") != base or ports.get("kse-cluster") != config["serve"]["cluster_port"]:
            raise Failure(f"the sidecar's ports {ports} are not the broker port {base} and the cluster port")
        volumes = {v["name"]: v for v in template["spec"]["volumes"]}
        if volumes.get("kse-config", {}).get("configMap", {}).get("name") != config_map["metadata"]["name"]:
            raise Failure("the sidecar does not mount the release's exporter ConfigMap")
        kafka = next(c for c in template["spec"]["containers"] if c["name"] == "kafka")
        for ordinal in range(sts["spec"]["replicas"]):
            pod = f"{sts['metadata']['name']}-{ordinal}"
            args = shell_eval(container["command"][-1], pod, EXPORTER_CONTAINER, 'printf "%s\\n" "$@"').split("\n")
            broker_id = args[args.index("--broker-id") + 1]
            node_id = shell_eval(kafka["command"][-1], pod, "run", 'echo "$KAFKA_NODE_ID"')
            if broker_id != node_id or broker_id != str(ordinal + offset):
                raise Failure(f"{pod}: sidecar --broker-id {broker_id}, Kafka node.id {node_id}, expected {ordinal + offset}")
            if args[args.index("--config") + 1] != "/etc/kse/config/exporter.yml":
                raise Failure(f"{pod}: the sidecar reads {args[args.index('--config') + 1]}")
            for monitor in monitors:
                endpoint = next(e for e in monitor["spec"]["podMetricsEndpoints"] if e["port"] == "kse-broker")
                labels = relabel(endpoint.get("relabelings", []), {"__meta_kubernetes_pod_name": pod})
                if labels.get("broker") != broker_id or labels.get("job") != "kafka":
                    raise Failure(f"{pod}: the PodMonitor labels its broker port {labels}, not broker={broker_id}")
            checked += 1
        # The Kafka pods must carry the labels the PodMonitor and the NetworkPolicy select.
        pod_labels = template["metadata"]["labels"]
        for obj in objects:
            selector = None
            if obj["kind"] == "PodMonitor":
                selector = obj["spec"]["selector"]["matchLabels"]
            if obj["kind"] == "NetworkPolicy":
                selector = obj["spec"]["podSelector"]["matchLabels"]
            if selector is not None and any(pod_labels.get(k) != v for k, v in selector.items()):
                raise Failure(f"{obj['kind']} selects {selector}, the example's pods are {pod_labels}")
    # Without the example: the sidecar's broker label mapping on the PodMonitor alone.
    for monitor in monitors:
        if monitor["spec"]["selector"]["matchLabels"] != values.get("sidecar", {}).get("podSelector"):
            raise Failure("the PodMonitor does not select sidecar.podSelector")
        ports = [e["port"] for e in monitor["spec"]["podMetricsEndpoints"]]
        if sorted(ports) != ["kse-broker", "kse-cluster"]:
            raise Failure(f"the PodMonitor scrapes {ports}")
        for ordinal in range(replicas):
            endpoint = next(e for e in monitor["spec"]["podMetricsEndpoints"] if e["port"] == "kse-broker")
            labels = relabel(endpoint["relabelings"], {"__meta_kubernetes_pod_name": f"broker-{ordinal}"})
            if labels.get("broker") != str(ordinal + offset):
                raise Failure(f"PodMonitor: pod broker-{ordinal} gets broker={labels.get('broker')}")
        cluster = next(e for e in monitor["spec"]["podMetricsEndpoints"] if e["port"] == "kse-cluster")
        if relabel(cluster["relabelings"], {}).get("broker") != "cluster":
            raise Failure("PodMonitor: the cluster port's targets are not broker=cluster")
    return checked


def check_snippet(objects, values, crd_schemas):
    """The container and volumes users copy into their StatefulSet (the -sidecar ConfigMap):
    valid in a pod, secure, and the broker id of pod N is N + offset."""
    import yaml
    snippet = next((o for o in objects if o["kind"] == "ConfigMap" and "container.yaml" in (o.get("data") or {})), None)
    if not snippet:
        raise Failure("sidecar mode: no ConfigMap holds the sidecar's container.yaml")
    container = yaml.safe_load(snippet["data"]["container.yaml"])
    volumes = yaml.safe_load(snippet["data"]["volumes.yaml"])
    selector = values["sidecar"]["podSelector"]
    pod = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "broker"},
           "spec": {"serviceName": "broker", "replicas": values["sidecar"]["replicas"],
                    "selector": {"matchLabels": selector},
                    "template": {"metadata": {"labels": selector},
                                 "spec": {"securityContext": {"fsGroup": 1000}, "automountServiceAccountToken": False,
                                          "containers": [{"name": "kafka", "image": "apache/kafka"}, container],
                                          "volumes": volumes}}}}
    validate_objects([pod], crd_schemas)
    check_containers([pod], "sidecar")
    offset = int(values["sidecar"].get("brokerIdOffset", 0))
    for ordinal in range(values["sidecar"]["replicas"]):
        args = shell_eval(container["command"][-1], f"broker-{ordinal}", EXPORTER_CONTAINER,
                          'printf "%s\\n" "$@"').split("\n")
        if args[args.index("--broker-id") + 1] != str(ordinal + offset):
            raise Failure(f"the snippet's sidecar in pod broker-{ordinal} is broker {args[args.index('--broker-id') + 1]}")
    for obj, _, example in exporter_containers(objects):
        if example != container:
            raise Failure(f"the example {obj['kind']}'s sidecar differs from the snippet")
    return 1


def check_readme_snippet(source, objects):
    """deploy/helm/README.md's sidecar container is the one the chart renders."""
    import yaml
    snippet = next(o for o in objects if o["kind"] == "ConfigMap" and "container.yaml" in (o.get("data") or {}))
    rendered = yaml.safe_load(snippet["data"]["container.yaml"])
    text = (source / "deploy" / "helm" / "README.md").read_text()
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        if "--broker-id" in block:
            documented = yaml.safe_load(block)["spec"]["template"]["spec"]["containers"]
            container = next(c for c in documented if c["name"] == EXPORTER_CONTAINER)
            if container != rendered:
                raise Failure("deploy/helm/README.md's sidecar snippet differs from the chart's container:\n"
                              + yaml.safe_dump(rendered, sort_keys=False))
            return
    raise Failure("deploy/helm/README.md shows no sidecar snippet")


def check_cluster_mode(objects):
    _, config = exporter_config(objects)
    if "broker_id" in config.get("serve", {}):
        raise Failure("cluster mode: serve.broker_id set")
    service = next((o for o in objects if o["kind"] == "Service"), None)
    if not service:
        raise Failure("cluster mode: no Service")
    base, cluster_port = config["serve"]["broker_port_base"], config["serve"]["cluster_port"]
    ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
    if ports.get("cluster") != cluster_port:
        raise Failure(f"Service: cluster port {ports.get('cluster')}, exporter.yml says {cluster_port}")
    for name, port in ports.items():
        if name.startswith("broker-") and port != base + int(name[len("broker-"):]) - 1:
            raise Failure(f"Service: {name} on {port}, the exporter serves it on {base} + id - 1")
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    if any(labels.get(k) != v for k, v in service["spec"]["selector"].items()):
        raise Failure("the Service does not select the Deployment's pods")
    for monitor in (o for o in objects if o["kind"] == "ServiceMonitor"):
        if monitor["spec"]["selector"]["matchLabels"] != {k: service["metadata"]["labels"][k]
                                                          for k in monitor["spec"]["selector"]["matchLabels"]}:
            raise Failure("the ServiceMonitor does not select the Service")
        endpoints = {e["port"]: e for e in monitor["spec"]["endpoints"]}
        if set(endpoints) != set(ports):
            raise Failure(f"ServiceMonitor scrapes {sorted(endpoints)}, the Service has {sorted(ports)}")
        for name, endpoint in endpoints.items():
            labels = relabel(endpoint.get("relabelings", []), {})
            expected = "cluster" if name == "cluster" else name[len("broker-"):]
            if labels.get("broker") != expected or labels.get("job") != "kafka" or not endpoint.get("honorLabels"):
                raise Failure(f"ServiceMonitor endpoint {name}: labels {labels}, expected broker={expected} job=kafka")
    return len(ports)


def check_network_policy(objects, mode):
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    if not policies:
        return 0
    _, config = exporter_config(objects)
    policy = policies[0]["spec"]
    metrics_ports = {config["serve"]["cluster_port"]}
    if mode == "sidecar":
        metrics_ports.add(config["serve"]["broker_port_base"])
    else:
        service = next(o for o in objects if o["kind"] == "Service")
        metrics_ports |= {p["port"] for p in service["spec"]["ports"]}
        deployment = next(o for o in objects if o["kind"] == "Deployment")
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if any(labels.get(k) != v for k, v in policy["podSelector"]["matchLabels"].items()):
            raise Failure("the NetworkPolicy does not select the exporter's pods")
    prometheus_rule = next((r for r in policy.get("ingress", []) if r.get("from") and any(
        "namespaceSelector" in p or "podSelector" in p for p in r["from"])), None)
    if not prometheus_rule or {p["port"] for p in prometheus_rule["ports"]} != metrics_ports:
        raise Failure(f"NetworkPolicy: ingress to the metrics ports {sorted(metrics_ports)} is not allowed as such")
    egress_ports = {(p["port"], p.get("protocol", "TCP")) for r in policy.get("egress", []) for p in r.get("ports", [])}
    if (53, "UDP") not in egress_ports or (53, "TCP") not in egress_ports:
        raise Failure("NetworkPolicy: no egress to DNS")
    for server in config["kafka"]["bootstrap_servers"]:
        port = int(server.rsplit(":", 1)[1])
        if (port, "TCP") not in egress_ports:
            raise Failure(f"NetworkPolicy: no egress to the bootstrap port {port}")
    return 1


def check_dashboards(objects, source, values):
    if not values.get("dashboards", {}).get("enabled", True):
        return 0
    rendered = {}
    for obj in objects:
        if obj["kind"] == "ConfigMap" and any(k.endswith(".json") for k in obj.get("data") or {}):
            if obj["metadata"]["labels"].get("grafana_dashboard") != "1":
                raise Failure(f"dashboard ConfigMap {obj['metadata']['name']} lacks grafana_dashboard: \"1\"")
            rendered.update(obj["data"])
    sources = sorted(glob.glob(str(source / "grafana" / "dashboards" / "*.json")))
    if not sources:
        raise Failure("grafana/dashboards/*.json: no dashboard found")
    for path in sources:
        name = os.path.basename(path)
        if name not in rendered:
            raise Failure(f"dashboard {name} is in no ConfigMap")
        if json.loads(rendered[name]) != json.loads(Path(path).read_text()):
            raise Failure(f"dashboard {name} in its ConfigMap differs from grafana/dashboards/{name}")
    if set(rendered) != {os.path.basename(p) for p in sources}:
        raise Failure(f"dashboard ConfigMaps hold {sorted(set(rendered))}, grafana/dashboards has other files")
    return len(rendered)


def check_rules(objects, source, workdir, values):
    import yaml
    rules = [o for o in objects if o["kind"] == "PrometheusRule"]
    if not values.get("prometheusRule", {}).get("enabled", True):
        return 0
    if len(rules) != 1:
        raise Failure(f"expected one PrometheusRule, found {len(rules)}")
    groups = rules[0]["spec"]["groups"]
    expected = []
    for name in ("kafka-alerts.yml", "kafka-recording.yml"):
        expected += yaml.safe_load((source / "rules" / name).read_text())["groups"]
    if groups != expected:
        raise Failure("the PrometheusRule's groups differ from rules/kafka-alerts.yml + rules/kafka-recording.yml")
    extracted = Path(workdir) / "rules" / "prometheusrule-groups.yml"
    extracted.parent.mkdir(parents=True, exist_ok=True)
    extracted.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    result = run(["promtool", "check", "rules", str(extracted)])
    if result.returncode != 0:
        raise Failure(f"promtool check rules on the PrometheusRule's groups:\n{result.stdout}{result.stderr}")
    tests = sorted(glob.glob(str(source / "rules" / "tests" / "*.test.yml")))
    if not tests:
        raise Failure("rules/tests/*.test.yml: no rule unit test found")
    rewritten = []
    for test in tests:
        data = yaml.safe_load(Path(test).read_text())
        data["rule_files"] = [extracted.name]
        target = extracted.parent / os.path.basename(test)
        target.write_text(yaml.safe_dump(data, sort_keys=False))
        rewritten.append(str(target))
    result = run(["promtool", "test", "rules", *rewritten], cwd=extracted.parent)
    if result.returncode != 0:
        raise Failure(f"promtool test rules against the PrometheusRule's groups:\n{result.stdout[-3000:]}{result.stderr}")
    return sum(len(g["rules"]) for g in groups)


def check_exporter_config(objects, mode, exporter, workdir):
    """The rendered exporter.yml passes the exporter's own --check-config, its secret and
    certificate paths pointed at stand-ins made here."""
    import yaml
    if not exporter:
        return False
    _, config = exporter_config(objects)
    stand_ins = Path(workdir) / "secrets"
    stand_ins.mkdir(parents=True, exist_ok=True)
    cert, key = stand_ins / "cert.pem", stand_ins / "key.pem"
    if not cert.exists():
        result = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kse-test",
                      "-days", "1", "-keyout", str(key), "-out", str(cert)])
        if result.returncode != 0:
            raise Failure(f"openssl could not make a test certificate: {result.stderr}")
        key.chmod(0o600)
        (stand_ins / "password").write_text("not-a-real-password\n")
        (stand_ins / "password").chmod(0o600)
        (stand_ins / "web.yml").write_text("basic_auth_users: {}\n")
    replacements = {"ca_file": cert, "cert_file": cert, "key_file": key, "password_file": stand_ins / "password",
                    "web_config_file": stand_ins / "web.yml"}
    for section in (config.get("kafka", {}).get("tls", {}), config.get("kafka", {}).get("sasl", {}), config["serve"]):
        for name, path in replacements.items():
            if name in section:
                if not str(section[name]).startswith("/etc/kse/secrets/"):
                    raise Failure(f"exporter.yml: {name} {section[name]} is not a mounted Secret file")
                section[name] = str(path)
    config_file = Path(workdir) / "exporter.yml"
    config_file.write_text(yaml.safe_dump(config))
    command = [exporter, "--check-config", "-c", str(config_file)]
    if mode == "sidecar":
        command += ["--broker-id", "0"]
    result = run(command, env={k: v for k, v in os.environ.items() if not k.startswith("KSE_")})
    if result.returncode != 0:
        raise Failure(f"kafka-sidecar-exporter --check-config refuses the rendered exporter.yml:\n"
                      f"{result.stdout}{result.stderr}\n{config_file.read_text()}")
    return True


def check_sync(source, chart, linked=True):
    """The chart's files/ are the repository's sources: links to rules/ and grafana/dashboards/
    (Helm reads through them and `helm package` stores their contents); a mutant's copies
    must equal them."""
    pairs = [(source / "rules", chart / "files" / "rules", "*.yml"),
             (source / "grafana" / "dashboards", chart / "files" / "dashboards", "*.json")]
    for src, dst, pattern in pairs:
        if linked and (not dst.is_symlink() or dst.resolve() != src.resolve()):
            raise Failure(f"the chart's files/{dst.name} is not a link to {src}")
        src_names = {p.name for p in src.glob(pattern)}
        dst_names = {p.name for p in dst.glob(pattern)}
        if src_names != dst_names:
            raise Failure(f"{dst.relative_to(chart.parent.parent.parent) if chart.is_relative_to(source) else dst}: "
                          f"holds {sorted(dst_names)}, {src} holds {sorted(src_names)}")
        for name in src_names:
            if (src / name).read_bytes() != (dst / name).read_bytes():
                raise Failure(f"the chart's files/{dst.name}/{name} differs from its source")


# ---------------------------------------------------------------- one profile

def check_profile(helm, chart, source, values_file, crd_schemas, exporter, workdir, strict_values=True):
    import yaml
    helm_lint(helm, chart, values_file)
    objects = parse(helm_template(helm, chart, values_file))
    values = yaml.safe_load(Path(chart / "values.yaml").read_text())
    if values_file:
        values = deep_merge(values, yaml.safe_load(Path(values_file).read_text()) or {})
    mode = values["mode"]
    validate_objects(objects, crd_schemas)
    counts = {"objects": len(objects), "kinds": sorted({o["kind"] for o in objects})}
    counts["exporter_containers"] = check_containers(objects, mode)
    check_no_secrets(objects, [chart / "values.yaml"] + ([values_file] if values_file else []))
    if mode == "sidecar":
        counts["sidecar_pods_checked"] = check_sidecar(objects, values, source)
        counts["snippet"] = check_snippet(objects, values, crd_schemas)
    else:
        counts["service_ports"] = check_cluster_mode(objects)
    check_network_policy(objects, mode)
    counts["dashboards"] = check_dashboards(objects, source, values)
    counts["rules"] = check_rules(objects, source, workdir, values)
    counts["check_config"] = check_exporter_config(objects, mode, exporter, workdir)
    return objects, counts


def deep_merge(base, override):
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


# ---------------------------------------------------------------- the test can fail

def expect_failure(what, function):
    try:
        function()
    except Failure as error:
        print(f"  refused as it should: {what}: {str(error).splitlines()[0][:140]}")
        return
    raise Failure(f"the checks accepted a broken chart: {what}")


def self_test(helm, chart, source, crd_schemas, exporter, workdir):
    import yaml
    profiles = chart / "ci"
    sidecar = profiles / EXAMPLE_PROFILE
    mutants = Path(workdir) / "mutants"

    def mutant(name, edit):
        copy_dir = mutants / name / chart.name
        shutil.copytree(chart, copy_dir)
        edit(copy_dir)
        return copy_dir

    def missing_value(copy_dir):
        (copy_dir / "templates" / "broken.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n"
            "  a: {{ .Values.kafka.noSuchValue | quote }}\n")

    broken = mutant("missing-value", missing_value)
    expect_failure("a template that reads a value that does not exist", lambda: check_value_references(broken))

    def nil_value(copy_dir):
        (copy_dir / "templates" / "broken.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n"
            "  a: {{ .Values.noSuchSection.value | quote }}\n")

    broken = mutant("nil-value", nil_value)
    expect_failure("a template that reads below a value that does not exist",
                   lambda: helm_lint(helm, broken, profiles / "cluster-plaintext-values.yaml"))

    def stale_rules(copy_dir):
        with open(copy_dir / "files" / "rules" / "kafka-alerts.yml", "a") as f:
            f.write("# edited\n")

    stale = mutant("stale-rules", stale_rules)
    expect_failure("a rule file copy that differs from rules/", lambda: check_sync(source, stale, linked=False))

    def stale_rule_content(copy_dir):
        path = copy_dir / "files" / "rules" / "kafka-alerts.yml"
        path.write_text(path.read_text().replace("for: 1m", "for: 2m", 1))

    stale = mutant("changed-rule", stale_rule_content)
    expect_failure("a PrometheusRule whose rules differ from rules/",
                   lambda: check_rules(parse(helm_template(helm, stale, profiles / "cluster-plaintext-values.yaml")),
                                       source, Path(workdir) / "m1", {}))

    def no_dashboard(copy_dir):
        (copy_dir / "files" / "dashboards" / "kafka-topics.json").unlink()

    fewer = mutant("missing-dashboard", no_dashboard)
    expect_failure("a dashboard missing from the ConfigMaps",
                   lambda: check_dashboards(parse(helm_template(helm, fewer, profiles / "cluster-plaintext-values.yaml")),
                                            source, {}))

    def render(extra, values=profiles / "cluster-plaintext-values.yaml"):
        return parse(helm_template(helm, chart, values, extra))

    expect_failure("a writable root file system",
                   lambda: check_containers(render(["--set", "securityContext.readOnlyRootFilesystem=false"]), "cluster"))
    expect_failure("a container allowed to run as root",
                   lambda: check_containers(render(["--set", "securityContext.runAsNonRoot=false",
                                                    "--set", "podSecurityContext.runAsNonRoot=false"]), "cluster"))
    no_probe = render([])
    for _, _, container in exporter_containers(no_probe):
        del container["livenessProbe"]
    expect_failure("no liveness probe", lambda: check_containers(no_probe, "cluster"))
    sidecar_values = deep_merge(yaml.safe_load((chart / "values.yaml").read_text()), yaml.safe_load(sidecar.read_text()))
    off_by_one = render([], sidecar)
    for _, _, container in exporter_containers(off_by_one):
        container["command"][-1] = container["command"][-1].replace("+ 0 ))", "+ 1 ))")
    expect_failure("a sidecar whose broker id is off by one from its broker's node.id",
                   lambda: check_sidecar(off_by_one, sidecar_values, source))
    shared_id = render([], sidecar)
    for obj in shared_id:
        if obj["kind"] == "ConfigMap" and "exporter.yml" in obj["data"]:
            obj["data"]["exporter.yml"] += "  broker_id: 0\n"
    expect_failure("one broker id for every sidecar in the shared ConfigMap",
                   lambda: check_sidecar(shared_id, sidecar_values, source))
    secret_values = Path(workdir) / "secret-values.yaml"
    secret_values.write_text("kafka:\n  sasl:\n    password: hunter2\n")
    expect_failure("a password in values", lambda: check_no_secrets([], [secret_values]))
    leaky = render([])
    for obj in leaky:
        if obj["kind"] == "ConfigMap" and "exporter.yml" in obj["data"]:
            obj["data"]["exporter.yml"] = obj["data"]["exporter.yml"].replace(
                "  sasl:\n", "  sasl:\n    password: hunter2\n")
    expect_failure("a SASL password in the exporter's ConfigMap", lambda: check_no_secrets(leaky, []))
    expect_failure("a JMX password given as a value",
                   lambda: render(["--set-string", "config.jmx.password=hunter2"]))
    bad_monitor = render([])
    for obj in bad_monitor:
        if obj["kind"] == "ServiceMonitor":
            obj["spec"]["endpoints"][0]["honorLabel"] = True
    expect_failure("a ServiceMonitor with a misspelt field", lambda: validate_objects(bad_monitor, crd_schemas))
    bad_deployment = render([])
    for obj in bad_deployment:
        if obj["kind"] == "Deployment":
            obj["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] = [9308]
    expect_failure("a Deployment with a wrongly typed field", lambda: validate_objects(bad_deployment, crd_schemas))
    expect_failure("an object of an unknown kind", lambda: validate_objects(
        [{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}], crd_schemas))
    if exporter:
        expect_failure("an exporter.yml the exporter refuses", lambda: check_exporter_config(
            render(["--set", "config.collect.timeout=20s"]), "cluster", exporter, Path(workdir) / "m2"))


# ---------------------------------------------------------------- main

def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    ensure_venv()
    if sys.argv[1] == "--write-example":
        source = Path(sys.argv[2]).resolve()
        chart = source / "deploy" / "helm" / "kafka-sidecar-exporter"
        rendered = helm_template(ensure_helm(source), chart, chart / "ci" / EXAMPLE_PROFILE)
        (source / EXAMPLE_FILE).write_text(example_header() + rendered)
        print(f"helm_chart_test: wrote {EXAMPLE_FILE}")
        return 0
    started = time.monotonic()
    source = Path(sys.argv[1]).resolve()
    build = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else None
    chart = source / "deploy" / "helm" / "kafka-sidecar-exporter"
    failures = 0
    passed = 0
    try:
        if not shutil.which("promtool"):
            raise Failure("promtool is not installed (scripts/install-deps installs it)")
        helm = ensure_helm(source)
        crd_schemas = ensure_crds()
        tools_ready = time.monotonic()
        print(f"helm_chart_test: tools ready in {tools_ready - started:.1f} s "
              f"({run([helm, 'version', '--short']).stdout.strip()}, {PROMETHEUS_OPERATOR}, {', '.join(PIP_PINS)})")
        exporter = None
        if build:
            exporter = str(build / "exporter" / "kafka-sidecar-exporter")
            if not os.access(exporter, os.X_OK):
                raise Failure(f"{exporter} is not built")
        check_sync(source, chart)
        print("ok: the chart's files/ equal rules/*.yml and grafana/dashboards/*.json")
        passed += 1
        print(f"ok: the templates' {check_value_references(chart)} .Values references all exist in values.yaml")
        passed += 1
    except Failure as error:
        print(f"FAIL: {error}")
        print("0 passed, 1 failed")
        return 1

    profiles = [None] + sorted(chart.glob("ci/*.yaml"))
    total_objects = 0
    with tempfile.TemporaryDirectory(prefix="kse-helm-test-") as workdir:
        for values in profiles:
            name = values.name if values else "(default values)"
            t0 = time.monotonic()
            try:
                objects, counts = check_profile(helm, chart, source, values, crd_schemas, exporter,
                                                Path(workdir) / (values.stem if values else "default"))
                total_objects += counts["objects"]
                kinds = counts.pop("kinds")
                print(f"ok: {name}: {counts['objects']} objects validated ({', '.join(kinds)}); "
                      + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "objects")
                      + f"; {time.monotonic() - t0:.1f} s")
                passed += 1
                if values and values.name == "sidecar-values.yaml":
                    check_readme_snippet(source, objects)
                    print("ok: deploy/helm/README.md's sidecar snippet is the container ci/sidecar-values.yaml renders")
                    passed += 1
                if values and values.name == EXAMPLE_PROFILE:
                    expected = helm_template(helm, chart, values)
                    example = source / EXAMPLE_FILE
                    header = example_header()
                    if not example.exists() or example.read_text() != header + expected:
                        raise Failure(f"{EXAMPLE_FILE} is not the render of ci/{EXAMPLE_PROFILE}; "
                                      "run deploy/helm/render-example")
                    print(f"ok: {EXAMPLE_FILE} is the render of ci/{EXAMPLE_PROFILE}")
                    passed += 1
            except Failure as error:
                print(f"FAIL: {name}: {error}")
                failures += 1
        t0 = time.monotonic()
        try:
            print("the checks refuse broken charts:")
            self_test(helm, chart, source, crd_schemas, exporter, workdir)
            print(f"ok: every broken chart refused; {time.monotonic() - t0:.1f} s")
            passed += 1
        except Failure as error:
            print(f"FAIL: {error}")
            failures += 1
    print(f"helm_chart_test: {len(profiles)} profiles, {total_objects} objects validated, "
          f"{time.monotonic() - started:.1f} s")
    print(f"{passed} passed, {failures} failed")
    return 1 if failures else 0


def example_header():
    return ("# Rendered from deploy/helm/kafka-sidecar-exporter with ci/sidecar-example-values.yaml:\n"
            f"#   helm template {RELEASE} deploy/helm/kafka-sidecar-exporter --namespace {NAMESPACE} \\\n"
            "#     -f deploy/helm/kafka-sidecar-exporter/ci/sidecar-example-values.yaml\n"
            "# (deploy/helm/render-example rewrites it; tests/deploy/helm_chart_test.py checks it.)\n"
            "# A 3-broker KRaft cluster (apache/kafka) in namespace kafka, each broker pod with the\n"
            "# exporter as a sidecar serving its own broker; the cluster port moves between them.\n")


if __name__ == "__main__":
    sys.exit(main())
