#!/bin/sh
# Runs inside the guest for test_fsync.sh: fsync, fdatasync, O_DIRECT,
# O_SYNC and O_DSYNC on forwarded nodes. One line per check:
#   CHECK <name> ok|fail [detail]   and   VALUE <name> <value>
# Markers (HOLDING, FLUSH-BEFORE, FLUSH-AFTER) let the host look at the
# daemon's file and the loop device's flush count at the right moment.
d=/dev/devcall
check() {
	name=$1; shift
	if out=$("$@" 2>&1); then echo "CHECK $name ok $out"
	else echo "CHECK $name fail $out"; fi
}

dd if=/dev/urandom of=/tmp/p bs=1M count=4 2>/dev/null
head -c 1048576 /tmp/p > /tmp/p1
echo "VALUE md5-1m $(md5sum < /tmp/p1 | cut -d' ' -f1)"
echo "VALUE md5-4m $(md5sum < /tmp/p | cut -d' ' -f1)"

# The host checks the daemon's descriptor while this one is open.
/dcprobe hold $d/loop direct,dsync 4

# A guest fdatasync the host block layer sees as a flush, and nothing
# else between the markers.
echo FLUSH-BEFORE
sleep 2
check fdatasync-loop sh -c "[ \$(/dcprobe fsync $d/loop fdatasync) = 0 ]"
echo FLUSH-AFTER
sleep 2

check conv-fsync-zram dd if=/dev/zero of=$d/disk bs=64k count=16 conv=fsync,notrunc
check conv-fsync-loop dd if=/dev/zero of=$d/loop bs=64k count=16 conv=fsync,notrunc
check fsync-zram sh -c "[ \$(/dcprobe fsync $d/disk fsync) = 0 ]"
check fsync-loop sh -c "[ \$(/dcprobe fsync $d/loop fsync) = 0 ]"
# A character device: the host's fsync answer (EINVAL for /dev/null).
check fsync-null-einval sh -c "r=\$(/dcprobe fsync $d/null fsync); echo \$r; [ \$r = EINVAL ]"
check fdatasync-null-einval sh -c "r=\$(/dcprobe fsync $d/null fdatasync); echo \$r; [ \$r = EINVAL ]"
check odirect-null-einval sh -c "r=\$(/dcprobe hold $d/null direct 0); echo \$r; [ \$r = EINVAL ]"

# O_DIRECT writes and reads with busybox dd: MiB 8 (bs 512), 16 (4096)
# and 24 (1M). Where the host refuses a shape (zram's 4 KiB sectors at
# bs 512), dd falls back to buffered I/O as it does on the host.
for dev in disk loop; do
	for bs in 512 4096 1M; do
		case $bs in
		512) n=2048 at=16384 mib=8 src=/tmp/p1 ;;
		4096) n=256 at=4096 mib=16 src=/tmp/p1 ;;
		1M) n=4 at=24 mib=24 src=/tmp/p ;;
		esac
		check direct-write-$dev-$bs dd if=$src of=$d/$dev bs=$bs count=$n seek=$at oflag=direct conv=notrunc
		check direct-read-$dev-$bs sh -c "[ \$(dd if=$d/$dev bs=$bs count=$n skip=$at iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1) = \$(md5sum < $src | cut -d' ' -f1) ]"
	done
done

# O_SYNC, O_DSYNC, and O_DIRECT with O_DSYNC, from aligned buffers:
# MiB 32, 40 and 48 on the loop device, 4 MiB each.
check oflag-dsync /dcprobe put $d/loop dsync /tmp/p $((32 << 20)) 65536
check oflag-sync /dcprobe put $d/loop sync /tmp/p $((40 << 20)) 65536
check oflag-direct-dsync /dcprobe put $d/loop direct,dsync /tmp/p $((48 << 20)) 1048576
check oflag-direct-zram /dcprobe put $d/disk direct /tmp/p $((32 << 20)) 4096
# A misaligned O_DIRECT length: the host's EINVAL.
check direct-misaligned-einval sh -c "/dcprobe put $d/loop direct /tmp/p1 0 100 | grep 'Invalid argument'"
exit 0
