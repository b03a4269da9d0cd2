#!/usr/bin/env bash
# Scrape latency of a 100,000-series page under 10 concurrent scrapers on loopback
# (wrk, 10 s each, plain and gzip). Target: p99 <= 20 ms.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
port=19700
"${KSE_BUILD:-$root/build}/bench/scrape_server" $port 40 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf -m 1 "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
echo "== plain text"
wrk -t2 -c10 -d10s --latency "http://127.0.0.1:$port/metrics" | grep -E 'Latency|50%|99%|Requests/sec|Transfer|requests in|Socket errors|Non-2xx'
echo "== gzip"
wrk -t2 -c10 -d10s --latency -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/metrics" | grep -E 'Latency|50%|99%|Requests/sec|Transfer|requests in|Socket errors|Non-2xx'
