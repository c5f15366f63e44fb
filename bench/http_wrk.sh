#!/usr/bin/env bash
# Requests/s of the HTTP server under wrk (Debian package wrk): builds the http_bench
# synthetic experiment (3 conditions x 10 trials x 300 generations, population 512), starts
# `seedline serve --port 0 --threads 2`, and runs wrk (2 threads, 16 connections) against
# /compare, /curves, the experiment detail and /api/health. Server and wrk share the
# machine's cores (both pinned to cores 0-1 when taskset exists), so the figures are a floor.
#
# Usage: bench/http_wrk.sh [BUILD_DIR]   (default ./build, configured with
#        -DSEEDLINE_BUILD_BENCH=ON); DURATION=10 sets seconds per endpoint.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
duration=${DURATION:-10}
for tool in wrk "$build/seedline" "$build/bench/http_bench"; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "$tool" ] || { echo "http_wrk: missing $tool" >&2; exit 1; }
done
pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0,1)

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$build/bench/http_bench" --make-db "$tmp/bench.db"
"${pin[@]}" "$build/seedline" --db "$tmp/bench.db" serve --port 0 --threads 2 >"$tmp/serve.log" 2>&1 &
pid=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://[0-9.]*:[0-9]*/' "$tmp/serve.log" | head -n1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "http_wrk: the server did not start:" >&2; cat "$tmp/serve.log" >&2; exit 1; }

echo "wrk -t2 -c16 -d${duration}s on $(nproc) cores; server: seedline serve --threads 2"
printf '%-44s %12s %10s %10s\n' "endpoint" "requests/s" "p50" "p99"
for target in api/experiments/1/compare api/experiments/1/curves "api/experiments/1/curves?max_points=50" \
              api/experiments/1 api/health; do
  out=$("${pin[@]}" wrk -t2 -c16 -d"${duration}s" --latency "$url$target")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  printf '%-44s %12s %10s %10s %s\n' "/$target" "$rps" "$p50" "$p99" "$errors"
done
kill -TERM "$pid"
wait "$pid"
pid=""
echo "server stopped with exit status 0 (SIGTERM)"
