#!/usr/bin/env bash
# A private single-node Slurm cluster for tests (see tests/slurm/README.md).
#
#   cluster.sh start DIR [--owner PID|none]
#       Write DIR/slurm.conf (and DIR/client.conf for the commands), start
#       slurmctld and slurmd on loopback, wait until the node is idle. The
#       cluster stops on its own when the owner process (by default the
#       caller, $PPID) is gone.
#   cluster.sh env DIR      print `export SLURM_CONF=DIR/client.conf` for eval
#                           (and `unset` for other SLURM_*, SBATCH_*... variables)
#   cluster.sh status DIR   say whether the daemons run; exit 0 if both do
#   cluster.sh stop DIR     cancel the jobs, stop the daemons (TERM, then KILL
#                           after a timeout) and wait for them; idempotent
#
# Environment: PKUSIM_SLURM_PORT (first slurmctld port tried, default 6817;
# slurmd gets the next one; busy pairs are skipped), PKUSIM_SLURM_START_TIMEOUT
# (seconds until the node must be idle, default 60), PKUSIM_SLURM_STOP_TIMEOUT
# (seconds before KILL, default 10), PKUSIM_SLURM_EXTRA_CONF (lines appended
# to slurm.conf).
#
# Exit codes: 0 ok, 1 failure, 2 usage, 3 Slurm is not installed,
# 4 the node did not become idle in time.
#
# AuthType=auth/none: any local user can act as any user on this cluster.
# For isolated test machines only.

set -u -o pipefail

PATH=$PATH:/usr/sbin:/sbin
SELF=$(readlink -f "${BASH_SOURCE[0]}")
START_TIMEOUT=${PKUSIM_SLURM_START_TIMEOUT:-60}
STOP_TIMEOUT=${PKUSIM_SLURM_STOP_TIMEOUT:-10}
EXIT_MISSING=3
EXIT_TIMEOUT=4

say() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() {
  local code=$1
  shift
  say "$*"
  exit "$code"
}
usage() {
  sed -n '2,14s/^# \{0,1\}//p' "$SELF" >&2
  exit 2
}

need_slurm() {
  local c missing=()
  for c in slurmctld slurmd sbatch squeue sinfo scancel; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  if ((${#missing[@]})); then
    say "missing ${missing[*]}: install the Debian package slurm-wlm (apt-get install slurm-wlm)"
    exit "$EXIT_MISSING"
  fi
  for c in setpriv flock setsid timeout; do
    command -v "$c" >/dev/null 2>&1 || die 1 "missing $c (Debian packages util-linux, coreutils)"
  done
}

# ---- processes ------------------------------------------------------------

pid_of() { cat "$dir/run/$1.pid" 2>/dev/null; }

# alive PID WORD...: PID runs and its command line contains each WORD (a
# zombie has an empty command line, so it is not alive).
alive() {
  local pid=$1 cmd w
  shift
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  for w; do
    [[ $cmd == *"$w"* ]] || return 1
  done
}
daemon_alive() { alive "$(pid_of "$1")" "$1 -D" "-f $dir/slurm.conf"; }
supervisor_alive() { alive "$(pid_of supervisor)" "_supervise $dir "; }

# The start time of a process (field 22 of /proc/PID/stat), to tell it from
# a later process with the same pid.
start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  read -r -a stat <<<"$stat"
  echo "${stat[19]}"
}

# ---- ports ----------------------------------------------------------------

# port_used PORT [STATE]: a TCP socket (IPv4 or IPv6) has local port PORT,
# in the given state (0A is LISTEN) or in any state.
port_used() {
  local hex f tables=()
  printf -v hex '%04X' "$1"
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $f ]] && tables+=("$f")
  done
  awk -v p=":$hex" -v s="${2:-}" \
    'FNR > 1 && substr($2, length($2) - 4) == p && (s == "" || $4 == s) { f = 1 }
     END { exit !f }' "${tables[@]}"
}

