#!/bin/sh
# Replay throughput side by side: seedline's noise v1 replay, a precomputed noise table (C++)
# and numpy's default_rng().standard_normal(float32), with ratios, in one run.
# Usage: bench/replay_compare.sh [BUILD_DIR] [PARAMS] [STEPS]
# BUILD_DIR must be configured with -DSEEDLINE_BUILD_BENCH=ON (default: build).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-"$here/../build"}
params=${2:-1000000}
steps=${3:-30}
python=python3
for p in python3 /usr/bin/python3; do
  if "$p" -c "import numpy" 2>/dev/null; then python=$p; break; fi
done
cmake --build "$build" --target replay_bench >/dev/null
{
  "$build/bench/replay_bench" "$params" "$steps"
  "$python" "$here/replay_numpy.py" "$params" "$steps"
} | awk -v params="$params" -v steps="$steps" '
  { rate[$1] = $2; ns[$1] = $3; order[n++] = $1 }
  END {
    printf "replay of %d parameters x %d steps, one thread\n", params, steps
    printf "%-10s %18s %14s %12s %12s\n", "method", "param*steps/s", "ns/param*step", "vs numpy", "vs table"
    for (i = 0; i < n; i++) {
      m = order[i]
      printf "%-10s %18.4g %14.3f %11.2fx %11.2fx\n", m, rate[m], ns[m], rate[m] / rate["numpy"], rate[m] / rate["table"]
    }
  }'
