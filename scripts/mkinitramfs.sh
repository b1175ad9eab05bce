#!/bin/bash
# Build a guest initramfs: busybox, the virtio core and devcall modules (in
# the order their depends= fields give), an /init that loads them, waits
# for /dev/devcall nodes, runs the guest command and powers off, plus any
# extra files and Debian packages (with the libraries they need).
#
#   scripts/mkinitramfs.sh -o OUT -m MODDIR [-k MOD.ko]... [-s SCRIPT]
#                          [-f SRC:DEST]... [-p PACKAGE]... [-b PROGRAM]...
#                          [--shell] [-q] [--tag NAME]
# -p installs a Debian package and what it depends on, as apt resolves it
# (scripts/guest-packages.sh); -b copies a host program to the same path,
# with the libraries ldd names. Progress lines go to stderr as "NAME: ..."
# (-q: none).
set -euo pipefail

out= moddir= script= shell=0 quiet=0 tag=mkinitramfs
mods=() files=() pkgs=() bins=()
while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=$2; shift 2 ;;
	-m) moddir=$2; shift 2 ;;
	-k) mods+=("$2"); shift 2 ;;
	-s) script=$2; shift 2 ;;
	-f) files+=("$2"); shift 2 ;;
	-p) pkgs+=("$2"); shift 2 ;;
	-b) bins+=("$2"); shift 2 ;;
	--shell) shell=1; shift ;;
	-q) quiet=1; shift ;;
	--tag) tag=$2; shift 2 ;;
	*) echo "mkinitramfs: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] && [ -d "$moddir" ] || { echo "mkinitramfs: need -o and -m" >&2; exit 2; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,lib/modules,etc,root,usr/bin,usr/sbin,var/tmp}
cp /bin/busybox "$root/bin/busybox"

# Modules: the virtio core from the image, then ours.
all=("$moddir/kernel/drivers/virtio/virtio.ko"
     "$moddir/kernel/drivers/virtio/virtio_ring.ko" "${mods[@]}")
declare -A path deps
for m in "${all[@]}"; do
	name=$(basename "$m" .ko)
	path[$name]=$m
	deps[$name]=$(/sbin/modinfo -F depends "$m" | tr ',' ' ')
	cp "$m" "$root/lib/modules/"
done
# Order by dependencies (depends= is the truth; it changed across builds).
order=() done_=" "
while [ ${#order[@]} -lt ${#path[@]} ]; do
	progress=0
	for name in "${!path[@]}"; do
		case "$done_" in *" $name "*) continue ;; esac
		ok=1
		for d in ${deps[$name]}; do
			case "$done_" in *" $d "*) ;; *) ok=0 ;; esac
		done
		if [ $ok = 1 ]; then
			order+=("$name"); done_="$done_$name "; progress=1
		fi
	done
	[ $progress = 1 ] || { echo "mkinitramfs: unmet module dependencies" >&2; exit 1; }
done
printf '%s\n' "${order[@]}" > "$root/etc/modules.order"

for f in "${files[@]}"; do
	src=${f%%:*} dst=${f#*:}
	mkdir -p "$root/$(dirname "$dst")"
	cp -a "$src" "$root/$dst"
done

# Debian packages with their dependencies, resolved and fetched by apt
# (scripts/guest-packages.sh), in a tree of their own that becomes a cpio
# archive of its own, cached, first in the initramfs: the kernel unpacks
# concatenated archives in turn, so what follows (-f files, -b programs)
# wins over a package's file of the same path.
# A package's command wins over busybox's applet of that name: busybox-
# static's shell runs its own applets before it looks at PATH (mke2fs
# would be busybox's, not e2fsprogs'), so /bin/sh is then Debian's busybox
# package, whose shell searches PATH; and where busybox would install the
# applet there is a link to the package's command, which busybox --install
# leaves alone.
say() { [ $quiet = 1 ] || echo "$tag: $*" >&2; }
package_key() {
	local dir
	eval "$(apt-config shell dir Dir::State::lists/d)"
	{ printf '%s\n' "${pkgs[@]}" | sort -u
	  sha256sum < "$0"; sha256sum < "$(dirname "$0")/guest-packages.sh"
	  /bin/busybox --list-full
	  stat -c '%n %s %Y' "$dir"*_Packages* 2>/dev/null; } |
		sha256sum | cut -c1-32
}
pkgpart= pkglist=/dev/null
if [ ${#pkgs[@]} -gt 0 ]; then
	cache=${DEVCALL_CACHE:-/var/cache/devcall}
	part=$cache/initramfs/$(package_key)
	if [ -f "$part.cpio.gz" ] && [ -f "$part.list" ]; then
		say "packages: ${pkgs[*]} (cached, $(du -k "$part.cpio.gz" | cut -f1) KiB)"
	else
		pkgroot=$(mktemp -d)
		trap 'rm -rf "$root" "$pkgroot"' EXIT
		gp=("$(dirname "$0")/guest-packages.sh" --tag "$tag")
		[ $quiet = 1 ] && gp+=(-q)
		"${gp[@]}" "$pkgroot" "${pkgs[@]}" busybox
		mv "$pkgroot/bin/busybox" "$pkgroot/bin/sh"
		/bin/busybox --list-full | while read -r a; do
			[ -e "$pkgroot/$a" ] || [ -L "$pkgroot/$a" ] && continue
			for d in usr/sbin usr/bin sbin bin; do
				if [ -f "$pkgroot/$d/${a##*/}" ]; then
					mkdir -p "$pkgroot/${a%/*}"
					ln -s "/$d/${a##*/}" "$pkgroot/$a"
					break
				fi
			done
		done
		mkdir -p "$cache/initramfs"
		(cd "$pkgroot" && find . > "$part.list.$$" &&
		 cpio -o -H newc --quiet < "$part.list.$$" | gzip -1) > "$part.cpio.gz.$$"
		mv -f "$part.cpio.gz.$$" "$part.cpio.gz"
		mv -f "$part.list.$$" "$part.list"
		rm -rf "$pkgroot"
	fi
	pkgpart=$part.cpio.gz pkglist=$part.list
fi

# Host programs, and the shared libraries they need (a package's copy of
# a library, from the same release, stays).
for b in "${bins[@]}"; do
	mkdir -p "$root$(dirname "$b")"
	cp -L "$b" "$root$b"
	{ ldd "$b" 2>/dev/null || true; } |
		awk '/=> \//{print $3} /^\t\/lib64/{print $1}' | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		grep -qxF ".$lib" "$pkglist" || cp -L "$lib" "$root$lib"
	done
done

[ -n "$script" ] && install -m 0755 "$script" "$root/guest-cmd"
cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
for m in \$(cat /etc/modules.order); do
	insmod /lib/modules/\$m.ko || echo "DEVCALL-INIT: insmod \$m failed"
done
i=0
# Renamed nodes (guest-name) are not under /dev/devcall: sysfs has them all.
nodes() { [ -d /dev/devcall ] || [ -n "\$(ls /sys/class/devcall 2>/dev/null)" ]; }
while ! nodes && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
nodes || echo "DEVCALL-INIT: no /dev/devcall nodes"
if [ $shell = 1 ]; then
	setsid cttyhack sh
	rc=0
elif [ -x /guest-cmd ]; then
	echo "DEVCALL-READY"
	/guest-cmd
	rc=\$?
else
	rc=127
fi
echo "DEVCALL-EXIT: \$rc"
poweroff -f
INIT
chmod 0755 "$root/init"
{ [ -z "$pkgpart" ] || cat "$pkgpart"
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1); } > "$out"
