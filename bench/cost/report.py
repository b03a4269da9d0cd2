#!/usr/bin/env python3
"""Prints where the exporter's cost goes, from two of its own pages taken CYCLES cycles
apart, the CPU ticks spent between them and its /proc status.
Usage: report.py PAGE_BEFORE PAGE_AFTER CYCLES CPU_TICKS TICKS_PER_SECOND SECONDS PROC_STATUS BROKER_PAGES RSS_SAMPLES
(the pages are the cluster port's; BROKER_PAGES holds the broker ports', where groups are;
RSS_SAMPLES the resident sizes in kB sampled over the same cycles, one a line)"""
import pathlib
import re
import statistics
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def series(path):
    found = {}
    for line in pathlib.Path(path).read_text().splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            found.setdefault(match.group(1), []).append((dict(LABEL.findall(match.group(2) or "")),
                                                         float(match.group(3))))
    return found


def by(page, name, label):
    return {labels[label]: value for labels, value in page.get(name, []) if label in labels}


def one(page, name):
    values = [value for _, value in page.get(name, [])]
    return values[0] if values else float("nan")


before, after = series(sys.argv[1]), series(sys.argv[2])
cycles, ticks, hz, seconds = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
status = dict(line.split(":", 1) for line in pathlib.Path(sys.argv[7]).read_text().splitlines() if ":" in line)
peak_mb = int(status["VmHWM"].split()[0]) / 1024
rss_samples = [int(line) / 1024 for line in pathlib.Path(sys.argv[9]).read_text().split()]
rss_mb, rss_max_mb = statistics.median(rss_samples), max(rss_samples)

partitions = one(after, "kafka_cluster_partitions")
groups = len({labels["consumergroup"] for labels, _ in
              series(sys.argv[8]).get("kafka_consumergroup_current_offset", [])})
print(f"{partitions:.0f} partitions, {groups} groups: rss {rss_mb:.1f} MB (median of {len(rss_samples)} samples, "
      f"largest {rss_max_mb:.1f} MB), peak {peak_mb:.1f} MB, "
      f"cpu {ticks / hz / seconds * 100:.2f}% of a core over {seconds:.0f} s")

print("per cycle, by API: answers' bytes, decode time")
bytes0, bytes1 = (by(p, "kafka_sidecar_response_bytes_total", "api") for p in (before, after))
decode0, decode1 = (by(p, "kafka_sidecar_response_decode_seconds_total", "api") for p in (before, after))
total_bytes = total_decode = 0.0
for api in sorted(bytes1, key=lambda a: bytes0.get(a, 0) - bytes1[a]):
    grown = (bytes1[api] - bytes0.get(api, 0)) / cycles
    spent = (decode1.get(api, 0) - decode0.get(api, 0)) / cycles
    total_bytes += grown
    total_decode += spent
    print(f"  {api:<28} {grown / 1024:10.1f} KB {spent * 1000:8.2f} ms")
print(f"  {'all':<28} {total_bytes / 1024:10.1f} KB {total_decode * 1000:8.2f} ms")

stages = by(after, "kafka_sidecar_cycle_stage_seconds", "stage")
print(f"cycle: collect {one(after, 'kafka_sidecar_collect_duration_seconds') * 1000:.1f} ms, "
      + ", ".join(f"{stage} {stages[stage] * 1000:.1f} ms" for stage in ("model", "render", "gzip")
                  if stage in stages))
# Where a cycle's CPU goes: the stages the exporter times (model, render, gzip, and decoding
# the answers), and the rest of the cycle (building the snapshot from the answers, the
# history, sockets, faulting fresh pages in, handing memory back).
cpu_ms = ticks / hz / cycles * 1000
timed = {stage: stages.get(stage, 0) * 1000 for stage in ("model", "render", "gzip")}
timed["decode"] = total_decode * 1000
print(f"CPU per cycle {cpu_ms:.0f} ms: " + ", ".join(f"{stage} {ms:.1f} ms" for stage, ms in timed.items())
      + f", the rest {max(0.0, cpu_ms - sum(timed.values())):.0f} ms")
sizes = {}
for labels, value in after.get("kafka_sidecar_page_bytes", []):
    sizes.setdefault(labels["port"], {})[labels["encoding"]] = value
count = by(after, "kafka_sidecar_series", "port")
for port in sorted(sizes):
    page = sizes[port]
    print(f"  page {port}: {count.get(port, 0):.0f} series, {page.get('identity', 0) / 1024:.1f} KB text, "
          f"{page.get('gzip', 0) / 1024:.1f} KB gzip")
heap = by(after, "kafka_sidecar_heap_bytes", "state")
print(f"allocator (glibc mallinfo2): {heap.get('in_use', 0) / 1048576:.1f} MB in use, "
      f"{heap.get('free', 0) / 1048576:.1f} MB free")
