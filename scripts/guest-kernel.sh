#!/bin/bash
# Fetch a Debian cloud kernel the guests boot, and install the matching
# headers the guest modules build against. The version comes from a
# metapackage at run time, never from this file: linux-image-cloud-amd64
# (Debian 12's own 6.1) by default, linux-image-SERIES-cloud-amd64 for
# another series Debian 12 carries (6.12).
# Prints shell assignments: KVER=, VMLINUZ=, MODDIR=, KDIR=.
#   scripts/guest-kernel.sh [DEST [SERIES]]  (DEST: build/guest-kernel)
#   scripts/guest-kernel.sh --version [SERIES]  print the version only
set -euo pipefail

only_version=0
if [ "${1:-}" = --version ]; then
	only_version=1
	shift
	dest=
	series=${1:-}
else
	dest=${1:-build/guest-kernel}
	series=${2:-}
fi
meta=linux-image-cloud-amd64
[ -n "$series" ] && meta=linux-image-$series-cloud-amd64

resolve() {
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(.*-cloud-amd64\)$/\1/p' |
		head -n 1 || true	# no such metapackage: empty
}

# The series Debian 12 ships as its own (6.1) has no series metapackage:
# the default one's version tells whether SERIES is that one.
lookup() {
	kver=$(resolve)
	if [ -z "$kver" ] && [ -n "$series" ]; then
		kver=$(meta=linux-image-cloud-amd64 resolve)
		case "$kver" in "$series".*) ;; *) kver= ;; esac
	fi
}
lookup
if [ -z "$kver" ]; then
	apt-get update -qq >&2 || true
	lookup
fi
if [ -z "$kver" ]; then
	echo "guest-kernel: no kernel for series ${series:-default} ($meta)" >&2
	exit 1
fi
if [ $only_version = 1 ]; then
	echo "$kver"
	exit 0
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
	# The headers depend on their image: it lands in the host's /boot
	# (no bootloader runs it); no recommends, or apparmor comes too.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends -o DPkg::Lock::Timeout=600 \
		"linux-headers-$kver" >&2
fi

echo "KVER=$kver"
echo "VMLINUZ=$root/boot/vmlinuz-$kver"
echo "MODDIR=$root/lib/modules/$kver"
echo "KDIR=/usr/src/linux-headers-$kver"
