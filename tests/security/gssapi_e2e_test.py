#!/usr/bin/env python3
"""SASL/GSSAPI (Kerberos) against the real secure cluster: the brokers' SASL_PLAINTEXT
listener takes GSSAPI with the MIT KDC of cluster/kerberos.sh (realm KSE.TEST).

  * Kafka's own kafka-get-offsets logs in with GSSAPI (kse-client), an independent check
    that the listener and the realm work;
  * as kse-exporter, from its keytab, the exporter collects the full page: the same family
    names as a PLAINTEXT run of the same exporter, every collector up, log ends equal to
    kafka-get-offsets, every page valid for promtool check metrics;
  * its probe (librdkafka with Cyrus SASL, kinit into a cache of its own) produces and
    consumes over GSSAPI: kafka_probe_up 1 for every broker;
  * a principal the KDC no longer knows, a keytab without the principal's key, and a
    stopped KDC each leave the metadata collector down (kafka_sidecar_collector_up 0,
    kafka_sidecar_collector_error_info reason authentication) and no broker up, and the
    log says why in an operator's words.
Ports come from `kafka-cluster env`, so the test runs against a cluster at any
KSE_PORT_OFFSET. A cluster without GSSAPI fails the test.
Usage: gssapi_e2e_test.py SOURCE_DIR BUILD_DIR"""
import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, cluster_env, fail, log_ends, quick_exporter_config, run_test, served  # noqa: E402
from logins import full_page, plaintext_probe, ports, refused_login, seeded_topic  # noqa: E402

root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-gssapi-"))
children = Children(work)
EXPORTER = build / "exporter" / "kafka-sidecar-exporter"
TOPIC = f"kse-gssapi-{int(time.time())}"
ENV_KEYS = ("KRB5_CONFIG", "KERBEROS_REALM", "KERBEROS_PRINCIPAL", "KERBEROS_KEYTAB", "KERBEROS_CLIENT_KEYTAB",
            "KERBEROS_REMOVED_PRINCIPAL", "KERBEROS_REMOVED_KEYTAB", "KERBEROS_TOOL_JAVA_OPTS",
            "CLIENT_CONFIG_GSSAPI")


def gssapi_config(env, principal, keytab, cluster_port, broker_base, probe):
    servers = ", ".join(f'"{a}"' for a in env["SASL_PLAINTEXT_BOOTSTRAP"].split(","))
    probe_yaml = (f"probe: {{enabled: true, group: kse-gssapi-probe-{cluster_port}, interval: 1s}}\n" if probe
                  else "probe: {enabled: false}\n")
    return (f"kafka:\n  bootstrap_servers: [{servers}]\n  request_timeout: 800ms\n"
            "  sasl:\n    mechanism: GSSAPI\n    kerberos:\n"
            f"      principal: {principal}\n      keytab: {keytab}\n      config: {env['KRB5_CONFIG']}\n"
            "collect: {interval: 2s, timeout: 1800ms}\n"
            f"serve: {{listen_address: 127.0.0.1, cluster_port: {cluster_port}, broker_port_base: {broker_base}}}\n"
            + probe_yaml)


def start(name, text):
    config = work / f"{name}.yml"
    config.write_text(text)
    # No KRB5_CONFIG or ticket cache from the caller: the configuration alone says where the KDC is.
    clean = {k: v for k, v in os.environ.items() if k not in ("KRB5_CONFIG", "KRB5CCNAME")}
    with open(work / f"{name}.log", "w") as out:
        process = subprocess.Popen([str(EXPORTER), "-c", str(config)], stdout=out, stderr=subprocess.STDOUT, env=clean)
    children.processes.append(process)
    return process


