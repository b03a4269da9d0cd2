#!/usr/bin/env bash
# kafka-cluster survives being started twice and stopped twice, and --owner only
# stops what its owner started. It runs on a private cluster (own state dir, ports
# shifted by KSE_PORT_OFFSET) so the shared cluster on 9092.. that other suites and
# people use is never stopped; that one must come out of this test as it went in.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster=$root/cluster/kafka-cluster

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "--- $*"; }

# The shared cluster, before.
shared_dir=${KSE_CLUSTER_DIR:-/tmp/kse-cluster}
shared_status() { KSE_PORT_OFFSET=0 KSE_CLUSTER_DIR=$shared_dir timeout 60 "$cluster" status; }
shared_before=$(shared_status)

export KSE_CLUSTER_DIR=${KSE_TWICE_DIR:-/tmp/kse-cluster-twice-$$}
# The first port offset whose ports (clients, controllers, SASL_SSL, Jolokia) are free.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
offset_free() {
  local port
  for port in 9092 9093 9094 9192 9193 9194 9292 9293 9294 8778 8779 8780; do
    port_free $((port + $1)) || return 1
  done
}
unset KSE_PORT_OFFSET
for offset in ${KSE_TWICE_PORT_OFFSET:-20000 21000 22000 23000}; do
  if offset_free "$offset"; then
    export KSE_PORT_OFFSET=$offset
    break
  fi
done
[[ -n "${KSE_PORT_OFFSET:-}" ]] || fail "no free port range for a private cluster"
echo "private cluster: $KSE_CLUSTER_DIR, ports shifted by $KSE_PORT_OFFSET"
bootstrap=127.0.0.1:$((9092 + KSE_PORT_OFFSET))
cleanup() {
  timeout 120 "$cluster" stop >/dev/null 2>&1 || true
  rm -rf "$KSE_CLUSTER_DIR" "$KSE_CLUSTER_DIR.lock"
}
trap cleanup EXIT

leftovers() {
  local proc
  for proc in /proc/[0-9]*; do
    [[ "$(tr '\0' ' ' 2>/dev/null <"$proc/cmdline")" == *" kafka.Kafka $KSE_CLUSTER_DIR/"* ]] && echo "${proc#/proc/}"
  done
  return 0
}
# Brokers 1..3 running (add-broker's 4 is not counted).
running_count() { grep -c '^broker [123]: running (pid' <<<"$(timeout 60 "$cluster" status)" || true; }

step "stop when nothing runs succeeds"
out=$(timeout 120 "$cluster" stop) || fail "stop of a stopped cluster failed: $out"
grep -q "not running" <<<"$out" || fail "unexpected: $out"

step "start (fresh) with owner 'twice'"
started=$SECONDS
out=$(timeout 300 "$cluster" start --owner twice) || fail "first start failed: $out"
echo "$out"
grep -q "3 brokers up" <<<"$out" || fail "first start did not start: $out"
[[ $(running_count) == 3 ]] || fail "3 brokers expected after start"
[[ $(cat "$KSE_CLUSTER_DIR/owner") == twice ]] || fail "owner not recorded"
echo "fresh start took $((SECONDS - started))s"

step "start again: no-op, owner unchanged"
pids_before=$(cat "$KSE_CLUSTER_DIR"/broker-*/pid | sort)
started=$SECONDS
out=$(timeout 300 "$cluster" start --owner someone-else) || fail "second start failed: $out"
grep -q "already running" <<<"$out" || fail "second start did not detect the running cluster: $out"
((SECONDS - started <= 10)) || fail "a no-op start took $((SECONDS - started))s"
[[ "$(cat "$KSE_CLUSTER_DIR"/broker-*/pid | sort)" == "$pids_before" ]] || fail "second start replaced brokers"
[[ $(cat "$KSE_CLUSTER_DIR/owner") == twice ]] || fail "second start took over the ownership"

step "the topics exist once"
topics=$(timeout 120 "$root/cluster/kafka-tool" kafka-topics --bootstrap-server "$bootstrap" --list)
[[ $(grep -cx 'testing\|position' <<<"$topics") == 2 ]] || fail "topics: $topics"

