#!/usr/bin/env python3
"""Cycle time, resident size and CPU against partitions, from a bench/scale/run.sh results
file, as a PNG; prints each one's least-squares slope per 10,000 partitions.

usage: plot.py RESULTS.tsv [-o growth.png]"""
import argparse
import csv
import os
import sys

try:
    import matplotlib
except ImportError:
    # A python3 of its own (pyenv, venv) may lack the Debian package python3-matplotlib.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    sys.exit("plot: matplotlib is missing (scripts/install-deps installs python3-matplotlib)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERIES = [("cycle_s", "cycle time (s)"), ("rss_mb", "resident size (MB)"), ("cpu_pct", "CPU (% of one core)")]


def slope(xs, ys):
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread if spread else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("-o", "--output", default="growth.png")
    args = parser.parse_args()
    with open(args.results) as f:
        rows = sorted(csv.DictReader(f, delimiter="\t"), key=lambda row: int(row["partitions"]))
    if not rows:
        sys.exit(f"plot: no rows in {args.results}")
    partitions = [int(row["partitions"]) for row in rows]
    figure, axes = plt.subplots(1, len(SERIES), figsize=(15, 4.5))
    for axis, (column, title) in zip(axes, SERIES):
        values = [float(row[column]) for row in rows]
        per_10k = slope(partitions, values) * 10_000
        unit = title.split("(")[1].rstrip(")")
        print(f"{column}: {per_10k:.4g} {unit} per 10,000 partitions (least squares over {len(rows)} points)")
        axis.plot(partitions, values, marker="o")
        for x, y, row in zip(partitions, values, rows):
            axis.annotate(f"{y:g}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        axis.set_xscale("log")
        axis.set_xlabel("partitions (groups, brokers grow with them)")
        axis.set_title(f"{title}\nslope {per_10k:.3g} per 10,000 partitions", fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
    figure.suptitle("kafka-sidecar-exporter against the synthetic cluster, 15 s interval")
    figure.tight_layout()
    figure.savefig(args.output, dpi=100)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
