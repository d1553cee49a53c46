#!/usr/bin/env bash
# Self-test of the Slurm test harness (tests/slurm/README.md): starts a
# private cluster, runs a throttled job array with an afterok collector,
# checks that a failed task keeps the collector from running, checks GNU
# parallel's --joblog/--resume/--resume-failed, checks that nothing is left
# when the owner or the supervisor is killed with -9, stops the cluster.
# Exit 0 only if every check held; Slurm or parallel missing is a failure.
#
# PKUSIM_SLURM_KEEP=1 keeps the work folder (it is kept after a failure).

set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cluster=$here/cluster.sh
t0=$SECONDS
passed=0
failed=0

pass() {
  passed=$((passed + 1))
  echo "ok    $*"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL  $*"
}
check() { # DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
elapsed() { echo "$((SECONDS - t0))s"; }

# leftovers DIR: pids of the processes whose command line or environment
# names something in DIR.
leftovers() {
  local p pids=()
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} == "$$" || ${p#/proc/} == "$BASHPID" ]] && continue
    grep -qsaF "$1/" "$p/cmdline" "$p/environ" && pids+=("${p#/proc/}")
  done
  echo "${pids[*]}"
}
# wait_until SECONDS COMMAND...: poll every 0.1 s.
wait_until() {
  local i n=$(($1 * 10))
  shift
  for ((i = 0; i < n; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}
no_leftovers() { [[ -z $(leftovers "$1") ]]; }
job_running() { [[ $(SLURM_CONF=$1/client.conf squeue -h -o %t 2>/dev/null) == R ]]; }

work=$(mktemp -d "${TMPDIR:-/tmp}/slurm-selftest.XXXXXX") || exit 1
dir=$work/cluster

finish() {
  local rc=$?
  trap - EXIT INT TERM HUP
  for d in "$work/k" "$work/s"; do
    "$cluster" stop "$d" 2>/dev/null
  done
  "$cluster" stop "$dir" || fail "cluster.sh stop"
  left=$(leftovers "$work")
  check "no process of the clusters is left after stop${left:+: $left}" test -z "$left"
  [[ -z $left ]] || ps -o pid,ppid,cmd -p "${left// /,}"
  if "$cluster" status "$dir" >/dev/null 2>&1; then
    fail "daemons still run after stop"
  fi
  ((rc == 0 && failed == 0)) || rc=1
  if ((rc != 0)) && [[ -d $dir/log ]]; then
    for f in "$dir"/log/slurmctld.log "$dir"/log/slurmd.log; do
      [[ -s $f ]] && { echo "==== $f (last 30 lines)"; tail -n 30 "$f"; }
    done
  fi
  if ((rc == 0)) && [[ -z ${PKUSIM_SLURM_KEEP:-} ]]; then
    rm -rf "$work"
  else
    echo "work folder kept: $work"
  fi
  echo "selftest took $(elapsed)"
  echo "selftest: $passed passed, $failed failed"
  exit "$rc"
}
trap finish EXIT
trap 'echo "interrupted"; exit 130' INT
trap 'echo "terminated"; exit 143' TERM HUP

# ---- the harness reports a missing Slurm with exit code 3 ------------------

fakebin=$work/fakebin
mkdir -p "$fakebin"
for tool in bash readlink realpath; do
  ln -s "$(command -v "$tool")" "$fakebin/$tool"
done
msg=$(PATH=$fakebin "$fakebin/bash" "$cluster" start "$work/none" 2>&1)
rc=$?
check "no Slurm commands: exit 3 (got $rc)" test "$rc" = 3
check "no Slurm commands: names slurm-wlm" grep -q 'install the Debian package slurm-wlm' <<<"$msg"

# ---- start ------------------------------------------------------------------

if ! command -v parallel >/dev/null 2>&1; then
  fail "GNU parallel is missing: install the Debian package parallel"
fi
"$cluster" start "$dir" --owner $$
rc=$?
if ((rc != 0)); then
  fail "cluster.sh start (exit $rc)"
  exit 1
fi
pass "cluster up after $(elapsed)"
eval "$("$cluster" env "$dir")"
check "cluster.sh status" "$cluster" status "$dir"

out=$work/out
mkdir -p "$out" "$work/logs"

cat >"$work/task.sh" <<'EOF'
#!/bin/bash
# Array task: record when it ran, fail if asked to.
start=$(date +%s.%N)
sleep "${2:-1}"
echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID $start $(date +%s.%N)" >"$1/task-$SLURM_ARRAY_TASK_ID"
[[ $SLURM_ARRAY_TASK_ID != "${3:-none}" ]]
EOF
cat >"$work/collect.sh" <<'EOF'
#!/bin/bash
# Collector: concatenate tasks 0..N-1 in order.
for ((i = 0; i < $2; i++)); do
  cat "$1/task-$i" || exit 1
done >"$1/collected"
date +%s.%N >"$1/collector-ran"
EOF
chmod +x "$work/task.sh" "$work/collect.sh"

# ---- an 8-task array throttled to 2, then an afterok collector ----------------

t=$SECONDS
aid=$(sbatch --parsable --array=0-7%2 --job-name=st-array --chdir="$work" \
  --output="$work/logs/array-%A_%a.out" "$work/task.sh" "$out" 1)
check "sbatch --array=0-7%2 gives a job id ($aid)" test -n "$aid"
timeout 90 sbatch --parsable --wait --dependency="afterok:$aid" --job-name=st-collect \
  --chdir="$work" --output="$work/logs/collect-%j.out" "$work/collect.sh" "$out" 8 >"$work/collector.id"
rc=$?
check "collector $(cat "$work/collector.id") with sbatch --wait exits 0 (got $rc)" test "$rc" = 0
echo "      array and collector took $((SECONDS - t))s"

missing=0
for i in 0 1 2 3 4 5 6 7; do
  grep -q "^task $i of $aid " "$out/task-$i" 2>/dev/null || missing=$((missing + 1))
done
check "all 8 task outputs are there ($missing missing)" test "$missing" = 0
expected=$(for i in 0 1 2 3 4 5 6 7; do cat "$out/task-$i" 2>/dev/null; done)
check "collected file is the 8 outputs in order" test "$(cat "$out/collected" 2>/dev/null)" = "$expected"

# Never more than 2 tasks at once; the collector after the last task.
concurrency=$(awk '{ print $5, 1; print $6, -1 }' "$out"/task-* | sort -n -k1,1 -k2,2n |
  awk '{ n += $2; if (n > m) m = n } END { print m + 0 }')
check "throttle %2 held (at most $concurrency tasks at once)" test "$concurrency" -le 2
last_end=$(awk '{ print $6 }' "$out"/task-* | sort -n | tail -n 1)
check "collector ran after the last task ended" \
  awk -v a="$last_end" -v b="$(cat "$out/collector-ran" 2>/dev/null || echo 0)" 'BEGIN { exit !(b > a) }'

# ---- a failing task: the afterok collector must not run --------------------------

t=$SECONDS
fout=$work/fail-out
mkdir -p "$fout"
fid=$(sbatch --parsable --array=0-3%2 --job-name=st-fail --chdir="$work" \
  --output="$work/logs/fail-%A_%a.out" "$work/task.sh" "$fout" 1 2)
# The collector waits in sbatch --wait, as a driver script would.
sbatch --parsable --wait --dependency="afterok:$fid" --job-name=st-never --chdir="$work" \
  --output="$work/logs/never-%j.out" "$work/collect.sh" "$fout" 4 >"$work/never.id" &
waiter=$!
wait_until 10 test -s "$work/never.id"
cid=$(cat "$work/never.id")
check "failing array ($fid) and its collector ($cid) submitted" test -n "$fid" -a -n "$cid"
# Slurm 22.05 keeps such a job PENDING with reason DependencyNeverSatisfied
# (it cancels it instead with DependencyParameters=kill_invalid_depend).
verdict=
for ((i = 0; i < 600; i++)); do
  state=$(squeue -h -t all -j "$cid" -o '%T %r' 2>/dev/null)
  case $state in
    "PENDING DependencyNeverSatisfied") verdict="pending, DependencyNeverSatisfied" ;;
    CANCELLED*) verdict="cancelled" ;;
    RUNNING* | COMPLETING* | COMPLETED* | FAILED*) verdict="ran ($state)" ;;
  esac
  [[ -n $verdict ]] && break
  sleep 0.1
