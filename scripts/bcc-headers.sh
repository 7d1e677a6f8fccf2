#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# bcc-headers.sh [DIR] - kernel headers for BCC (tc_flowmon.py) where the
# running kernel has none (no /lib/modules/$(uname -r)/build, no kheaders):
# Debian's linux-headers packages, fetched with apt-get download and
# unpacked with dpkg-deb -x (never installed), merged into DIR/merged
# (default .output/bcc-headers of the source tree) for BCC_KERNEL_SOURCE.
# Nothing is written outside DIR. The BCC profile uses only the kernel's
# UAPI (struct __sk_buff, the helpers' ids), which newer kernels extend and
# never change: the headers of an older kernel of the same architecture do.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$ROOT/.output/bcc-headers}
MERGED=$DIR/merged

die() {
	echo "bcc-headers.sh: $*" >&2
	exit 1
}

[ -f "$MERGED/.config" ] && exit 0
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
	die "failed to prepare kernel headers: apt-get and dpkg-deb are needed (Debian)"
arch=$(dpkg --print-architecture)
flavour=$arch
# the running kernel's own package when the archive has it, else the newest of the flavour
pkg=linux-headers-$(uname -r)
if ! apt-cache show "$pkg" >/dev/null 2>&1; then
	pkg=$(apt-cache search --names-only "^linux-headers-[0-9.]+-[0-9]+-$flavour\$" |
		awk '{ print $1 }' | sort -V | tail -n 1)
fi
[ -n "$pkg" ] || die "failed to find a linux-headers-*-$flavour package: run apt-get update"
common=$(apt-cache depends "$pkg" 2>/dev/null |
	awk '/Depends: linux-headers-.*-common/ { print $2; exit }')
[ -n "$common" ] || die "failed to find the -common package of $pkg"

rm -rf "$DIR/deb" "$DIR/root" "$MERGED.tmp"
mkdir -p "$DIR/deb" "$DIR/root"
# apt's sandbox user must be able to write there
chmod 0777 "$DIR/deb"
(cd "$DIR/deb" && apt-get download -q "$pkg" "$common" >/dev/null 2>"$DIR/deb/apt.err") ||
	die "failed to download $pkg $common: $(tail -n 1 "$DIR/deb/apt.err")"
for d in "$DIR"/deb/*.deb; do
	dpkg-deb -x "$d" "$DIR/root" || die "failed to unpack $d"
done
src_common=$(ls -d "$DIR"/root/usr/src/linux-headers-*-common | head -n 1)
src_arch=$(ls -d "$DIR"/root/usr/src/"${pkg}" 2>/dev/null | head -n 1)
[ -d "$src_common" ] && [ -d "$src_arch" ] || die "failed to unpack $pkg: no /usr/src tree"
mkdir -p "$MERGED.tmp"
cp -a "$src_common/." "$MERGED.tmp/"
cp -a --remove-destination "$src_arch/arch" "$src_arch/include" "$src_arch/.config" \
	"$MERGED.tmp/"
rm -rf "$DIR/root"
mv "$MERGED.tmp" "$MERGED"
echo "bcc-headers.sh: $pkg unpacked in $MERGED"
