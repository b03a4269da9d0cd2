#!/usr/bin/env bash
# Where the exporter's cost goes, at the size issue-sized clusters have: 10,000 partitions
# (10 topics of 1,000, RF 2) and 1,000 consumer groups of 20 partitions each, on the local
# cluster, probe and JMX off, a 15 s interval, every port scraped with gzip every 15 s.
# Prints, from the exporter's own series and the kernel:
#   * resident memory (the median of samples over four cycles, and the largest) and at its
#     peak since start, CPU over the same four cycles;
#   * per API: answers received, bytes and decode time per cycle;
#   * per cycle: collect, model, render and gzip times; each page's text and gzip sizes;
#   * the allocator's in-use and free bytes (glibc mallinfo2);
#   * memory by owner, from a heap profile (gperftools' tcmalloc, a second run): what is
#     in use at steady state under the collector, the derived history, the pages, the
#     Kafka client and the HTTP server.
# Creates topics kse-bench-cost-* and groups kse-bench-group-*, deletes them after.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/bench/lib.sh"  # build, binary, tool, bootstrap
port=19508 base=19571
topics=(kse-bench-cost-{0..9})
work=$(mktemp -d)
cleanup() {
  stop_exporter "${pid:-}"
  # KSE_BENCH_KEEP=1 keeps the topics and groups for the next run.
  [[ -n ${KSE_BENCH_KEEP:-} ]] || delete_bench_data 1000 "${topics[@]}"
  rm -rf "$work"
}
trap cleanup EXIT
for needed in google-pprof curl; do
  command -v "$needed" >/dev/null || { echo "cost: $needed is missing (scripts/install-deps installs it)" >&2; exit 1; }
done
tcmalloc=/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4
[[ -e $tcmalloc ]] || { echo "cost: $tcmalloc is missing (google-perftools)" >&2; exit 1; }

# 10,000 partitions and 1,000 groups need more than the default broker heap.
KSE_BROKER_HEAP=${KSE_BROKER_HEAP:-1536m} "$root/cluster/kafka-cluster" start >/dev/null
for topic in "${topics[@]}"; do
  "$tool" kafka-topics --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$topic" --partitions 1000 \
    --replication-factor 2 >/dev/null
done
"$build/bench/make_groups" "$bootstrap" kse-bench-cost-0 1000 20 1000 >/dev/null

start_exporter() { # LOG [ENV...]
  local log=$1
  shift
  env "$@" "$binary" --bootstrap-servers "$bootstrap" --listen-address 127.0.0.1 --cluster-port $port \
    --set serve.broker_port_base=$base --set collect.interval=15s --set probe.enabled=false >"$log" 2>&1 &
  pid=$!
}
scrape_all() {
  local p
  for p in $port $base $((base + 1)) $((base + 2)); do
    curl -sf -m 5 -H 'Accept-Encoding: gzip' "http://127.0.0.1:$p/metrics" >/dev/null || true
  done
}
# Four cycles: the first ones fill the history and size the buffers.
start_exporter "$work/exporter.log"
for _ in 1 2; do sleep 15; scrape_all; done
cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
curl -sf -m 5 "http://127.0.0.1:$port/metrics" >"$work/page0.txt"
# Resident size twice a second over the four cycles (a bounded loop): the steady value is
# their median, taken while only gzip scrapes run.
for _ in $(seq 120); do awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; sleep 0.5; done >"$work/rss.txt" &
sampler=$!
for _ in 1 2 3 4; do sleep 15; scrape_all; done
cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
wait "$sampler"
cp "/proc/$pid/status" "$work/status"
curl -sf -m 5 "http://127.0.0.1:$port/metrics" >"$work/page1.txt"
for p in $base $((base + 1)) $((base + 2)); do curl -sf -m 5 "http://127.0.0.1:$p/metrics" >>"$work/brokers.txt"; done
python3 "$root/bench/cost/report.py" "$work/page0.txt" "$work/page1.txt" 4 "$(( cpu1 - cpu0 ))" \
  "$(getconf CLK_TCK)" 60 "$work/status" "$work/brokers.txt" "$work/rss.txt"
stop_exporter "$pid"
pid=""

# Memory by owner: the same steady state under gperftools' heap profiler, which dumps the
# live heap every 30 s, and each time its high-water mark has grown by 4 MB: the last dump
# of the first kind is the steady state, the last of the second the peak (within 4 MB).
start_exporter "$work/profiled.log" LD_PRELOAD=$tcmalloc HEAPPROFILE="$work/heap" HEAP_PROFILE_TIME_INTERVAL=30 \
  HEAP_PROFILE_ALLOCATION_INTERVAL=0 HEAP_PROFILE_INUSE_INTERVAL=4194304
for _ in 1 2 3 4 5; do sleep 15; scrape_all; done
stop_exporter "$pid"
pid=""
by_owner() { # WHAT PROFILE
  local cum=$work/cum.txt total
  google-pprof --text --cum --inuse_space "$binary" "$2" 2>/dev/null >"$cum"
  total=$(awk '/^Total:/ {print $2}' "$cum")
  echo "memory by owner $1 (gperftools heap profile $(basename "$2"): ${total} MB in use; what each holds, with what it calls):"
  owner() { # LABEL REGEX: the largest cumulative in-use size among the functions that match
    awk -v label="$1" -v re="$2" '$6 ~ re && $4 + 0 > best {best = $4 + 0} END {printf "  %-40s %7.1f MB\n", label, best}' "$cum"
  }
  owner "collector (answers, snapshot, caches)" '^kse::collector::'
  owner "model (the cycle's families)" '^kse::model::build_'
  owner "derived history (lag, rates)" '^kse::model::advance'
  owner "pages (render and gzip)" '^kse::app::Pages::|^kse::render::'
  owner "Kafka client (connections, buffers)" '^kse::kafka::'
  owner "HTTP server" '^kse::http::|^mg_'
}
# The last dumps taken while it ran (the one at exit has nothing left in use).
steady=$(sed -n 's/^Dumping heap profile to \(.*\) ([0-9]* sec since the last dump)$/\1/p' "$work/profiled.log" | tail -1)
peak=$(sed -n 's/^Dumping heap profile to \(.*\) ([0-9]* MB currently in use)$/\1/p' "$work/profiled.log" | tail -1)
[[ -n $steady && -e $steady && -n $peak && -e $peak ]] || {
  echo "cost: no heap profile written" >&2
  exit 1
}
by_owner "at steady state" "$steady"
by_owner "at the peak" "$peak"
