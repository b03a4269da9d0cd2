"""The alert path end to end, with real processes on loopback: our exporter watches
the cluster of cluster/kafka-cluster (KSE_CLUSTER_DIR / KSE_PORT_OFFSET select a
private one), a real Prometheus scrapes it with our rules and sends alerts to a
real Alertmanager, whose webhook is a small receiver in this process.

* every scrape target is up and nothing is under-replicated yet;
* broker 2 killed -> KafkaUnderReplicatedPartitions fires in Prometheus for the
  topics kafka-topics lists as under-replicated, and reaches the webhook (firing);
  broker 2 started again -> the alert resolves and the webhook gets "resolved";
* a consumer group consumes a topic, stops while a producer goes on ->
  KafkaConsumerGroupLagHigh fires for that group (and reaches the webhook) while
  kafka-consumer-groups shows its lag growing, then KafkaConsumerGroupStopped
  (status STOPPED: no members, offsets still, lag never zero) pages for it.

To run in minutes, the rules are rewritten into the temporary directory: every
`for:` becomes 10s and the lag threshold 20 seconds instead of 300 (docs/alerts.md
says so). Broker 2 is always started again, and the test waits until Kafka reports
no under-replicated partition before it ends.
Usage: alerts_e2e_test.py PROJECT_ROOT BUILD_DIR"""
import functools
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import harness  # noqa: E402
from harness import Children, Webhook, cluster_env, free_port, http_get, prometheus_query, short_alert_rules, \
    tool  # noqa: E402

root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
exporter_binary = build / "exporter" / "kafka-sidecar-exporter"
SHORT_FOR = "10s"
LAG_THRESHOLD_SECONDS = 20
URP_ALERT, LAG_ALERT = "KafkaUnderReplicatedPartitions", "KafkaConsumerGroupLagHigh"
STOPPED_ALERT = "KafkaConsumerGroupStopped"
# Alerts that must stay silent while every broker runs (groups left by other tests
# may lag, so the consumer alerts are not in this list).
HEALTH_ALERTS = [URP_ALERT, "KafkaUnderMinIsrPartitions", "KafkaOfflinePartitions", "KafkaBrokerDown",
                 "KafkaNoQuorumLeader", "KafkaQuorumVoterLagging", "KafkaTargetDown", "KafkaLogDirOffline",
                 "KafkaExporterCollectionStale", "KafkaExporterCollectorDown", "KafkaExporterJmxDown"]
KILLED_BROKER = "2"

work = pathlib.Path(tempfile.mkdtemp(prefix="kse-alerts-e2e-"))
children = Children(work)
start = children.start
passed = 0


def check(condition, message):
    global passed
    if not condition:
        raise AssertionError(message)
    passed += 1
    print("ok:", message, flush=True)


# The scenario's waits all end by this deadline, so that restoring the cluster
# (bounded on its own) fits in the ctest TIMEOUT, which kills without notice.
scenario_deadline = time.time() + 330


def wait_until(what, seconds, attempt, pause=1.0, restoring=False):
    """Calls attempt() until it returns something truthy; fails after `seconds`."""
    deadline = time.time() + seconds if restoring else min(time.time() + seconds, scenario_deadline)
    while True:
        try:
            result = attempt()
            if result:
                return result
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
        if time.time() > deadline:
            raise AssertionError(f"{what}: not within {seconds}s")
        time.sleep(pause)


# The shared helpers, with this test's 180 s bound on a cluster command.
cluster = functools.partial(harness.cluster, timeout=180)


def under_replicated_topics():
    """Topics Kafka itself lists as having under-replicated partitions."""
    out = tool("kafka-topics", "--bootstrap-server", bootstrap, "--describe", "--under-replicated-partitions")
    return {line.split("Topic:")[1].split()[0] for line in out.splitlines() if "Topic:" in line}


