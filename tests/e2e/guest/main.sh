#!/bin/sh
# Runs inside the guest: checks on /dev/devcall nodes, one line each:
#   CHECK <name> ok|fail [detail]   and   VALUE <name> <value>
# for the host side to verify what only it can see.
d=/dev/devcall
check() {
	name=$1; shift
	if out=$("$@" 2>&1); then echo "CHECK $name ok $out"
	else echo "CHECK $name fail $out"; fi
}

# A pattern written to the host RAM disk and read back.
dd if=/dev/urandom of=/tmp/p bs=1M count=4 2>/dev/null
echo "VALUE pattern-md5 $(md5sum < /tmp/p | cut -d' ' -f1)"
check pattern-write dd if=/tmp/p of=$d/disk bs=1M seek=32 conv=notrunc
check pattern-readback sh -c "[ \$(dd if=$d/disk bs=1M skip=32 count=4 2>/dev/null | md5sum | cut -d' ' -f1) = \$(md5sum < /tmp/p | cut -d' ' -f1) ]"

check offsets /dcprobe offsets $d/disk
check short-read-at-end /dcprobe shortread $d/disk
echo "VALUE size $(/dcprobe size $d/disk)"
check big-2mib /dcprobe big $d/disk
check eight-processes /dcprobe parallel $d/disk 8
check read-only-export /dcprobe readonly $d/ro
echo "VALUE sectorsize $(/dcprobe sectorsize $d/disk)"

# Embedded pointers: BLKPG on a host loop device (the host checks it).
check blkpg-bad-pointer-efault /dcprobe blkpg-fault $d/loop
check blkpg-add /dcprobe blkpg $d/loop add


# Character devices behave as on the host.
check dev-zero sh -c "[ \$(head -c 100000 $d/zero | md5sum | cut -d' ' -f1) = \$(head -c 100000 /dev/zero | md5sum | cut -d' ' -f1) ]"
check dev-null-write sh -c "echo hello > $d/null"
check dev-null-read sh -c "[ \$(cat $d/null | wc -c) = 0 ]"
check dev-urandom sh -c "a=\$(head -c 4096 $d/urandom | md5sum); b=\$(head -c 4096 $d/urandom | md5sum); [ \"\$a\" != \"\$b\" ] && [ \$(head -c 65536 $d/urandom | gzip -9 | wc -c) -gt 65000 ]"

# A call polls for its answer (devcall.poll_us) with the host's interrupt
# off: of 2000 short reads few are answered by an interrupt; with polling
# turned off, every one is. ("requests" is the queue's vector; the most,
# 1000 us, so that a busy host's slower answers are still polled for.)
irq_count() {
	awk '$NF == "requests" { s = 0
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i
		print s }' /proc/interrupts
}
poll_irqs() {
	p=/sys/module/devcall/parameters/poll_us
	[ -w $p ] || { echo "no $p"; return 1; }
	was=$(cat $p)
	echo 1000 > $p
	a=$(irq_count)
	dd if=$d/zero of=/dev/null bs=4096 count=2000 2>/dev/null || return 1
	b=$(irq_count)
	echo 0 > $p
	dd if=$d/zero of=/dev/null bs=4096 count=2000 2>/dev/null
	c=$(irq_count)
	echo "$was" > $p
	echo "interrupts for 2000 reads: $((b - a)) polling, $((c - b)) not"
	[ $((b - a)) -lt 1000 ] && [ $((c - b)) -ge 1900 ]
}
check poll-fewer-interrupts poll_irqs

# The frontend is a driver on the devcall bus: while a file is open it
# stays; unloaded, its nodes go; loaded again, it is probed for every
# export again and the nodes work.
fe_reload() {
	exec 3<$d/zero
	rmmod devcall_frontend 2>/dev/null && { echo "unloaded with a file open"; return 1; }
	exec 3<&-
	rmmod devcall_frontend || return 1
	[ -e $d/zero ] && { echo "node left after unload"; return 1; }
	[ -d /sys/bus/devcall/devices ] && [ "$(ls /sys/bus/devcall/devices | wc -l)" = 6 ] ||
		{ echo "exports: $(ls /sys/bus/devcall/devices 2>&1)"; return 1; }
	insmod /lib/modules/devcall_frontend.ko || return 1
	i=0
	while [ ! -e $d/zero ] && [ $i -lt 50 ]; do usleep 100000; i=$((i + 1)); done
	[ "$(ls $d | wc -l)" = 6 ] || { echo "nodes after reload: $(ls $d)"; return 1; }
	[ "$(head -c 4096 $d/zero | wc -c)" = 4096 ] || return 1
	echo "bus $(cat /sys/bus/devcall/devices/*:zero/kind) $(cat /sys/bus/devcall/devices/*:zero/modalias)"
}
check frontend-unload-reload fe_reload

# The transport unloaded under an open file, last: the daemon is told (a
# device reset, in which run.sh sees the file close), the file fails from
# then on, and the guest kernel warns of nothing.
transport_unload() {
	exec 3<$d/zero
	rmmod devcall_ivshmem || return 1
	head -c 1 <&3 >/dev/null 2>&1 && { echo "read worked after unload"; return 1; }
	exec 3<&-
	w=$(dmesg | grep -E "WARNING|BUG|Oops|refcount" | head -n 3)
	[ -z "$w" ] || { echo "$w"; return 1; }
}
check transport-unload transport_unload
exit 0
