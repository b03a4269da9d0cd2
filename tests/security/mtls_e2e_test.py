#!/usr/bin/env python3
"""Mutual TLS to the brokers, and certificates rotated under a running exporter, on the real
secure cluster (its MTLS listener requires a client certificate of the cluster's CA; the
principal is the certificate's subject).

Two client certificates of the cluster's CA, CN=kse-mtls-a and CN=kse-mtls-b, and Kafka ACLs on
one topic of this test: DENY User:CN=kse-mtls-a Describe, ALLOW User:CN=kse-mtls-b Describe,
DescribeConfigs and Read.

  * Kafka's own kafka-get-offsets logs in with certificate A over the MTLS listener and reads
    the log ends of a second topic; the exporter with certificate A serves the same log ends,
    every collector up, the probe up on every broker, every page valid for promtool; the denied
    topic is absent from its pages (the ACL on A's subject is in force), never zeros.
  * No certificate, and a certificate of another CA: kafka_sidecar_collector_up is 0 and the
    error says the broker refused the TLS connection.
  * Rotation: the running exporter's certificate and key files are replaced, first by a key that
    does not match (kafka_sidecar_credential_reloads_total{result="failed"} counts it, collection
    goes on with A), then by certificate B (result="ok"): the exporter opens every connection
    again as B, without a restart, and serves the topic that only B may describe, log ends equal
    to kafka-get-offsets; the probe is up again.
The ACLs and topics are removed at the end, whatever happened.
Usage: mtls_e2e_test.py SOURCE_DIR BUILD_DIR"""
import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import (Children, cluster_env, fail, http_get, log_ends, run_test, served, tool, until,  # noqa: E402
                     valid_pages)

root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-mtls-"))
children = Children(work)
CLUSTER_PORT, BROKER_BASE = 19808, 19871
STAMP = int(time.time())
DENIED_TOPIC = f"kse-mtls-only-b-{STAMP}"  # A may not describe it, B may
OPEN_TOPIC = f"kse-mtls-open-{STAMP}"
env = {}


def openssl(*args):
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        fail(f"openssl {args[0]} failed: {done.stderr.strip()[-300:]}")


def client_certificate(name, ca, ca_key):
    """A client certificate CN=name signed by `ca`: (cert.pem, key.pem, keystore.p12), the key 0600."""
    key, cert = work / f"{name}-key.pem", work / f"{name}.pem"
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", key, "-out",
            work / f"{name}.csr")
    (work / "client.ext").write_text("basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", work / f"{name}.csr", "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-CAserial",
            work / "ca.srl", "-days", "2", "-extfile", work / "client.ext", "-out", cert)
    key.chmod(0o600)
    keystore = work / f"{name}.p12"
    openssl("pkcs12", "-export", "-in", cert, "-inkey", key, "-name", name, "-out", keystore, "-passout",
            "pass:changeit")
    return cert, key, keystore


def tool_config(keystore):
    """Properties for Kafka's tools: SSL with `keystore` as the client certificate."""
    path = work / f"{keystore.stem}.properties"
    path.write_text("security.protocol=SSL\n"
                    f"ssl.truststore.type=PKCS12\nssl.truststore.location={env['TRUSTSTORE']}\n"
                    f"ssl.truststore.password={env['STORE_PASSWORD']}\n"
                    f"ssl.keystore.type=PKCS12\nssl.keystore.location={keystore}\nssl.keystore.password=changeit\n"
                    "ssl.endpoint.identification.algorithm=\n")
    return path


def acls(action):
    for principal, rest in (("--deny-principal", ["User:CN=kse-mtls-a", "--operation", "Describe"]),
                            ("--allow-principal", ["User:CN=kse-mtls-b", "--operation", "Describe", "--operation", "DescribeConfigs",
                                                   "--operation", "Read"])):
        tool("kafka-acls", "--bootstrap-server", env["BOOTSTRAP"].split(",")[0], action, "--force", principal, *rest,
             "--topic", DENIED_TOPIC)