pick_ports() {
  local base=${PKUSIM_SLURM_PORT:-6817} i
  if ! [[ $base =~ ^[0-9]+$ ]] || ((base < 1 || base > 65000)); then
    die 2 "PKUSIM_SLURM_PORT=$base is not a port"
  fi
  for ((i = 0; i < 100; i++)); do
    ctld_port=$((base + 2 * i))
    slurmd_port=$((ctld_port + 1))
    ((slurmd_port < 65536)) || break
    port_used "$ctld_port" || port_used "$slurmd_port" || return 0
  done
  die 1 "no free pair of TCP ports from $base on"
}

# ---- configuration --------------------------------------------------------

write_conf() {
  local mem
  mem=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
  cat >"$dir/slurm.conf" <<EOF
# Written by tests/slurm/cluster.sh: a private single-node test cluster.
# auth/none: for an isolated test machine only.
ClusterName=$cluster
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/none
CredType=cred/none
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld-self.pid
SlurmdPidFile=$dir/run/slurmd-self.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ReturnToService=2
SlurmdTimeout=300
InactiveLimit=0
KillWait=2
# Finished jobs stay known for 5 minutes (the default): a dependency on a job
# that is gone counts as satisfied, so this must not be short.
MinJobAge=300
# Start jobs at once when a job ends instead of up to 3 s later.
SchedulerParameters=batch_sched_delay=0
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  # Slurm binds to the address that the host name resolves to with these
  # (not to the addresses above), to all addresses without: loopback only
  # where the name resolves there.
  if [[ $bind == loopback ]]; then
    echo "CommunicationParameters=NoInAddrAny,NoCtldInAddrAny" >>"$dir/slurm.conf"
  fi
  if [[ -n ${PKUSIM_SLURM_EXTRA_CONF:-} ]]; then
    printf '%s\n' "$PKUSIM_SLURM_EXTRA_CONF" >>"$dir/slurm.conf"
  fi
  # The commands' copy. `sbatch --wait` polls after 2, 10, 42, 74... s; it
  # only grows the step while the step is below half of MinJobAge as *it*
  # reads it, so MinJobAge=5 here makes it poll every 2 s. The daemons never
  # read this file.
  {
    echo "# The daemons read slurm.conf beside this file; this copy, for the commands,"
    echo "# differs only in MinJobAge, which makes sbatch --wait poll every 2 s."
    sed 's/^MinJobAge=.*/MinJobAge=5/' "$dir/slurm.conf"
  } >"$dir/client.conf"
}

# Values that start wrote, read back by the other commands.
load_info() {
  [[ -r $dir/run/info ]] || return 1
  # shellcheck disable=SC1091
  . "$dir/run/info"
}

slurm() { SLURM_CONF=$dir/client.conf timeout 10 "$@"; }

node_state() { slurm sinfo -h -N -n "$node" -o %t 2>/dev/null; }

