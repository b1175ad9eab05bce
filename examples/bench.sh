#!/bin/bash
# devcall bench: 1 MiB sequential write/read throughput and 4 KiB read
# latency on one host zram disk, three ways: host-native, from a guest
# through devcall, and from the same guest through a virtio-blk drive on
# the same disk. Not a test: numbers only. Run as root: `make bench`.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
probe=$build/guest-tools/dcprobe
n=
cleanup() { [ -n "$n" ] && echo "$n" > /sys/class/zram-control/hot_remove 2>/dev/null || true; }
trap cleanup EXIT

n=$(cat /sys/class/zram-control/hot_add)
disk=/dev/zram$n
echo 128M > /sys/block/zram$n/disksize
dd if=/dev/zero of="$disk" bs=1M count=128 status=none

accel=$("$top/vmm-glue/devcall-vm" --print-accel)
host=$("$probe" bench "$disk" 0)
out=$("$top/vmm-glue/devcall-vm" --name bench --timeout 600 \
	--export "disk=$disk,guest-type=char" --module virtio_blk --module virtio_pci \
	--qemu-arg -drive --qemu-arg "file=$disk,format=raw,if=virtio,cache=none,aio=threads" \
	--file "$probe:/dcprobe" \
	-- sh -c 'i=0; while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
		  echo "devcall $(/dcprobe bench /dev/devcall/disk 32)"
		  echo "virtio-blk $(/dcprobe bench /dev/vda 64)"')
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
row() {	# row NAME LINE
	printf '%-12s %-9s %12s %12s %14s\n' "$1" "$(echo "$2" | sed -n 's/.*BENCH \([^ ]*\).*/\1/p')" \
		"$(echo "$2" | field write_MBps)" "$(echo "$2" | field read_MBps)" \
		"$(echo "$2" | field read4k_us)"
}
echo "devcall bench: 128 MiB zram disk, 32 MiB per run, guest accelerator: $accel"
printf '%-12s %-9s %12s %12s %14s\n' path mode "write MB/s" "read MB/s" "4 KiB read us"
row host-native "$host"
row devcall "$(echo "$out" | grep '^devcall BENCH')"
row virtio-blk "$(echo "$out" | grep '^virtio-blk BENCH')"
