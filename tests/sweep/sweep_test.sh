#!/usr/bin/env bash
# End-to-end tests of pkusim sweep. Usage: sweep_test.sh MODE PKUSIM SOURCE WORK
#   deterministic  -j1, -j2 and two shards give byte-identical results.csv and results.jsonl
#   resume         a sweep killed with -9 resumes without redoing finished runs
#   retry          a failed run is listed with its error and re-run by --retry-failed
#   parallel       the emitted GNU parallel script gives the local results
#   slurm          the emitted Slurm job array on a private single-node cluster gives them too
set -euo pipefail
mode=$1 pkusim=$2 src=$3 work=$4
spec=$src/tests/sweep/small.json
rm -rf "$work"
mkdir -p "$work"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
same() { # A B: byte-identical
  cmp -s "$1" "$2" || { diff "$1" "$2" | head -20 >&2; fail "$1 and $2 differ"; }
}
reference() {
  "$pkusim" sweep run "$spec" -o "$work/ref" -j 1 -q || fail "the reference sweep failed"
  [[ -s $work/ref/results.csv ]] || fail "no results.csv"
  local rows
  rows=$(($(wc -l < "$work/ref/results.csv") - 1))
  [[ $rows == 16 ]] || fail "results.csv has $rows rows, expected 16"
}

case $mode in
deterministic)
  reference
  "$pkusim" sweep run "$spec" -o "$work/j2" -j 2 -q
  "$pkusim" sweep run "$spec" -o "$work/sh" --shard 1/2 -q
  [[ ! -e $work/sh/results.csv ]] || fail "collected before every shard was done"
  "$pkusim" sweep run "$spec" -o "$work/sh" --shard 0/2 -q
  for d in j2 sh; do
    same "$work/ref/results.csv" "$work/$d/results.csv"
    same "$work/ref/results.jsonl" "$work/$d/results.jsonl"
  done
  # A report is the same whoever ran it.
  id=$(sed -n 2p "$work/ref/results.csv" | cut -d, -f2)
  same "$work/ref/runs/$id/report.json" "$work/sh/runs/$id/report.json"
  ;;
resume)
  reference
  # Slow the runs down so that the kill lands mid-sweep.
  slow=$work/slow.json
  sed 's/operations=300/operations=6000/g' "$spec" > "$slow"
  "$pkusim" sweep run "$slow" -o "$work/full" -j 1 -q
  "$pkusim" sweep run "$slow" -o "$work/k" -j 1 -q &
  pid=$!
  for _ in $(seq 1 600); do
    n=$(find "$work/k/runs" -name DONE 2>/dev/null | wc -l) || true
    ((n >= 3)) && break
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  done_before=$(find "$work/k/runs" -name DONE | wc -l)
  ((done_before >= 3 && done_before < 16)) || fail "$done_before runs done when killed"
  [[ ! -e $work/k/results.csv ]] || fail "results.csv written by a killed sweep"
  # The finished runs' markers must survive the resume untouched.
  find "$work/k/runs" -name DONE -printf '%p %i %T@\n' | sort > "$work/before.txt"
  "$pkusim" sweep status "$slow" -o "$work/k" > "$work/status.txt" || true
  grep -q "16 runs: $done_before done, 0 failed, $((16 - done_before)) pending" "$work/status.txt" ||
    fail "status after the kill: $(cat "$work/status.txt")"
  "$pkusim" sweep run "$slow" -o "$work/k" -j 2 2> "$work/resume.log"
  grep -q "$done_before already done, $((16 - done_before)) to run" "$work/resume.log" ||
    fail "the resume did not skip the finished runs: $(cat "$work/resume.log")"
  find "$work/k/runs" -name DONE -printf '%p %i %T@\n' | sort | grep -F -f "$work/before.txt" \
    > "$work/after.txt" || true
  same "$work/before.txt" "$work/after.txt"
  same "$work/full/results.csv" "$work/k/results.csv"
  ;;
retry)
  bad=$work/bad.trace
  printf 'mmap 0x7f0000000000 4K rw\nload 0x7f0000000000 8\n' > "$work/good.trace"
  printf 'mmap 0x7f0000000000 4K rw\nlaod 0x7f0000000000 8\n' > "$bad"
  cat > "$work/spec.json" <<JSON
{"workloads": ["$work/good.trace", "$bad"], "axes": {"tlb.stlb.entries": [768, 1536]},
 "zip": [], "metrics": ["cycles"]}
