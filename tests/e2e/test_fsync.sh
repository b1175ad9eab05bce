#!/bin/bash
# fsync, fdatasync, O_DIRECT, O_SYNC and O_DSYNC on forwarded nodes, in a
# real guest (guest/fsync.sh): busybox dd conv=fsync and oflag/iflag=direct
# on a zram disk and a loop device, the bytes checked on the host; the
# daemon's descriptor holds the guest's O_DIRECT and O_DSYNC; a guest
# fdatasync reaches the host block layer as a flush; /dev/null answers
# fsync and O_DIRECT with the host's EINVAL.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/fsync
vm=$top/vmm-glue/devcall-vm
dcprobe=${DCPROBE:-$build/guest-tools/dcprobe}
mkdir -p "$out"
zram= loop= vmpid=
. "$top/tests/e2e/lib.sh"

cleanup() {
	[ -n "$vmpid" ] && kill "$vmpid" 2>/dev/null
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	[ -n "$zram" ] && echo "$zram" > /sys/class/zram-control/hot_remove 2>/dev/null
	rm -f "$out/loop.img"
}
trap cleanup EXIT
finish() { echo "fsync: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }
[ -x "$dcprobe" ] || { result dcprobe fail "no $dcprobe: run 'make e2e'"; finish; }

zram=$(cat /sys/class/zram-control/hot_add) && echo 64M > "/sys/block/zram$zram/disksize" ||
	{ result zram fail "cannot create a zram disk"; finish; }
disk=/dev/zram$zram
truncate -s 64M "$out/loop.img"
loop=$(losetup -f --show "$out/loop.img") || { result losetup fail; finish; }
lname=$(basename "$loop")
flushes() { awk '{ print $16 }' "/sys/block/$lname/stat"; }

rm -f "$out/console.log"
"$vm" --name e2e-fsync --timeout 240 \
	--export "disk=$disk,guest-type=char" --export "loop=$loop,guest-type=char" --export null=/dev/null \
	--file "$dcprobe:/dcprobe" --script "$top/tests/e2e/guest/fsync.sh" \
	--log "$out/console.log" --daemon-log "$out/devcalld.log" \
	> "$out/guest.out" 2>&1 &
vmpid=$!

# While the guest holds loop open with O_DIRECT|O_DSYNC: the daemon's fd.
flags=
if wait_for "$out/console.log" '^HOLDING' 200; then
	d=$(pgrep -f -- "--vm e2e-fsync," | head -1)
	for fd in /proc/$d/fd/*; do
		[ "$(readlink "$fd")" = "$loop" ] || continue
		flags=$(awk '/^flags:/ { print $2 }' "/proc/$d/fdinfo/${fd##*/}")
	done
fi
result host-fd-odirect-odsync \
	"$([ -n "$flags" ] && (( (8#$flags & 8#50000) == 8#50000 )) && echo ok || echo fail)" \
	"flags ${flags:-none}"

# Between the markers the guest only runs fdatasync on loop.
before= after=
wait_for "$out/console.log" '^FLUSH-BEFORE' 60 && sleep 1 && before=$(flushes)
wait_for "$out/console.log" '^FLUSH-AFTER' 60 && after=$(flushes)
result fdatasync-flushes-host-disk \
	"$([ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ] && echo ok || echo fail)" \
	"flushes $before -> $after"

wait "$vmpid"
rc=$?
vmpid=
result guest-ran "$([ $rc = 0 ] && echo ok || echo fail)" "status $rc"
while read -r _ name verdict detail; do
	result "$name" "$verdict" "$detail"
done < <(grep '^CHECK ' "$out/guest.out" | tr -d '\r')
for name in fdatasync-loop conv-fsync-zram conv-fsync-loop fsync-zram fsync-loop \
	    fsync-null-einval fdatasync-null-einval odirect-null-einval \
	    direct-write-disk-512 direct-read-disk-512 direct-write-disk-4096 \
	    direct-read-disk-4096 direct-write-disk-1M direct-read-disk-1M \
	    direct-write-loop-512 direct-read-loop-512 direct-write-loop-4096 \
	    direct-read-loop-4096 direct-write-loop-1M direct-read-loop-1M \
	    oflag-dsync oflag-sync oflag-direct-dsync oflag-direct-zram \
	    direct-misaligned-einval; do
	grep -q "^CHECK $name " "$out/guest.out" || result "$name" fail "did not run"
done

# The bytes the guest wrote, as the host reads them.
md5_1m=$(sed -n 's/^VALUE md5-1m //p' "$out/guest.out" | tr -d '\r')
md5_4m=$(sed -n 's/^VALUE md5-4m //p' "$out/guest.out" | tr -d '\r')
host_md5() { dd if="$1" bs=1M skip="$2" count="$3" status=none | md5sum | cut -d' ' -f1; }
for spec in "disk 8 1" "disk 16 1" "disk 24 4" "disk 32 4" "loop 8 1" "loop 16 1" \
	    "loop 24 4" "loop 32 4" "loop 40 4" "loop 48 4"; do
	set -- $spec
	dev=$disk; [ "$1" = loop ] && dev=$loop
	want=$md5_1m; [ "$3" = 4 ] && want=$md5_4m
	got=$(host_md5 "$dev" "$2" "$3")
	result "host-data-$1-mib$2" "$([ -n "$want" ] && [ "$got" = "$want" ] && echo ok || echo fail)" \
		"guest $want host $got"
done
finish
