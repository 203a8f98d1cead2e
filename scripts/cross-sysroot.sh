#!/bin/sh
# Makes a sysroot for cross-compiling: Debian's -dev packages of another
# architecture, and everything they depend on, unpacked into one folder
# that the cross compiler (--sysroot) and pkg-config
# (PKG_CONFIG_SYSROOT_DIR) use, and that qemu-user runs the result in (-L).
#
#   scripts/cross-sysroot.sh DEB-ARCH DIR PACKAGE...
#   scripts/cross-sysroot.sh arm64 build-aarch64/sysroot libczmq-dev libpng-dev
#
# Why not `dpkg --add-architecture` and `apt-get install libczmq-dev:arm64`:
# on Debian 12 that would remove the machine's own libczmq-dev (its
# libnss3-dev needs libnspr4-dev, which is not Multi-Arch: same, so the two
# architectures cannot both be installed) and upgrade packages of the
# system to match versions. Here apt runs with a state of its own under
# DIR.apt (the machine's sources, the other architecture only, an empty
# dpkg status): it resolves the dependencies and downloads the .debs, and
# dpkg-deb unpacks them. Nothing of the system changes; no root needed
# (apt warns that it downloads as the current user).
#
# DIR is rebuilt only when the package list changes (DIR/.packages).
set -eu

if [ $# -lt 3 ]; then
    echo "cross-sysroot.sh: usage: DEB-ARCH DIR PACKAGE... (e.g. arm64 build-aarch64/sysroot libczmq-dev)" >&2
    exit 2
fi
arch=$1
dir=$2
shift 2
case $arch in
    *[!a-z0-9]*|"") echo "cross-sysroot.sh: '$arch' is not a Debian architecture (e.g. arm64)" >&2; exit 2 ;;
esac
wanted="$arch $*"
if [ -f "$dir/.packages" ] && [ "$(cat "$dir/.packages")" = "$wanted" ]; then
    exit 0
fi
for tool in apt-get dpkg-deb; do
    command -v $tool >/dev/null 2>&1 || { echo "cross-sysroot.sh: needs $tool (Debian)" >&2; exit 1; }
done

state=$(mkdir -p "$dir.apt" && cd "$dir.apt" && pwd)
mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/preferences.d"
: > "$state/status"
# The downloads are verified by apt against the machine's keyrings, as any
# install; only the architecture and the bookkeeping are ours.
apt_opts="-o Dir::State=$state -o Dir::State::Lists=$state/lists \
-o Dir::State::status=$state/status -o Dir::Cache=$state \
-o Dir::Cache::archives=$state/archives -o Dir::Etc::Preferences=$state/preferences \
-o Dir::Etc::PreferencesParts=$state/preferences.d \
-o APT::Architecture=$arch -o APT::Architectures::=$arch -o Debug::NoLocking=1 \
-o APT::Sandbox::User=$(id -un)"

echo "cross-sysroot: $arch package lists"
# shellcheck disable=SC2086
apt-get $apt_opts -qq update
echo "cross-sysroot: downloading $* and their dependencies ($arch)"
# shellcheck disable=SC2086
apt-get $apt_opts -qq -y --no-install-recommends --download-only install "$@" > "$state/install.log"

rm -rf "$dir.new"
mkdir -p "$dir.new"
count=0
for deb in "$state"/archives/*.deb; do
    dpkg-deb -x "$deb" "$dir.new"
    count=$((count + 1))
done
[ $count -gt 0 ] || { echo "cross-sysroot.sh: apt downloaded nothing (see $state/install.log)" >&2; exit 1; }
# Unpacked, not installed: the links a package's scripts would make are
# missing. Shared libraries still resolve through their SONAME links,
# which the packages ship.
echo "$wanted" > "$dir.new/.packages"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "cross-sysroot: $count packages in $dir"
