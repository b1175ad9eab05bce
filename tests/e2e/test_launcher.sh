#!/bin/bash
# The launcher: --package brings a package's whole apt dependency closure
# into the guest (cdrskin and xorriso need libburn, which the host does not
# have), progress lines and -q, and the errors for a bogus package and a
# missing library. Two guests; the rest needs no boot.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/launcher
vm=$top/vmm-glue/devcall-vm
gp=$top/scripts/guest-packages.sh
cache=${DEVCALL_CACHE:-/var/cache/devcall}
rm -rf "$out"
mkdir -p "$out"
# Package trees outside the build directory: the Makefile reads every
# "*.d" under it as dependencies, and a tree has /etc/ld.so.conf.d.
trees=$(mktemp -d)
trap 'rm -rf "$trees"' EXIT
. "$top/tests/e2e/lib.sh"

installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'ok installed$'; }

# A package the host does not have, and a command that uses the drive.
extra= extra_cmd=
for c in "sg3-utils:sg_inq /dev/sg0" "lsscsi:lsscsi --version" "hdparm:hdparm -V"; do
	installed "${c%%:*}" && continue
	extra=${c%%:*} extra_cmd=${c#*:}
	break
done
result host-lacks-a-test-package "$([ -n "$extra" ] && echo ok || echo fail)" "$extra"

# The emulated CD-RW drive as sg0 (sg's major 21), where libburn looks.
: > "$out/disc.img"
drive="cdrw=$out/disc.img,backend=emudrive,options=media=cdrw,exclusive,scsi=passthrough,guest-name=sg0,guest-devnum=21:0"
boot() {	# boot NAME [OPTION...] -- COMMAND: stdout, stderr and status kept
	local name=$1
	shift
	"$vm" --name "la-$name" --timeout 400 \
		--plugin "$build/examples/devcall-emudrive.so" --export "$drive" \
		--log "$out/$name-console.log" --daemon-log "$out/$name-devcalld.log" \
		"$@" > "$out/$name.out" 2> "$out/$name.err"
	echo $? > "$out/$name.rc"
}
has() { grep -q -- "$2" "$out/$1"; }

# The first guest builds its package part of the initramfs afresh (a
# cache of its own that shares the .debs and resolutions), so every step
# shows; the second one uses the shared cache.
pcache=$trees/pcache
mkdir -p "$pcache" "$cache/debs" "$cache/apt" "$cache/resolved"
ln -s "$cache/debs" "$pcache/debs"
ln -s "$cache/apt" "$pcache/apt"
ln -s "$cache/resolved" "$pcache/resolved"
DEVCALL_CACHE=$pcache boot pkgs --package xorriso --package cdrskin --package "$extra" --package e2fsprogs -- sh -c "
	echo CDRSKIN_PATH=\$(command -v cdrskin); echo XORRISO_PATH=\$(command -v xorriso)
	echo MKE2FS_PATH=\$(command -v mke2fs); mke2fs -V 2>&1 | head -n 1
	cdrskin --version; echo VERSION=\$?
	xorriso -version; echo XVERSION=\$?
	cdrskin --devices; echo DEVICES=\$?
	cdrskin -scanbus; echo SCANBUS=\$?
	cdrskin dev=/dev/sg0 -checkdrive; echo CHECKDRIVE=\$?
	$extra_cmd; echo EXTRA=\$?"
st() { sed -n "s/^$1=//p" "$out/pkgs.out" | tr -d '\r'; }
result guest-ran "$([ "$(cat "$out/pkgs.rc")" = 0 ] && echo ok || echo fail)" "status $(cat "$out/pkgs.rc")"
result package-commands-on-path "$([ "$(st CDRSKIN_PATH)" = /usr/bin/cdrskin ] && [ "$(st XORRISO_PATH)" = /usr/bin/xorriso ] && echo ok || echo fail)"
# busybox has a mke2fs applet too: the package's must win.
result package-beats-applet "$([ "$(st MKE2FS_PATH)" = /sbin/mke2fs ] && has pkgs.out '^mke2fs 1\.[0-9]' && echo ok || echo fail)" "$(st MKE2FS_PATH)"
result cdrskin-version "$([ "$(st VERSION)" = 0 ] && has pkgs.out 'cdrskin 1\.[0-9.]* : limited cdrecord compatibility wrapper for libburn' && echo ok || echo fail)"
result xorriso-version "$([ "$(st XVERSION)" = 0 ] && has pkgs.out '^xorriso [0-9][0-9.]*' && ! has pkgs.out 'cannot open shared object' && echo ok || echo fail)"
result cdrskin-devices-scans "$([ "$(st DEVICES)" = 0 ] && has pkgs.out 'scanning for devices done' && has pkgs.out 'Overview of accessible drives' && echo ok || echo fail)" \
	"$(grep -o 'accessible drives ([0-9]* found)' "$out/pkgs.out")"
result cdrskin-scanbus "$([ "$(st SCANBUS)" = 0 ] && has pkgs.out 'Using libburn version' && echo ok || echo fail)"
result cdrskin-checkdrive-emudrive "$([ "$(st CHECKDRIVE)" = 0 ] && has pkgs.out "Vendor_info    : 'DEVCALL'" && echo ok || echo fail)"
result not-on-host-package-runs "$([ "$(st EXTRA)" = 0 ] && echo ok || echo fail)" "$extra: $extra_cmd"
# The progress lines, in order.
want=("building initramfs" "resolving packages: xorriso cdrskin $extra e2fsprogs"
      "downloading [0-9]* .debs (cached [0-9]*)" "unpacking [0-9]* packages"
      "starting devcalld" "booting guest (\(TCG\|KVM\))" "guest ready after [0-9.]*s")
at=0 ok=ok
for w in "${want[@]}"; do
	n=$(grep -n "^devcall-vm: $w" "$out/pkgs.err" | head -n 1 | cut -d: -f1)
	if [ -z "$n" ] || [ "$n" -le "$at" ]; then ok=fail; echo "  missing or out of order: $w"; break; fi
	at=$n
done
result progress-lines "$ok" "$(grep -c '^devcall-vm: ' "$out/pkgs.err") lines"

# Built once, the package part of the initramfs is reused as it is.
eval "$(sed 's/^/k_/' "$build/guest-kernel.env")"
case $k_MODDIR in /*) ;; *) k_MODDIR=$top/$k_MODDIR ;; esac
DEVCALL_CACHE=$pcache "$top/scripts/mkinitramfs.sh" -o "$trees/initrd.gz" \
	-m "$k_MODDIR" -p xorriso -p cdrskin -p "$extra" -p e2fsprogs --tag t \
	2> "$out/part.err"
result package-part-reused "$(grep -q "^t: packages: xorriso cdrskin $extra e2fsprogs (cached, [0-9]* KiB)$" "$out/part.err" &&
	! grep -q unpacking "$out/part.err" && echo ok || echo fail)" "$(cat "$out/part.err")"

# -q: the same steps without a word.
boot quiet -q --package cdrskin -- cdrskin --version
result quiet-boots "$([ "$(cat "$out/quiet.rc")" = 0 ] && has quiet.out 'limited cdrecord compatibility' && echo ok || echo fail)"
result quiet-is-silent "$([ ! -s "$out/quiet.err" ] && echo ok || echo fail)" "$(wc -l < "$out/quiet.err") stderr lines"

# A second resolution of the same packages comes from the cache: no
# download, no apt solve (the first may solve: the set is new after a
# change to the script or the apt lists).
for run in first again; do
	rm -rf "$trees/root" && mkdir -p "$trees/root"
	DEVCALL_CACHE=$cache "$gp" --tag t "$trees/root" xorriso cdrskin "$extra" 2> "$out/$run.err"
done
result cache-reused "$(grep -q '^t: resolving packages: .* (cached)$' "$out/again.err" &&
	grep -q '^t: downloading 0 .debs (cached [1-9][0-9]*)$' "$out/again.err" && echo ok || echo fail)" \
	"$(grep downloading "$out/again.err")"
result cache-holds-libburn "$(ls "$cache"/debs/libburn4_*.deb >/dev/null 2>&1 && echo ok || echo fail)"

# A bogus name fails before anything starts, naming the package.
bogus=devcall-no-such-package
boot bogus --package "$bogus" -- true
result bogus-package-fails "$([ "$(cat "$out/bogus.rc")" = 125 ] && ! has bogus.err 'starting devcalld' && echo ok || echo fail)" \
	"status $(cat "$out/bogus.rc")"
result bogus-package-named "$(has bogus.err "Unable to locate package $bogus" && echo ok || echo fail)" \
	"$(grep -m 1 "Unable" "$out/bogus.err")"

# A closure that lacks a library fails the check, naming it: a private
# cache whose stored resolution has lost libburn4.
priv=$trees/cache
mkdir -p "$priv/resolved" "$trees/root2"
ln -s "$cache/debs" "$priv/debs"
cp "$cache"/resolved/* "$priv/resolved/" 2>/dev/null
DEVCALL_CACHE=$priv "$gp" -q "$trees/root2" xorriso 2>/dev/null
sed -i '/^libburn4 /d' "$priv"/resolved/*
rm -rf "$trees/root2" && mkdir -p "$trees/root2"
DEVCALL_CACHE=$priv "$gp" -q --tag t "$trees/root2" xorriso 2> "$out/missing.err"
rc=$?
result missing-library-fails "$([ $rc != 0 ] && grep -q '^t: xorriso: .*libisoburn.so.1 needs libburn.so.4, which no package in the initramfs provides$' "$out/missing.err" && echo ok || echo fail)" \
	"$(head -n 1 "$out/missing.err")"

echo "launcher: $pass passed, $fail failed"
[ "$fail" = 0 ]
