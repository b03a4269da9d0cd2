#!/usr/bin/env python3
"""The scale sweep behind bench/scale/run.sh: for each point, the synthetic cluster and the
exporter against it (15 s interval, probe and JMX off, series limit at its default), a few
cycles, then the exporter's own figures and the kernel's.

usage: sweep.py SYNTHETIC_CLUSTER EXPORTER RESULTS_DIR POINT...
POINT: partitions:groups:brokers (e.g. 100000:10000:10)."""
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from harness import parse_page  # noqa: E402

INTERVAL_S = 15
# KSE_SCALE_SET="key=value ...": settings given to the exporter at every point (e.g. longer
# timeouts and a series limit for the million-partition point).
EXTRA_SETTINGS = [arg for setting in os.environ.get("KSE_SCALE_SET", "").split() for arg in ("--set", setting)]
WARM_CYCLES = 2    # the first cycles size the buffers and fill the history
STEADY_CYCLES = 2  # CPU is measured over these
CLUSTER_BASE = 25001      # synthetic broker b on CLUSTER_BASE + b - 1
EXPORTER_CLUSTER = 24000  # the exporter's cluster port, below its broker ports
EXPORTER_BASE = 24001     # the exporter serves broker b on EXPORTER_BASE + b - 1
# All below the kernel's ephemeral range (32768-60999): at 100 brokers the exporter's own
# outgoing connections would otherwise take some of these ports first.
TICKS = os.sysconf("SC_CLK_TCK")

COLUMNS = ["partitions", "groups", "brokers", "cycle_s", "cycle_max_s", "collect_s", "requests_per_cycle", "rss_mb",
           "peak_mb", "cpu_pct", "page_text_bytes", "page_gzip_bytes", "series", "cycles_ok", "cycles_partial",
           "cycles_failed", "collectors_down", "dropped_families", "server_rss_mb", "server_peak_mb",
           "log_warnings"]


def parse(page):
    """[(name, {label: value}, value)] of an exposition page (the tests' parser)."""
    return [(name, dict(labels), value) for (name, labels), value in parse_page(page).items()]


def self_metrics():
    with urllib.request.urlopen(f"http://127.0.0.1:{EXPORTER_CLUSTER}/metrics", timeout=30) as answer:
        page = answer.read().decode()
    # Only the exporter's own families: the cluster port also carries cluster-wide series.
    return [s for s in parse(page) if s[0].startswith("kafka_sidecar_")]


def total(samples, name, **match):
    return sum(v for n, labels, v in samples if n == name and all(labels.get(k) == w for k, w in match.items()))


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    kb = lambda key: int(fields.get(key, "0 kB").split()[0])
    return kb("VmRSS") / 1024, kb("VmHWM") / 1024


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def stop(process):
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_cycles(exporter, count, deadline_s, rss=None):
    """Waits until the exporter has finished `count` cycles; returns its samples then, or None.
    Appends its resident size (MB) to `rss` at each poll, twice a second."""
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        if rss is not None and exporter.poll() is None:
            rss.append(proc_status(exporter.pid)[0])
        if exporter.poll() is not None:
            return None
        try:
            samples = self_metrics()
            if total(samples, "kafka_sidecar_collect_cycles_total") >= count:
                return samples
        except OSError:
            pass
        time.sleep(0.5)
    return None


