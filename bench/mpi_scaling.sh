#!/usr/bin/env bash
# Distributed-job figures (docs/distributed.md, README): mpi_wire_bench under mpirun -n 4
# (bytes on the wire per evaluated individual against the Deep GA's and OpenAI-ES's
# designs, scheduling overhead per work item), then the scaling of a CPU-bound
# `seedline run --mpi` (Pendulum, a 3-256-256-1 tanh network, every episode 200 steps) from
# 1 to 4 ranks of one thread each, against the same run in one process with one thread,
# measured in this run; the 4-rank database must equal the one-process one (compare_runs.sh).
# Ranks beyond the machine's cores share them (--oversubscribe): on a 2-core machine 4 ranks
# can at best double the one-process speed.
# Usage: bash bench/mpi_scaling.sh [BUILD_DIR]   (default: build-bench; configured with MPI)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSEEDLINE_BUILD_BENCH=ON -DSEEDLINE_MPI=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target seedline mpi_wire_bench >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe)

echo "== the wire and the dealing (mpirun -n 4, $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))"
"${mpirun[@]}" -n 4 "$build/bench/mpi_wire_bench"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/cpu.json" <<'JSON'
{"name": "cpu-bound", "seed": 5, "trials": 1,
 "task": {"type": "pendulum", "episodes": 1, "max_steps": 200},
 "network": [{"type": "dense", "out": 256, "activation": "tanh"},
             {"type": "dense", "out": 256, "activation": "tanh"}, {"type": "dense", "out": 1}],
 "ga": {"population": 64, "elites": 1, "generations": 5, "mutation_rate": 0.01, "snapshot_every": 0,
        "stages": [{"evaluations": 1, "keep": 8}]},
 "conditions": [{"name": "direct", "representation": {"type": "direct"}}]}
JSON
# Wall seconds of a command (its output kept for a failure).
wall() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.2f}')"
}
echo
echo "== scaling: 64 Pendulum episodes x 5 generations, one thread per rank (load average $(cut -d' ' -f1-3 /proc/loadavg))"
base=$(wall "$build/seedline" --db "$tmp/plain.db" run "$tmp/cpu.json" --threads 1)
printf '%-30s %7s s\n' "one process, 1 thread" "$base"
for n in 1 2 4; do
  t=$(wall "${mpirun[@]}" -n "$n" "$build/seedline" --db "$tmp/mpi$n.db" run --mpi "$tmp/cpu.json" --threads 1 \
    --wire-stats "$tmp/wire$n.jsonl")
  printf '%-30s %7s s   speed-up %s\n' "mpirun -n $n, 1 thread each" "$t" \
    "$(python3 -c "print(f'{$base / $t:.2f}x')")"
done
echo
echo "== the 4-rank run against the one-process run"
bash "$root/tests/golden/compare_runs.sh" "$tmp/plain.db" "$tmp/mpi4.db"
python3 - "$tmp/wire4.jsonl" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
total = sum(r["bytes"] for r in rows)
evaluated = sum(r["evaluated"] for r in rows)
print(f"wire, 4 ranks: {total} bytes over {len(rows)} generations, {total / evaluated:.1f} per evaluated individual")
PY
