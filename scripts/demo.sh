#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo into ./seedline.db.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
seedline="$root/build/seedline"
"$seedline" db init
"$seedline" db status
