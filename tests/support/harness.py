"""What the Python end-to-end tests share: the processes they start (and always
stop), HTTP with a timeout, Prometheus instant queries and Kafka's own tools."""
import http.server
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]


class Children:
    """Processes a test started; stop() ends them all, SIGTERM first, then SIGKILL."""

    def __init__(self, work):
        self.work = pathlib.Path(work)
        self.processes = []

    def start(self, args, log, env=None, cwd=None):
        """Starts `args` with its output in `log`; `env` adds to (or overrides) this environment."""
        with open(self.work / log, "w") as out:
            process = subprocess.Popen([str(a) for a in args], stdout=out, stderr=subprocess.STDOUT,
                                       env={**os.environ, **env} if env else None, cwd=cwd)
        self.processes.append(process)
        return process

    def stop(self, timeout=15):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            self._wait(process, timeout)

    def stop_one(self, process, timeout=15):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        self._wait(process, timeout)

    @staticmethod
    def _wait(process, timeout):
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def wait_for(url, seconds):
    """Returns once `url` answers; exits the test with FAIL after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            http_get(url, 2)
            return
        except (OSError, ValueError):
            time.sleep(0.5)
    raise SystemExit(f"FAIL: {url} did not answer within {seconds}s")


def prometheus_query(port, expr, timeout=15):
    """The result vector of an instant query; RuntimeError with Prometheus's reason on refusal."""
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        body = json.loads(http_get(url, timeout))
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"Prometheus refused {expr}: {error.read().decode(errors='replace')}") from None
    if body["status"] != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


def kafka_tool(*args, timeout=120):
    """Runs one of Kafka's command-line tools from the cluster's jars."""
    return subprocess.run([str(ROOT / "cluster" / "kafka-tool"), *args], capture_output=True, text=True,
                          timeout=timeout)


def tool(*args, stdin=None, timeout=120):
    """The standard output of one of Kafka's tools; AssertionError with its error when it fails."""
    done = subprocess.run([str(ROOT / "cluster" / "kafka-tool"), *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"{args[0]} failed: {done.stderr.strip()[-400:]}")
    return done.stdout


def log_ends(topic, bootstrap, *options):
    """Each partition's log end as kafka-get-offsets reads it: {partition: offset}."""
    out = tool("kafka-get-offsets", "--bootstrap-server", bootstrap, *options, "--topic", topic)
    return {int(p): int(o) for t, p, o in (line.rsplit(":", 2) for line in out.split()) if t == topic}


def cluster(*args, timeout=240):
    """The output of cluster/kafka-cluster; AssertionError with its error when it fails."""
    done = subprocess.run([str(ROOT / "cluster" / "kafka-cluster"), *args], capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"kafka-cluster {' '.join(args)} failed: {done.stderr.strip()[-400:]}")
    return done.stdout


def cluster_env():
    """The running cluster's facts (kafka-cluster env) as a dict."""
    return dict(line.split("=", 1) for line in cluster("env").splitlines() if "=" in line)


def tool_controller_id(env=None):
    """The active controller as Kafka's own tools say: the quorum leader in KRaft mode,
    the /controller znode in ZooKeeper mode."""
    env = env or cluster_env()
    if env.get("MODE") == "zookeeper":
        said = tool("zookeeper-shell", env["ZOOKEEPER"].split(",")[0], "get", "/controller")
        found = re.search(r'"brokerid":(-?\d+)', said)
    else:
        said = tool("kafka-metadata-quorum", "--bootstrap-server", env["BOOTSTRAP"].split(",")[0], "describe",
                    "--status")
        found = re.search(r"LeaderId:\s*(-?\d+)", said)
    if not found:
        fail(f"no controller in what Kafka's tools said: {said[-400:]}")
    return int(found.group(1))


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_page(text):
    """{(name, frozenset((label, value), ...)): value} of a text exposition page; AssertionError
    on a line that is not a comment, a blank or a sample."""
    series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        if not match:
            raise AssertionError(f"unparsable line: {line!r}")
        series[(match.group(1), frozenset(LABEL.findall(match.group(3) or "")))] = float(match.group(4))
    return series


def promtool_problems(text):
    """What makes a page invalid for `promtool check metrics`, empty when it is valid. promtool
    exits 1 when it cannot parse a page and 3 when it only has naming advice: kafka_exporter's
    `_sum` gauges and the JMX exporter's `quantile` labels on gauges are kept on purpose, for the
    dashboards built on them."""
    done = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True,
                          timeout=60)
    if done.returncode in (0, 3):
        return []
    return [line for line in (done.stdout + done.stderr).splitlines() if line.strip()][:5] or [
        f"promtool exited {done.returncode}"]


