#!/usr/bin/env bash
# Sweep benchmark (not a test): the 40-run sweep-40.json with -j1 and -j2
# (median of 3 each), and the per-run overhead of one `pkusim sweep run
# --index` process on a run of one operation (median of 20).
#   tools/bench/sweep_bench.sh [PKUSIM]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pkusim=${1:-$here/../../build/release/sim/pkusim}
spec=$here/sweep-40.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_of() { # seconds of "$@"
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > /dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
for j in 1 2; do
  for i in 1 2 3; do
    rm -rf "$work/s"
    time_of "$pkusim" sweep run "$spec" -o "$work/s" -j "$j" -q
  done | median > "$work/j$j"
done
j1=$(cat "$work/j1") j2=$(cat "$work/j2")
printf 'sweep of 40 runs: -j1 %.2f s, -j2 %.2f s, ratio %.2f\n' "$j1" "$j2" "$(echo "$j2 / $j1" | bc -l)"
cat > "$work/one.json" <<JSON
{"workloads": ["gen:kv-store:operations=1,region_bytes=1M"], "metrics": ["cycles"]}
JSON
"$pkusim" sweep plan "$work/one.json" -o "$work/o" > /dev/null
for i in $(seq 1 20); do
  rm -rf "$work/o/runs"
  time_of "$pkusim" sweep run "$work/one.json" -o "$work/o" -q --index 0
done | median > "$work/one"
printf 'one run as its own process (start, spec and config, a 1-operation run, report): %.1f ms\n' \
  "$(echo "$(cat "$work/one") * 1000" | bc -l)"