step "kill-broker, then start brings the missing broker back (same cluster)"
cluster_id=$(cat "$KSE_CLUSTER_DIR/cluster-id")
timeout 60 "$cluster" kill-broker 2 >/dev/null || fail "kill-broker 2 failed"
grep -q "broker 2: stopped" <<<"$(timeout 60 "$cluster" status)" || fail "killed broker 2 not shown stopped"
out=$(timeout 300 "$cluster" start) || fail "start after kill-broker failed: $out"
grep -q "started them" <<<"$out" || fail "start did not restart broker 2: $out"
[[ $(running_count) == 3 && $(cat "$KSE_CLUSTER_DIR/cluster-id") == "$cluster_id" ]] || fail "not the same 3-broker cluster"

step "pause-broker / resume-broker"
timeout 60 "$cluster" pause-broker 3 >/dev/null || fail "pause-broker 3 failed"
grep -q "broker 3: paused" <<<"$(timeout 60 "$cluster" status)" || fail "paused broker 3 not shown paused"
out=$(timeout 300 "$cluster" start 2>&1) || fail "start with a paused broker failed: $out"
grep -q "already running" <<<"$out" || fail "start touched a paused broker: $out"
timeout 60 "$cluster" resume-broker 3 >/dev/null || fail "resume-broker 3 failed"
[[ $(running_count) == 3 ]] || fail "broker 3 not running after resume"

step "restart-broker"
pid_before=$(cat "$KSE_CLUSTER_DIR/broker-1/pid")
timeout 300 "$cluster" restart-broker 1 >/dev/null || fail "restart-broker 1 failed"
[[ $(cat "$KSE_CLUSTER_DIR/broker-1/pid") != "$pid_before" && $(running_count) == 3 ]] || fail "broker 1 was not restarted"

step "add-broker 4 (broker only)"
out=$(timeout 300 "$cluster" add-broker 4) || fail "add-broker 4 failed: $out"
port4=$((9392 + KSE_PORT_OFFSET))
grep -q "broker 4 at 127.0.0.1:$port4" <<<"$(timeout 30 kcat -L -b "$bootstrap" -m 5 2>/dev/null)" || fail "broker 4 not registered"
grep -qx "BROKER_4=127.0.0.1:$port4" <<<"$(timeout 60 "$cluster" env)" || fail "env does not show broker 4"

step "stop --owner of someone else leaves it running"
out=$(timeout 120 "$cluster" stop --owner someone-else) || fail "foreign stop failed: $out"
grep -q "left running" <<<"$out" || fail "stop --owner stopped a cluster it did not start: $out"
[[ $(running_count) == 3 ]] || fail "cluster not running after a foreign stop"

step "stop --owner of its owner stops it, without leftovers"
started=$SECONDS
out=$(timeout 120 "$cluster" stop --owner twice) || fail "owner stop failed: $out"
grep -q "stopped" <<<"$out" || fail "unexpected: $out"
echo "stop took $((SECONDS - started))s"
[[ -z "$(leftovers)" ]] || fail "broker processes left after stop: $(leftovers)"
[[ $(running_count) == 0 ]] || fail "status still shows running brokers"

step "stop twice"
out=$(timeout 120 "$cluster" stop) || fail "second stop failed: $out"
out=$(timeout 120 "$cluster" stop --owner twice) || fail "third stop failed: $out"

step "start after stop: a fresh cluster again, then plain stop"
out=$(timeout 300 "$cluster" start) || fail "restart failed: $out"
grep -q "3 brokers up" <<<"$out" || fail "restart did not start: $out"
[[ ! -f "$KSE_CLUSTER_DIR/owner" ]] || fail "an owner recorded without --owner"
timeout 120 "$cluster" stop >/dev/null || fail "plain stop failed"
[[ -z "$(leftovers)" ]] || fail "broker processes left after the plain stop: $(leftovers)"

step "the shared cluster is as it was"
shared_after=$(shared_status)
running() { grep -c ': \(running\|paused\) (pid' <<<"$1" || true; }
if (($(running "$shared_before") >= 3)) && (($(running "$shared_after") < 3)); then
  fail "the shared cluster in $shared_dir was running and is not any more:
$shared_after"
fi
# Brokers and their pids: this test never signals them, but people may restart them.
pids() { sed -n 's/^\(broker [0-9]\): [a-z]* (pid \([0-9]*\)).*/\1 \2/p' <<<"$1"; }
[[ "$(pids "$shared_before")" == "$(pids "$shared_after")" ]] ||
  echo "note: the shared cluster was restarted meanwhile by someone else"
echo "start twice / stop twice: OK"
