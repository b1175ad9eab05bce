#!/bin/bash
# End-to-end tests: real Debian guests (QEMU; KVM where it works, TCG
# otherwise) using host devices through devcall. Prints one line per check
# and closes with "N passed, N failed". Logs stay in build/e2e/.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e
vm=$top/vmm-glue/devcall-vm
mkdir -p "$out"
pass=0 fail=0 zram=() loops=() daemon=

result() {	# result NAME ok|fail [DETAIL]
	if [ "$2" = ok ]; then
		pass=$((pass + 1)); echo "ok   $1"
	else
		fail=$((fail + 1)); echo "FAIL $1 ${3:-}"
	fi
}

zram_add() {	# zram_add VAR SIZE: a new zram disk, its path in VAR
	local n
	n=$(cat /sys/class/zram-control/hot_add) || return 1
	zram+=("$n")
	echo "$2" > "/sys/block/zram$n/disksize" || return 1
	printf -v "$1" '/dev/zram%s' "$n"
}

cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	for n in "${zram[@]}"; do
		echo "$n" > /sys/class/zram-control/hot_remove 2>/dev/null
	done
}
trap cleanup EXIT

dcprobe=${DCPROBE:-$build/guest-tools/dcprobe}
[ -x "$dcprobe" ] || { echo "no $dcprobe: run 'make e2e'"; echo "0 passed, 1 failed"; exit 1; }

# ---- One guest, many checks on a zram disk and character devices. ----
zram_add disk 64M || { echo "cannot create a zram disk"; echo "0 passed, 1 failed"; exit 1; }
dd if=/dev/urandom of="$disk" bs=1M count=64 status=none
ro_md5=$(dd if="$disk" bs=4096 skip=$((48 * 256)) count=1 status=none | md5sum)
truncate -s 64M "$out/loop.img"
loop=$(losetup -f --show -P "$out/loop.img") || { echo "losetup failed"; echo "0 passed, 1 failed"; exit 1; }
loops+=("$loop")
"$vm" --name e2e-main --timeout 60 \
	--export "disk=$disk,guest-type=char" --export "ro=$disk,ro,guest-type=char" --export zero=/dev/zero \
	--export null=/dev/null --export urandom=/dev/urandom --export "loop=$loop,host-partitions=allow,guest-type=char" \
	--file "$dcprobe:/dcprobe" --script "$top/tests/e2e/guest/main.sh" \
	--log "$out/main-console.log" --daemon-log "$out/main-devcalld.log" \
	> "$out/main.out" 2>&1
rc=$?
result guest-boot-and-exit "$([ $rc = 0 ] && echo ok || echo fail)" "status $rc"
while read -r _ name verdict detail; do
	result "$name" "$verdict" "$detail"
done < <(grep '^CHECK ' "$out/main.out")
for name in pattern-write pattern-readback offsets short-read-at-end big-2mib \
	    eight-processes read-only-export dev-zero dev-null-write \
	    dev-null-read dev-urandom blkpg-bad-pointer-efault blkpg-add \
	    poll-fewer-interrupts frontend-unload-reload transport-unload; do
	grep -q "^CHECK $name " "$out/main.out" || result "$name" fail "did not run"
done
result transport-unload-closes-host-file \
	"$(grep -q "vm e2e-main: the guest's driver reset the device: closing its 1 open file(s)" "$out/main-devcalld.log" && echo ok || echo fail)"

guest_md5=$(sed -n 's/^VALUE pattern-md5 //p' "$out/main.out")
host_md5=$(dd if="$disk" bs=1M skip=32 count=4 status=none | md5sum | cut -d' ' -f1)
result pattern-host-sees-guest-data "$([ -n "$guest_md5" ] && [ "$guest_md5" = "$host_md5" ] && echo ok || echo fail)" \
	"guest $guest_md5 host $host_md5"
guest_size=$(sed -n 's/^VALUE size //p' "$out/main.out")
host_size=$(blockdev --getsize64 "$disk")
result blkgetsize64-equals-host "$([ "$guest_size" = "$host_size" ] && echo ok || echo fail)" \
	"guest $guest_size host $host_size"