done
echo "      collector after a failed task: ${verdict:-still "$state" after 60s} ($((SECONDS - t))s)"
check "collector not run after a failed task" test "$verdict" = "pending, DependencyNeverSatisfied" -o "$verdict" = cancelled
check "collector left no output" test ! -e "$fout/collector-ran"
states=$(squeue -h -t all -j "$fid" -o '%K %T' 2>/dev/null | sort -n | tr '\n' ' ')
check "array tasks: 2 failed, the others completed ($states)" \
  test "$states" = "0 COMPLETED 1 COMPLETED 2 FAILED 3 COMPLETED "
scancel "$cid"
for ((i = 0; i < 100; i++)); do
  state=$(squeue -h -t all -j "$cid" -o %T 2>/dev/null)
  [[ $state == CANCELLED ]] && break
  sleep 0.1
done
check "scancel of the waiting collector: $state" test "$state" = CANCELLED
# sbatch --wait returns once the job is cancelled, with the job's exit code,
# which is 0 for a job that never ran: a driver must check the outputs.
returned() { ! kill -0 "$waiter" 2>/dev/null; }
check "its sbatch --wait returned after the scancel" wait_until 10 returned
wait "$waiter"
echo "      sbatch --wait on the cancelled collector exited $? (the exit code of a job that never ran)"

