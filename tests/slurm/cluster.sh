#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the tests: munged, slurmctld
# and slurmd with a generated configuration, every file of theirs in DIR.
#
#   tests/slurm/cluster.sh start DIR   # prints SLURM_CONF=DIR/slurm.conf when the node is idle
#   tests/slurm/cluster.sh stop DIR    # stops what `start DIR` started, by its pid files
#
# Then point Slurm's commands at it:  export SLURM_CONF=DIR/slurm.conf
#
# Needs root (slurmd runs jobs as their user) and Debian's slurm-wlm and
# munge (scripts/deps.sh installs them).  No accounting; state, spool and
# logs in DIR; the node has the CPUs `nproc` counts; task/affinity binds
# each job to the CPUs it was given.  A munged already running is used and
# left running; one started here is stopped by `stop`.
set -euo pipefail

die() { echo "cluster.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: cluster.sh start|stop DIR"
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
conf=$dir/slurm.conf

# A free TCP port on the loopback (the kernel picks one).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  if munge_works; then
    echo "cluster.sh: munged already running: using it"
    return
  fi
  install -d -o munge -g munge -m 0755 /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile=/etc/munge/munge.key
    else
      /usr/sbin/create-munge-key -f
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  for _ in $(seq 50); do munge_works && break; sleep 0.1; done
  munge_works || die "munged does not answer (see /var/log/munge/munged.log)"
  cp /run/munge/munged.pid "$dir/munged.pid"   # ours: `stop` stops it
}

write_conf() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)  # MiB, for --mem
  mkdir -p "$dir/state" "$dir/spool"
  cat > "$conf" <<EOF
# A one-node test cluster written by tests/slurm/cluster.sh
ClusterName=conlabtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MailProg=/bin/true
MinJobAge=60
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

# Wait until `sinfo` calls the node idle (or give up, showing the logs).
wait_idle() {
  local state=""
  for _ in $(seq 300); do
    state=$(SLURM_CONF=$conf sinfo -h -N -o %T 2>/dev/null | head -1 || true)
    [ "$state" = idle ] && return
    sleep 0.1
  done
  echo "cluster.sh: the node is '${state:-unknown}', not idle, after 30 s" >&2
  tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
  exit 1
}

# Stop the daemon whose pid file is $1, if it is running.
stop_pidfile() {
  local f=$1 pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$f"
}

case $cmd in
start)
  [ "$(id -u)" -eq 0 ] || die "needs root (slurmd runs the jobs as their users)"
  for p in munged slurmctld slurmd sbatch; do
    command -v $p >/dev/null || [ -x /usr/sbin/$p ] || die "$p is not installed (apt-get install slurm-wlm munge)"
  done
  start_munge
  write_conf
  /usr/sbin/slurmctld -c -f "$conf"
  /usr/sbin/slurmd -f "$conf"
  wait_idle
  echo "SLURM_CONF=$conf"
  ;;
stop)
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  if [ -s "$dir/munged.pid" ]; then
    stop_pidfile "$dir/munged.pid"
  fi
  ;;
*)
  die "usage: cluster.sh start|stop DIR"
  ;;
esac
