#!/bin/bash
# make test-cross: mixed machines, same bytes. A view is rendered by an
# x86-64 master with no local worker (-j 0), an aarch64 worker running
# under qemu-user (its kernel: neon) and an x86-64 worker forced to the
# avx2 kernel; the PNG and the .npy must be byte for byte those of a
# -j 1 render, and both workers must have computed tiles (the master's
# --stats says who did what). make check-aarch64 runs first: it compares
# the kernels' bytes across the machines tile by tile, shallow and deep.
#
#   scripts/test-cross.sh BIN_DIR AARCH64_BIN_DIR    (CROSS_RUN: how to run
#                                                     an aarch64 program)
#
# Both workers surely get tiles, without timing luck: the aarch64 worker
# joins first and is handed tiles at once; the x86 worker starts only
# once the master's journal (--checkpoint) holds a tile the aarch64 one
# finished. (Started as soon as the aarch64 worker joined, the x86 one
# could compute every other tile, then back up the aarch64 one's, all
# before the emulated worker had fetched the orbit and built its table:
# it then did nothing.) Every process is ended by its pid; loopback only.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "test-cross.sh: usage: BIN_DIR AARCH64_BIN_DIR" >&2
    exit 2
fi
BIN=$1
ARM_BIN=$2
read -r -a RUN <<< "${CROSS_RUN:-qemu-aarch64-static}"
JOIN_S=60                   # seconds a worker may take to join
RENDER_S=300                # seconds a render may take
ARM_KERNEL=neon             # what the aarch64 worker must run: its best
# The shallow view: seahorse valley, small tiles so that both get some.
# shellcheck disable=SC2054  # the commas are in the values
SHALLOW_VIEW=(--size 320x240 --center -0.7453,0.1127 --width 0.01 --iter 2000 --tile 16)
# The deep view: the line location of tests/deep_locations.h (zoom 1.4e28,
# a pixel far below what doubles resolve, so every worker computes it by
# perturbation from the master's reference orbit), small and at its own
# 2500 iterations: the aarch64 worker under qemu fetches the orbit, builds
# its BLA table and computes a tile within seconds. 240 tiles, so that the
# x86 worker still finds most of them there when it joins (BLA makes the
# view cheap: the emulated worker alone did 24 in under a second).
# shellcheck disable=SC2054
DEEP_VIEW=(--size 320x180 --tile 16 --iter 2500 --zoom 1.40057E28 --center
           4.38201090809984714798836704183781579775093781331734e-01,2.50541573359688171678400414758224860053729045156654e-01)

