#!/usr/bin/env bash
# Installs what seedline needs on Debian (as root), idempotently: quiet when all is there.
# The one list of Debian packages the project uses lives here.
set -euo pipefail

PACKAGES=(
  # build
  g++ cmake ninja-build pkg-config
  # libraries (README: Debian packages only, listed once, here)
  libsqlite3-dev libeigen3-dev libboost-dev nlohmann-json3-dev libzstd-dev
  librandom123-dev libcli11-dev libxxhash-dev libsentencepiece-dev
  # the distributed runner (seedline run/daemon --mpi; docs/distributed.md)
  libopenmpi-dev openmpi-bin
  # the mujoco task (docs/tasks.md): MuJoCo's C API and its model files (the humanoid)
  libmujoco-dev libmujoco-samples
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev sqlite3 python3 python3-numpy python3-scipy wrk
  # the language model's PyTorch reference (tests) and comparison (bench); OpenBLAS so that
  # Debian's PyTorch does not run on the reference BLAS; jemalloc: the benches' fair PyTorch
  # anchor (bench/torch_fair.py); fortunes: the demo corpus
  python3-torch libopenblas0 libjemalloc2 fortunes
  # dashboard build and browser test
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm build the dashboard; any working install will do.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The dashboard's static files (web/dist/), which `seedline serve` embeds at build time.
bash "$(dirname "$0")/../web/build.sh"

# The language-model demo's corpus (examples/lm-demo.json): short fortunes, one per line.
bash "$(dirname "$0")/lm_demo_corpus.sh"
