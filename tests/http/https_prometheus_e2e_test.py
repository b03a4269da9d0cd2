#!/usr/bin/env python3
"""The exporter's ports over HTTPS with mutual TLS and bcrypt basic auth, from a web
configuration file in the exporter-toolkit format, scraped by a real Prometheus:

  * Prometheus (TLS with the test CA, a client certificate, basic auth) has every target up
    and kafka_brokers arrived, read back through its query API;
  * by hand, on every port: the right password with the client certificate is 200, a wrong
    password 401, no credentials 401 with WWW-Authenticate; no client certificate, a
    certificate of another CA, TLS 1.2 when the file asks for 1.3, and plain HTTP are refused
    before any HTTP is spoken.

Usage: https_prometheus_e2e_test.py SOURCE_DIR BUILD_DIR"""
import base64
import pathlib
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, fail, prometheus_query, run_test, until  # noqa: E402

root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-https-e2e-"))
children = Children(work)
BOOTSTRAP = "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292"
CLUSTER_PORT, BROKER_BASE, PROM_PORT = 17408, 17471, 17490
PORTS = [CLUSTER_PORT] + [BROKER_BASE + i for i in range(3)]
USER, PASSWORD = "prometheus", "https-e2e-password"


def openssl(*args):
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=60, cwd=work)
    if done.returncode != 0:
        fail(f"openssl {args[0]}: {done.stderr.strip()[-300:]}")


def certificates():
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=kse-test-ca", "-keyout",
            "ca.key", "-out", "ca.pem")
    (work / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, ext in (("server", ["-extfile", "server.ext"]), ("client", [])):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out",
                f"{name}.csr")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days",
                "2", *ext, "-out", f"{name}.pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=stranger", "-keyout",
            "stranger.key", "-out", "stranger.pem")
    for key in work.glob("*.key"):
        key.chmod(0o600)


def bcrypt_hash(password):
    """The system's crypt, through Debian's Python (its crypt module is libxcrypt)."""
    return subprocess.run(["/usr/bin/python3", "-W", "ignore", "-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], "
                           "crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))", password],
                          check=True, capture_output=True, text=True).stdout.strip()


def tls_context(client="client", maximum=None):
    context = ssl.create_default_context(cafile=str(work / "ca.pem"))
    if client:
        context.load_cert_chain(str(work / f"{client}.pem"), str(work / f"{client}.key"))
    if maximum:
        context.maximum_version = maximum
    return context


def get(port, context, password=PASSWORD):
    """(status, headers) of /metrics over HTTPS; status 0 when TLS was refused."""
    request = urllib.request.Request(f"https://127.0.0.1:{port}/metrics")
    if password is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            response.read()
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers
    except (urllib.error.URLError, OSError):
        return 0, {}


def plain_http_refused(port):
    """Plain HTTP on a TLS port gets no HTTP answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try:
            answer = connection.recv(64)
        except OSError:
            return True
    return not answer.startswith(b"HTTP/")


def main():
    if not shutil.which("prometheus"):
        fail("prometheus is not installed (scripts/install-deps installs it)")
    certificates()
    web = work / "web.yml"
    web.write_text(f"""tls_server_config:
  cert_file: {work / 'server.pem'}
  key_file: {work / 'server.key'}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: {work / 'ca.pem'}
  min_version: TLS13
basic_auth_users:
  {USER}: '{bcrypt_hash(PASSWORD)}'
""")
    config = work / "exporter.yml"
    config.write_text(f"""
kafka: {{bootstrap_servers: [{BOOTSTRAP}], request_timeout: 1200ms}}
collect: {{interval: 3s, timeout: 2500ms}}
serve: {{listen_address: 127.0.0.1, cluster_port: {CLUSTER_PORT}, broker_port_base: {BROKER_BASE}}}
probe: {{enabled: false}}
jmx: {{enabled: false}}
""")
    children.start([build / "exporter" / "kafka-sidecar-exporter", "-c", config, "--web.config.file", web],
                   "exporter.log")
    good = tls_context()
    until("every port answers 200 over HTTPS with the client certificate and the password", 60,
          lambda: all(get(port, good)[0] == 200 for port in PORTS), lambda: [get(p, good)[0] for p in PORTS])
    for port in PORTS:
        cases = {"wrong password": get(port, good, "not-the-password")[0],
                 "no credentials": get(port, good, None)[0],
                 "no client certificate": get(port, tls_context(None))[0],
                 "a certificate of another CA": get(port, tls_context("stranger"))[0],
                 "TLS 1.2 (the file asks for 1.3)": get(port, tls_context(maximum=ssl.TLSVersion.TLSv1_2))[0]}
        expected = {"wrong password": 401, "no credentials": 401}
        for case, status in cases.items():
            if status != expected.get(case, 0):
                fail(f"port {port}, {case}: status {status}, expected {expected.get(case, 'a refused handshake')}")
        if "Basic" not in get(port, good, None)[1].get("WWW-Authenticate", ""):
            fail(f"port {port}: a 401 without WWW-Authenticate: Basic")
        if not plain_http_refused(port):
            fail(f"port {port} answers plain HTTP")

    prometheus_yml = work / "prometheus.yml"
    targets = [f"127.0.0.1:{port}" for port in PORTS]
    prometheus_yml.write_text(f"""
global: {{scrape_interval: 2s, scrape_timeout: 1500ms}}
scrape_configs:
  - job_name: kse
    scheme: https
    tls_config: {{ca_file: {work / 'ca.pem'}, cert_file: {work / 'client.pem'}, key_file: {work / 'client.key'}}}
    basic_auth: {{username: {USER}, password: {PASSWORD}}}
    static_configs: [{{targets: {targets}}}]
""")
    children.start(["prometheus", f"--config.file={prometheus_yml}", f"--storage.tsdb.path={work / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{PROM_PORT}"], "prometheus.log")
    until("Prometheus scrapes every port over HTTPS with mutual TLS and basic auth", 90,
          lambda: len(prometheus_query(PROM_PORT, 'up{job="kse"} == 1')) == len(PORTS),
          lambda: prometheus_query(PROM_PORT, 'up{job="kse"}'))
    brokers = until("kafka_brokers in Prometheus", 30, lambda: prometheus_query(PROM_PORT, "kafka_brokers"))
    if float(brokers[0]["value"][1]) < 1:
        fail(f"kafka_brokers in Prometheus: {brokers}")
    print(f"HTTPS: {len(PORTS)} ports scraped by Prometheus with mutual TLS and bcrypt basic auth; wrong password "
          "and no credentials 401, no certificate, another CA, TLS 1.2 and plain HTTP refused", flush=True)


run_test("https_prometheus_e2e", main, work, children)
