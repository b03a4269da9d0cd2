#!/usr/bin/env python3
"""The cluster port's status page, as a person sees it in a browser (headless Chromium):

  * `/` on the cluster port shows the 3 brokers up, each with its Kafka address and its
    exporter port, the partition counts, the collectors and links to every port's /metrics;
    a broker port's `/` keeps its small index page;
  * a paused broker (SIGSTOP) is shown down within two collection cycles;
  * the page logs no console error (it has no JavaScript at all).
A screenshot is kept in BUILD_DIR/status_page.png. Chromium missing is a failure, not a skip.
Usage: status_page_test.py SOURCE_DIR BUILD_DIR
"""
import html.parser
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from harness import Children, cluster, fail, http_get, quick_exporter_config, run_test, until, wait_for  # noqa: E402

root = pathlib.Path(sys.argv[1])
build = pathlib.Path(sys.argv[2])
binary = build / "exporter" / "kafka-sidecar-exporter"
OFFSET = int(os.environ.get("KSE_PORT_OFFSET", "0"))
BOOTSTRAP = f"127.0.0.1:{9092 + OFFSET}"
CLUSTER_PORT = 19618
BROKER_BASE = 19681
BROKERS = (1, 2, 3)
PAUSED = 3
INTERVAL_S = 3
TIMEOUT_S = 2
SCREENSHOT = build / "status_page.png"
work = pathlib.Path(tempfile.mkdtemp(prefix="kse-status-page-"))
children = Children(work)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CONSOLE = re.compile(r"CONSOLE|Uncaught|SyntaxError|ReferenceError|TypeError")


class Rows(html.parser.HTMLParser):
    """The text of each table row with an id ({id: text}), and every link's href."""

    def __init__(self):
        super().__init__()
        self.rows, self.links, self.scripts = {}, [], 0
        self._row = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and attrs.get("id"):
            self._row = attrs["id"]
            self.rows[self._row] = ""
        if tag == "a":
            self.links.append(attrs.get("href", ""))
        if tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._row:
            self.rows[self._row] += data + "|"


def chromium(*flags):
    """Loads the cluster port's `/` in headless Chromium: (its output, its log); fails on a
    console error."""
    done = subprocess.run([CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr",
                           "--v=0", f"--user-data-dir={work / 'chromium'}", *flags,
                           f"http://127.0.0.1:{CLUSTER_PORT}/"], capture_output=True, text=True, timeout=90)
    if done.returncode != 0:
        fail(f"chromium exited {done.returncode}: {done.stderr.strip()[-600:]}")
    console = [line for line in done.stderr.splitlines() if CONSOLE.search(line)]
    if console:
        fail(f"the page logged console errors: {console[:5]}")
    return done.stdout, done.stderr


def dom():
    page = Rows()
    page.feed(chromium("--dump-dom")[0])
    return page


def broker_states(page):
    """{broker: its State cell} of the brokers table."""
    return {int(key.split("-")[1]): text.split("|")[1] for key, text in page.rows.items()
            if key.startswith("broker-")}


def main():
    if CHROMIUM is None:
        fail("chromium is not installed (apt-get install chromium; scripts/install-deps lists it)")
    cluster("start")
    config = work / "exporter.yml"
    config.write_text(quick_exporter_config(BOOTSTRAP, CLUSTER_PORT, BROKER_BASE).replace(
        "collect: {interval: 2s, timeout: 1800ms}", f"collect: {{interval: {INTERVAL_S}s, timeout: {TIMEOUT_S}s}}"))
    children.start([str(binary), "--config", str(config)], "exporter.log")
    wait_for(f"http://127.0.0.1:{CLUSTER_PORT}/ready", 60)

    page = until("the 3 brokers shown up", 30, lambda: (lambda p: p if broker_states(p) == {
        b: "up" for b in BROKERS} else None)(dom()), lambda: broker_states(dom()))
    for broker in BROKERS:
        row = page.rows[f"broker-{broker}"]
        if f"127.0.0.1:{9092 + OFFSET + 100 * (broker - 1)}" not in row:
            fail(f"broker {broker}'s Kafka address is not in its row: {row}")
        if f":{BROKER_BASE + broker - 1}/metrics" not in row:
            fail(f"broker {broker}'s exporter port is not in its row: {row}")
    wanted = {f"//127.0.0.1:{port}/metrics" for port in [CLUSTER_PORT] + [BROKER_BASE + b - 1 for b in BROKERS]}
    if not wanted <= set(page.links):
        fail(f"links to every port's /metrics: missing {wanted - set(page.links)}")
    if page.scripts:
        fail(f"the page has {page.scripts} script elements")
    text = http_get(f"http://127.0.0.1:{CLUSTER_PORT}/").decode()
    for heading in ("Brokers", "Partition health", "Most lagging consumer groups", "Probe", "Collectors"):
        if f"<h2>{heading}</h2>" not in text:
            fail(f"no {heading} section on the page")
    if 'http-equiv="refresh"' not in text:
        fail("the page does not refresh itself")
    index = http_get(f"http://127.0.0.1:{BROKER_BASE}/").decode()
    if "Port " + str(BROKER_BASE) + ": broker 1" not in index:
        fail(f"broker 1's port does not keep its index page: {index[:300]}")

    cluster("pause-broker", str(PAUSED))
    try:
        paused_at = time.monotonic()
        until(f"broker {PAUSED} shown down", 4 * INTERVAL_S,
              lambda: f'<tr id="broker-{PAUSED}"><td>{PAUSED}' in (body := http_get(
                  f"http://127.0.0.1:{CLUSTER_PORT}/").decode()) and "down" in body.split(
                  f'<tr id="broker-{PAUSED}">')[1].split("</tr>")[0])
        shown_in = time.monotonic() - paused_at
        # Two cycles, the second of which may wait its whole timeout on the paused broker.
        if shown_in > 2 * INTERVAL_S + TIMEOUT_S:
            fail(f"broker {PAUSED} shown down after {shown_in:.1f}s, more than two cycles")
        states = broker_states(dom())
        if not states.get(PAUSED, "").startswith("down") or any(states[b] != "up" for b in BROKERS if b != PAUSED):
            fail(f"in the browser, after broker {PAUSED} paused: {states}")
        SCREENSHOT.unlink(missing_ok=True)
        chromium(f"--screenshot={SCREENSHOT}", "--window-size=1280,1400")
        if not SCREENSHOT.exists() or SCREENSHOT.stat().st_size == 0:
            fail(f"no screenshot in {SCREENSHOT}")
        print(f"broker {PAUSED} shown down {shown_in:.1f}s after it was paused; screenshot {SCREENSHOT}")
    finally:
        cluster("resume-broker", str(PAUSED))


run_test("status_page_e2e", main, work, children)
