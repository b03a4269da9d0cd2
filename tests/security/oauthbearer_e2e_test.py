#!/usr/bin/env python3
"""SASL/OAUTHBEARER with OIDC client credentials (KIP-768) against the real secure cluster:
the brokers validate tokens of the cluster's token endpoint (cluster/oidc-token-server)
with Kafka's own OAuthBearerValidatorCallbackHandler on the SASL_PLAINTEXT listener.

  * as client kse-exporter, the exporter collects the full page: the same family names
    as a PLAINTEXT run of the same exporter, every collector up, log ends equal to
    kafka-get-offsets, every page valid for promtool check metrics;
  * its probe (librdkafka, fed by the exporter's token provider) produces and consumes
    over OAUTHBEARER: kafka_probe_up 1 for every broker;
  * the token (60 s) is renewed while the exporter runs and the broker's session of the
    first one ends, with no collector failing and the probe going on;
  * a wrong secret, an expired token (kse-expired) and a token for another audience
    (kse-wrong-audience) each leave kafka_sidecar_collector_up{collector="metadata"} 0
    with kafka_sidecar_collector_error_info reason authentication, and the log says why;
  * private_key_jwt (RFC 7523): with its key instead of a secret, kse-jwt-client collects;
    with another key the endpoint refuses the assertion, and the log says so.
Ports come from `kafka-cluster env`, so the test runs against a cluster at any
KSE_PORT_OFFSET. A cluster without OAUTHBEARER fails the test (Kafka 2.8 has no validator).
Usage: oauthbearer_e2e_test.py SOURCE_DIR BUILD_DIR"""
import pathlib
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, cluster_env, fail, quick_exporter_config, run_test, served, until, valid_pages  # noqa: E402
from logins import (BROKERS, all_ports, full_page, page, plaintext_probe, ports, refused_login,  # noqa: E402
                    seeded_topic)

root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-oauthbearer-"))
children = Children(work)
EXPORTER = build / "exporter" / "kafka-sidecar-exporter"
TOPIC = f"kse-oauthbearer-{int(time.time())}"


def secret_file(name, secret):
    path = work / name
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return path


def oauth_config(env, client_id, secret, cluster_port, broker_base, probe, key=None):
    """The exporter on the OAUTHBEARER listener as `client_id`; the secret in a file, or with
    `key` (a private key file) a signed client assertion instead (private_key_jwt)."""
    servers = ", ".join(f'"{a}"' for a in env["SASL_PLAINTEXT_BOOTSTRAP"].split(","))
    if key:
        authentication = f"      private_key_file: {key}\n"
    else:
        authentication = f"      client_secret_file: {secret_file(f'{client_id}-{cluster_port}.secret', secret)}\n"
    probe_yaml = (f"probe: {{enabled: true, group: kse-oauthbearer-probe-{cluster_port}, interval: 1s}}\n" if probe
                  else "probe: {enabled: false}\n")
    return (f"kafka:\n  bootstrap_servers: [{servers}]\n  request_timeout: 800ms\n"
            "  sasl:\n    mechanism: OAUTHBEARER\n    oauthbearer:\n"
            f"      token_endpoint_url: {env['OIDC_TOKEN_ENDPOINT']}\n"
            f"      client_id: {client_id}\n" + authentication +
            "collect: {interval: 2s, timeout: 1800ms}\n"
            f"serve: {{listen_address: 127.0.0.1, cluster_port: {cluster_port}, broker_port_base: {broker_base}}}\n"
            + probe_yaml)


def start(name, text):
    config = work / f"{name}.yml"
    config.write_text(text)
    process = children.start([EXPORTER, "-c", config], f"{name}.log")
    return process


def check_cluster(env):
    if env.get("SECURE") != "1":
        fail("the test cluster runs without --secure: no SASL listener (start it with `kafka-cluster start --secure`)")
    if "OAUTHBEARER" not in env.get("SASL_MECHANISMS", "").split(","):
        version = env.get("KAFKA_VERSION", "?")
        why = (f"Kafka {version} has no OIDC token validator (Kafka 3.1 and later have it)" if version.startswith("2.")
               else "cluster/oidc.sh did not enable it")
        fail(f"the secure cluster's listeners offer {env.get('SASL_MECHANISMS')}, no OAUTHBEARER: {why}")
    for key in ("OIDC_TOKEN_ENDPOINT", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_LOG", "OIDC_EXPIRED_CLIENT_ID",
                "OIDC_EXPIRED_CLIENT_SECRET", "OIDC_WRONG_AUDIENCE_CLIENT_ID", "OIDC_WRONG_AUDIENCE_CLIENT_SECRET"):
        if not env.get(key):
            fail(f"kafka-cluster env has no {key}")


