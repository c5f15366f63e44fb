#!/usr/bin/env bash
# Builds the dashboard into web/dist/: the sources of web/src/ plus uPlot's browser build
# from node_modules (no CDN: the dashboard works without network). Idempotent and quiet
# when nothing changed: npm packages are installed (`npm ci`) only when node_modules is
# missing or older than package-lock.json, and a file of dist/ is rewritten only when its
# content differs (so the server's embedding of dist/ is not rebuilt for nothing).
set -euo pipefail
web="$(cd "$(dirname "$0")" && pwd)"
cd "$web"

if ! command -v npm >/dev/null 2>&1; then
  echo "web/build.sh: npm is missing (bash scripts/setup.sh installs Node.js and npm)" >&2
  exit 1
fi

# npm ci writes node_modules/.package-lock.json last; it is the install's timestamp.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "web: installing npm packages (npm ci)"
  if ! npm ci --no-audit --no-fund --loglevel=error >/dev/null; then
    echo "web/build.sh: npm ci failed in $web" >&2
    exit 1
  fi
  touch "$stamp"
fi

# dist file <- source file
files=(
  "index.html:src/index.html"
  "style.css:src/style.css"
  "uPlot.iife.min.js:node_modules/uplot/dist/uPlot.iife.min.js"
  "uPlot.min.css:node_modules/uplot/dist/uPlot.min.css"
)
for f in src/*.js; do files+=("$(basename "$f"):$f"); done

mkdir -p dist
changed=0
declare -A wanted=()
for pair in "${files[@]}"; do
  out="dist/${pair%%:*}"
  in="${pair#*:}"
  wanted["$out"]=1
  if [ ! -f "$in" ]; then
    echo "web/build.sh: $web/$in is missing" >&2
    exit 1
  fi
  if ! cmp -s "$in" "$out"; then
    cp "$in" "$out.tmp" && mv "$out.tmp" "$out"
    changed=$((changed + 1))
  fi
done
# Files of an older build that no longer exist in the sources.
for out in dist/*; do
  [ -e "$out" ] || continue
  if [ -z "${wanted[$out]:-}" ]; then
    rm -rf "$out"
    changed=$((changed + 1))
  fi
done
if ((changed)); then
  echo "web: wrote web/dist ($changed file(s) changed)"
fi
