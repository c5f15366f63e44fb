#!/usr/bin/env bash
# Installs what is missing, builds, and runs the CartPole demo into ./seedline.db: the
# paper's three conditions (factorized, direct, small direct), a few trials of a few dozen
# generations (15-30 s on 2 cores), then prints what to look at next.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
seedline="$root/build/seedline"
"$seedline" db init
"$seedline" run "$root/examples/cartpole.json"
