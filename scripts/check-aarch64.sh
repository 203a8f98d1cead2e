#!/bin/bash
# make check-aarch64: the kernels on aarch64, under qemu-user, give x86's
# bits. Two parts:
#
#  1. The unit suites named (cross-compiled into AARCH64_TESTS_DIR) run
#     under qemu: every aarch64 kernel variant (neon, scalar) against the
#     reference loop bit for bit, mu, the sample points, the tiles, and
#     the deep core (floatexp; the perturbation variants against theirs).
#     test_kernel_variants runs its "kernels" case only: its "programs"
#     case starts mandelfarm-master and -worker, which qemu-user cannot
#     exec from inside an emulated process (no binfmt_misc here); it is
#     reported as skipped, and test-cross runs the aarch64 worker itself.
#  2. Across the machines: tests/cross_mu writes the mu bytes of a fixed
#     set of tiles (shallow and deep) with every kernel variant of its
#     machine, here (x86) and under qemu (aarch64); every file of every
#     variant of both machines must be byte for byte x86's reference
#     kernel's, and the deep cases' reference orbits (MPFR) the same.
#
#   scripts/check-aarch64.sh X86_CROSS_MU AARCH64_TESTS_DIR SUITE...
#                                      (CROSS_RUN: how to run an aarch64 program)
#
# Exits 0 when all passed, 1 otherwise (after running everything), 2 for
# usage.
set -uo pipefail

if [[ $# -lt 2 ]]; then
    echo "check-aarch64.sh: usage: X86_CROSS_MU AARCH64_TESTS_DIR SUITE..." >&2
    exit 2
fi
X86_MU=$1
ARM=$2
shift 2
SUITES=("$@")
read -r -a RUN <<< "${CROSS_RUN:-qemu-aarch64-static}"
# qemu runs the suites 10 to 30 times slower than the machine: their
# Check timeouts (a hang detector, not a speed limit) stretch as much.
TIMEOUT_MULTIPLIER=20
# The variants each machine must have computed with (x86 adds its own).
ARM_KERNELS=(neon scalar reference)

WORK=$(mktemp -d /tmp/mf-check-aarch64.XXXXXX) || exit 1
trap 'rm -rf "$WORK"' EXIT
start=$(date +%s%N)
failed=()

# ---- 1. the unit suites, under qemu ------------------------------------
tally=$WORK/tally
: > "$tally"
for suite in "${SUITES[@]}"; do
    echo "== aarch64 (qemu): $suite"
    case_only=()
    if [[ $suite == test_kernel_variants ]]; then
        case_only=(CK_RUN_CASE=kernels)
        echo "skip $suite case programs (mandelfarm-master and -worker): qemu-user cannot" \
             "start aarch64 programs from an emulated one; make test-cross runs the worker" >> "$tally"
    fi
    env "${case_only[@]}" MF_TEST_TALLY="$tally" CK_TIMEOUT_MULTIPLIER=$TIMEOUT_MULTIPLIER \
        "${RUN[@]}" "$ARM/$suite" || failed+=("$suite")
done
suite_line=$(awk -v suites=${#SUITES[@]} '
    $1 == "suite" { tests += $3; bad += $4; skipped += $5 }
    END { printf "%d suites, %d tests: %d passed, %d failed, %d skipped",
                 suites, tests, tests - bad - skipped, bad, skipped }' "$tally")

# ---- 2. the same tiles on both machines --------------------------------
echo "== x86: tests/cross_mu, every variant"
"$X86_MU" "$WORK/x86" > "$WORK/x86.log" 2>&1 || failed+=("cross_mu (x86)")
cat "$WORK/x86.log"
echo "== aarch64 (qemu): tests/cross_mu, every variant"
"${RUN[@]}" "$ARM/cross_mu" "$WORK/aarch64" > "$WORK/aarch64.log" 2>&1 \
    || failed+=("cross_mu (aarch64)")
cat "$WORK/aarch64.log"

base=$WORK/x86/reference
compared=0
skipped=0
mismatch=()
# s_compare MACHINE KERNEL: every file of the x86 reference, in the
# kernel's folder, with the same bytes; a deep file may be absent only
# where the dump said the kernel has no perturbation variant.
s_compare () {
    local machine=$1 kernel=$2 dir=$WORK/$1/$2 path file size at
    if [[ ! -d $dir ]]; then
        mismatch+=("$machine: no $kernel kernel ran")
        return
    fi
    for path in "$base"/*; do
        file=${path##*/}
        if [[ ! -f $dir/$file ]]; then
            if [[ $file == *.f64 ]] \
            && grep -q "^SKIPPED: $kernel: no perturbation variant" "$WORK/$machine.log"; then
                skipped=$((skipped + 1))
            else
                mismatch+=("$machine $kernel: no $file")
            fi
            continue
        fi
        if ! cmp -s "$path" "$dir/$file"; then
            size=4
            [[ $file == *.f64 ]] && size=8
            at=$(cmp "$path" "$dir/$file" 2>&1 | sed -n 's/.*byte \([0-9]*\).*/\1/p')
            mismatch+=("$machine $kernel: ${file%.*} differs from the x86 reference from pixel $(( (${at:-1} - 1) / size )) on")
        fi
        compared=$((compared + 1))
    done
    for path in "$dir"/*; do
        [[ -f $base/${path##*/} ]] || mismatch+=("$machine $kernel: ${path##*/} is not in the x86 reference's set")
    done
}

x86_kernels=()
if [[ -d $base ]]; then
    shallow=$(find "$base" -name '*.f32' | wc -l)
    deep=$(find "$base" -name '*.f64' | wc -l)
    [[ $shallow -gt 0 && $deep -gt 0 ]] || mismatch+=("x86 reference: $shallow shallow and $deep deep cases: nothing to compare")
    for dir in "$WORK"/x86/*/; do
        kernel=$(basename "$dir")
        [[ $kernel == orbits ]] && continue
        x86_kernels+=("$kernel")
        [[ $kernel == reference ]] || s_compare x86 "$kernel"
    done
    for kernel in "${ARM_KERNELS[@]}"; do
        s_compare aarch64 "$kernel"
    done
    for path in "$WORK"/x86/orbits/*.orbit; do
        if ! cmp -s "$path" "$WORK/aarch64/orbits/${path##*/}"; then
            mismatch+=("aarch64: the reference orbit of ${path##*/} differs from x86's")
        fi
    done
else
    mismatch+=("x86: the reference kernel wrote nothing")
fi
elapsed_ms=$((($(date +%s%N) - start) / 1000000))

echo "check-aarch64: the suites under qemu: $suite_line"
awk '$1 == "skip" { $1 = ""; print "  SKIPPED:" $0 }' "$tally"
if [[ ${#mismatch[@]} -gt 0 ]]; then
    for line in "${mismatch[@]}"; do
        echo "check-aarch64: DIFFERS: $line" >&2
    done
    failed+=("bit identity")
else
    echo "check-aarch64: $compared files of mu ($shallow shallow, $deep deep cases) from x86" \
         "(${x86_kernels[*]}) and aarch64 (${ARM_KERNELS[*]}): every one the x86 reference" \
         "kernel's bytes; the deep cases' reference orbits identical"
    [[ $skipped -gt 0 ]] && echo "  SKIPPED: $skipped deep files of variants with no perturbation variant of their name (see above)"
fi
echo "check-aarch64: $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s in all"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "check-aarch64: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "check-aarch64: passed"
