#!/bin/bash
# devcall demo: a guest uses host devices through devcall, and the host
# checks what the guest did. Run as root: `make demo`.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
n=
work=$(mktemp -d)
cleanup() {
	[ -n "$n" ] && echo "$n" > /sys/class/zram-control/hot_remove 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

n=$(cat /sys/class/zram-control/hot_add)
disk=/dev/zram$n
echo 64M > /sys/block/zram$n/disksize
printf 'devcall demo: hello from the host' | dd of="$disk" conv=notrunc status=none

# An ISO to burn, and a blank disc in the emulated CD-RW drive.
mkdir -p "$work/iso"
echo "burned from a guest through devcall on $(date -u)" > "$work/iso/README"
head -c 400000 /dev/urandom > "$work/iso/random.bin"
genisoimage -quiet -R -J -o "$work/demo.iso" "$work/iso"
: > "$work/disc.img"

echo "host: exporting $disk (64 MiB RAM disk), /dev/urandom, /dev/null, and an"
echo "host: emulated CD-RW drive (plugin backend, disc image $work/disc.img)"
out=$work/out
"$top/vmm-glue/devcall-vm" --name demo --timeout 300 \
	--export "ramdisk=$disk,guest-type=char" --export urandom=/dev/urandom --export null=/dev/null \
	--plugin "$build/examples/devcall-emudrive.so" \
	--export "cdrw=$work/disc.img,backend=emudrive,options=media=cdrw,exclusive,scsi=passthrough" \
	--package wodim --file "$work/demo.iso:/demo.iso" \
	--file "$build/guest-tools/dcprobe:/dcprobe" \
	--script "$top/examples/demo-guest.sh" | tee "$out"

want=$(sed -n 's/.*offset 1 MiB, md5 //p' "$out")
got=$(dd if="$disk" bs=65536 skip=16 count=16 status=none | md5sum | cut -d' ' -f1)
msg=$(dd if="$disk" bs=512 skip=8 count=1 status=none | tr -d '\0' | head -n 1)
size=$(sed -n 's/.*BLKGETSIZE64 of the host RAM disk: \([0-9]*\).*/\1/p' "$out")
echo
echo "host report:"
ok=1
check() { if [ "$2" = "$3" ]; then echo "  ok    $1"; else echo "  FAIL  $1 (guest: $2, host: $3)"; ok=0; fi; }
check "guest's 1 MiB write (md5)" "$want" "$got"
check "guest's message" "written by the guest through devcall" "$msg"
check "device size seen by the guest" "$size" "$(blockdev --getsize64 "$disk")"
iso_md5=$(md5sum < "$work/demo.iso" | cut -d' ' -f1)
disc_md5=$(head -c "$(stat -c %s "$work/demo.iso")" "$work/disc.img" | md5sum | cut -d' ' -f1)
check "ISO burned by wodim, on the host's disc image (md5)" "$iso_md5" "$disc_md5"
[ $ok = 1 ] && echo "host: everything the guest wrote is on the host devices." || exit 1
