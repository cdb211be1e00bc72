#!/usr/bin/env bash
# .ci/slurm.sh start|stop — a one-machine Slurm cluster (munge + slurmctld +
# slurmd) for the Slurm executor's tests. State lives in $SLURM_DIR
# (default /tmp/dsbuild-slurm); `start` prints the env lines the tests read.
set -euo pipefail
dir="${SLURM_DIR:-/tmp/dsbuild-slurm}"
case "${1:-}" in
start)
  # Already up (a second start, or a cluster the machine runs anyway).
  if command -v sinfo >/dev/null && sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "DSBUILD_TEST_SLURM=1"
    exit 0
  fi
  mkdir -p "$dir"/{state,spool,log,munge} /etc/slurm /run/munge
  host="$(hostname -s)"
  cpus="$(nproc)"
  mem="$(awk '/MemTotal/ {print int($2/1024*0.8)}' /proc/meminfo)"
  if [ ! -f /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  fi
  chown -R munge:munge /etc/munge /run/munge 2>/dev/null || true
  chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
  pgrep -x munged >/dev/null || su -s /bin/sh munge -c "/usr/sbin/munged" || /usr/sbin/munged --force
  cat > /etc/slurm/slurm.conf <<CONF
ClusterName=dsbuild-ci
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SchedulerParameters=sched_interval=1
MinJobAge=300
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
  /usr/sbin/slurmctld
  /usr/sbin/slurmd
  for i in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "DSBUILD_TEST_SLURM=1"
      exit 0
    fi
    sleep 1
  done
  echo "slurm did not come up; logs in $dir/log" >&2
  tail -20 "$dir"/log/*.log >&2 || true
  exit 1
  ;;
stop)
  [ -f "$dir/slurmd.pid" ] && kill "$(cat "$dir/slurmd.pid")" 2>/dev/null || true
  [ -f "$dir/slurmctld.pid" ] && kill "$(cat "$dir/slurmctld.pid")" 2>/dev/null || true
  ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
