#!/usr/bin/env bash
# Configures and builds seedline in Release with tests and MPI (the distributed runner) into
# ./build (incremental).
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEDLINE_BUILD_TESTS=ON -DSEEDLINE_MPI=ON \
  -DSEEDLINE_WERROR="$werror" >/dev/null
cmake --build build -j"$(nproc)"
