#!/bin/bash
# Install from Debian what building and testing devcall needs. Idempotent:
# when everything is there it only asks dpkg and returns.
#   scripts/install-deps.sh [build] [fuzz] [e2e] ...
# Groups:
#   build  compiler, libinih, libcmocka, json-c, libcap-ng, libseccomp
#          (host daemon, unit tests), scdoc (man pages)
#   fuzz   clang with libFuzzer
#   service  systemd (systemd-analyze verify of the unit), man-db (the
#          man pages it names are looked up with man)
#   deb    dpkg-buildpackage, debhelper, dh-dkms, lintian (make deb)
#   e2e    QEMU, busybox, cpio, kmod, python3 (QEMU monitor), gcc-multilib
#          (static -m32 guest tools), mmdebstrap (test_dkms.sh
#          root filesystems); the Debian
#          cloud kernel and headers come from scripts/guest-kernel.sh;
#          jq (test_mockscript.sh reads the JSON-lines record)
#   libvirt libvirt-daemon-system, libvirt-clients (test_libvirt.sh)
set -euo pipefail

want=()
for group in "${@:-build}"; do
	case "$group" in
	build) want+=(gcc make pkg-config libc6-dev libinih-dev libcmocka-dev
		      libjson-c-dev libcap-ng-dev libseccomp-dev scdoc) ;;
	fuzz)  want+=(clang) ;;
	service) want+=(systemd man-db) ;;
	deb)   want+=(dpkg-dev debhelper dh-dkms lintian) ;;
	e2e)   want+=(qemu-system-x86 busybox-static cpio kmod gzip
		      util-linux fdisk e2fsprogs python3 genisoimage
		      gcc-multilib jq binutils mmdebstrap) ;;
	libvirt) want+=(libvirt-daemon-system libvirt-clients) ;;
	*) echo "install-deps: unknown group '$group'" >&2; exit 2 ;;
	esac
done

updated=0
apt_update() {
	if [ "$updated" = 0 ]; then
		apt-get update -qq -o DPkg::Lock::Timeout=600
		updated=1
	fi
}

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

need=($(missing "${want[@]}"))
if [ "${#need[@]}" -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing ${need[*]}; run as root" >&2
		exit 1
	fi
	apt_update
	echo "install-deps: installing ${need[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-o DPkg::Lock::Timeout=600 "${need[@]}" >&2
fi
