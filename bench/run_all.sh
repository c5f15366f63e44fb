#!/usr/bin/env bash
# Builds the benchmark programs (Release, -DSEEDLINE_BUILD_BENCH=ON, into build-bench/) and
# runs every one, each printing its measured figures beside its target or baseline. These are
# the figures the README quotes. Takes a few minutes on 2 cores; run it on a quiet machine.
# Usage: bash bench/run_all.sh [BUILD_DIR]   (default: build-bench)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEDLINE_BUILD_TESTS=OFF \
  -DSEEDLINE_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
section() { printf '\n== %s\n' "$1"; }
section "bytes on disk per individual (target <= 64)"
"$build/bench/lineage_bytes_bench"
section "replay throughput, one thread (target >= 4x numpy)"
bash "$root/bench/replay_compare.sh" "$build"
section "rebuild of a 1,000,000-parameter genotype at generation 300, snapshot_every 25 (target <= 25 ms on 2 threads)"
"$build/bench/rebuild_bench"
section "Deep GA scale: 4,000,000 parameters at population 1,000 (targets: peak <= 1 GiB, member >= 0.8x replay)"
"$build/bench/deep_ga_bench"
section "runner: database share, thread scaling, steps per generation"
"$build/bench/runner_bench"
section "pixel networks: Table 2 forward pass, one thread, and batch-1 frames/s vs the fair PyTorch (target >= 1.5x on Atari)"
"$build/bench/conv_bench"
section "external evaluators: overhead per item and weights delivered (targets <= 50 us at 10k, >= 2 GB/s at 1M)"
"$build/bench/external_bench"
section "HTTP: /compare and /curves latency (target p99 <= 50 ms)"
"$build/bench/http_bench"
section "HTTP: requests/s under wrk"
DURATION=${DURATION:-5} bash "$root/bench/http_wrk.sh" "$build"
section "HTTP: RSS and a legitimate client's p99 with 200 hostile clients (targets RSS <= 64 MB, p99 <= 100 ms)"
"$build/bench/http_hostile_bench"
section "results out: the pruned tree of a 100,000-individual run and export of 3 x 10 x 300 generations (targets <= 1 s)"
"$build/bench/report_bench" /tmp/seedline_report_bench.db
if [ -d "$root/web/node_modules/playwright-core" ] && [ -x /usr/bin/chromium ]; then
  section "results out: the run page's tree in headless Chromium (target <= 1 s)"
  node "$root/bench/tree_render.mjs" "$build/seedline" /tmp/seedline_report_bench.db 1
fi
section "ES generation on one dense layer: full-rank vs EGGROLL vs plain forward (targets: EGGROLL r=1 >= 10x full-rank at 4096, >= 50% of plain forward)"
"$build/bench/es_bench"
section "language model: forward + loss tokens/s vs the fair PyTorch, then the plain one (target >= 3x the fair on 1 thread), Table 1 generation time"
"$build/bench/lm_bench"
