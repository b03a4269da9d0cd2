# Start and stop Prometheus, Alertmanager and a webhook receiver on loopback,
# for the demo and the end-to-end tests.
# shellcheck shell=bash

STACK_DIR=${STACK_DIR:-/tmp/kse-stack}
PROMETHEUS_PORT=9090
# Not 9093 (broker 1's controller) nor 9095 (its SASL_PLAINTEXT listener in secure mode).
ALERTMANAGER_PORT=9097
WEBHOOK_PORT=9096

stack_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

wait_http() {
  local url=$1 seconds=$2
  local deadline=$((SECONDS + seconds))
  until curl -sf -m 2 "$url" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "stack: $url did not answer within ${seconds}s" >&2; return 1; }
    sleep 0.5
  done
}

# Waits for `url` to answer, as long as process `pid` (ours) runs: a process that died (a
# port taken by someone else, say) stops the wait at once with its log's last lines,
# instead of waiting on whatever else answers at that address.
wait_http_of() {
  local pid=$1 url=$2 seconds=$3 log=$4
  local deadline=$((SECONDS + seconds))
  until curl -sf -m 2 "$url" >/dev/null 2>&1 && kill -0 "$pid" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "stack: the process behind $url exited; its log ($log) ends with:" >&2
      tail -n 5 "$log" >&2
      return 1
    fi
    ((SECONDS < deadline)) || { echo "stack: $url did not answer within ${seconds}s" >&2; return 1; }
    sleep 0.5
  done
}

# Refuses to start when a port the stack needs is already taken, and says by what.
require_free_ports() {
  local port taken=()
  for port in "$@"; do
    if ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then taken+=("$port"); fi
  done
  if ((${#taken[@]} > 0)); then
    echo "stack: port(s) ${taken[*]} already in use (an earlier demo or exporter still running?):" >&2
    ss -Htlnp "( $(printf 'sport = :%s or ' "${taken[@]}" | sed 's/ or $//') )" >&2 || true
    return 1
  fi
}

start_webhook() {
  mkdir -p "$STACK_DIR"
  : >"$STACK_DIR/webhook.jsonl"
  python3 - "$WEBHOOK_PORT" "$STACK_DIR/webhook.jsonl" >"$STACK_DIR/webhook.log" 2>&1 <<'PY' &
import http.server, sys
port, path = int(sys.argv[1]), sys.argv[2]
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(path, "ab") as out:
            out.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200)
        self.end_headers()
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
PY
  echo $! >"$STACK_DIR/webhook.pid"
  wait_http "http://127.0.0.1:$WEBHOOK_PORT/" 10
}

start_alertmanager() {
  local root
  root=$(stack_root)
  mkdir -p "$STACK_DIR/alertmanager"
  prometheus-alertmanager --config.file="$root/prometheus/alertmanager.yml" \
    --storage.path="$STACK_DIR/alertmanager" --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" \
    --cluster.listen-address="" >"$STACK_DIR/alertmanager.log" 2>&1 &
  echo $! >"$STACK_DIR/alertmanager.pid"
  wait_http "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready" 30
}

# $1: a prometheus.yml (default: the shipped one); extra arguments go to Prometheus.
start_prometheus() {
  local root config
  root=$(stack_root)
  config=${1:-$root/prometheus/prometheus.yml}
  shift || true
  mkdir -p "$STACK_DIR/prometheus"
  prometheus --config.file="$config" --storage.tsdb.path="$STACK_DIR/prometheus" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle "$@" \
    >"$STACK_DIR/prometheus.log" 2>&1 &
  echo $! >"$STACK_DIR/prometheus.pid"
  wait_http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" 60
}

stop_stack() {
  local name
  for name in prometheus alertmanager webhook exporter producer consumer tx; do
    if [[ -f "$STACK_DIR/$name.pid" ]]; then
      kill "$(cat "$STACK_DIR/$name.pid")" 2>/dev/null || true
      rm -f "$STACK_DIR/$name.pid"
    fi
  done
  wait 2>/dev/null || true
}
