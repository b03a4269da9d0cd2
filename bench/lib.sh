# Shared by the benchmarks that run against the local cluster: sourced, never run,
# once $root (the source tree) is set. Sets build, binary, tool and bootstrap.
build="${KSE_BUILD:-$root/build}"
# KSE_BINARY: another build of the exporter (a copy kept still while the tree is rebuilt).
binary="${KSE_BINARY:-$build/exporter/kafka-sidecar-exporter}"
tool="$root/cluster/kafka-tool"
bootstrap=127.0.0.1:$((9092 + ${KSE_PORT_OFFSET:-0}))

# Ends the exporter of a benchmark, if it runs, and waits for it.
stop_exporter() { # PID
  [[ -n ${1:-} ]] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Deletes the benchmark's topics and its groups kse-bench-group-0 .. COUNT-1.
delete_bench_data() { # GROUP_COUNT TOPIC...
  local count=$1 topic
  shift
  for topic in "$@"; do
    "$tool" kafka-topics --bootstrap-server "$bootstrap" --delete --topic "$topic" >/dev/null 2>&1 || true
  done
  local groups=() i
  for ((i = 0; i < count; i++)); do groups+=(--group "kse-bench-group-$i"); done
  timeout 120 "$tool" kafka-consumer-groups --bootstrap-server "$bootstrap" --delete "${groups[@]}" >/dev/null 2>&1 || true
}
