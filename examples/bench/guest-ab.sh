#!/bin/bash
# SPDX-License-Identifier: MIT
# A/B of two builds of the guest modules on one TCG guest's data path:
# in each guest, the two builds' modules take turns (unloaded, the other
# loaded: one guest's RAM placement and warm-up fall on both), each
# running dcbench io once on its devcall-blk disk (or char node), AB_RUNS
# times per build, the side that starts swapping each boot; then the
# median and mean of every field per side. Numbers, not a test. As root
# (a zram disk of its own).
#
#   guest-ab.sh A_DIR [B_DIR]
#
# A_DIR and B_DIR hold guest/*.ko as `make guest-modules` leaves them in
# build (B defaults to $BUILD). Keep A with: mkdir -p A/guest && cp
# build/guest/*.ko A/guest. AB_ROUNDS guests (5), AB_RUNS runs per side
# in each (3), AB_TYPE=char for the char node instead of the disk.
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
mods="devcall_ivshmem devcall devcall_frontend devcall_blk"
files=()
for side in A B; do
	[ $side = A ] && d=$a || d=$b
	for m in $mods; do
		[ -f "$d/guest/$m.ko" ] ||
			{ echo "guest-ab: no $d/guest/$m.ko" >&2; exit 1; }
		files+=(--file "$d/guest/$m.ko:/$side/$m.ko")
	done
done
n=$(cat /sys/class/zram-control/hot_add)
disk=/dev/zram$n
echo 256M > "/sys/block/zram$n/disksize"
dd if=/dev/zero of="$disk" bs=1M count=256 oflag=direct status=none
export_arg="dblk=$disk"
[ "${AB_TYPE:-}" = char ] && export_arg+=",guest-type=char"

# load SIDE: the devcall modules of SIDE only, its disk (or node) there.
cmd="load() { rmmod $(echo $mods | tr ' ' '\n' | tac | tr '\n' ' ') 2>/dev/null
	for m in $mods; do insmod /\$1/\$m.ko || exit 1; done
	i=0; while [ ! -e /dev/devcall/dblk ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i+1)); done; }"
out=$(mktemp)
for ((r = 0; r < rounds; r++)); do
	script=$cmd
	for ((k = 0; k < runs; k++)); do
		for side in A B; do
			# The side that goes first swaps every guest.
			[ $((r % 2)) = 1 ] && { [ $side = A ] && side=B || side=A; }
			script+="
load $side; /dcbench io /dev/devcall/dblk 0 1 | sed 's/^BENCH /$side /'"
		done
	done
	"$top/vmm-glue/devcall-vm" -q --name ab --export "$export_arg" \
		"${files[@]}" --file "$dcbench:/dcbench" \
		-- sh -c "$script" | grep -E '^[AB] ' >> "$out"
done
echo "guest-ab: A=$a B=$b, $rounds boots x $runs runs per side"
awk '{for (i = 2; i <= NF; i++) if (split($i, kv, "=") == 2) print $1, kv[1], kv[2]}' "$out" |
	sort -k1,1 -k2,2 -k3,3g |
	awk '{k = $1 " " $2; n[k]++; v[k, n[k]] = $3; s[k] += $3}
	     END {for (k in n) printf "%-20s n=%-3d median=%-9.1f mean=%.1f\n",
		  k, n[k], v[k, int((n[k] + 1) / 2)], s[k] / n[k]}' | sort
