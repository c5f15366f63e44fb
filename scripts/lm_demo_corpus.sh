#!/usr/bin/env bash
# Builds data/fortunes.txt, the language-model demo's corpus (examples/lm-demo.json), from
# Debian's fortunes package: every fortune of up to 160 characters from a few collections,
# one per line (line breaks inside a fortune become spaces). Idempotent; quiet when done.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src=/usr/share/games/fortunes
out="$root/data/fortunes.txt"
[ -s "$out" ] && exit 0
if [ ! -f "$src/fortunes" ]; then
  echo "lm_demo_corpus: $src/fortunes is missing (apt-get install fortunes)" >&2
  exit 1
fi
mkdir -p "$root/data"
files=()
for f in fortunes wisdom literature science people computers; do
  [ -f "$src/$f" ] && files+=("$src/$f")
done
awk 'BEGIN { RS = "\n%\n" }
     { gsub(/[\n\t\r]+/, " "); gsub(/^ +| +$/, ""); gsub(/  +/, " ");
       if (length($0) > 0 && length($0) <= 160) print }' "${files[@]}" > "$out.tmp"
mv "$out.tmp" "$out"
echo "lm_demo_corpus: wrote $(wc -l < "$out") fortunes to data/fortunes.txt"