JSON
  rc=0
  "$pkusim" sweep run "$work/spec.json" -o "$work/r" -q 2> "$work/run.log" || rc=$?
  [[ $rc == 1 ]] || fail "a sweep with failed runs exited $rc"
  grep -q "bad.trace:2:1: unknown keyword 'laod'" "$work/run.log" || fail "no error: $(cat "$work/run.log")"
  rc=0
  "$pkusim" sweep status "$work/spec.json" -o "$work/r" > "$work/status.txt" || rc=$?
  [[ $rc == 1 ]] || fail "status of a sweep with failures exited $rc"
  [[ $(grep -c "^failed" "$work/status.txt") == 2 ]] || fail "status: $(cat "$work/status.txt")"
  grep -q "4 runs: 2 done, 2 failed, 0 pending" "$work/status.txt" || fail "$(cat "$work/status.txt")"
  # Without --retry-failed the failed runs stay failed; with it they run again.
  rc=0
  "$pkusim" sweep run "$work/spec.json" -o "$work/r" 2> "$work/again.log" || rc=$?
  grep -q "2 already done, 0 to run on 1 worker, 2 failed not retried" "$work/again.log" ||
    fail "$(cat "$work/again.log")"
  rc=0
  "$pkusim" sweep collect "$work/spec.json" -o "$work/r" 2> "$work/collect.log" || rc=$?
  [[ $rc == 1 ]] && grep -q "2 of 4 runs are not done" "$work/collect.log" || fail "collect: $(cat "$work/collect.log")"
  cp "$work/good.trace" "$bad"
  "$pkusim" sweep run "$work/spec.json" -o "$work/r" --retry-failed 2> "$work/retry.log"
  grep -q "2 already done, 2 to run" "$work/retry.log" || fail "$(cat "$work/retry.log")"
  [[ $(($(wc -l < "$work/r/results.csv") - 1)) == 4 ]] || fail "results after the retry"
  ;;
parallel)
  command -v parallel > /dev/null || fail "GNU parallel is not installed (Debian: apt install parallel)"
  reference
  "$pkusim" sweep emit --engine parallel "$spec" -o "$work/p" > /dev/null
  JOBS=2 "$work/p/parallel.sh" 2> "$work/p.log" || fail "parallel.sh failed: $(tail "$work/p.log")"
  same "$work/ref/results.csv" "$work/p/results.csv"
  [[ $(($(wc -l < "$work/p/parallel.joblog") - 1)) == 16 ]] || fail "joblog"
  # Resumable: a second run runs nothing.
  JOBS=2 "$work/p/parallel.sh" 2> /dev/null
  [[ $(($(wc -l < "$work/p/parallel.joblog") - 1)) == 16 ]] || fail "parallel ran jobs again"
  ;;
slurm)
  reference
  here=$src/tests/slurm
  dir=$(mktemp -d "${TMPDIR:-/tmp}/pkusim-sweep-slurm.XXXXXX")
  trap '"$here/cluster.sh" stop "$dir" > /dev/null 2>&1; rm -rf "$dir"' EXIT
  rc=0
  "$here/cluster.sh" start "$dir" --owner $$ || rc=$?
  [[ $rc == 3 ]] && fail "Slurm is not installed (Debian: apt install slurm-wlm); this test needs it"
  [[ $rc == 0 ]] || fail "the single-node Slurm did not start"
  eval "$("$here/cluster.sh" env "$dir")"
  "$pkusim" sweep emit --engine slurm "$spec" -o "$work/s" --throttle 2 > /dev/null
  grep -q '^#SBATCH --array=0-15%2$' "$work/s/slurm/array.sbatch" || fail "array: $(cat "$work/s/slurm/array.sbatch")"
  timeout 240 "$work/s/slurm/submit.sh" --wait > "$work/submit.log" 2>&1 ||
    fail "the Slurm sweep failed: $(cat "$work/submit.log"; tail -5 "$work"/s/slurm/logs/*.out 2>/dev/null)"
  same "$work/ref/results.csv" "$work/s/results.csv"
  same "$work/ref/results.jsonl" "$work/s/results.jsonl"
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac
echo "ok: $mode"