WORK=$(mktemp -d /tmp/mf-test-cross.XXXXXX)
PIDS=()
s_stop_all () {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
trap 's_stop_all; rm -rf "$WORK"' EXIT

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

# The worker's own list of the kernels this CPU runs. (--help is read
# whole first: grep -q leaving a pipe early would fail it under pipefail.)
kernel=avx2
help=$("$BIN/mandelfarm-worker" --help 2>&1 || true)
if ! grep -q 'available here:.*avx2' <<< "$help"; then
    echo "test-cross: SKIPPED avx2: this CPU has no AVX2; the x86 worker runs its default kernel"
    kernel=""
fi

# s_farm NAME VIEW...: renders VIEW with -j 1, then with the x86 master,
# the aarch64 worker and the x86 worker; fails unless the bytes are the
# same and both workers computed tiles.
s_farm () {
    local name=$1 start elapsed_ms port endpoint master arm x86 total
    shift
    start=$(date +%s%N)
    echo "test-cross: $name view: the reference, -j 1"
    "$BIN/mandelfarm-master" "$@" -j 1 -q -o "$WORK/$name-ref.png" --raw "$WORK/$name-ref.npy"

    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
           || shuf -i 20000-60000 -n 1)
    endpoint=tcp://127.0.0.1:$port
    "$BIN/mandelfarm-master" "$@" -j 0 -q -v --listen "$endpoint" --stats "$WORK/$name-stats.json" \
        --checkpoint "$WORK/$name.journal" \
        -o "$WORK/$name-farm.png" --raw "$WORK/$name-farm.npy" > "$WORK/$name-master.log" 2>&1 &
    master=$!
    PIDS+=("$master")

    "${RUN[@]}" "$ARM_BIN/mandelfarm-worker" --connect "$endpoint" --threads 1 --name aarch64 \
        > "$WORK/$name-aarch64.log" 2>&1 &
    PIDS+=("$!")
    s_wait_for "$WORK/$name-master.log" "worker aarch64:" $JOIN_S
    echo "test-cross: the aarch64 worker (qemu) joined: $(grep -o 'worker aarch64:.*' "$WORK/$name-master.log")"
    local tries=0
    until [[ $(s_journal_done "$WORK/$name.journal") -gt 0 ]]; do
        tries=$((tries + 1))
        [[ $tries -le $((RENDER_S * 5)) ]] || s_fail "the aarch64 worker finished no tile of the $name view in $RENDER_S s"
        kill -0 "$master" 2>/dev/null || s_fail "the master ended before the aarch64 worker finished a tile"
        sleep 0.2
    done
    echo "test-cross: the aarch64 worker finished its first tile; the x86 worker joins"

    "$BIN/mandelfarm-worker" --connect "$endpoint" --threads 1 --name x86 ${kernel:+--kernel "$kernel"} \
        > "$WORK/$name-x86.log" 2>&1 &
    PIDS+=("$!")

    tries=0
    while kill -0 "$master" 2>/dev/null; do
        tries=$((tries + 1))
        [[ $tries -le $((RENDER_S * 10)) ]] || s_fail "the $name render took more than $RENDER_S s"
        sleep 0.1
    done
    wait "$master" || s_fail "the master failed on the $name view (status $?)"
    elapsed_ms=$((($(date +%s%N) - start) / 1000000))
    s_stop_all

    cmp "$WORK/$name-farm.png" "$WORK/$name-ref.png" || s_fail "the $name PNG differs from the -j 1 render"
    cmp "$WORK/$name-farm.npy" "$WORK/$name-ref.npy" || s_fail "the $name .npy differs from the -j 1 render"

    # Who did what: each worker's line of --stats.
    arm=$(grep -o '"name": "aarch64:[^}]*' "$WORK/$name-stats.json" || true)
    x86=$(grep -o '"name": "x86:[^}]*' "$WORK/$name-stats.json" || true)
    [[ -n $arm && $(s_tiles "$arm") -gt 0 ]] || s_fail "the aarch64 worker computed no tile of the $name view: $arm"
    [[ -n $x86 && $(s_tiles "$x86") -gt 0 ]] || s_fail "the x86 worker computed no tile of the $name view: $x86"
    grep -q "\"kernel\": \"$ARM_KERNEL\"" <<< "$arm" || s_fail "the aarch64 worker did not run the $ARM_KERNEL kernel: $arm"
    if [[ -n $kernel ]]; then
        grep -q "\"kernel\": \"$kernel\"" <<< "$x86" || s_fail "the x86 worker did not run $kernel: $x86"
    fi
    total=$(sed -n 's/.*"tiles_total": \([0-9]*\).*/\1/p' "$WORK/$name-stats.json")
    echo "test-cross: $name view: aarch64 (qemu, $ARM_KERNEL): $(s_tiles "$arm") tiles; x86 (${kernel:-default}): $(s_tiles "$x86") tiles; of $total"
    echo "test-cross: $name view: PNG and .npy identical to -j 1; $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s"
}
# s_journal_done FILE: how many tiles FILE, a master's journal, says are
# done (its D records; the layout is master/journal.c's: a 64-byte
# header, then records of 16 + payload bytes, the payload's size at 8).
s_journal_done () {
    python3 - "$1" <<'PY'
import struct, sys
try:
    data = open(sys.argv[1], 'rb').read()
except OSError:
    data = b''
at, done = 64, 0
while at + 16 <= len(data):
    size = struct.unpack_from('<I', data, at + 8)[0]
    if at + 16 + size > len(data):
        break
    done += data[at] == ord('D')
    at += 16 + size
print(done)
PY
}

s_tiles () { sed -n 's/.*"tiles": \([0-9]*\).*/\1/p' <<< "$1"; }

s_farm shallow "${SHALLOW_VIEW[@]}"
passed=1

# ---- THE DEEP VIEW (issue 11, point 5) ----------------------------------
# The same farm on a deep view: tiles leased as DEEPTILEs, the reference
# orbit shipped to both workers in CHUNKs, f64 results. The kernels' deep
# bytes are also compared across the machines tile by tile by make
# check-aarch64 (tests/cross_mu: the line, e50 and e318 locations); here
# they go through the whole farm. The master must have taken it as deep:
# its --stats counts deep leases and the orbit chunks it sent each worker.
s_farm deep "${DEEP_VIEW[@]}"
deep_leases=$(sed -n 's/.*"deep_leases": \([0-9]*\).*/\1/p' "$WORK/deep-stats.json")
[[ ${deep_leases:-0} -gt 0 ]] || s_fail "the deep view was not rendered by perturbation (no deep leases)"
arm_chunks=$(grep -o '"name": "aarch64:[^}]*' "$WORK/deep-stats.json" | sed -n 's/.*"chunks": \([0-9]*\).*/\1/p')
[[ ${arm_chunks:-0} -gt 0 ]] || s_fail "the aarch64 worker fetched no orbit chunk"
echo "test-cross: deep view: $deep_leases deep leases; the aarch64 worker fetched the orbit in $arm_chunks chunks"
passed=2
# ---- end of the deep view -------------------------------------------------

echo "$passed passed, 0 failed"
