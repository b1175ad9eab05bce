#!/bin/bash
# 32-bit processes: the same static program built 64-bit and -m32 runs in
# one guest on the same forwarded nodes (guest/dccompat.c): SG_IO INQUIRY
# (plain and through an iovec) and READ CAPACITY on the emulated drive,
# TCGETS/TCSETS* and the window size on a pty master (/dev/ptmx), the
# block size ioctls on a zram disk exported as a node (guest-type=char:
# the host converts them), and the SG_IO ones again on an emulated drive
# made a guest disk (guest-type=block: devcall_blk's compat_ioctl). The
# 32-bit run must print what the 64-bit one does: its ioctls take the
# compat path (the frontends' compat_ioctl, the host's 32-bit layouts and
# conversion).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/compat32
vm=$top/vmm-glue/devcall-vm
t64=${DCCOMPAT:-$build/guest-tools/dccompat}
t32=${DCCOMPAT32:-$build/guest-tools/dccompat32}
mkdir -p "$out"
zram=
. "$top/tests/e2e/lib.sh"

cleanup() {
	[ -n "$zram" ] && echo "$zram" > /sys/class/zram-control/hot_remove 2>/dev/null
}
trap cleanup EXIT
finish() { echo "compat32: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }
for t in "$t64" "$t32"; do
	[ -x "$t" ] || { result tools fail "no $t: run 'make e2e'"; finish; }
done

zram=$(cat /sys/class/zram-control/hot_add) && echo 64M > "/sys/block/zram$zram/disksize" ||
	{ result zram fail "cannot create a zram disk"; finish; }
disk=/dev/zram$zram
: > "$out/disc.img"		# a blank disc
: > "$out/disc2.img"		# another, the guest's disk

g='for a in 64 32; do for c in "sg sg /dev/devcall/cdrw" "tty tty /dev/devcall/ptmx" "blk blk /dev/devcall/disk" "sgdisk sg /dev/devcall/cddisk"; do
	set -- $c; n=$1; shift
	/dccompat$a "$@" > /tmp/$a-$n.txt 2>&1; echo "RC $n $?" >> /tmp/$a-$n.txt
done; done
[ -b /dev/devcall/cddisk ] && echo "TYPE cddisk block"
[ -c /dev/devcall/disk ] && echo "TYPE disk char"
for f in /tmp/64-*.txt /tmp/32-*.txt; do echo "== $f"; cat "$f"; done; echo DONE'
rm -f "$out/console.log"
"$vm" --name e2e-compat32 --timeout 240 \
	--plugin "$build/examples/devcall-emudrive.so" \
	--export "cdrw=$out/disc.img,backend=emudrive,options=media=cdrw,scsi=passthrough" \
	--export "cddisk=$out/disc2.img,backend=emudrive,options=media=cdrw,scsi=passthrough,guest-type=block" \
	--export ptmx=/dev/ptmx --export "disk=$disk,guest-type=char" \
	--file "$t64:/dccompat64" --file "$t32:/dccompat32" \
	--log "$out/console.log" --daemon-log "$out/devcalld.log" \
	-- sh -c "$g" > "$out/guest.out" 2>&1
tr -d '\r' < "$out/guest.out" > "$out/guest.txt"
section() {	# section ABI CHECK: that run's lines
	awk -v h="== /tmp/$1-$2.txt" '/^== /{ on = ($0 == h); next } /^DONE/{ on = 0 } on' "$out/guest.txt"
}
for c in sg tty blk sgdisk; do
	section 64 $c | grep -v '^ABI \|^ALT ' > "$out/64-$c.txt"
	section 32 $c | grep -v '^ABI \|^ALT ' > "$out/32-$c.txt"
	result "abi-32-ran-$c" "$(section 32 $c | grep -q '^ABI 32-bit' && echo ok || echo fail)"
	result "same-results-$c" "$([ -s "$out/64-$c.txt" ] && cmp -s "$out/64-$c.txt" "$out/32-$c.txt" && echo ok || echo fail)" \
		"$(diff "$out/64-$c.txt" "$out/32-$c.txt" | head -4 | tr '\n' ' ')"
done
l64() { grep -m1 "^$1" "$out/64-$2.txt"; }
result sg-inquiry-vendor "$(l64 'INQUIRY vendor=' sg | grep -q "vendor='DEVCALL '" && l64 'INQUIRY rc=' sg | grep -q 'rc=0 .*status=0 .*usr_ptr=same' && echo ok || echo fail)" \
	"$(l64 'INQUIRY vendor=' sg)"
result sg-inquiry-iovec "$(l64 'INQUIRY-IOV vendor=' sg | grep -q "vendor='DEVCALL '" && echo ok || echo fail)"
result sgdisk-is-a-guest-disk "$(grep -q '^TYPE cddisk block' "$out/guest.txt" && echo ok || echo fail)"
result zram-is-a-node "$(grep -q '^TYPE disk char' "$out/guest.txt" && echo ok || echo fail)"
result sgdisk-inquiry-vendor "$(l64 'INQUIRY vendor=' sgdisk | grep -q "vendor='DEVCALL '" && l64 'INQUIRY rc=' sgdisk | grep -q 'rc=0 .*status=0 .*usr_ptr=same' && echo ok || echo fail)" \
	"$(l64 'INQUIRY vendor=' sgdisk)"
result sg-read-capacity-answered "$(l64 'READ-CAPACITY rc=0' sg | grep -q 'usr_ptr=same' && echo ok || echo fail)" \
	"$(l64 'READ-CAPACITY data=' sg)"
result tty-tcsets-round-trip "$(l64 'TCGETS-AFTER rc=0' tty | grep -q 'cc=' && ! grep -q 'rc=-1' "$out/64-tty.txt" && echo ok || echo fail)"
result tty-winsize "$(l64 'TIOCGWINSZ' tty | grep -q 'rc=0 rows=33 cols=101 x=7 y=9' && echo ok || echo fail)"
result blk-size64 "$(l64 'BLKGETSIZE64' blk | grep -q 'rc=0 errno=0 value=67108864 guard=intact' && echo ok || echo fail)"
result blk-sszget "$(l64 'BLKSSZGET' blk | grep -q 'rc=0 errno=0 value=4096 guard=intact\|rc=0 errno=0 value=512 guard=intact' && echo ok || echo fail)" \
	"$(l64 'BLKSSZGET' blk)"
result blk-getsize-long "$(l64 'BLKGETSIZE ' blk | grep -q 'value=131072 guard=intact' && echo ok || echo fail)"
alt() { section 32 blk | grep "^ALT BLKGETSIZE64-$1 "; }
result blk-size64-32bit-number "$(alt 0x80041272 | grep -q 'rc=0 errno=0 value=67108864 guard=intact' && echo ok || echo fail)" "$(alt 0x80041272)"
result blk-size64-64bit-number "$(alt 0x80081272 | grep -q 'rc=0 errno=0 value=67108864 guard=intact' && echo ok || echo fail)" "$(alt 0x80081272)"
result no-refusals "$(! grep -q 'refused' "$out/devcalld.log" && echo ok || echo fail)" \
	"$(grep -m2 'refused' "$out/devcalld.log" | tr '\n' ' ')"
finish