def fail(message):
    raise AssertionError(message)


def served(series, name, **labels):
    """The values of `name` in `series` (parse_page) whose labels include `labels`."""
    wanted = {(k, str(v)) for k, v in labels.items()}
    return [v for (n, ls), v in series.items() if n == name and wanted <= ls]


def valid_pages(ports):
    """The series of every port's /metrics together; AssertionError when a page fails
    `promtool check metrics`."""
    series = {}
    for port in ports:
        text = http_get(f"http://127.0.0.1:{port}/metrics", 10).decode()
        problems = promtool_problems(text)
        if problems:
            fail(f"port {port}: promtool check metrics: {problems}")
        series.update(parse_page(text))
    return series


def until(what, seconds, check, state=None):
    """Calls check() every second until it returns a true value, and returns that value.
    After `seconds`, AssertionError naming `what`, with state() (what was seen) or the last
    error check() raised."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, AssertionError) as error:
            last = error
        time.sleep(1)
    if state is not None:
        try:
            last = state()
        except (OSError, AssertionError) as error:
            last = error
    fail(f"{what}: not within {seconds}s (last: {last})")


def run_test(name, main, work, children, cleanup=None):
    """Runs main() and says `name: passed`; when it fails, prints the last lines of the
    exporter's log (work/exporter.log) before raising. Always stops the children, then
    runs cleanup()."""
    try:
        main()
        print(f"{name}: passed")
    except BaseException:
        log = pathlib.Path(work) / "exporter.log"
        if log.exists():
            print("exporter log (last lines):\n" + "\n".join(log.read_text().splitlines()[-15:]), file=sys.stderr)
        raise
    finally:
        children.stop()
        if cleanup is not None:
            cleanup()


def quick_exporter_config(bootstrap, cluster_port, broker_base, extra=""):
    """An exporter configuration for a test: a 2 s cycle on `bootstrap` (one address, or
    several separated by commas), loopback ports (broker N on broker_base + N - 1), the
    probe off; `extra` adds YAML lines."""
    servers = ", ".join(f'"{address}"' for address in bootstrap.split(","))
    return (f'kafka: {{bootstrap_servers: [{servers}], request_timeout: 800ms}}\n'
            "collect: {interval: 2s, timeout: 1800ms}\n"
            f"serve: {{listen_address: 127.0.0.1, cluster_port: {cluster_port}, broker_port_base: {broker_base}}}\n"
            "probe: {enabled: false}\n" + extra)


def free_port():
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Webhook:
    """An Alertmanager webhook receiver on 127.0.0.1:`port` in this process; alerts() is what it
    received."""

    def __init__(self, port):
        self.messages = []
        self.lock = threading.Lock()
        webhook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with webhook.lock:
                    webhook.messages.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, alertname, status):
        """The label sets of the alerts of that name and status ("firing", "resolved") received."""
        with self.lock:
            return [alert["labels"] for message in self.messages for alert in message["alerts"]
                    if alert["labels"].get("alertname") == alertname and alert["status"] == status]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def short_alert_rules(root, work, short_for="10s", replacements=None):
    """rules/kafka-alerts.yml with every `for:` set to `short_for` and, per alert name, (old, new)
    text replacements in its expr, written with kafka-recording.yml into `work`; returns both
    paths. AssertionError when a replacement's alert or text is not there."""
    import yaml
    alerts = yaml.safe_load((pathlib.Path(root) / "rules" / "kafka-alerts.yml").read_text())
    pending = {(name, old) for name, pairs in (replacements or {}).items() for old, _ in pairs}
    for group in alerts["groups"]:
        for rule in group["rules"]:
            if rule.get("for", "0m") not in ("0m", "0s"):
                rule["for"] = short_for
            for old, new in (replacements or {}).get(rule.get("alert"), []):
                if old in rule["expr"]:
                    rule["expr"] = rule["expr"].replace(old, new)
                    pending.discard((rule["alert"], old))
    if pending:
        fail(f"rules/kafka-alerts.yml: no {sorted(pending)} to rewrite (alert, text); update the test")
    work = pathlib.Path(work)
    (work / "kafka-alerts.yml").write_text(yaml.safe_dump(alerts, sort_keys=False))
    (work / "kafka-recording.yml").write_text((pathlib.Path(root) / "rules" / "kafka-recording.yml").read_text())
    return [work / "kafka-alerts.yml", work / "kafka-recording.yml"]
