#!/bin/sh
# Installs the Debian packages mandelfarm needs to build, test and run.
# Idempotent: packages already present are not touched, and apt-get is not
# called at all when nothing is missing. Uses sudo when not root.
#
#   scripts/install-deps.sh            build + test + viewer dependencies
#   scripts/install-deps.sh --bench    also the tools `make bench` compares against
#   scripts/install-deps.sh --fuzz     also clang and libFuzzer, for `make fuzz`
#   scripts/install-deps.sh --cross    also the aarch64 cross compiler and qemu-user,
#                                      for `make cross-aarch64` and `make test-cross`
#   scripts/install-deps.sh --slurm    also SLURM and munge, for `make test-slurm`
#   scripts/install-deps.sh --print    only print what is missing
set -eu

# Build and test: compiler, pkg-config, the libraries, Check, and the tools
# the end-to-end tests use (unshare/ip/nft for the network-namespace tests,
# sshd and ssh for the ssh launcher's, systemd-analyze for the unit's).
PKGS="make gcc libc6-dev pkg-config libzmq3-dev libczmq-dev libpng-dev zlib1g-dev \
libsdl2-dev libmpfr-dev libzstd-dev libsodium-dev check iproute2 nftables openssh-server openssh-client systemd"
BENCH_PKGS="xaos hyperfine valgrind"
FUZZ_PKGS="clang libclang-rt-14-dev"
# The arm64 libraries come from scripts/cross-sysroot.sh, not from here:
# they are unpacked into a sysroot, not installed (it says why).
CROSS_PKGS="gcc-aarch64-linux-gnu qemu-user-static"
SLURM_PKGS="slurm-wlm munge"

print_only=0
for arg in "$@"; do
    case "$arg" in
        --bench) PKGS="$PKGS $BENCH_PKGS" ;;
        --fuzz) PKGS="$PKGS $FUZZ_PKGS" ;;
        --cross) PKGS="$PKGS $CROSS_PKGS" ;;
        --slurm) PKGS="$PKGS $SLURM_PKGS" ;;
        --print) print_only=1 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "install-deps.sh: unknown option '$arg' (allowed: --bench, --fuzz, --cross, --slurm, --print, --help)" >&2; exit 2 ;;
    esac
done

missing=""
for p in $PKGS; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    [ $print_only -eq 1 ] || echo "install-deps: all dependencies are installed"
    exit 0
fi
if [ $print_only -eq 1 ]; then
    echo "$missing"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-deps: need root (or sudo) to install:$missing" >&2
        exit 1
    fi
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine may be empty or stale: update once
# when a package has no candidate, then install.
need_update=0
for p in $missing; do
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then need_update=1; fi
done
if [ $need_update -eq 1 ]; then
    $SUDO apt-get update -qq
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