def group_lag(group):
    """Sum of LAG and of CURRENT-OFFSET over the group's partitions, from kafka-consumer-groups."""
    out = tool("kafka-consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group)
    lag = committed = 0
    header = None
    for line in out.splitlines():
        fields = line.split()
        if "LAG" in fields and "CURRENT-OFFSET" in fields:
            header = fields
        elif header and len(fields) >= len(header) - 3 and fields[0] == group:
            row = dict(zip(header, fields))
            lag += int(row["LAG"])
            committed += int(row["CURRENT-OFFSET"])
    if header is None:
        raise ValueError(f"no partition table for group {group}")
    return lag, committed


def query(expr):
    return prometheus_query(prom_port, expr, timeout=10)


def firing(alertname, **labels):
    matchers = "".join(f',{key}="{value}"' for key, value in labels.items())
    return query(f'ALERTS{{alertname="{alertname}",alertstate="firing"{matchers}}}')


def broker_running(broker):
    return f"broker {broker}: running" in cluster("status")


env = cluster_env()
bootstrap = env["BOOTSTRAP"].split(",")[0]
brokers = ["1", "2", "3"]
broker_ports = {broker: free_port() for broker in brokers}
cluster_port, prom_port, am_port, webhook_port = free_port(), free_port(), free_port(), free_port()
suffix = f"{int(time.time())}-{os.getpid()}"
lag_topic, lag_group = f"kse-alerts-e2e-{suffix}", f"kse-alerts-e2e-{suffix}"
killed = False
background_producer = None
exit_code = 1
# Stopped with SIGTERM, the test still runs the finally block that restores broker 2.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

try:
    missing = [b for b in brokers if not broker_running(b)]
    check(not missing, f"cluster brokers {brokers} running ({env['KSE_CLUSTER_DIR']})")
    check(exporter_binary.exists(), f"exporter built at {exporter_binary}")

    jolokia = "\n".join(f"    {b}: {env[f'BROKER_{b}_JOLOKIA']}" for b in brokers)
    (work / "exporter.yml").write_text(f"""
kafka:
  bootstrap_servers: [{env['BOOTSTRAP']}]
  request_timeout: 750ms
collect: {{interval: 2s, timeout: 1500ms}}
serve:
  listen_address: 127.0.0.1
  cluster_port: {cluster_port}
  broker_ports: {{{", ".join(f"{b}: {p}" for b, p in broker_ports.items())}}}
jmx:
  enabled: true
  timeout: 1s
  rules_file: {root / "exporter" / "kafka-broker-rules.yml"}
  brokers:
{jolokia}
""")
    start([str(exporter_binary), "-c", str(work / "exporter.yml")], "exporter.log")

    webhook = Webhook(webhook_port)

    alertmanager = yaml.safe_load((root / "prometheus" / "alertmanager.yml").read_text())
    alertmanager["route"].update(group_wait="1s", group_interval="2s", repeat_interval="1m")
    for receiver in alertmanager["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = f"http://127.0.0.1:{webhook_port}/alerts"
    (work / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager, sort_keys=False))
    start(["prometheus-alertmanager", f"--config.file={work / 'alertmanager.yml'}",
           f"--storage.path={work / 'alertmanager'}", f"--web.listen-address=127.0.0.1:{am_port}",
           "--cluster.listen-address="], "alertmanager.log")

    # KafkaConsumerGroupLagHigh's threshold of 300 s, lowered.
    short_alert_rules(root, work, SHORT_FOR, {LAG_ALERT: [("> 300", f"> {LAG_THRESHOLD_SECONDS}")]})
    prometheus = yaml.safe_load((root / "prometheus" / "prometheus.yml").read_text())
    prometheus["global"].update(scrape_interval="2s", evaluation_interval="2s", scrape_timeout="2s")
    prometheus["rule_files"] = [str(work / "kafka-alerts.yml"), str(work / "kafka-recording.yml")]
    prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = [f"127.0.0.1:{am_port}"]
    # Only the exporter's job: the courier tools are not part of this test.
    prometheus["scrape_configs"] = [job for job in prometheus["scrape_configs"] if job["job_name"] == "kafka"]
    kafka_job = prometheus["scrape_configs"][0]
    check(kafka_job.get("honor_labels") is True, "prometheus.yml scrapes the exporter with honor_labels: true")
    for target_group in kafka_job["static_configs"]:
        broker = str(target_group["labels"]["broker"])
        port = cluster_port if broker == "cluster" else broker_ports[broker]
        target_group["targets"] = [f"127.0.0.1:{port}"]
    (work / "prometheus.yml").write_text(yaml.safe_dump(prometheus, sort_keys=False))
    start(["prometheus", f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'tsdb'}",
           f"--web.listen-address=127.0.0.1:{prom_port}"], "prometheus.log")

    for url in (f"http://127.0.0.1:{cluster_port}/ready", f"http://127.0.0.1:{am_port}/-/ready",
                f"http://127.0.0.1:{prom_port}/-/ready"):
        wait_until(f"{url} answers", 60, lambda: http_get(url, 2) is not None)

    def targets_up():
        targets = json.loads(http_get(f"http://127.0.0.1:{prom_port}/api/v1/targets"))["data"]["activeTargets"]
        return len(targets) == 4 and all(t["health"] == "up" for t in targets) and targets

    targets = wait_until("all 4 exporter targets up in Prometheus", 60, targets_up)
    check(sorted(t["labels"]["broker"] for t in targets) == ["1", "2", "3", "cluster"],
          "targets for brokers 1, 2, 3 and the cluster port are up")
    rules = json.loads(http_get(f"http://127.0.0.1:{prom_port}/api/v1/rules"))["data"]["groups"]
    loaded = {rule["name"] for group in rules for rule in group["rules"] if rule["type"] == "alerting"}
    check({URP_ALERT, LAG_ALERT} <= loaded, f"Prometheus loaded our {len(loaded)} alerts")

    wait_until("Kafka reports no under-replicated partition before the test", 120,
               lambda: not under_replicated_topics(), pause=3)
    wait_until("the exporter serves the partitions' replication state", 60,
               lambda: query("count(kafka_topic_partition_under_replicated_partition == 0) > 0"))
    time.sleep(15)  # longer than the rewritten for: so that a false alarm would be firing by now
    false_alarms = {a["metric"]["alertname"] for a in query(f'ALERTS{{alertname=~"{"|".join(HEALTH_ALERTS)}"}}')}
    check(not false_alarms, f"none of {len(HEALTH_ALERTS)} cluster health alerts pending or firing on a healthy cluster"
          + (f" (got {sorted(false_alarms)})" if false_alarms else ""))

    # A broker crash: its replicas leave the ISR once the controller fences it.
    cluster("kill-broker", KILLED_BROKER)
    killed = True
    kafka_urp = wait_until("kafka-topics lists under-replicated partitions after the kill", 90,
                           under_replicated_topics, pause=2)
    print(f"kafka-topics: under-replicated topics {sorted(kafka_urp)}", flush=True)

    def urp_alert_matches_kafka():
        alert_topics = {a["metric"]["topic"] for a in firing(URP_ALERT)}
        return alert_topics and alert_topics == under_replicated_topics() and alert_topics

    alert_topics = wait_until(f"{URP_ALERT} firing for the topics kafka-topics lists", 120,
                              urp_alert_matches_kafka, pause=2)
    check(True, f"{URP_ALERT} firing in Prometheus for {sorted(alert_topics)}, as kafka-topics lists")
    down = wait_until("KafkaBrokerDown firing", 60, lambda: firing("KafkaBrokerDown"), pause=2)
    check({a["metric"]["broker"] for a in down} == {KILLED_BROKER} and not broker_running(KILLED_BROKER),
          f"KafkaBrokerDown fires for broker {KILLED_BROKER} only, the one kafka-cluster status shows stopped")
    webhook_firing = wait_until(f"{URP_ALERT} firing at the webhook", 60,
                                lambda: webhook.alerts(URP_ALERT, "firing"))
    check({a["severity"] for a in webhook_firing} == {"warning"} and
          {a["topic"] for a in webhook_firing} <= alert_topics | kafka_urp,
          f"Alertmanager delivered {URP_ALERT} (firing, severity warning) to the webhook")

    cluster("start-broker", KILLED_BROKER, timeout=240)
    killed = False
    wait_until("Kafka reports no under-replicated partition after the restart", 180,
               lambda: not under_replicated_topics(), pause=3)
    wait_until(f"{URP_ALERT} no longer firing in Prometheus", 60, lambda: not firing(URP_ALERT))
    check(True, f"{URP_ALERT} resolved in Prometheus once Kafka lists no under-replicated partition")
    # One notification per (alertname, topic) group, each sent on its own group_interval tick.
    firing_topics = {a["topic"] for a in webhook.alerts(URP_ALERT, "firing")}

    def resolved_topics():
        return {a["topic"] for a in webhook.alerts(URP_ALERT, "resolved")}

    try:
        wait_until(f"{URP_ALERT} resolved at the webhook for every topic sent firing", 60,
                   lambda: resolved_topics() >= firing_topics, pause=2)
    except AssertionError as failure:
        raise AssertionError(f"{failure}; never resolved: {sorted(firing_topics - resolved_topics())}") from None
    check(True, f"Alertmanager delivered {URP_ALERT} resolved for every topic it had sent firing")

    # A consumer group reads everything, then stops while a producer goes on.
    tool("kafka-topics", "--bootstrap-server", bootstrap, "--create", "--topic", lag_topic, "--partitions", "3",
         "--replication-factor", "3")
    tool("kafka-producer-perf-test", "--topic", lag_topic, "--num-records", "300", "--record-size", "100",
         "--throughput", "-1", "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all")
    tool("kafka-console-consumer", "--bootstrap-server", bootstrap, "--topic", lag_topic, "--group", lag_group,
         "--from-beginning", "--max-messages", "300", "--timeout-ms", "30000")
    consumer_stopped = time.time()
    lag, committed = group_lag(lag_group)
    check(lag == 0 and committed == 300, f"group {lag_group} consumed and committed all 300 records (lag {lag})")
    background_producer = subprocess.Popen(
        [str(root / "cluster" / "kafka-tool"), "kafka-producer-perf-test", "--topic", lag_topic, "--num-records",
         "100000", "--record-size", "100", "--throughput", "20", "--producer-props",
         f"bootstrap.servers={bootstrap}", "acks=all"],
        stdout=open(work / "producer.log", "w"), stderr=subprocess.STDOUT)
    lag_alerts = wait_until(f"{LAG_ALERT} firing for {lag_group}", 150,
                            lambda: firing(LAG_ALERT, consumergroup=lag_group), pause=2)
    lag_seconds = float(query(f'kafka_consumergroup_lag_seconds_max{{consumergroup="{lag_group}"}}')[0]["value"][1])
    lag, committed = group_lag(lag_group)
    check(lag > 0 and committed == 300,
          f"kafka-consumer-groups shows {lag_group} stopped at 300 with lag {lag} while the alert fires")
    # The oldest unconsumed record was written after the consumer stopped; the slack
    # covers the collection interval and the scrape.
    since_stop = time.time() - consumer_stopped
    check(LAG_THRESHOLD_SECONDS < lag_seconds <= since_stop + 10,
          f"{LAG_ALERT} fires with {lag_seconds:.0f}s of lag, above {LAG_THRESHOLD_SECONDS}s and within 10s of "
          f"the {since_stop:.0f}s since the consumer stopped")
    check(lag_alerts[0]["metric"]["topic"] == lag_topic, f"{LAG_ALERT} names topic {lag_topic}")
    wait_until(f"{LAG_ALERT} at the webhook", 60, lambda: webhook.alerts(LAG_ALERT, "firing"))
    check(True, f"Alertmanager delivered {LAG_ALERT} (firing) to the webhook")

    # The same stopped group, judged: no members, committed offsets still, lag never 0.
    stopped = wait_until(f"{STOPPED_ALERT} firing for {lag_group}", 120,
                         lambda: firing(STOPPED_ALERT, consumergroup=lag_group), pause=2)
    state = tool("kafka-consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", lag_group,
                 "--state")
    lag, committed = group_lag(lag_group)
    check("Empty" in state and lag > 0 and committed == 300,
          f"{STOPPED_ALERT} fires for {lag_group} while kafka-consumer-groups shows it Empty, stopped at 300 with "
          f"lag {lag}")
    check(stopped[0]["metric"].get("severity") == "critical", f"{STOPPED_ALERT} pages (severity critical)")
    wait_until(f"{STOPPED_ALERT} at the webhook", 60, lambda: webhook.alerts(STOPPED_ALERT, "firing"))
    check(True, f"Alertmanager delivered {STOPPED_ALERT} (firing) to the webhook")

    # The recording rule a dashboard reads: the producer writes 20 records/s (once
    # its 1m window holds only producing time).
    def produce_rate():
        result = query(f'kafka:topic_messages_in:rate1m{{topic="{lag_topic}"}}')
        return result and 17 <= float(result[0]["value"][1]) <= 23 and float(result[0]["value"][1])

    rate = wait_until("kafka:topic_messages_in:rate1m near the producer's 20 records/s", 60, produce_rate, pause=2)
    check(True, f"kafka:topic_messages_in:rate1m records {rate:.1f} records/s for the producer's 20/s")
    print(f"{passed} passed, 0 failed", flush=True)
    exit_code = 0
