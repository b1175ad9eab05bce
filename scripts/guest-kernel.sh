#!/bin/bash
# Fetch the Debian cloud kernel the guests boot, and install the matching
# headers the guest modules build against. The version comes from the
# linux-image-cloud-amd64 metapackage at run time, never from this file.
# Prints shell assignments: KVER=, VMLINUZ=, MODDIR=, KDIR=.
#   scripts/guest-kernel.sh [DEST]      (DEST defaults to build/guest-kernel)
set -euo pipefail

dest=${1:-build/guest-kernel}

resolve() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(.*-cloud-amd64\)$/\1/p' |
		head -n 1
}

kver=$(resolve)
if [ -z "$kver" ]; then
	apt-get update -qq >&2
	kver=$(resolve)
fi
if [ -z "$kver" ]; then
	echo "guest-kernel: cannot resolve linux-image-cloud-amd64" >&2
	exit 1
fi

root="$dest/$kver"
if [ ! -f "$root/boot/vmlinuz-$kver" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -qq "linux-image-$kver" >&2)
	mkdir -p "$root"
	dpkg-deb -x "$tmp"/linux-image-"$kver"_*.deb "$root"
fi

if [ ! -d "/usr/src/linux-headers-$kver" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		"linux-headers-$kver" >&2
fi

echo "KVER=$kver"
echo "VMLINUZ=$root/boot/vmlinuz-$kver"
echo "MODDIR=$root/lib/modules/$kver"
echo "KDIR=/usr/src/linux-headers-$kver"
