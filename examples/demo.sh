#!/bin/bash
# devcall demo: a guest uses host devices through devcall, and the host
# checks what the guest did. Run as root: `make demo`.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
n=
cleanup() { [ -n "$n" ] && echo "$n" > /sys/class/zram-control/hot_remove 2>/dev/null || true; }
trap cleanup EXIT

n=$(cat /sys/class/zram-control/hot_add)
disk=/dev/zram$n
echo 64M > /sys/block/zram$n/disksize
printf 'devcall demo: hello from the host' | dd of="$disk" conv=notrunc status=none

echo "host: exporting $disk (64 MiB RAM disk), /dev/urandom and /dev/null"
out=$(mktemp)
"$top/vmm-glue/devcall-vm" --name demo --timeout 180 \
	--export "ramdisk=$disk" --export urandom=/dev/urandom --export null=/dev/null \
	--file "$build/guest-tools/dcprobe:/dcprobe" \
	--script "$top/examples/demo-guest.sh" | tee "$out"

want=$(sed -n 's/.*offset 1 MiB, md5 //p' "$out")
got=$(dd if="$disk" bs=65536 skip=16 count=16 status=none | md5sum | cut -d' ' -f1)
msg=$(dd if="$disk" bs=512 skip=8 count=1 status=none | tr -d '\0' | head -n 1)
size=$(sed -n 's/.*BLKGETSIZE64 of the host RAM disk: \([0-9]*\).*/\1/p' "$out")
rm -f "$out"
echo
echo "host report:"
ok=1
check() { if [ "$2" = "$3" ]; then echo "  ok    $1"; else echo "  FAIL  $1 (guest: $2, host: $3)"; ok=0; fi; }
check "guest's 1 MiB write (md5)" "$want" "$got"
check "guest's message" "written by the guest through devcall" "$msg"
check "device size seen by the guest" "$size" "$(blockdev --getsize64 "$disk")"
[ $ok = 1 ] && echo "host: everything the guest wrote is on the host device." || exit 1
