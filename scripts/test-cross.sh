#!/bin/bash
# make test-cross: mixed machines, same bytes. One view is rendered by an
# x86-64 master with no local worker (-j 0), an aarch64 worker running
# under qemu-user and an x86-64 worker forced to the avx2 kernel; the PNG
# and the .npy must be byte for byte those of a -j 1 render, and both
# workers must have computed tiles (the master's --stats says who did
# what).
#
#   scripts/test-cross.sh BIN_DIR AARCH64_BIN_DIR    (CROSS_RUN: how to run
#                                                     an aarch64 program)
#
# Both workers surely get tiles, without timing luck: the aarch64 worker
# joins first and is handed tiles at once; the x86 worker starts only
# then. Every process is ended by its pid; loopback only.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "test-cross.sh: usage: BIN_DIR AARCH64_BIN_DIR" >&2
    exit 2
fi
BIN=$1
ARM_BIN=$2
read -r -a RUN <<< "${CROSS_RUN:-qemu-aarch64-static}"
JOIN_S=60                   # seconds a worker may take to join
RENDER_S=300                # seconds the render may take
# The shallow view: seahorse valley, small tiles so that both get some.
# shellcheck disable=SC2054  # the commas are in the values
VIEW=(--size 320x240 --center -0.7453,0.1127 --width 0.01 --iter 2000 --tile 16)

WORK=$(mktemp -d /tmp/mf-test-cross.XXXXXX)
PIDS=()
s_cleanup () {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap s_cleanup EXIT

s_fail () {
    echo "test-cross: FAILED: $1" >&2
    for log in "$WORK"/*.log; do
        [[ -f $log ]] && { echo "--- $log"; tail -n 20 "$log"; } >&2
    done
    exit 1
}

# s_wait_for FILE TEXT SECONDS: until TEXT is in FILE, or fail.
s_wait_for () {
    local tries=0
    until grep -qF -- "$2" "$1" 2>/dev/null; do
        tries=$((tries + 1))
        [[ $tries -le $(($3 * 20)) ]] || s_fail "no '$2' in $1 after $3 s"
        sleep 0.05
    done
}

start=$(date +%s%N)
echo "test-cross: the reference, -j 1"
"$BIN/mandelfarm-master" "${VIEW[@]}" -j 1 -q -o "$WORK/ref.png" --raw "$WORK/ref.npy"

# The worker's own list of the kernels this CPU runs.
kernel=avx2
if ! "$BIN/mandelfarm-worker" --help | grep -q 'available here:.*avx2'; then
    echo "test-cross: SKIPPED avx2: this CPU has no AVX2; the x86 worker runs its default kernel"
    kernel=""
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
       || shuf -i 20000-60000 -n 1)
endpoint=tcp://127.0.0.1:$port
"$BIN/mandelfarm-master" "${VIEW[@]}" -j 0 -q -v --listen "$endpoint" --stats "$WORK/stats.json" \
    -o "$WORK/farm.png" --raw "$WORK/farm.npy" > "$WORK/master.log" 2>&1 &
master=$!
PIDS+=("$master")

"${RUN[@]}" "$ARM_BIN/mandelfarm-worker" --connect "$endpoint" --threads 1 --name aarch64 \
    > "$WORK/aarch64.log" 2>&1 &
PIDS+=("$!")
s_wait_for "$WORK/master.log" "worker aarch64:" $JOIN_S
echo "test-cross: the aarch64 worker (qemu) joined: $(grep -o 'worker aarch64:.*' "$WORK/master.log")"

"$BIN/mandelfarm-worker" --connect "$endpoint" --threads 1 --name x86 ${kernel:+--kernel "$kernel"} \
    > "$WORK/x86.log" 2>&1 &
PIDS+=("$!")

tries=0
while kill -0 "$master" 2>/dev/null; do
    tries=$((tries + 1))
    [[ $tries -le $((RENDER_S * 10)) ]] || s_fail "the render took more than $RENDER_S s"
    sleep 0.1
done
wait "$master" || s_fail "the master failed (status $?)"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))

cmp "$WORK/farm.png" "$WORK/ref.png" || s_fail "the PNG differs from the -j 1 render"
cmp "$WORK/farm.npy" "$WORK/ref.npy" || s_fail "the .npy differs from the -j 1 render"

# Who did what: each worker's line of --stats.
arm=$(grep -o '"name": "aarch64:[^}]*' "$WORK/stats.json" || true)
x86=$(grep -o '"name": "x86:[^}]*' "$WORK/stats.json" || true)
tiles () { sed -n 's/.*"tiles": \([0-9]*\).*/\1/p' <<< "$1"; }
[[ -n $arm && $(tiles "$arm") -gt 0 ]] || s_fail "the aarch64 worker computed no tile: $arm"
[[ -n $x86 && $(tiles "$x86") -gt 0 ]] || s_fail "the x86 worker computed no tile: $x86"
grep -q '"kernel": "scalar"' <<< "$arm" || s_fail "the aarch64 worker did not run the scalar kernel: $arm"
if [[ -n $kernel ]]; then
    grep -q "\"kernel\": \"$kernel\"" <<< "$x86" || s_fail "the x86 worker did not run $kernel: $x86"
fi
total=$(sed -n 's/.*"tiles_total": \([0-9]*\).*/\1/p' "$WORK/stats.json")
echo "test-cross: aarch64 (qemu, scalar): $(tiles "$arm") tiles; x86 (${kernel:-default}): $(tiles "$x86") tiles; of $total"
echo "test-cross: PNG and .npy identical to -j 1; $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s in all"
echo "1 passed, 0 failed"
