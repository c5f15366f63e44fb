#!/bin/bash
# compare_runs.sh A.db B.db: do two databases hold the same runs, bit for bit, apart from
# timings? For checking reproducibility by hand across build types, thread counts or
# machines, e.g. a Release and a Debug `seedline run examples/smoke.json` into separate dbs.
#
# Compares (with the sqlite3 CLI) runs (id, condition, trial, seed, noise version, state),
# individuals (id, run, parent, seed, generation, fitness as %.17g, checksum), generations
# without eval_seconds/total_seconds (statistics as %.17g, parents as hex), generation_stages
# without seconds, and snapshots (checksum and compressed bytes). Prints one line per table; the differing rows go to
# $TMPDIR (or /tmp)/compare_runs.<table>.diff. Exit 0: identical; 1: a table differs;
# 2: bad arguments or a database sqlite3 cannot read.
set -u
if [ $# -ne 2 ]; then
  echo "usage: compare_runs.sh A.db B.db" >&2
  exit 2
fi
for db in "$1" "$2"; do
  if [ ! -f "$db" ]; then
    echo "compare_runs.sh: $db: no such file" >&2
    exit 2
  fi
  if ! sqlite3 -readonly "$db" "SELECT count(*) FROM individuals" > /dev/null; then
    echo "compare_runs.sh: $db: not a seedline database sqlite3 can read" >&2
    exit 2
  fi
done
declare -A queries=(
  [runs]="SELECT id, condition_id, trial, seed, noise_version, state, message FROM runs ORDER BY id"
  [individuals]="SELECT id, run_id, parent_id, seed, generation, printf('%.17g', fitness), checksum
                 FROM individuals ORDER BY id"
  [generations]="SELECT run_id, generation, first_individual, last_individual,
                        printf('%.17g %.17g %.17g %.17g', best, mean, median, std), best_individual,
                        hex(parents), evaluations, steps FROM generations ORDER BY run_id, generation"
  [generation_stages]="SELECT run_id, generation, stage, evaluations, steps FROM generation_stages
                       ORDER BY run_id, generation, stage"
  [snapshots]="SELECT individual_id, run_id, codec, raw_bytes, checksum, hex(data) FROM snapshots
               ORDER BY individual_id"
)
out_dir=${TMPDIR:-/tmp}
status=0
for table in runs individuals generations generation_stages snapshots; do
  q=${queries[$table]}
  diff_file=$out_dir/compare_runs.$table.diff
  if diff <(sqlite3 -readonly "$1" "$q") <(sqlite3 -readonly "$2" "$q") > "$diff_file"; then
    echo "$table: identical ($(sqlite3 -readonly "$1" "SELECT count(*) FROM $table") rows)"
    rm -f "$diff_file"
  else
    echo "$table: DIFFER in $(grep -c '^<' "$diff_file") rows of $1 (see $diff_file)"
    status=1
  fi
done
exit $status
