#!/bin/bash
# SPDX-License-Identifier: MIT
# The fake-guest rows of `make bench` alone (no TCG, about 40 s): daemon CPU
# and context switches per call at one call in flight, then calls/s and p99
# for 1 VM x 1, 1 VM x 16 and 8 VMs x 16 in flight. As root (a zram disk).
# BENCH_SECONDS per row (4); BENCH_KICK=always: the fake driver rings on
# every submission instead of following VRING_USED_F_NO_NOTIFY;
# BENCH_POLL_US=N: the VMs' poll-us (adaptive ring polling, default off).
#
# fake-rows.sh VMS DEPTH: that one row, benchhost's lines as they are
# (examples/bench.sh), on BENCH_DISK if set (else a zram disk of its own),
# the daemon's log in BENCH_DAEMON_LOG if set.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
secs=${BENCH_SECONDS:-4}
n= dir= daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	[ -n "$dir" ] && rm -rf "$dir"
	[ -n "$n" ] && echo "$n" > /sys/class/zram-control/hot_remove 2>/dev/null
	true
}
trap cleanup EXIT
disk=${BENCH_DISK:-}
if [ -z "$disk" ]; then
	n=$(cat /sys/class/zram-control/hot_add)
	disk=/dev/zram$n
	echo 64M > "/sys/block/zram$n/disksize"
	dd if=/dev/zero of="$disk" bs=1M count=64 oflag=direct status=none
fi

row() {	# row VMS DEPTH: benchhost load's lines
	dir=$(mktemp -d /dev/shm/devcall-fake.XXXXXX)
	mkdir -m 0700 "$dir/ram"
	{
		printf '[daemon]\nram-dir = %s/ram-default\n' "$dir"
		for i in $(seq 0 $(($1 - 1))); do
			printf '[vm v%d]\nmemory = %s/ram/v%d.ram\n' "$i" "$dir" "$i"
			printf 'poll-us = %d\n' "${BENCH_POLL_US:-0}"
			printf '[export v%d disk]\npath = %s\n' "$i" "$disk"
		done
	} > "$dir/vms.ini"
	"$build/vmm-glue/devcalld" --config "$dir/vms.ini" --run-dir "$dir/run" \
		--pidfile "$dir/pid" > "${BENCH_DAEMON_LOG:-$dir/log}" 2>&1 &
	daemon=$!
	for _ in $(seq 100); do [ -s "$dir/pid" ] && break; sleep 0.05; done
	"$build/examples/benchhost" load "$dir" "$daemon" "$1" "$2" "$secs" "$disk"
	kill "$daemon"; wait "$daemon" 2>/dev/null || true
	daemon=
	rm -rf "$dir"
	dir=
}
if [ $# = 2 ]; then
	row "$1" "$2"
	exit
fi
for r in "1 1" "1 16" "8 16"; do
	set -- $r
	row "$1" "$2" | grep -E '^(CPU|SCALE)' | sed "s/^/$1x$2 /"
done