except (AssertionError, RuntimeError, subprocess.SubprocessError) as failure:
    print(f"FAIL: {failure}", flush=True)
    print(f"{passed} passed, 1 failed (logs in {work})", flush=True)
finally:
    if background_producer:
        background_producer.terminate()
        try:
            background_producer.wait(timeout=15)
        except subprocess.TimeoutExpired:
            background_producer.kill()
    try:
        if killed or not broker_running(KILLED_BROKER):
            print(f"restoring broker {KILLED_BROKER}", flush=True)
            cluster("start-broker", KILLED_BROKER, timeout=240)
        wait_until("Kafka reports no under-replicated partition at the end", 180,
                   lambda: not under_replicated_topics(), pause=3, restoring=True)
    except (AssertionError, RuntimeError, subprocess.SubprocessError) as failure:
        print(f"FAIL: could not restore the cluster: {failure}", flush=True)
        exit_code = 1
    for cleanup in (("kafka-consumer-groups", "--delete", "--group", lag_group),
                    ("kafka-topics", "--delete", "--topic", lag_topic)):
        try:
            tool(cleanup[0], "--bootstrap-server", bootstrap, *cleanup[1:], timeout=60)
        except (RuntimeError, subprocess.SubprocessError):
            pass
    children.stop()
    if exit_code == 0:
        shutil.rmtree(work, ignore_errors=True)
sys.exit(exit_code)