def exporter(name, port, tls_lines, probe=False):
    config = work / f"{name}.yml"
    bootstrap = ", ".join(env["MTLS_BOOTSTRAP"].split(","))
    config.write_text(f"""
kafka:
  bootstrap_servers: [{bootstrap}]
  request_timeout: 900ms
  tls:
    enabled: true
    ca_file: {env['CA_FILE']}
{tls_lines}
collect: {{interval: 2s, timeout: 1900ms}}
serve: {{listen_address: 127.0.0.1, cluster_port: {port}, broker_port_base: {port + 63}}}
probe: {{enabled: {str(probe).lower()}, interval: 1s}}
jmx: {{enabled: false}}
""")
    log = work / ("exporter.log" if name == "exporter" else f"{name}.log")
    process = children.start([build / "exporter" / "kafka-sidecar-exporter", "-c", config], log.name)

    def answering():
        if process.poll() is not None:
            raise RuntimeError(f"the exporter ({name}) exited: {log.read_text()[-500:]}")
        return http_get(f"http://127.0.0.1:{port}/healthz", 2)
    until(f"the exporter ({name}) answers /healthz", 60, answering)
    return log


def pages(port, brokers=True):
    """Every page of the exporter on `port` and its three broker ports (or only the cluster port's),
    checked by promtool, merged."""
    return valid_pages((port, port + 63, port + 64, port + 65) if brokers else (port,))


def collects_topic(series, topic, ends):
    """Every collector up and `topic`'s log ends as Kafka's tool read them."""
    down = [labels for (n, labels), v in series.items() if n == "kafka_sidecar_collector_up" and v != 1.0]
    if down:
        return False
    return all(served(series, "kafka_topic_partition_current_offset", topic=topic, partition=p) == [end]
               for p, end in ends.items())


def refused(port, log, what):
    """The exporter on `port` cannot log in: metadata down, and the reason says TLS. It knows no
    broker, so it serves only its cluster port."""
    def check():
        series = pages(port, brokers=False)
        if served(series, "kafka_sidecar_collector_up", collector="metadata") != [0.0]:
            return False
        reasons = [dict(labels).get("reason", "") for (n, labels) in series
                   if n == "kafka_sidecar_collector_error_info" and ("collector", "metadata") in labels]
        return reasons if reasons else False
    reasons = until(f"{what}: the metadata collector down with a reason", 30, check)
    text = log.read_text()
    if "TLS" not in text and "certificate" not in text:
        fail(f"{what}: the exporter's log does not say the TLS connection was refused: {text[-600:]}")
    print(f"{what}: refused, kafka_sidecar_collector_error_info reason {reasons}", flush=True)