show_logs() {
  local f
  for f in "$dir"/log/*; do
    [[ -s $f ]] || continue
    printf '==== %s (last 40 lines)\n' "$f" >&2
    tail -n 40 "$f" >&2
  done
}

# ---- supervisor -----------------------------------------------------------

# record_pid NAME PID: write DIR/run/NAME.pid once PID has become NAME (a
# forked child runs this script until it execs) or has ended.
record_pid() {
  local i
  for ((i = 0; i < 50; i++)); do
    alive "$2" "$1 -D" || [[ ! -e /proc/$2 ]] && break
    sleep 0.1
  done
  echo "$2" >"$dir/run/$1.pid"
}

# Runs in its own session as the parent of both daemons, which get KILL
# from the kernel if it dies (setpriv --pdeathsig). It stops the cluster
# when the owner is gone or when it gets TERM, INT or HUP; USR1 (from stop)
# makes it just exit.
cmd_supervise() {
  local owner=$1 owner_start=$2 conf=$dir/slurm.conf
  load_info || exit 1
  echo $$ >"$dir/run/supervisor.pid"
  local nap=
  trap 'kill $nap 2>/dev/null; exit 0' USR1
  trap 'echo "$(date +%T) signal: stopping"; "$SELF" stop "$dir"; exit 0' TERM INT HUP
  setpriv --pdeathsig KILL slurmctld -D -f "$conf" \
    </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
  record_pid slurmctld $!
  setpriv --pdeathsig KILL slurmd -D -N "$node" -f "$conf" \
    </dev/null >>"$dir/log/slurmd.out" 2>&1 &
  record_pid slurmd $!
  echo "$(date +%T) slurmctld $(pid_of slurmctld), slurmd $(pid_of slurmd), owner $owner"
  while :; do
    if [[ $owner != none && $(start_time "$owner") != "$owner_start" ]]; then
      echo "$(date +%T) owner $owner is gone: stopping"
      "$SELF" stop "$dir" --owner-gone
      exit 0
    fi
    if ! daemon_alive slurmctld && ! daemon_alive slurmd; then
      # By stop, or on their own: then sweep what they left.
      [[ -e $dir/run/stopping ]] && exit 0
      echo "$(date +%T) both daemons ended: stopping"
      "$SELF" stop "$dir"
      exit 0
    fi
    sleep 1 &
    nap=$!
    wait $nap
  done
}

# ---- commands -------------------------------------------------------------

cmd_start() {
  local owner=$PPID owner_start=none t0=$SECONDS deadline i state lock bind
  while (($#)); do
    case $1 in
      --owner)
        (($# >= 2)) || usage
        owner=$2
        shift 2
        ;;
      *) usage ;;
    esac
  done
  need_slurm
  if [[ $owner != none ]]; then
    [[ $owner =~ ^[0-9]+$ ]] || die 2 "--owner needs a pid or none"
    owner_start=$(start_time "$owner") || die 1 "owner $owner is not running"
  fi
  mkdir -p "$dir" || exit 1
  if daemon_alive slurmctld || daemon_alive slurmd || supervisor_alive; then
    die 1 "a cluster already runs in $dir (cluster.sh stop $dir first)"
  fi
  reap_stale
  node=$(hostname -s)
  user=$(id -un)
  cpus=$(nproc)
  bind=all
  [[ $(getent ahostsv4 "$node" 2>/dev/null | awk 'NR == 1 { print $1 }') == 127.* ]] && bind=loopback
  # Slurm puts unix sockets under SlurmdSpoolDir; sun_path has 108 bytes.
  ((${#dir} + ${#node} + 40 < 108)) || die 1 "$dir is too long a path for Slurm's sockets: use a short one (mktemp -d)"
  rm -rf "$dir/state" "$dir/spool" "$dir/run" "$dir/log"
  mkdir -p "$dir/state" "$dir/spool" "$dir/run" "$dir/log" || exit 1

  # Picking ports and binding them is one step for concurrent starts.
  lock=${TMPDIR:-/tmp}/pkusim-slurm-ports.$(id -u).lock
  exec 9>>"$lock" || die 1 "cannot open $lock"
  flock -w 120 9 || die 1 "could not lock $lock"
  pick_ports
  cluster=pkusim$ctld_port
  write_conf
  printf 'node=%q\nuser=%q\ncpus=%q\nctld_port=%q\nslurmd_port=%q\ncluster=%q\nbind=%q\n' \
    "$node" "$user" "$cpus" "$ctld_port" "$slurmd_port" "$cluster" "$bind" >"$dir/run/info"

  trap 'say "interrupted: stopping"; "$SELF" stop "$dir"; exit 1' INT TERM HUP
  # Without the caller's SLURM_CONF: a stop after the owner is gone sweeps
  # the processes that have this cluster's client.conf there.
  env -u SLURM_CONF setsid "$SELF" _supervise "$dir" "$owner" "$owner_start" \
    </dev/null >>"$dir/log/supervisor.log" 2>&1 9>&- &
  deadline=$((SECONDS + START_TIMEOUT))
  fail() {
    local code=$1
    shift
    say "$*"
    show_logs
    "$SELF" stop "$dir"
    exit "$code"
  }
  until [[ -s $dir/run/slurmctld.pid && -s $dir/run/slurmd.pid ]]; do
    ((SECONDS < deadline)) || fail "$EXIT_TIMEOUT" "the supervisor did not start the daemons within ${START_TIMEOUT}s"
    sleep 0.1
  done
  until port_used "$ctld_port" 0A && port_used "$slurmd_port" 0A; do
    daemon_alive slurmctld || fail 1 "slurmctld ended at start"
    daemon_alive slurmd || fail 1 "slurmd ended at start"
    ((SECONDS < deadline)) || fail "$EXIT_TIMEOUT" "the daemons did not listen on ports $ctld_port/$slurmd_port within ${START_TIMEOUT}s"
    sleep 0.1
  done
  flock -u 9
  exec 9>&-

  for ((i = 0; ; i++)); do
    state=$(node_state)
    [[ $state == idle ]] && break
    daemon_alive slurmctld || fail 1 "slurmctld ended before the node was idle"
    daemon_alive slurmd || fail 1 "slurmd ended before the node was idle"
    ((SECONDS < deadline)) || fail "$EXIT_TIMEOUT" "node $node not idle within ${START_TIMEOUT}s (state '${state:-no answer}')"
    sleep 0.5
  done
  trap - INT TERM HUP
  say "up in $((SECONDS - t0))s: node $node ($cpus CPUs), ports $ctld_port/$slurmd_port on $bind addresses, owner $owner; eval \"\$($SELF env $dir)\""
}

# Also unsets the variables of an outer Slurm job and the commands' input
# variables (SQUEUE_FORMAT and the like), so that a test sees this cluster only.
cmd_env() {
  local v
  [[ -r $dir/client.conf ]] || die 1 "no cluster in $dir (cluster.sh start $dir)"
  for v in $(compgen -e); do
    [[ $v =~ ^(SLURM|SBATCH|SALLOC|SRUN|SQUEUE|SINFO|SCANCEL|SCONTROL|SACCT)_ ]] && echo "unset $v"
  done
  printf 'export SLURM_CONF=%q\n' "$dir/client.conf"
}

cmd_status() {
  local c=no d=no
  daemon_alive slurmctld && c="pid $(pid_of slurmctld)"
  daemon_alive slurmd && d="pid $(pid_of slurmd)"
  if [[ $c == no && $d == no ]]; then
    echo "stopped: no daemon runs for $dir"
    return 1
  fi
  load_info
  echo "slurmctld $c, slurmd $d, ports ${ctld_port:-?}/${slurmd_port:-?}, node ${node:-?} $(node_state)"
  [[ $c != no && $d != no ]]
}

# stop_daemon NAME: TERM, wait up to STOP_TIMEOUT, then KILL.
stop_daemon() {
  local name=$1 pid i
  pid=$(pid_of "$name")
  daemon_alive "$name" || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    daemon_alive "$name" || return 0
    sleep 0.1
  done
  say "$name ($pid) still runs ${STOP_TIMEOUT}s after TERM: KILL"
  kill -KILL "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    daemon_alive "$name" || return 0
    sleep 0.1
  done
  say "$name ($pid) survived KILL"
  return 1
}

# Processes left over after the daemons: this cluster's slurmstepd (its
# environment keeps SLURM_CONF; slurmstepd overwrites the rest) with its
# descendants, and job processes of this cluster that left them; with
# "clients", also every process that uses client.conf (what the dead owner
# left running, such as an `sbatch --wait`). Never our ancestors.
sweep() {
  local clients=${1:-}
  local p pid ppid k v env cmd keep=" " found=" " victims=() changed
  local -a words
  local -A parent=()
  pid=$$
  while [[ $pid =~ ^[0-9]+$ ]] && ((pid > 1)); do
    keep+="$pid "
    pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
  done
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    ppid=
    while read -r k v; do
      [[ $k == PPid: ]] && ppid=$v && break
    done 2>/dev/null <"$p/status"
    [[ -n $ppid ]] || continue
    parent[$pid]=$ppid
    { mapfile -d '' -t words <"$p/environ"; } 2>/dev/null || continue
    printf -v env '%s\n' "${words[@]}"
    env=$'\n'$env
    [[ $env == *$'\n'"SLURM_CONF=$dir/slurm.conf"$'\n'* ||
      $env == *$'\n'"SLURM_CONF=$dir/client.conf"$'\n'* ]] || continue
    { mapfile -d '' -t words <"$p/cmdline"; } 2>/dev/null
    cmd=${words[0]:-}
    if [[ $cmd == slurmstepd:* ]] ||
      [[ $env == *$'\n'"SLURM_CLUSTER_NAME=$cluster"$'\n'* && $env == *$'\n'SLURM_JOB_ID=* ]] ||
      [[ -n $clients && $env == *$'\n'"SLURM_CONF=$dir/client.conf"$'\n'* ]]; then
      found+="$pid "
    fi
  done
  # Add the descendants until nothing changes.
  changed=1
  while ((changed)); do
    changed=0
    for pid in "${!parent[@]}"; do
      [[ $found != *" $pid "* && $found == *" ${parent[$pid]} "* ]] || continue
      found+="$pid "
      changed=1
    done
  done
  for pid in $found; do
    [[ $keep == *" $pid "* ]] || victims+=("$pid")
  done
  if ((${#victims[@]})); then
    say "killing leftover processes: ${victims[*]}"
    kill -KILL "${victims[@]}" 2>/dev/null
  fi
  return 0
}

# Clusters of this harness whose daemons and supervisor are gone (as after a
# KILL to the supervisor) but whose slurmstepd still runs: it retries for
# minutes. Found by the SLURM_CONF that slurmstepd keeps; stopped here.
reap_stale() {
  local p w d conf
  local -a words
  local -A dirs=()
  for p in /proc/[0-9]*; do
    { mapfile -d '' -t words <"$p/cmdline"; } 2>/dev/null || continue
    [[ ${words[0]:-} == slurmstepd:* ]] || continue
    { mapfile -d '' -t words <"$p/environ"; } 2>/dev/null || continue
    for w in "${words[@]}"; do
      [[ $w == SLURM_CONF=*/slurm.conf ]] && conf=${w#SLURM_CONF=} && dirs[${conf%/slurm.conf}]=1
    done
  done
  for d in "${!dirs[@]}"; do
    [[ $d != "$dir" ]] && grep -qs '^cluster=pkusim' "$d/run/info" || continue
    (
      dir=$d
      daemon_alive slurmctld || daemon_alive slurmd || supervisor_alive
    ) && continue
    say "stopping what is left of an earlier cluster in $d"
    "$SELF" stop "$d"
  done
  return 0
}

