#!/usr/bin/env bash
# The README's demo: installs what is missing, builds only the `seedline` executable (not
# the test suite), runs examples/demo.json into ./seedline.db (or $SEEDLINE_DB), prints what
# to look at next, then serves the dashboard on 127.0.0.1:$PORT (default 8080) until Ctrl-C.
#
#   bash scripts/demo.sh              PORT=9000 bash scripts/demo.sh
#
# The experiment and its measured time on 2 cores: see examples/demo.json and the README.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${PORT:-8080}"
case "$port" in
  '' | *[!0-9]*) echo "scripts/demo.sh: PORT must be a number from 1 to 65535 (got '$port')" >&2; exit 2 ;;
esac
if ((port < 1 || port > 65535)); then
  echo "scripts/demo.sh: PORT must be a number from 1 to 65535 (got '$port')" >&2
  exit 2
fi
bash "$root/scripts/setup.sh"
# The same configuration as scripts/build.sh (so a later test build reuses it), but only the
# targets the demo runs.
cd "$root"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEDLINE_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$(nproc)" --target seedline
seedline="$root/build/seedline"
"$seedline" db init
start=$(date +%s)
"$seedline" run "$root/examples/demo.json"
echo "(the demo experiment took $(($(date +%s) - start)) s)"
echo
echo "Serving the dashboard at http://127.0.0.1:$port (Ctrl-C stops it)."
exec "$seedline" serve --host 127.0.0.1 --port "$port"