def main():
    env.update(cluster_env())
    if env.get("SECURE") != "1" or not env.get("MTLS_BOOTSTRAP"):
        fail("the test cluster runs without its mutual TLS listener (cluster/kafka-cluster start --secure)")
    certs = pathlib.Path(env["CA_FILE"]).parent
    cert_a, key_a, keystore_a = client_certificate("kse-mtls-a", certs / "ca.pem", certs / "ca-key.pem")
    cert_b, key_b, _ = client_certificate("kse-mtls-b", certs / "ca.pem", certs / "ca-key.pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=another-ca", "-keyout",
            work / "other-ca-key.pem", "-out", work / "other-ca.pem")
    cert_x, key_x, _ = client_certificate("kse-mtls-stranger", work / "other-ca.pem", work / "other-ca-key.pem")
    admin = env["BOOTSTRAP"].split(",")[0]
    for topic in (DENIED_TOPIC, OPEN_TOPIC):
        tool("kafka-topics", "--bootstrap-server", admin, "--create", "--topic", topic, "--partitions", "3",
             "--replication-factor", "2")
        tool("kafka-producer-perf-test", "--topic", topic, "--num-records", "200", "--record-size", "40",
             "--throughput", "-1", "--producer-props", f"bootstrap.servers={admin}", "acks=all")
    acls("--add")

    # Kafka's own tool over the MTLS listener, as A: the independent source of the log ends.
    mtls = env["MTLS_BOOTSTRAP"].split(",")[0]
    ends = log_ends(OPEN_TOPIC, mtls, "--command-config", str(tool_config(keystore_a)))
    denied_ends = log_ends(DENIED_TOPIC, admin)

    # The files the running exporter reads, rotated below.
    live_cert, live_key = work / "live-cert.pem", work / "live-key.pem"
    live_cert.write_bytes(cert_a.read_bytes())
    live_key.write_bytes(key_a.read_bytes())
    live_key.chmod(0o600)
    log = exporter("exporter", CLUSTER_PORT, f"    cert_file: {live_cert}\n    key_file: {live_key}", probe=True)

    def probe_up(series):
        return sorted(served(series, "kafka_probe_up")) == [1.0, 1.0, 1.0]

    def as_a():
        series = pages(CLUSTER_PORT)
        return series if collects_topic(series, OPEN_TOPIC, ends) and probe_up(series) else False
    series = until("as A: every collector up, log ends equal to kafka-get-offsets, probe up on 3 brokers", 90, as_a,
                   lambda: {dict(ls).get("collector"): v for (n, ls), v in pages(CLUSTER_PORT).items()
                            if n in ("kafka_sidecar_collector_up", "kafka_probe_up")})
    if served(series, "kafka_topic_partitions", topic=DENIED_TOPIC):
        fail(f"{DENIED_TOPIC} is served although its ACL denies User:CN=kse-mtls-a Describe")
    print(f"mutual TLS as CN=kse-mtls-a: {len(ends)} log ends equal to kafka-get-offsets over the same listener, "
          f"probe up on 3 brokers, {DENIED_TOPIC} (denied to A) absent", flush=True)

    # Without a client certificate, and with one of another CA.
    refused(CLUSTER_PORT + 200, exporter("no-certificate", CLUSTER_PORT + 200, ""), "no client certificate")
    refused(CLUSTER_PORT + 300, exporter("stranger", CLUSTER_PORT + 300, f"    cert_file: {cert_x}\n"
                                         f"    key_file: {key_x}"), "a certificate of another CA")

    # Rotation 1: B's certificate with A's key: unusable, A stays in use.
    def reloads(result):
        return served(pages(CLUSTER_PORT), "kafka_sidecar_credential_reloads_total", result=result)
    staged = work / "staged-cert.pem"
    staged.write_bytes(cert_b.read_bytes())
    os.replace(staged, live_cert)
    until("a certificate that does not match its key counted as a failed reload", 30,
          lambda: reloads("failed") == [1.0], lambda: reloads("failed"))
    if not collects_topic(pages(CLUSTER_PORT), OPEN_TOPIC, ends):
        fail("after a rotation that could not be used, the exporter stopped collecting with the previous files")

    # Rotation 2: B's key too: every connection opens again as B.
    staged = work / "staged-key.pem"
    staged.write_bytes(key_b.read_bytes())
    staged.chmod(0o600)
    os.replace(staged, live_key)

    def as_b():
        series = pages(CLUSTER_PORT)
        return series if (collects_topic(series, DENIED_TOPIC, denied_ends) and probe_up(series)
                          and served(series, "kafka_sidecar_credential_reloads_total", result="ok") == [1.0]) else False
    until(f"after rotation to B: {DENIED_TOPIC} served with its log ends, every collector and the probe up", 90, as_b,
          lambda: {n: v for (n, ls), v in pages(CLUSTER_PORT).items()
                   if n in ("kafka_sidecar_credential_reloads_total", "kafka_probe_up")})
    if "login files changed" not in log.read_text():
        fail("the exporter's log does not say it took the rotated files into use")
    print(f"rotation: a mismatched key refused (reloads failed 1), then CN=kse-mtls-b taken without a restart: "
          f"{DENIED_TOPIC} served, {len(denied_ends)} log ends equal to kafka-get-offsets, probe up", flush=True)


def cleanup():
    if not env:
        return
    admin = env["BOOTSTRAP"].split(",")[0]
    for args in (("kafka-acls", "--bootstrap-server", admin, "--remove", "--force", "--topic", DENIED_TOPIC),
                 ("kafka-topics", "--bootstrap-server", admin, "--delete", "--topic", DENIED_TOPIC),
                 ("kafka-topics", "--bootstrap-server", admin, "--delete", "--topic", OPEN_TOPIC)):
        subprocess.run([str(root / "cluster" / "kafka-tool"), *args], capture_output=True, timeout=120)


run_test("mtls_e2e", main, work, children, cleanup)
