#!/usr/bin/env bash
# One collection cycle against the local cluster at growing partition counts:
# prints the cycle time the exporter reports, its RSS and CPU, at 1,000 / 5,000 /
# 10,000 extra partitions (RF 1), then with 1,000 consumer groups more.
# Creates topics kse-bench-cycle-* and groups kse-bench-group-*, deletes them after.
# The probe is off here; bench/probe_overhead/run.sh measures what it adds.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/bench/lib.sh"  # build, binary, tool, bootstrap
port=19408
log=$(mktemp)
cleanup() {
  stop_exporter "${pid:-}"
  delete_bench_data 1000 kse-bench-cycle-a kse-bench-cycle-b kse-bench-cycle-c
  rm -f "$log"
}
trap cleanup EXIT

"$root/cluster/kafka-cluster" start >/dev/null
"$binary" --bootstrap-servers $bootstrap --listen-address 127.0.0.1 --cluster-port $port \
  --set serve.broker_port_base=19471 --set collect.interval=5s --set collect.timeout=4s --set kafka.request_timeout=2s \
  --set probe.enabled=false >"$log" 2>&1 &
pid=$!

measure() {
  local label=$1
  sleep 16  # three cycles at the new size
  local page cycle series rss cpu_ticks
  page=$(curl -sf -m 5 "http://127.0.0.1:$port/metrics")
  cycle=$(awk '/^kafka_sidecar_collect_duration_seconds /{print $2}' <<<"$page")
  series=$(awk '/^kafka_sidecar_series\{/{s+=$2} END{print s}' <<<"$page")
  partitions=$(awk '/^kafka_cluster_partitions /{print $2}' <<<"$page")
  # A cycle cut short by its timeout would look fast: say which collectors did not finish.
  local down
  down=$(awk '/^kafka_sidecar_collector_up\{/ && $2 == 0 {sub(/.*collector="/, ""); sub(/".*/, ""); printf "%s ", $0}' <<<"$page")
  rss=$(awk '/VmRSS/{print $2/1024}' "/proc/$pid/status")
  cpu_ticks=$(awk '{print $14+$15}' "/proc/$pid/stat")
  printf '%-28s partitions=%-6s cycle=%ss series=%s rss=%.1fMB cpu_ticks=%s collectors_down=[%s]\n' "$label" "$partitions" "$cycle" "$series" "$rss" "$cpu_ticks" "$down"
}

measure "baseline"
"$tool" kafka-topics --bootstrap-server $bootstrap --create --topic kse-bench-cycle-a --partitions 1000 --replication-factor 1 >/dev/null
measure "+1,000 partitions"
"$tool" kafka-topics --bootstrap-server $bootstrap --create --topic kse-bench-cycle-b --partitions 4000 --replication-factor 1 >/dev/null
measure "+5,000 partitions"
"$tool" kafka-topics --bootstrap-server $bootstrap --create --topic kse-bench-cycle-c --partitions 5000 --replication-factor 1 >/dev/null
measure "+10,000 partitions"
"$build/bench/make_groups" $bootstrap kse-bench-cycle-a 1000
measure "+10,000 partitions, +1,000 groups"
# Steady state at the default 15 s interval, same cluster: a new exporter, one minute
# after its first cycles, four cycles and their scrapes counted.
stop_exporter "$pid"
"$binary" --bootstrap-servers $bootstrap --listen-address 127.0.0.1 --cluster-port $port \
  --set serve.broker_port_base=19471 --set collect.interval=15s --set probe.enabled=false >"$log" 2>&1 &
pid=$!
sleep 35
hz=$(getconf CLK_TCK)
t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
for _ in 1 2 3 4; do
  sleep 15
  for p in $port 19471 19472 19473; do curl -sf -m 5 -H 'Accept-Encoding: gzip' "http://127.0.0.1:$p/metrics" >/dev/null || true; done
done
t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
rss=$(awk '/VmRSS/{print $2/1024}' "/proc/$pid/status")
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v r="$rss" \
  'BEGIN{printf "at a 15 s interval, scraped every 15 s: cpu %.2f%% of a core over 60 s, rss %.1f MB\n", (b-a)/hz/60*100, r}'