def run_point(synthetic, binary, results, partitions, groups, brokers, log):
    tag = f"p{partitions}-g{groups}-b{brokers}"
    server = exporter = None
    try:
        server = subprocess.Popen([synthetic, "--brokers", str(brokers), "--partitions", str(partitions),
                                   "--groups", str(groups), "--kraft", "--base-port", str(CLUSTER_BASE)],
                                  stdout=subprocess.PIPE, text=True)
        ready = server.stdout.readline()
        if not ready.startswith("ready"):
            raise RuntimeError(f"synthetic cluster did not start: {ready!r}")
        exporter_log = os.path.join(results, f"exporter-{tag}.log")
        with open(exporter_log, "w") as out:
            exporter = subprocess.Popen(
                [binary, "--bootstrap-servers", f"127.0.0.1:{CLUSTER_BASE}", "--listen-address", "127.0.0.1",
                 "--cluster-port", str(EXPORTER_CLUSTER), "--set", f"serve.broker_port_base={EXPORTER_BASE}",
                 "--set", f"collect.interval={INTERVAL_S}s", "--set", "probe.enabled=false",
                 "--set", "jmx.enabled=false", *EXTRA_SETTINGS], stdout=out, stderr=subprocess.STDOUT)
        log(f"{tag}: synthetic cluster pid {server.pid}, exporter pid {exporter.pid}")
        warm = wait_cycles(exporter, WARM_CYCLES, INTERVAL_S * (WARM_CYCLES + 3))
        if warm is None:
            raise RuntimeError(f"the exporter did not finish {WARM_CYCLES} cycles (log: {exporter_log})")
        cpu0, wall0 = cpu_ticks(exporter.pid), time.time()
        durations = []
        collects = []
        rss_samples = []  # the steady resident size is their median: one reading lands anywhere in a cycle
        samples = warm
        for cycle in range(WARM_CYCLES + 1, WARM_CYCLES + STEADY_CYCLES + 1):
            samples = wait_cycles(exporter, cycle, INTERVAL_S * 3, rss_samples)
            if samples is None:
                raise RuntimeError(f"the exporter did not finish cycle {cycle} (log: {exporter_log})")
            # The whole cycle: collecting, then the model, render and gzip stages after it.
            collects.append(total(samples, "kafka_sidecar_collect_duration_seconds"))
            durations.append(collects[-1] + total(samples, "kafka_sidecar_cycle_stage_seconds"))
        cpu1, wall1 = cpu_ticks(exporter.pid), time.time()
        _, peak = proc_status(exporter.pid)
        rss = statistics.median(rss_samples)
        server_rss, server_peak = proc_status(server.pid)
        requests = (total(samples, "kafka_sidecar_requests_total") -
                    total(warm, "kafka_sidecar_requests_total")) / STEADY_CYCLES
        down = sorted(l["collector"] for n, l, v in samples if n == "kafka_sidecar_collector_up" and v == 0)
        errors = sorted(f'{l["collector"]}:{l["reason"]}' for n, l, v in samples
                        if n == "kafka_sidecar_collector_error_info")
        dropped = sorted(l["family"] for n, l, v in samples
                         if n == "kafka_sidecar_series_limit_dropped_families" and v == 1)
        with open(exporter_log) as f:
            warnings = [line.rstrip() for line in f if "[warning]" in line or "[error]" in line]
        row = {
            "partitions": partitions, "groups": groups, "brokers": brokers,
            "cycle_s": round(sum(durations) / len(durations), 3), "cycle_max_s": round(max(durations), 3),
            "collect_s": round(sum(collects) / len(collects), 3),
            "requests_per_cycle": round(requests),
            "rss_mb": round(rss, 1), "peak_mb": round(peak, 1),
            "cpu_pct": round(100.0 * (cpu1 - cpu0) / TICKS / (wall1 - wall0), 2),
            "page_text_bytes": int(total(samples, "kafka_sidecar_page_bytes", encoding="identity")),
            "page_gzip_bytes": int(total(samples, "kafka_sidecar_page_bytes", encoding="gzip")),
            "series": int(total(samples, "kafka_sidecar_series")),
            "cycles_ok": int(total(samples, "kafka_sidecar_collect_cycles_total", result="ok")),
            "cycles_partial": int(total(samples, "kafka_sidecar_collect_cycles_total", result="partial")),
            "cycles_failed": int(total(samples, "kafka_sidecar_collect_cycles_total", result="failed")),
            "collectors_down": ",".join(errors or down) or "-",
            "dropped_families": ",".join(dropped) or "-",
            "server_rss_mb": round(server_rss, 1), "server_peak_mb": round(server_peak, 1),
            "log_warnings": len(warnings),
        }
        for line in warnings[:5]:
            log(f"{tag}: exporter log: {line}")
        return row
    finally:
        stop(exporter)
        stop(server)


def main():
    synthetic, binary, results = sys.argv[1:4]
    points = [tuple(int(x) for x in point.split(":")) for point in sys.argv[4:]]
    os.makedirs(results, exist_ok=True)
    # SIGTERM ends the sweep like Ctrl-C: the finally blocks stop both processes.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = os.path.join(results, f"scale-{stamp}.tsv")

    def log(message):
        print(message, file=sys.stderr, flush=True)

    rows = []
    with open(path, "w") as out:
        out.write("\t".join(COLUMNS) + "\n")
        for partitions, groups, brokers in points:
            try:
                row = run_point(synthetic, binary, results, partitions, groups, brokers, log)
            except RuntimeError as error:
                log(f"p{partitions}: {error}")
                continue
            rows.append(row)
            out.write("\t".join(str(row[c]) for c in COLUMNS) + "\n")
            out.flush()
    latest = os.path.join(results, "latest.tsv")
    if os.path.lexists(latest):
        os.remove(latest)
    os.symlink(os.path.basename(path), latest)

    shown = [("partitions", 10), ("groups", 7), ("brokers", 7), ("cycle_s", 8), ("cycle_max_s", 11), ("collect_s", 9),
             ("requests_per_cycle", 8), ("rss_mb", 7), ("peak_mb", 8), ("cpu_pct", 7), ("page_text_bytes", 12),
             ("page_gzip_bytes", 11), ("server_rss_mb", 10)]
    heads = ["partitions", "groups", "brokers", "cycle s", "cycle max s", "collect s", "req/cyc", "RSS MB", "peak MB",
             "CPU %", "page text B", "page gzip B", "server MB"]
    print("  ".join(h.rjust(w) for h, (_, w) in zip(heads, shown)))
    for row in rows:
        print("  ".join(str(row[c]).rjust(w) for c, w in shown))
    for row in rows:
        print(f"{row['partitions']} partitions: cycles ok/partial/failed {row['cycles_ok']}/"
              f"{row['cycles_partial']}/{row['cycles_failed']}, collectors down: {row['collectors_down']}, "
              f"series {row['series']}, series limit left out: {row['dropped_families']}, "
              f"log warnings {row['log_warnings']}")
    print(f"results: {path}")
    return 0 if len(rows) == len(points) else 1


if __name__ == "__main__":
    sys.exit(main())
