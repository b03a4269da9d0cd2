#!/usr/bin/env bash
# The exporter at scale, against the synthetic cluster (bench/synthetic_cluster): for each
# point of the sweep, partitions : groups : brokers, a KRaft cluster of that size on loopback
# and the exporter against it (15 s interval, probe and JMX off, series limit at its default),
# two cycles to warm up and two measured. Prints per point the cycle time, requests per cycle,
# resident size and peak, CPU of one core, page bytes (text and gzip, every port), what the
# series limit left out, and the synthetic server's own size; writes them as TSV to
# $KSE_BENCH_OUT (default bench/scale/results/, latest.tsv links the last run).
# Plot: bench/scale/plot.py bench/scale/results/latest.tsv -o bench/scale/growth.png
#
# usage: bench/scale/run.sh [PARTITIONS...]   (default: every point; e.g. `run.sh 10000` for a quick run)
# KSE_SCALE_POINTS="partitions:groups:brokers ..." replaces the sweep; KSE_SCALE_SET="key=value ..."
# gives the exporter more settings (e.g. collect.timeout=14s limits.max_series=2000000).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/bench/lib.sh"  # build, binary
synthetic="$build/bench/synthetic_cluster/synthetic_cluster"
for needed in "$binary" "$synthetic"; do
  [[ -x $needed ]] || { echo "scale: $needed is missing (cmake --build build)" >&2; exit 1; }
done
out="${KSE_BENCH_OUT:-$root/bench/scale/results}"
read -r -a points <<<"${KSE_SCALE_POINTS:-10000:1000:3 30000:3000:3 100000:10000:10 300000:10000:30 1000000:100000:100}"
if (($#)); then
  chosen=()
  for wanted in "$@"; do
    for point in "${points[@]}"; do [[ ${point%%:*} == "$wanted" ]] && chosen+=("$point"); done
  done
  ((${#chosen[@]})) || { echo "scale: no point with partitions $* (points: ${points[*]})" >&2; exit 2; }
  points=("${chosen[@]}")
fi
sweep_pid=""
cleanup() { [[ -z $sweep_pid ]] || { kill "$sweep_pid" 2>/dev/null || true; wait "$sweep_pid" 2>/dev/null || true; }; }
trap cleanup EXIT INT TERM
python3 "$root/bench/scale/sweep.py" "$synthetic" "$binary" "$out" "${points[@]}" &
sweep_pid=$!
wait "$sweep_pid"
status=$?
sweep_pid=""
exit "$status"
