#!/bin/sh
# Runs inside the guest for test_hotplug.sh: exports added and removed
# while it runs (the host reloads the daemon's configuration). One line
# per check: CHECK <name> ok|fail [detail]. Markers (HOLDING, RND-UP,
# ZERO-GONE, STAGE1-DONE, ZERO-UP, DONE) tell the host where it is.
d=/dev/devcall
check() {	# check NAME CONDITION-RESULT DETAIL
	if [ "$2" = 0 ]; then echo "CHECK $1 ok $3"; else echo "CHECK $1 fail $3"; fi
}
# wait_node PATH present|absent: up to 20 s, polling every 10 ms.
wait_node() {
	i=0
	while [ $i -lt 2000 ]; do
		if [ "$2" = present ]; then [ -e "$1" ] && return 0
		else [ -e "$1" ] || return 0; fi
		usleep 10000
		i=$((i + 1))
	done
	return 1
}

exec 3<$d/zero || { echo "CHECK open-zero fail"; exit 1; }
n=$(dd bs=16 count=1 <&3 2>/dev/null | wc -c)
check read-zero-before "$([ "$n" = 16 ]; echo $?)" "$n bytes"
# A disk (a host image file): read a block through an open descriptor.
exec 5<>$d/disk || { echo "CHECK open-disk fail"; exit 1; }
m=$(dd bs=4096 skip=100 count=1 <&5 2>/dev/null | md5sum | cut -d' ' -f1)
check read-disk-before "$([ -n "$m" ]; echo $?)" "$m"
echo "VALUE disk-md5 $m"

# A read that waits on the host (a FIFO nobody writes): parked there.
exec 4<>$d/fifo || { echo "CHECK open-fifo fail"; exit 1; }
dd bs=1 count=1 <&4 >/dev/null 2>/tmp/fifo.err &
fifo_reader=$!
exec 4<&-
echo HOLDING

wait_node $d/rnd present
check rnd-appears $? ""
echo RND-UP
wait_node $d/zero absent
check zero-disappears $? ""
echo ZERO-GONE

err=$(dd bs=16 count=1 <&3 2>&1 >/dev/null)
rc=$?
case "$err" in
*"No such device or address"*|*"I/O error"*) r=0 ;;
*) r=1 ;;
esac
[ $rc != 0 ] || r=1
check removed-fd-enxio-eio $r "$(echo "$err" | tr '\n' ' ')"
exec 3<&-

wait_node $d/disk absent
check disk-disappears $? ""
# The kernel's own rule for a disk that goes (del_gendisk): capacity 0,
# so a read is an end of file; a write must fail, not vanish.
n=$(dd bs=4096 skip=200 count=1 <&5 2>/dev/null | wc -c)
check removed-disk-read-eof "$([ "$n" = 0 ]; echo $?)" "$n bytes"
err=$(dd if=/dev/zero bs=4096 seek=200 count=1 conv=notrunc,fsync 2>&1 >&5)
rc=$?
check removed-disk-write-fails "$([ $rc != 0 ]; echo $?)" "rc $rc: $(echo "$err" | tr '\n' ' ')"
exec 5<&-

wait $fifo_reader
rc=$?
err=$(cat /tmp/fifo.err)
case "$err" in
*"No such device or address"*|*"I/O error"*) r=0 ;;
*) r=1 ;;
esac
[ $rc != 0 ] || r=1
check waiting-read-ends-enxio-eio $r "$(echo "$err" | tr '\n' ' ')"

n=$(dd if=$d/rnd bs=16 count=4 2>/dev/null | wc -c)
check read-rnd "$([ "$n" = 64 ]; echo $?)" "$n bytes"
r=$(dd if=$d/rnd bs=32 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
check rnd-not-zero "$(echo "$r" | grep -qv '^0*$'; echo $?)" "$r"
n=$(cat /sys/bus/devcall/devices/*/name 2>/dev/null | tr '\n' ' ')
check bus-holds-rnd-only "$([ "$n" = "rnd " ]; echo $?)" "$n"
echo STAGE1-DONE

wait_node $d/zero present
check zero-reappears $? ""
echo ZERO-UP
n=$(dd if=$d/zero bs=16 count=2 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
check read-zero-again "$([ ${#n} = 64 ] && [ -z "$(echo "$n" | tr -d 0)" ]; echo $?)" "$n"
[ -e $d/rnd ]
check rnd-still-there $? ""
n=$(ls /sys/bus/devcall/devices | wc -l)
check bus-holds-two "$([ "$n" = 2 ]; echo $?)" "$n devices"
w=$(dmesg | grep -E "WARNING|BUG|Oops|refcount" | head -3 | tr '\n' ' ')
check no-kernel-warnings "$([ -z "$w" ]; echo $?)" "$w"
echo DONE
sleep 2	# the host counts the daemon's descriptors meanwhile
