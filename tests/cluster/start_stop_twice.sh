#!/usr/bin/env bash
# The cluster script survives being started twice and stopped twice, and leaves the
# shared cluster running for the tests after this one.
set -euo pipefail
cluster="$(cd "$(dirname "$0")/../.." && pwd)/cluster/kafka-cluster"

"$cluster" start
out=$("$cluster" start)
grep -q "already running" <<<"$out" || { echo "FAIL: second start did not detect the running cluster: $out"; exit 1; }

grep -q "left running" <<<"$("$cluster" stop --owner someone-else)" || { echo "FAIL: stop --owner stopped a cluster it did not start"; exit 1; }
grep -q "broker 1: running" <<<"$("$cluster" status)" || { echo "FAIL: cluster not running after foreign stop"; exit 1; }

"$cluster" stop
"$cluster" stop
if pgrep -f -- "-Dkse.cluster.node=" >/dev/null; then
  echo "FAIL: broker processes left after stop"; exit 1
fi
"$cluster" status

# Restore the cluster for the tests that follow; ctest's cleanup stops it.
"$cluster" start --owner ctest
[[ $(grep -c running <<<"$("$cluster" status)") == 3 ]] || { echo "FAIL: restart did not bring 3 brokers"; exit 1; }
echo "start twice / stop twice: OK"
