#!/bin/bash
# A Debian 12 root filesystem image for guests that boot systemd from a
# virtio disk: one Debian cloud kernel with its headers and DKMS, so a
# -dkms package builds in the guest without a network. Built with
# mmdebstrap from Debian packages, then made an ext4 image with mke2fs -d
# (no loop device, no mount). Cached: rebuilt only when this recipe, the
# payload unit or the resolved kernel version changes.
#
#   scripts/mkrootfs.sh [--series S] [--cache DIR] [--include PKG,...]
#
# --series: the kernel series (default: Debian 12's own 6.1 metapackage;
# 6.12 for linux-image-6.12-cloud-amd64). --cache: default
# ${DEVCALL_CACHE:-/var/cache/devcall}. --include: more packages.
# Prints shell assignments: IMAGE=, VMLINUZ=, INITRD=, KVER=.
#
# The image runs one thing at boot: devcall-payload.service mounts the
# second virtio disk (/dev/vdb, ext4, label PAYLOAD) and runs its run.sh
# with the serial console as output, then powers the guest off. Without
# such a disk the guest powers off at once.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
series= cache=${DEVCALL_CACHE:-/var/cache/devcall} extra=
while [ $# -gt 0 ]; do
	case "$1" in
	--series) series=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--include) extra=$2; shift 2 ;;
	*) echo "mkrootfs: unknown option $1" >&2; exit 2 ;;
	esac
done

kver=$("$top/scripts/guest-kernel.sh" --version $series)
# What goes in, beside the essential set. No recommends: every package
# more is time at boot under TCG.
pkgs=systemd-sysv,udev,kmod,dkms,initramfs-tools,linux-image-$kver
pkgs=$pkgs,linux-headers-$kver,wodim,e2fsprogs
[ -n "$extra" ] && pkgs=$pkgs,$extra

dir=$cache/rootfs/debian12-$kver
debs=$cache/rootfs/debs
recipe=$( { cat "$0"; echo "$pkgs"; } | sha256sum | cut -c1-16)
if [ -f "$dir/recipe" ] && [ "$(cat "$dir/recipe")" = "$recipe" ] &&
   [ -f "$dir/rootfs.img" ]; then
	echo "IMAGE=$dir/rootfs.img"
	echo "VMLINUZ=$dir/vmlinuz"
	echo "INITRD=$dir/initrd.img"
	echo "KVER=$kver"
	exit 0
fi

command -v mmdebstrap >/dev/null || {
	echo "mkrootfs: mmdebstrap missing (scripts/install-deps.sh e2e)" >&2
	exit 1
}
mkdir -p "$dir" "$debs"
rm -f "$dir/recipe"
tree=$(mktemp -d "$cache/rootfs/tree.XXXXXX")
trap 'rm -rf "$tree"' EXIT

# The initramfs needs only the virtio disk: a short list, not "most".
# The payload unit: the only thing that runs past sysinit.target.
hooks=$(mktemp -d)
trap 'rm -rf "$tree" "$hooks"' EXIT
cat > "$hooks/setup.sh" <<'SH'
#!/bin/sh
set -e
root=$1 debs=$2
mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/etc/initramfs-tools/hooks" \
	"$root/var/cache/apt/archives"
printf 'MODULES=list\nCOMPRESS=gzip\n' > "$root/etc/initramfs-tools/conf.d/devcall"
cat > "$root/etc/initramfs-tools/hooks/devcall-virtio" <<'HOOK'
#!/bin/sh
[ "$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
manual_add_modules virtio_pci virtio_blk
HOOK
chmod 755 "$root/etc/initramfs-tools/hooks/devcall-virtio"
# Earlier runs' downloads: the second series' image reuses most of them.
find "$debs" -name '*.deb' -exec cp -t "$root/var/cache/apt/archives/" {} + 2>/dev/null || true
SH
cat > "$hooks/customize.sh" <<'SH'
#!/bin/sh
set -e
root=$1 debs=$2
cp -u "$root"/var/cache/apt/archives/*.deb "$debs/" 2>/dev/null || true
echo devcall-guest > "$root/etc/hostname"
printf 'LABEL=ROOT / ext4 rw,noatime 0 1\n' > "$root/etc/fstab"
cat > "$root/etc/systemd/system/devcall-payload.service" <<'UNIT'
[Unit]
Description=Run the test payload from /dev/vdb, then power off
After=systemd-udev-settle.service local-fs.target
Wants=local-fs.target
DefaultDependencies=no
Conflicts=shutdown.target
Before=shutdown.target

[Service]
Type=oneshot
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
ExecStart=/bin/sh -c 'mkdir -p /payload && mount -o ro LABEL=PAYLOAD /payload && exec /bin/sh /payload/run.sh'
ExecStopPost=/bin/systemctl --no-block poweroff
UNIT
mkdir -p "$root/etc/systemd/system/devcall.target.wants"
ln -sf ../devcall-payload.service "$root/etc/systemd/system/devcall.target.wants/"
cat > "$root/etc/systemd/system/devcall.target" <<'UNIT'
[Unit]
Description=devcall test guest: sysinit, then the payload
Requires=sysinit.target
After=sysinit.target
AllowIsolate=yes
UNIT
ln -sf devcall.target "$root/etc/systemd/system/default.target"
# Nothing else starts: no getty, no timers, no journal flush to disk.
for u in getty.target systemd-timesyncd.service apt-daily.timer \
	 apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
	 fstrim.timer systemd-journal-flush.service \
	 systemd-update-utmp.service systemd-random-seed.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
# The kernel's initramfs and image, for a host that boots it with -kernel.
rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*_Packages
SH
chmod 755 "$hooks"/*.sh

echo "mkrootfs: building $dir (kernel $kver)" >&2
mmdebstrap --variant=apt --mode=root \
	--aptopt='APT::Install-Recommends "false"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--skip=essential/unlink \
	--include="$pkgs" \
	--setup-hook="$hooks/setup.sh \"\$1\" $debs" \
	--customize-hook="$hooks/customize.sh \"\$1\" $debs" \
	bookworm "$tree" \
	"deb http://deb.debian.org/debian bookworm main" \
	"deb http://deb.debian.org/debian bookworm-updates main" \
	"deb http://deb.debian.org/debian-security bookworm-security main" >&2

cp "$tree/boot/vmlinuz-$kver" "$dir/vmlinuz"
cp "$tree/boot/initrd.img-$kver" "$dir/initrd.img"
# Room for what DKMS builds and installs.
size=$(( $(du -sm "$tree" | cut -f1) + 400 ))
rm -f "$dir/rootfs.img"
mke2fs -q -t ext4 -L ROOT -d "$tree" "$dir/rootfs.img" "${size}M"
echo "$recipe" > "$dir/recipe"
echo "IMAGE=$dir/rootfs.img"
echo "VMLINUZ=$dir/vmlinuz"
echo "INITRD=$dir/initrd.img"
echo "KVER=$kver"