cmd_stop() {
  local sup i
  [[ -d $dir/run ]] || return 0
  exec 8>>"$dir/run/stop.lock"
  flock -w 60 8 || die 1 "could not lock $dir/run/stop.lock"
  load_info || return 0
  : >"$dir/run/stopping"
  [[ ${1:-} == --owner-gone ]] && sweep clients
  if daemon_alive slurmctld; then
    slurm scancel --quiet --user="$user" >/dev/null 2>&1
    for ((i = 0; i < 100; i++)); do
      [[ -z $(slurm squeue -h -o %i 2>/dev/null) ]] && break
      sleep 0.1
    done
  fi
  stop_daemon slurmd
  stop_daemon slurmctld
  sweep
  # The supervisor may be our parent (it stops the cluster when its owner is
  # gone); it exits by itself then.
  sup=$(pid_of supervisor)
  if [[ $sup != "$PPID" ]] && supervisor_alive; then
    kill -USR1 "$sup" 2>/dev/null
    for ((i = 0; i < 30; i++)); do
      supervisor_alive || break
      sleep 0.1
    done
    supervisor_alive && kill -KILL "$sup" 2>/dev/null
  fi
  if daemon_alive slurmctld || daemon_alive slurmd; then
    die 1 "daemons of $dir still run"
  fi
  rm -f "$dir"/run/*.pid "$dir/run/stopping"
  say "stopped $dir"
}

(($# >= 2)) || usage
command=$1
dir=$(realpath -m -- "$2") || exit 2
shift 2
case $command in
  start) cmd_start "$@" ;;
  stop) (($# == 0)) || [[ $* == --owner-gone ]] || usage; cmd_stop "$@" ;;
  status) (($# == 0)) || usage; cmd_status ;;
  env) (($# == 0)) || usage; cmd_env ;;
  _supervise) cmd_supervise "$@" ;;
  *) usage ;;
esac
