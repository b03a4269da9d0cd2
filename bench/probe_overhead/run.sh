#!/usr/bin/env bash
# What the end-to-end probe costs: the exporter's CPU and resident memory over
# one minute against the local cluster, with the probe off, then on (1 s
# interval, 3 brokers), plus the probe's own view of its latencies.
# Usage: bench/probe_overhead/run.sh [seconds per run, default 60]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary="${KSE_BUILD:-$root/build}/exporter/kafka-sidecar-exporter"
bootstrap=127.0.0.1:$((9092 + ${KSE_PORT_OFFSET:-0}))
seconds=${1:-60}
port=19508
log=$(mktemp)
trap '[[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null; rm -f "$log"' EXIT

"$root/cluster/kafka-cluster" start >/dev/null
hz=$(getconf CLK_TCK)

run() {
  local label=$1 enabled=$2
  "$binary" --bootstrap-servers "$bootstrap" --listen-address 127.0.0.1 --cluster-port $port \
    --set serve.broker_port_base=19571 --set probe.enabled="$enabled" --set probe.topic=_kse_probe_bench \
    --set probe.group=_kse_probe_bench_group >"$log" 2>&1 &
  pid=$!
  sleep 20  # first cycle, probe topic ready, steady state
  local t0 t1 rss
  t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  sleep "$seconds"
  t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  rss=$(awk '/VmRSS/{print $2/1024}' "/proc/$pid/status")
  local threads
  threads=$(awk '/Threads/{print $2}' "/proc/$pid/status")
  awk -v l="$label" -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$seconds" -v r="$rss" -v th="$threads" \
    'BEGIN{printf "%-10s cpu=%.2f%% of a core  rss=%.1f MB  threads=%s\n", l, (b-a)/hz/s*100, r, th}'
  if [[ $enabled == true ]]; then
    local page
    page=$(curl -sf -m 5 "http://127.0.0.1:19571/metrics")
    awk '/^kafka_probe_end_to_end_latency_seconds_(sum|count)/{v[$1]=$2}
         END{for (k in v) if (k ~ /_count/) {s=k; sub(/_count/,"_sum",s); if (v[k]>0) printf "broker 1 mean end-to-end latency %.1f ms over %d messages\n", v[s]/v[k]*1000, v[k]}}' <<<"$page"
  fi
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
}

run "probe off" false
run "probe on" true
