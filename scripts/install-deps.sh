#!/bin/sh
# Installs the Debian packages mandelfarm needs to build, test and run.
# Idempotent: packages already present are not touched, and apt-get is not
# called at all when nothing is missing. Uses sudo when not root.
#
#   scripts/install-deps.sh            build + test + viewer dependencies, and the
#                                      zoomable view's library (see --dzi)
#   scripts/install-deps.sh --run      only what building and rendering need
#                                      (`make run`: no test tools, no browser)
#   scripts/install-deps.sh --dzi      only what --dzi needs: npm, and OpenSeadragon
#                                      fetched into vendor/ (then `make` copies it)
#   scripts/install-deps.sh --bench    also the tools `make bench` compares against
#   scripts/install-deps.sh --fuzz     also clang and libFuzzer, for `make fuzz`
#   scripts/install-deps.sh --cross    also the aarch64 cross compiler and qemu-user,
#                                      for `make cross-aarch64` and `make test-cross`
#   scripts/install-deps.sh --slurm    also SLURM and munge, for `make test-slurm`
#   scripts/install-deps.sh --print    only print what is missing
set -eu

# Build and test: compiler, pkg-config, the libraries, Check, and the tools
# the end-to-end tests use (unshare/ip/nft for the network-namespace tests,
# sshd and ssh for the ssh launcher's, systemd-analyze for the unit's,
# ffmpeg for scripts/make-movie.sh's).
BUILD_PKGS="make gcc libc6-dev pkg-config libzmq3-dev libczmq-dev libpng-dev zlib1g-dev \
libsdl2-dev libmpfr-dev libzstd-dev libsodium-dev check"
TEST_PKGS="iproute2 nftables openssh-server openssh-client systemd ffmpeg"
PKGS="$BUILD_PKGS $TEST_PKGS"
# lz4: bench_rcodec's candidates only; fractalnow: bench-deep times its
# brute-force MPFR renders (-l mp) against ours.
BENCH_PKGS="xaos hyperfine valgrind liblz4-dev fractalnow"
FUZZ_PKGS="clang libclang-rt-14-dev"
# The arm64 libraries come from scripts/cross-sysroot.sh, not from here:
# they are unpacked into a sysroot, not installed (it says why).
CROSS_PKGS="gcc-aarch64-linux-gnu qemu-user-static"
SLURM_PKGS="slurm-wlm munge"

# The zoomable view (--dzi) and its test: OpenSeadragon comes from the npm
# registry, at the version and sha512 that vendor/package-lock.json pins;
# the browser test drives Debian's chromium with node. Each is named by
# the command it gives: one already on the PATH (node and npm from another
# source, say, whose nodejs package conflicts with Debian's npm) is used
# as it is, and its Debian package not asked for.
TEST_TOOLS="node:nodejs npm:npm chromium:chromium"
DZI_TOOLS="node:nodejs npm:npm"
ROOT=$(cd "$(dirname "$0")/.." && pwd)

print_only=0
dzi_only=0
run_only=0
for arg in "$@"; do
    case "$arg" in
        --bench) PKGS="$PKGS $BENCH_PKGS" ;;
        --fuzz) PKGS="$PKGS $FUZZ_PKGS" ;;
        --cross) PKGS="$PKGS $CROSS_PKGS" ;;
        --slurm) PKGS="$PKGS $SLURM_PKGS" ;;
        --print) print_only=1 ;;
        --dzi) dzi_only=1 ;;
        --run) run_only=1 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "install-deps.sh: unknown option '$arg' (allowed: --run, --dzi, --bench, --fuzz, --cross, --slurm, --print, --help)" >&2; exit 2 ;;
    esac
done

tools=$TEST_TOOLS
if [ $run_only -eq 1 ]; then
    PKGS=$BUILD_PKGS
    tools=""
fi
if [ $dzi_only -eq 1 ]; then
    PKGS=""
    tools=$DZI_TOOLS
fi

missing=""
for p in $PKGS; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
for tool in $tools; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done

# Whether vendor/node_modules has the OpenSeadragon that package.json pins.
osd_vendored () {
    want=$(sed -n 's/^ *"openseadragon": "\(.*\)".*/\1/p' "$ROOT/vendor/package.json")
    have=$(sed -n 's/^ *"version": "\(.*\)".*/\1/p' \
           "$ROOT/vendor/node_modules/openseadragon/package.json" 2>/dev/null || true)
    [ -n "$want" ] && [ "$want" = "$have" ]
}

# npm ci: exactly the lock file, its integrity checked; no install scripts.
fetch_osd () {
    if [ $run_only -eq 1 ] || osd_vendored; then
        return 0
    fi
    echo "install-deps: fetching OpenSeadragon into vendor/ (npm ci)"
    if npm ci --prefix "$ROOT/vendor" --ignore-scripts --no-audit --no-fund --loglevel=error \
       && osd_vendored; then
        return 0
    fi
    # Asked for by name (--dzi), a failure is one. Otherwise the rest of
    # the farm does not need it: --dzi refuses, saying how to get it, and
    # its tests say SKIPPED; a registry out of reach must not stop a build.
    if [ $dzi_only -eq 1 ]; then
        echo "install-deps: could not fetch OpenSeadragon from the npm registry" >&2
        return 1
    fi
    echo "install-deps: warning: could not fetch OpenSeadragon from the npm registry;" \
         "--dzi and its tests will say so until scripts/install-deps.sh --dzi succeeds" >&2
    return 0
}

if [ -z "$missing" ]; then
    if [ $print_only -eq 1 ]; then
        [ $run_only -eq 1 ] || osd_vendored || echo "openseadragon (npm, vendor/)"
        exit 0
    fi
    fetch_osd
    echo "install-deps: all dependencies are installed"
    exit 0
fi
if [ $print_only -eq 1 ]; then
    { [ $run_only -eq 1 ] || osd_vendored; } && echo "$missing" || echo "$missing openseadragon (npm, vendor/)"
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
fetch_osd