# ---- GNU parallel: --joblog with --resume and --resume-failed --------------------

p=$work/parallel
mkdir -p "$p"
cat >"$p/job.sh" <<'EOF'
#!/bin/sh
# Record the run; job 2 fails until the file "fixed" exists.
echo "$2" >>"$1/runs"
[ "$2" != 2 ] || [ -e "$1/fixed" ]
EOF
chmod +x "$p/job.sh"
runs() { tr '\n' ' ' <"$p/runs"; }
par() { parallel --will-cite -j1 --joblog "$p/joblog" "$@" "$p/job.sh" "$p" ::: 1 2 3 4; }
# An interrupted run: job 2 fails, --halt stops before 3 and 4 start.
par --halt now,fail=1 2>/dev/null
rc=$?
check "parallel: first run stops at the failure (exit $rc, ran: $(runs))" test "$rc" != 0 -a "$(runs)" = "1 2 "
par --resume
rc=$?
check "parallel --resume runs only the jobs not in the joblog (exit $rc, ran: $(runs))" \
  test "$rc" = 0 -a "$(runs)" = "1 2 3 4 "
touch "$p/fixed"
par --resume-failed
rc=$?
check "parallel --resume-failed reruns only the failed job (exit $rc, ran: $(runs))" \
  test "$rc" = 0 -a "$(runs)" = "1 2 3 4 2 "
par --resume-failed
rc=$?
check "parallel --resume-failed again runs nothing (exit $rc, ran: $(runs))" \
  test "$rc" = 0 -a "$(runs)" = "1 2 3 4 2 "

# ---- no daemon is left when the owner gets KILL -----------------------------------

# A second cluster, owned by a shell that runs a long job and is then killed
# with -9: its supervisor must stop everything. It must get other ports.
t=$SECONDS
k=$work/k
# (--pdeathsig: the owner goes too if this test is killed.)
# shellcheck disable=SC2016
setpriv --pdeathsig KILL bash -c '"$1" start "$2" 2>/dev/null || exit 1
  SLURM_CONF=$2/client.conf sbatch -Q -o /dev/null --wrap "sleep 300" || exit 1
  exec sleep 300' owner "$cluster" "$k" &
owner=$!
if wait_until 30 job_running "$k"; then
  ports() { awk -F= '/^(ctld|slurmd)_port=/ { printf "%s%s", s, $2; s = "/" }' "$1/run/info"; }
  check "a second cluster gets other ports ($(ports "$dir") and $(ports "$k"))" \
    test "$(ports "$dir")" != "$(ports "$k")"
  kill -KILL "$owner"
  wait "$owner" 2>/dev/null
  wait_until 30 no_leftovers "$k"
  check "owner killed with -9: daemons, slurmstepd and job gone ($((SECONDS - t))s)" no_leftovers "$k"
else
  fail "second cluster with a running job"
fi

# KILL to the supervisor itself: the kernel kills the daemons
# (--pdeathsig); the running job's processes are left for stop to sweep.
t=$SECONDS
s=$work/s
if "$cluster" start "$s" --owner $$ 2>/dev/null &&
  SLURM_CONF=$s/client.conf sbatch -Q -o /dev/null --wrap "sleep 300" &&
  wait_until 30 job_running "$s"; then
  kill -KILL "$(cat "$s/run/supervisor.pid")"
  daemons_gone() { ! "$cluster" status "$s" >/dev/null 2>&1; }
  check "supervisor killed with -9: daemons gone" wait_until 10 daemons_gone
  "$cluster" stop "$s" 2>/dev/null
  check "then stop sweeps the job's processes ($((SECONDS - t))s)" wait_until 10 no_leftovers "$s"
else
  fail "third cluster with a running job"
fi

# ---- stop (in finish) ----------------------------------------------------------
