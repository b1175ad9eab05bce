#!/bin/bash
# SPDX-License-Identifier: MIT
# A/B of two builds of the guest modules on one TCG guest's data path:
# guests boot in turn, A's modules then B's, each running dcbench io on
# its devcall-blk disk (or char node) RUNS times; then the median and
# mean of every field per side. Numbers, not a test. As root (a zram
# disk of its own).
#
#   guest-ab.sh A_DIR [B_DIR]
#
# A_DIR and B_DIR are guest build dirs as devcall-vm's DEVCALL_GUEST_DIR
# takes them (guest/*.ko and guest-kernel.env); B defaults to $BUILD.
# Keep A with: mkdir -p A/guest && cp build/guest/*.ko A/guest &&
# cp build/guest-kernel.env A/. AB_ROUNDS boots per side (5), AB_RUNS
# runs per boot (3), AB_TYPE=char for the char node instead of the disk.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
a=$(cd "${1:?usage: guest-ab.sh A_DIR [B_DIR]}" && pwd)
b=$(cd "${2:-$build}" && pwd)
rounds=${AB_ROUNDS:-5}
runs=${AB_RUNS:-3}
dcbench=$build/guest-tools/dcbench
n= out=
cleanup() {
	[ -n "$n" ] && echo "$n" > /sys/class/zram-control/hot_remove 2>/dev/null
	[ -n "$out" ] && rm -f "$out"
	true
}
trap cleanup EXIT
for d in "$a" "$b"; do
	[ -f "$d/guest/devcall.ko" ] && [ -f "$d/guest-kernel.env" ] ||
		{ echo "guest-ab: no guest/devcall.ko or guest-kernel.env in $d" >&2; exit 1; }
done
n=$(cat /sys/class/zram-control/hot_add)
disk=/dev/zram$n
echo 256M > "/sys/block/zram$n/disksize"
dd if=/dev/zero of="$disk" bs=1M count=256 oflag=direct status=none
export_arg="dblk=$disk"
[ "${AB_TYPE:-}" = char ] && export_arg+=",guest-type=char"

cmd='i=0; while [ ! -e /dev/devcall/dblk ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done'
for ((k = 0; k < runs; k++)); do cmd+="; /dcbench io /dev/devcall/dblk 0 1"; done
out=$(mktemp)
# guest-kernel.env's paths are relative to the tree it was made in.
cd "$top"
for ((r = 0; r < rounds; r++)); do
	for side in A B; do
		[ $side = A ] && dir=$a || dir=$b
		DEVCALL_GUEST_DIR=$dir "$top/vmm-glue/devcall-vm" -q --name "ab$side" \
			--export "$export_arg" --file "$dcbench:/dcbench" \
			-- sh -c "$cmd" | sed -n "s/^BENCH /$side /p" >> "$out"
	done
done
echo "guest-ab: A=$a B=$b, $rounds boots x $runs runs per side"
awk '{for (i = 2; i <= NF; i++) if (split($i, kv, "=") == 2) print $1, kv[1], kv[2]}' "$out" |
	sort -k1,1 -k2,2 -k3,3g |
	awk '{k = $1 " " $2; n[k]++; v[k, n[k]] = $3; s[k] += $3}
	     END {for (k in n) printf "%-20s n=%-3d median=%-9.1f mean=%.1f\n",
		  k, n[k], v[k, int((n[k] + 1) / 2)], s[k] / n[k]}' | sort