def main():
    env = cluster_env()
    check_cluster(env)
    ends = seeded_topic(env, TOPIC)

    # The same exporter on PLAINTEXT, for the family names, and on OAUTHBEARER.
    plain_cluster, plain_base = ports()
    start("plaintext", quick_exporter_config(env["BOOTSTRAP"], plain_cluster, plain_base)
          .replace("probe: {enabled: false}", plaintext_probe(plain_cluster)))
    cluster_port, base = ports()
    start("exporter", oauth_config(env, env["OIDC_CLIENT_ID"], env["OIDC_CLIENT_SECRET"], cluster_port, base, True))
    started = time.monotonic()
    oauth = full_page("OAUTHBEARER", (cluster_port, base), (plain_cluster, plain_base), TOPIC, ends,
                      work / "exporter.log")
    print(f"OAUTHBEARER: {len({name for name, _ in oauth})} families as over PLAINTEXT, {len(ends)} log ends equal to "
          "kafka-get-offsets, probe up on every broker", flush=True)

    # The token lasts 60 s and is renewed at 80%; the broker ends each login when its token
    # expires (KIP-368), so the exporter opens its connections again before then. Every page,
    # past the first token's expiry, has every collector up, and the probe keeps receiving.
    lifetime = int(env.get("OIDC_TOKEN_LIFETIME_SECONDS", "60"))
    log = work / "exporter.log"
    renewed_at = None
    # The probe's series are on the broker ports.
    received_before = sum(served(valid_pages(all_ports(cluster_port, base)), "kafka_probe_messages_received_total"))
    deadline = started + lifetime * 2 + 30
    watched_until = started + lifetime + 20
    while time.monotonic() < deadline:
        series = page(cluster_port)
        down = [labels for (name, labels), value in series.items()
                if name == "kafka_sidecar_collector_up" and value != 1]
        if down:
            fail(f"a collector went down around the token renewal: {down}")
        if renewed_at is None and re.search(r"OAUTHBEARER: token 2 for client 'kse-exporter'", log.read_text()):
            renewed_at = time.monotonic()
        if renewed_at is not None and time.monotonic() > max(renewed_at + 10, watched_until):
            break
        time.sleep(1)
    if renewed_at is None:
        fail(f"no second token within {lifetime * 2 + 30} s of a {lifetime} s token")
    after = valid_pages(all_ports(cluster_port, base))
    received_after = sum(served(after, "kafka_probe_messages_received_total"))
    probe = served(after, "kafka_probe_up")
    if received_after <= received_before or len(probe) != len(BROKERS) or min(probe) != 1:
        fail(f"the probe stopped around the token renewal: received {received_before} -> {received_after}, "
             f"kafka_probe_up {probe}")
    issued = len(re.findall(r"issued token \d+ to kse-exporter", pathlib.Path(env["OIDC_LOG"]).read_text()))
    # Debian's librdkafka (2.0) cannot re-authenticate: the broker drops the probe's connections
    # at each token's expiry and librdkafka connects again with the renewed token.
    drops = log.read_text().count("Disconnected (after")
    print(f"renewal: a second token after {renewed_at - started:.0f} s, every cycle up for "
          f"{time.monotonic() - started:.0f} s, probe received {received_after - received_before:.0f} more "
          f"({issued} tokens issued to kse-exporter so far, {drops} probe reconnects logged)", flush=True)

    # Each failure: the metadata collector (the one every other needs) down with reason
    # authentication, and the log says why.
    # (name, client id, secret, what one warning line of the log must say)
    failures = [("wrong-secret", env["OIDC_CLIENT_ID"], "not-the-secret", ["401 invalid_client"]),
                ("expired", env["OIDC_EXPIRED_CLIENT_ID"], env["OIDC_EXPIRED_CLIENT_SECRET"],
                 ["had expired 3600 s before it arrived"]),
                ("wrong-audience", env["OIDC_WRONG_AUDIENCE_CLIENT_ID"], env["OIDC_WRONG_AUDIENCE_CLIENT_SECRET"],
                 ["the broker refused the token", "invalid_token", "audience 'other'"])]
    for name, client_id, secret, reason in failures:
        port, failing_base = ports()
        process = start(name, oauth_config(env, client_id, secret, port, failing_base, False))

        refused_login(name, port)
        text = (work / f"{name}.log").read_text()
        line = next((line for line in text.splitlines() if "[warning]" in line and all(r in line for r in reason)),
                    None)
        if line is None:
            fail(f"{name}: no warning in the exporter's log says {reason}: {text[-800:]}")
        if secret in text or "eyJ" in text:
            fail(f"{name}: the exporter's log shows the client secret or a token")
        print(f"{name}: collector_up 0 (authentication); log: {line.strip()[-300:]}", flush=True)
        children.stop_one(process)

    if "exporter-secret" in log.read_text() or "eyJ" in log.read_text():
        fail("the exporter's log shows the client secret or a token")

    # private_key_jwt (RFC 7523): the client signs an assertion with its key; the endpoint checks
    # it with the public half it holds. The right key collects, another key is refused.
    port, key_base = ports()
    process = start("private-key-jwt", oauth_config(env, env["OIDC_JWT_CLIENT_ID"], None, port, key_base, False,
                                                    env["OIDC_JWT_CLIENT_KEY"]))

    def collects():
        series = page(port)
        ups = served(series, "kafka_sidecar_collector_up")
        return ups and min(ups) == 1 and served(series, "kafka_brokers") == [float(len(BROKERS))]
    until("private_key_jwt: every collector up", 60, collects,
          lambda: (work / "private-key-jwt.log").read_text()[-600:])
    children.stop_one(process)
    other_key = work / "other-key.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-out", str(other_key)], check=True,
                   capture_output=True, timeout=60)
    other_key.chmod(0o600)
    port, key_base = ports()
    process = start("other-key", oauth_config(env, env["OIDC_JWT_CLIENT_ID"], None, port, key_base, False, other_key))
    refused_login("other-key", port)
    if "client assertion refused" not in (work / "other-key.log").read_text():
        fail("other-key: the exporter's log does not give the endpoint's reason for refusing the assertion")
    children.stop_one(process)
    print("private_key_jwt: the client's key collects every family; another key is refused (client assertion "
          "refused)", flush=True)


if __name__ == "__main__":
    print(f"logs in {work}", flush=True)
    run_test("oauthbearer_e2e", main, work, children)
