#!/usr/bin/env bash
# The cost of exact lag in seconds: 1,000 consumer groups, each 10 partitions behind, on the
# local cluster. A topic of 1,000 partitions (RF 1) gets 20 records a partition; group i
# commits offset 5 on partitions 10i..10i+9, so 10,000 lagging group partitions need 1,000
# record reads (one per partition and committed offset). Prints, for an exporter with the
# record reads (the default) and one without (collect.lag_record_reads_per_broker=0, lag in
# seconds estimated): the first cycle (every read made), the steady cycle (reads kept while
# the committed offsets stay), the reads and bytes fetched, and the lag_seconds series served.
# Creates topic kse-bench-lag and groups kse-bench-group-*, deletes them after.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/bench/lib.sh"  # build, binary, tool, bootstrap
port=19508
topic=kse-bench-lag
log=$(mktemp)
cleanup() {
  stop_exporter "${pid:-}"
  delete_bench_data 1000 $topic
  rm -f "$log"
}
trap cleanup EXIT

"$root/cluster/kafka-cluster" start >/dev/null
"$tool" kafka-topics --bootstrap-server $bootstrap --create --topic $topic --partitions 1000 --replication-factor 1 >/dev/null
# 50 couriers x 400 positions, spread by key over the partitions: about 20 records each.
"$build/workload/courier-producer" --bootstrap-servers $bootstrap --topic $topic --couriers 1000 \
  --messages-per-courier 20 --interval-ms 0 --report-interval-s 0 >/dev/null
"$build/bench/make_groups" $bootstrap $topic 1000 10 1000 5 >/dev/null

run() { # run LABEL READS_PER_BROKER
  local label=$1 reads=$2
  "$binary" --bootstrap-servers $bootstrap --listen-address 127.0.0.1 --cluster-port $port \
    --set serve.broker_port_base=19571 --set collect.interval=5s --set collect.timeout=4s \
    --set kafka.request_timeout=2s --set probe.enabled=false --set limits.partition_metrics=false \
    --set collect.lag_record_reads_per_broker="$reads" --set filters.topic_include="^$topic\$" >"$log" 2>&1 &
  pid=$!
  local deadline=$((SECONDS + 60))
  until grep -q "first collection" "$log"; do
    ((SECONDS < deadline)) || { echo "no first cycle within 60 s: $(tail -3 "$log")" >&2; exit 1; }
    sleep 0.2
  done
  local first
  first=$(sed -n 's/.*first collection: .* in \([0-9.]*\) s.*/\1/p' "$log")
  sleep 16  # three more cycles: the steady state
  local page steady reads_done bytes served lagging
  page=$(curl -sf -m 5 "http://127.0.0.1:$port/metrics")
  steady=$(awk '/^kafka_sidecar_collect_duration_seconds /{print $2}' <<<"$page")
  reads_done=$(awk '/^kafka_sidecar_lag_record_reads_total /{print $2}' <<<"$page")
  bytes=$(awk '/^kafka_sidecar_lag_record_read_bytes_total /{print $2}' <<<"$page")
  served=0 lagging=0
  for p in 19571 19572 19573; do
    local broker_page
    broker_page=$(curl -sf -m 5 "http://127.0.0.1:$p/metrics" || true)
    served=$((served + $(grep -c '^kafka_consumergroup_lag_seconds{' <<<"$broker_page" || true)))
    lagging=$((lagging + $(awk '/^kafka_consumergroup_lag\{/ && $2 > 0' <<<"$broker_page" | wc -l)))
  done
  printf '%-36s first cycle %6.3f s, steady cycle %6.3f s, record reads %6s, bytes fetched %9s, lag_seconds served for %5s of 10000 group partitions (%s lagging)\n' \
    "$label" "$first" "$steady" "$reads_done" "$bytes" "$served" "$lagging"
  stop_exporter "$pid"
  pid=
}

run "exact (record reads, the default)" 1000
run "estimated (no record reads)" 0
