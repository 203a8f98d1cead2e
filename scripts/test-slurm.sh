#!/bin/bash
# make test-slurm: scripts/mandelfarm.sbatch on a real SLURM. The test sets
# up a single-node cluster of its own on 127.0.0.1, everything in a
# temporary folder: a munge key and munged, slurm.conf (the node
# "localhost" with every CPU of this machine, process tracking without
# cgroups), slurmctld and slurmd on free ports. It submits the batch script
# with `sbatch --wait` and requires the image and the .npy to be byte for
# byte those of a -j 1 render, the worker to have computed every tile with
# all the node's CPUs, and the worker to have ended on SIGTERM (its last
# log line), not been killed. The daemons are ended by their pids.
#
#   scripts/test-slurm.sh TREE        (TREE: the source tree, with bin/ built)
#
# Needs root (slurmd starts job steps as their user) and Debian's
# slurm-wlm and munge (scripts/install-deps.sh --slurm).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "test-slurm.sh: usage: TREE (the source tree, with bin/ built)" >&2
    exit 2
fi
TREE=$(cd "$1" && pwd)
BIN=$TREE/bin
UP_S=60                     # seconds for munged, slurmctld and slurmd to be ready
JOB_S=300                   # seconds the job may take
# shellcheck disable=SC2054  # the commas are in the values
VIEW=(--size 640x480 --center -0.7453,0.1127 --width 0.01 --iter 2000 --tile 32)

if [[ $(id -u) -ne 0 ]]; then
    echo "test-slurm: SKIPPED: not root (slurmd must run as root to start job steps)"
    exit 0
fi
for tool in munged slurmctld slurmd sbatch scontrol sinfo squeue; do
    if ! command -v "$tool" > /dev/null; then
        echo "test-slurm: FAILED: no $tool (scripts/install-deps.sh --slurm installs slurm-wlm and munge)" >&2
        exit 1
    fi
done

WORK=$(mktemp -d /tmp/mf-test-slurm.XXXXXX)
PIDS=()
s_cleanup () {
    local pid
    # The last started first: slurmd, slurmctld, munged.
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[$i]}
        kill -TERM "$pid" 2> /dev/null || continue
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2> /dev/null || true
    done
    wait 2> /dev/null || true
    rm -rf "$WORK"
}
trap s_cleanup EXIT

s_fail () {
    echo "test-slurm: FAILED: $1" >&2
    for log in "$WORK"/log/* "$WORK"/job-*.log; do
        [[ -f $log ]] && { echo "--- $log"; tail -n 15 "$log"; } >&2
    done
    exit 1
}

# s_until SECONDS WHAT COMMAND...: runs COMMAND every 0.1 s until it succeeds.
s_until () {
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq 1 $((seconds * 10))); do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.1
    done
    s_fail "$what not ready after $seconds s"
}

s_free_port () {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start=$(date +%s%N)
mkdir -p "$WORK/munge" "$WORK/state" "$WORK/spool" "$WORK/log"
chmod 755 "$WORK" "$WORK/munge"

# munge: a fresh key only this test knows.
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
munged --foreground --force --key-file="$WORK/munge/munge.key" \
    --socket="$WORK/munge/munge.sock" --pid-file="$WORK/munge/munged.pid" \
    --seed-file="$WORK/munge/munged.seed" --log-file="$WORK/log/munged.log" \
    > "$WORK/log/munged.out" 2>&1 &
PIDS+=("$!")
s_until $UP_S munged test -S "$WORK/munge/munge.sock"

cpus=$(nproc)
cat > "$WORK/slurm.conf" <<EOF
ClusterName=mandelfarm-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(s_free_port)
SlurmdPort=$(s_free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$WORK/munge/munge.sock
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
# No cgroups: track processes through /proc, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=mandelfarm Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$WORK/slurm.conf

slurmctld -D -f "$SLURM_CONF" > "$WORK/log/slurmctld.out" 2>&1 &
PIDS+=("$!")
slurmd -D -f "$SLURM_CONF" -N localhost > "$WORK/log/slurmd.out" 2>&1 &
PIDS+=("$!")
s_node_idle () { [[ $(sinfo -h -n localhost -o %t) == idle ]]; }
s_until $UP_S "the node" s_node_idle
up=$(date +%s%N)
echo "test-slurm: munged, slurmctld and slurmd up in $(((up - start) / 1000000)) ms (node localhost, $cpus CPUs)"

echo "test-slurm: the reference, -j 1"
"$BIN/mandelfarm-master" "${VIEW[@]}" -j 1 -q -o "$WORK/ref.png" --raw "$WORK/ref.npy"

# The job, as a user would submit it, from the folder the image goes to.
submitted=$(date +%s%N)
rc=0
(cd "$WORK" && MF_BIN=$BIN MF_LISTEN_ADDR=127.0.0.1 MF_WORKER_ARGS=-v \
    timeout $JOB_S sbatch --wait --nodes=1 --output="$WORK/job-%j.log" \
    "$TREE/scripts/mandelfarm.sbatch" "${VIEW[@]}" -q -o slurm.png --raw slurm.npy \
    --stats stats.json) > "$WORK/sbatch.out" 2>&1 || rc=$?
done_at=$(date +%s%N)
[[ $rc -eq 0 ]] || s_fail "sbatch --wait: status $rc: $(cat "$WORK/sbatch.out")"
job=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$WORK/sbatch.out")
log=$WORK/job-$job.log
[[ -n $job && -f $log ]] || s_fail "no job log: $(cat "$WORK/sbatch.out")"

cmp "$WORK/slurm.png" "$WORK/ref.png" || s_fail "the PNG differs from the -j 1 render"
cmp "$WORK/slurm.npy" "$WORK/ref.npy" || s_fail "the .npy differs from the -j 1 render"
# The one worker, srun's, computed every tile, with every CPU of the node.
workers=$(grep -c '"name": ' "$WORK/stats.json" || true)
total=$(sed -n 's/.*"tiles_total": \([0-9]*\).*/\1/p' "$WORK/stats.json")
line=$(grep -o '"name": [^}]*' "$WORK/stats.json" | head -n 1)
[[ $workers -eq 1 ]] || s_fail "$workers workers in the stats, not 1: $(cat "$WORK/stats.json")"
[[ $line == *"\"threads\": $cpus,"* && $line == *"\"tiles\": $total,"* ]] \
    || s_fail "the worker did not compute all $total tiles with $cpus threads: $line"
# Stopped by SIGTERM: its last words are its own, after the master's end.
grep -q 'mandelfarm-worker\[[0-9]*\]: debug: worker done: ' "$log" \
    || s_fail "the worker did not end on SIGTERM (no 'worker done' in $log)"
grep -q 'task 0: Killed' "$log" && s_fail "srun reports the worker killed"

echo "test-slurm: job $job on 1 node: $total tiles by the srun worker ($cpus threads), PNG and .npy identical to -j 1"
echo "test-slurm: sbatch --wait took $(((done_at - submitted) / 1000000)) ms; $(((done_at - start) / 1000000)) ms in all"
echo "1 passed, 0 failed"