guest_ssz=$(sed -n 's/^VALUE sectorsize //p' "$out/main.out")
result blksszget-equals-host "$([ "$guest_ssz" = "$(blockdev --getss "$disk")" ] && echo ok || echo fail)" \
	"guest $guest_ssz"
# BLKPG from the guest: exactly the partition it asked for, nothing from
# the call whose pointer was bad.
lname=$(basename "$loop")
parts=$(ls -d /sys/block/$lname/${lname}p* 2>/dev/null | wc -l)
pstart=$(cat /sys/block/$lname/${lname}p1/start 2>/dev/null)
psize=$(cat /sys/block/$lname/${lname}p1/size 2>/dev/null)
result blkpg-partition-seen-by-host-kernel \
	"$([ "$parts" = 1 ] && [ "$pstart" = 2048 ] && [ "$psize" = 16384 ] && grep -qw "${lname}p1" /proc/partitions && echo ok || echo fail)" \
	"partitions $parts start $pstart size $psize"
result read-only-host-data-unchanged \
	"$([ "$(dd if="$disk" bs=4096 skip=$((48 * 256)) count=1 status=none | md5sum)" = "$ro_md5" ] && echo ok || echo fail)"

# ---- QEMU killed mid-I/O: the daemon serves another VM, leaks nothing. ----
zram_add disk2 16M
run=$out/run
mkdir -p "$run"
"$build/vmm-glue/devcalld" --run-dir "$run" --pidfile "$run/pid" \
	--export "ka:disk=$disk2,guest-type=char" --export "kb:disk=$disk2,guest-type=char" --export kb:zero=/dev/zero \
	> "$out/kill-devcalld.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do [ -f "$run/pid" ] && break; sleep 0.05; done
fds_before=$(ls /proc/$daemon/fd | wc -l)
"$vm" --attach --run-dir "$run" --name ka --timeout 120 \
	--file "$dcprobe:/dcprobe" --log "$out/kill-ka-console.log" \
	-- /dcprobe stream /dev/devcall/disk 100 > "$out/kill-ka.out" 2>&1 &
launcher=$!
streaming=0
for _ in $(seq 600); do
	grep -q streaming "$out/kill-ka-console.log" 2>/dev/null && { streaming=1; break; }
	sleep 0.1
done
sleep 1
fds_busy=$(ls /proc/$daemon/fd | wc -l)
pkill -9 -f "mem-path=/dev/shm/devcall/ka/ram" || true
wait "$launcher" 2>/dev/null
for _ in $(seq 50); do
	grep -q "vm ka: QEMU disconnected" "$out/kill-devcalld.log" && break
	sleep 0.1
done
sleep 0.5
fds_after=$(ls /proc/$daemon/fd | wc -l)
result qemu-killed-mid-io "$([ $streaming = 1 ] && grep -q 'vm ka: QEMU disconnected' "$out/kill-devcalld.log" && echo ok || echo fail)" \
	"streaming=$streaming"
result no-leaked-host-fd "$([ "$fds_after" = "$fds_before" ] && [ "$fds_busy" -gt "$fds_before" ] && echo ok || echo fail)" \
	"before $fds_before busy $fds_busy after $fds_after"
"$vm" --attach --run-dir "$run" --name kb --timeout 120 --log "$out/kill-kb-console.log" \
	-- sh -c 'head -c 4096 /dev/devcall/zero | wc -c; dd if=/dev/devcall/disk bs=4096 count=1 2>/dev/null | wc -c' \
	> "$out/kill-kb.out" 2>&1
kb_rc=$?
result other-vm-still-served "$([ $kb_rc = 0 ] && [ "$(grep -c '^4096' "$out/kill-kb.out")" = 2 ] && echo ok || echo fail)" \
	"status $kb_rc"
kill -0 "$daemon" 2>/dev/null
result daemon-survived "$([ $? = 0 ] && echo ok || echo fail)"

echo "e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
