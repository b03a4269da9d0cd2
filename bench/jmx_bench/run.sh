#!/usr/bin/env bash
# Scrape cost of broker internals on broker 1: our Jolokia bridge (pre-rendered page)
# against the JMX exporter 0.20 agent, both with the same rules file, with a bench
# topic giving broker 1 1,000 and then 10,000 more partitions. Every step is bounded.
#
#   bench/jmx_bench/run.sh                      # seed rules if present, else ours
#   PARTITIONS="1000" CPU_WINDOW=60 RULES=exporter/kafka-broker-rules.yml bench/jmx_bench/run.sh
#   MANAGE_CLUSTER=0 BOOTSTRAP=... JOLOKIA=... AGENT=... run.sh   # a broker started by hand
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KSE_BUILD_DIR:-$ROOT/build-jmx}
RULES=${RULES:-$ROOT/../shared/seed-assets/kafka_broker.yml}
[[ -r "$RULES" ]] || RULES=$ROOT/exporter/kafka-broker-rules.yml
RULES=$(cd "$(dirname "$RULES")" && pwd)/$(basename "$RULES")
PARTITIONS=${PARTITIONS:-"1000 10000"}
CPU_WINDOW=${CPU_WINDOW:-60}
ROUNDS=${ROUNDS:-5}
TOPIC=kse-jmx-bench
JOLOKIA=${JOLOKIA:-http://127.0.0.1:8778/jolokia/}
AGENT=${AGENT:-http://127.0.0.1:7991/metrics}
BOOTSTRAP=${BOOTSTRAP:-127.0.0.1:9092}
MANAGE_CLUSTER=${MANAGE_CLUSTER:-1}
CLUSTER=$ROOT/cluster/kafka-cluster
TOOL=$ROOT/cluster/kafka-tool
BENCH=$BUILD/bench/jmx_bench/jmx_bench

say() { echo "[jmx_bench] $*" >&2; }

if [[ ! -x "$BENCH" ]]; then
  say "building jmx_bench in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja >/dev/null
  timeout 1200 ninja -j2 -C "$BUILD" jmx_bench >/dev/null
fi

if [[ "$MANAGE_CLUSTER" == 1 ]]; then
  timeout 900 "$CLUSTER" status | grep -q "broker 1: running" ||
    KSE_BROKER_HEAP=${KSE_BROKER_HEAP:-2g} timeout 900 "$CLUSTER" start
fi

# The agent must run the same rules: the kafka_* families it types must be ours.
families() { grep '^# TYPE kafka_' | grep -v '^# TYPE kafka_sidecar_' | sort -u; }
same_rules() {
  local agent ours
  agent=$(timeout 300 curl -sf "$AGENT" | families) || return 1
  [[ -n "$agent" ]] || return 1
  ours=$("$BENCH" dump --jolokia "$JOLOKIA" --rules "$RULES" | families)
  [[ "$agent" == "$ours" ]]
}
# The rules file broker 1's agent was started with, as the cluster script reports it.
agent_rules() { "$CLUSTER" env | sed -n 's/^JMX_EXPORTER_CONFIG=//p'; }
broker_heap() { tr '\0' '\n' <"/proc/$(cat "${KSE_CLUSTER_DIR:-/tmp/kse-cluster}/broker-1/pid")/cmdline" 2>/dev/null | grep '^-Xmx' || true; }
: "${KSE_BROKER_HEAP:=2g}"
if [[ "$MANAGE_CLUSTER" == 1 && ("$(agent_rules)" != "$RULES" || "$(broker_heap)" != "-Xmx$KSE_BROKER_HEAP") ]]; then
  say "restarting broker 1 with the JMX exporter agent on 7991, $RULES and a $KSE_BROKER_HEAP heap"
  # 10,000 partitions and two agents walking their MBeans do not fit the default 512 MB.
  KSE_BROKER_HEAP=$KSE_BROKER_HEAP KSE_JMX_EXPORTER_CONFIG=$RULES timeout 600 "$CLUSTER" restart-broker 1
fi
# startDelaySeconds in the rules keeps the agent's page empty for a while.
for _ in $(seq 1 60); do same_rules && break; sleep 5; done
same_rules || { say "the agent at $AGENT does not serve the rules' series"; exit 1; }

# KRaft refuses one request creating more than ~10,000 records: topics of at most 5,000.
CHUNK=5000
topics() {
  timeout 120 "$TOOL" kafka-topics --bootstrap-server "$BOOTSTRAP" --list 2>/dev/null |
    grep -E "^$TOPIC(-[0-9]+)?$" || true
}
cleanup() {
  for topic in $(topics); do
    timeout 120 "$TOOL" kafka-topics --bootstrap-server "$BOOTSTRAP" --delete --topic "$topic" \
      >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

say "rules: $RULES"
"$BENCH" run --jolokia "$JOLOKIA" --agent "$AGENT" --rules "$RULES" --rounds "$ROUNDS" \
  --cpu-window 0 --label "broker 1 as it is"

for count in $PARTITIONS; do
  cleanup
  for _ in $(seq 1 60); do
    [[ -z "$(topics)" ]] && break
    sleep 2
  done
  say "creating $count partitions led by broker 1 in topics $TOPIC-*"
  index=0
  for ((left = count; left > 0; left -= CHUNK)); do
    size=$((left < CHUNK ? left : CHUNK))
    assignment=$(seq "$size" | sed "s/.*/1/" | paste -sd, -)
    timeout 600 "$TOOL" kafka-topics --bootstrap-server "$BOOTSTRAP" --create \
      --topic "$TOPIC-$index" --replica-assignment "$assignment" >/dev/null
    index=$((index + 1))
  done
  led=0
  for _ in $(seq 1 120); do
    led=0
    for topic in $(topics); do
      n=$(timeout 120 "$TOOL" kafka-topics --bootstrap-server "$BOOTSTRAP" --describe \
        --topic "$topic" 2>/dev/null | grep -c "Leader: 1" || true)
      led=$((led + n))
    done
    [[ "$led" -ge "$count" ]] && break
    sleep 5
  done
  say "broker 1 leads $led partitions of the bench topics"
  sleep 20  # let the new partitions' MBeans settle
  timeout 1800 "$BENCH" run --jolokia "$JOLOKIA" --agent "$AGENT" --rules "$RULES" \
    --rounds "$ROUNDS" --cpu-window "$CPU_WINDOW" --label "broker 1 + $count partitions"
done
