#!/usr/bin/env bash
# Regenerates the golden reports of tests/golden (runs.txt lists them) after
# an intended change; review `git diff tests/golden` before committing.
#   tools/update-golden.sh [PKUSIM]   (default: build/release/sim/pkusim)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
pkusim=$(realpath "${1:-$here/build/release/sim/pkusim}")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
while read -r name args; do
  case "$name" in ''|'#'*) continue ;; esac
  cmake -DPKUSIM="$pkusim" -DSOURCE="$here" -DNAME="$name" "-DARGS=${args// /;}" -DOUT="$out" \
        -DUPDATE=1 -P "$here/tests/golden/run_golden.cmake"
  echo "updated tests/golden/$name.{json,csv,txt}"
done < "$here/tests/golden/runs.txt"