def kdc(action):
    """Stops or starts the cluster's KDC alone (cluster/kerberos.sh through lib.sh)."""
    done = subprocess.run(["bash", "-c", f'source "$1/cluster/lib.sh" && kerberos_{action}', "_", str(root)],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        fail(f"kerberos_{action} failed: {done.stderr.strip()[-400:]}")


def check_cluster(env):
    if env.get("SECURE") != "1":
        fail("the test cluster runs without --secure: no SASL listener (start it with `kafka-cluster start --secure`)")
    if "GSSAPI" not in env.get("SASL_MECHANISMS", "").split(","):
        fail(f"the secure cluster's listeners offer {env.get('SASL_MECHANISMS')}, no GSSAPI: is the MIT KDC "
             "installed (krb5-kdc, krb5-admin-server, krb5-user: scripts/install-deps)?")
    for key in ENV_KEYS:
        if not env.get(key):
            fail(f"kafka-cluster env has no {key}")


def main():
    env = cluster_env()
    check_cluster(env)
    sasl_bootstrap = env["SASL_PLAINTEXT_BOOTSTRAP"].split(",")[0]
    ends = seeded_topic(env, TOPIC)

    # Kafka's own client over GSSAPI: the listener works whatever the exporter does.
    os.environ["KSE_TOOL_JAVA_OPTS"] = env["KERBEROS_TOOL_JAVA_OPTS"]
    try:
        tool_ends = log_ends(TOPIC, sasl_bootstrap, "--command-config", env["CLIENT_CONFIG_GSSAPI"])
    finally:
        del os.environ["KSE_TOOL_JAVA_OPTS"]
    if tool_ends != ends:
        fail(f"kafka-get-offsets over GSSAPI says {tool_ends}, over PLAINTEXT {ends}")
    print(f"kafka-get-offsets logs in with GSSAPI as {env['KERBEROS_CLIENT_PRINCIPAL']}: {tool_ends}", flush=True)

    plain_cluster, plain_base = ports()
    start("plaintext", quick_exporter_config(env["BOOTSTRAP"], plain_cluster, plain_base)
          .replace("probe: {enabled: false}", plaintext_probe(plain_cluster)))
    cluster_port, base = ports()
    start("exporter", gssapi_config(env, env["KERBEROS_PRINCIPAL"], env["KERBEROS_KEYTAB"], cluster_port, base, True))
    gssapi = full_page("GSSAPI", (cluster_port, base), (plain_cluster, plain_base), TOPIC, ends, work / "exporter.log")
    received = sum(served(gssapi, "kafka_probe_messages_received_total"))
    if received <= 0:
        fail("the probe received nothing over GSSAPI")
    print(f"GSSAPI: {len({name for name, _ in gssapi})} families as over PLAINTEXT, {len(ends)} log ends equal to "
          f"kafka-get-offsets, probe up on every broker ({received:.0f} received)", flush=True)
    if not any(path.name.startswith("kse-exporter-krb5-") for path in pathlib.Path(os.environ.get("TMPDIR", "/tmp")).iterdir()):
        fail("the probe's private ticket cache directory is missing while the exporter runs")

    def refused(name, port, reason):
        refused_login(name, port)
        text = (work / f"{name}.log").read_text()
        if reason not in text:
            fail(f"{name}: the exporter's log does not say '{reason}': {text[-800:]}")
        line = next(line for line in text.splitlines() if reason in line)
        print(f"{name}: collector_up 0 (authentication); log: {line.strip()[-300:]}", flush=True)

    failures = [("removed-principal", env["KERBEROS_REMOVED_PRINCIPAL"], env["KERBEROS_REMOVED_KEYTAB"],
                 f"principal {env['KERBEROS_REMOVED_PRINCIPAL']} is not known to the KDC"),
                ("wrong-keytab", env["KERBEROS_PRINCIPAL"], env["KERBEROS_CLIENT_KEYTAB"],
                 f"keytab {env['KERBEROS_CLIENT_KEYTAB']} has no key for {env['KERBEROS_PRINCIPAL']}")]
    for name, principal, keytab, reason in failures:
        port, failing_base = ports()
        process = start(name, gssapi_config(env, principal, keytab, port, failing_base, False))
        refused(name, port, reason)
        children.stop_one(process)

    # The KDC stopped: the running exporter's connections stay, a new one cannot log in.
    kdc("stop")
    try:
        port, failing_base = ports()
        process = start("kdc-stopped", gssapi_config(env, env["KERBEROS_PRINCIPAL"], env["KERBEROS_KEYTAB"], port,
                                                     failing_base, False))
        refused("kdc-stopped", port, "is unreachable")
        children.stop_one(process)
    finally:
        kdc("start")


if __name__ == "__main__":
    print(f"logs in {work}", flush=True)
    run_test("gssapi_e2e", main, work, children)
