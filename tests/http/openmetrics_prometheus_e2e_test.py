#!/usr/bin/env python3
"""A real Prometheus (Debian's, whose default Accept header prefers OpenMetrics) scrapes the
exporter through bcrypt basic auth from a web configuration file:

  * every target is up, and a counter (kafka_sidecar_requests_total) and a gauge
    (kafka_brokers) arrived, read back through Prometheus's query API;
  * Prometheus ingested OpenMetrics: its metadata names the counter's family without _total;
  * the Content-Type follows the Accept header: OpenMetrics 1.0 for Prometheus's header,
    the 0.0.4 text for none; the OpenMetrics page ends with # EOF;
  * a request without credentials gets 401 with WWW-Authenticate.

The exporter runs with the probe and JMX off, so it only reads the cluster.
Usage: openmetrics_prometheus_e2e_test.py SOURCE_DIR BUILD_DIR
"""
import base64
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, http_get, prometheus_query  # noqa: E402

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
BOOTSTRAP = "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292"
CLUSTER_PORT, BROKER_BASE, PROM_PORT = 17308, 17371, 17390
USER, PASSWORD = "prometheus", "scrape-e2e-password"
# Prometheus 2.42's scrape Accept header (scrape/scrape.go, acceptHeader).
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
                     "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")

exporter_binary = build / "exporter" / "kafka-sidecar-exporter"
if not exporter_binary.exists():
    raise SystemExit(f"FAIL: {exporter_binary} is not built")
if not shutil.which("prometheus"):
    raise SystemExit("FAIL: prometheus is not installed (scripts/install-deps installs it)")

work = pathlib.Path(tempfile.mkdtemp(prefix="kse-openmetrics-e2e-"))
children = Children(work)
failures = []


def bcrypt_hash(password):
    """The system's crypt, through Debian's Python (its crypt module is libxcrypt)."""
    return subprocess.run(["/usr/bin/python3", "-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], "
                           "crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))", password],
                          check=True, capture_output=True, text=True).stdout.strip()


def get(port, accept=None, auth=True):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if accept:
        request.add_header("Accept", accept)
    if auth:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace")
    except (urllib.error.URLError, OSError):
        return 0, {}, ""  # not listening yet


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}")


def wait_until(predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(1)
    return False


try:
    hashed = bcrypt_hash(PASSWORD)
    web = work / "web.yml"
    web.write_text(f"basic_auth_users:\n  {USER}: '{hashed}'\n")
    config = work / "exporter.yml"
    config.write_text(f"""
kafka: {{bootstrap_servers: [{BOOTSTRAP}], request_timeout: 1200ms}}
collect: {{interval: 3s, timeout: 2500ms}}
serve: {{listen_address: 127.0.0.1, cluster_port: {CLUSTER_PORT}, broker_port_base: {BROKER_BASE}}}
probe: {{enabled: false}}
jmx: {{enabled: false}}
""")
    children.start([exporter_binary, "-c", config, "--web.config.file", web], "exporter.log")
    ports = [CLUSTER_PORT] + [BROKER_BASE + i for i in range(3)]
    if not wait_until(lambda: all(get(port)[0] == 200 for port in ports), 60):
        raise SystemExit(f"FAIL: the exporter's ports did not all serve /metrics within 60s (see {work})")

    status, headers, _ = get(CLUSTER_PORT, auth=False)
    check(status == 401 and headers.get("WWW-Authenticate", "").startswith("Basic"),
          f"no credentials: {status} {headers.get('WWW-Authenticate')}")
    status, headers, text = get(CLUSTER_PORT)
    check(headers.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
          f"no Accept header: Content-Type {headers.get('Content-Type')}")
    check("# EOF" not in text, "the text format has no # EOF")
    status, headers, text = get(CLUSTER_PORT, PROMETHEUS_ACCEPT)
    check(headers.get("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8",
          f"Prometheus's Accept header: Content-Type {headers.get('Content-Type')}")
    check(text.endswith("# EOF\n"), "the OpenMetrics page ends with # EOF")

    targets = [f"127.0.0.1:{port}" for port in ports]
    prometheus_yml = work / "prometheus.yml"
    prometheus_yml.write_text(f"""
global: {{scrape_interval: 2s, scrape_timeout: 1500ms}}
scrape_configs:
  - job_name: kse
    basic_auth: {{username: {USER}, password: {PASSWORD}}}
    static_configs: [{{targets: {targets}}}]
""")
    children.start(["prometheus", f"--config.file={prometheus_yml}", f"--storage.tsdb.path={work / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{PROM_PORT}"], "prometheus.log")

    def scraped():
        try:
            return len([r for r in prometheus_query(PROM_PORT, 'up{job="kse"} == 1')]) == len(ports)
        except (OSError, RuntimeError):
            return False

    check(wait_until(scraped, 90), f"every target up in Prometheus (see {work}/prometheus.log)")
    counters = prometheus_query(PROM_PORT, "kafka_sidecar_requests_total")
    check(len(counters) > 0, "kafka_sidecar_requests_total reached Prometheus")
    brokers = prometheus_query(PROM_PORT, "kafka_brokers")
    # The shared cluster may be losing a broker to another test: any count shows the gauge came.
    check(len(brokers) == 1 and float(brokers[0]["value"][1]) >= 1, f"kafka_brokers in Prometheus: {brokers}")
    # Prometheus keeps metadata under the family name it parsed: OpenMetrics names a counter's
    # family without _total, the text format with it. So this shows which parser it used.
    metadata = json.loads(http_get(f"http://127.0.0.1:{PROM_PORT}/api/v1/metadata?metric=kafka_sidecar_requests"))
    check([m.get("type") for m in metadata["data"].get("kafka_sidecar_requests", [])][:1] == ["counter"],
          f"Prometheus parsed OpenMetrics (metadata of kafka_sidecar_requests: {metadata['data']})")
finally:
    children.stop()

if failures:
    print(f"{len(failures)} check(s) failed; logs in {work}")
    sys.exit(1)
print("openmetrics_prometheus_e2e: all checks passed")
