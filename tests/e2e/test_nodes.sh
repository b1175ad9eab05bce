#!/bin/bash
# Guest node identity: the names, modes, owners, numbers and sysfs
# attributes the host's export configuration gives the guest's nodes
# (guest-name, guest-alias, guest-mode, guest-owner, guest-group,
# guest-devnum), and wodim finding the emulated drive as /dev/sg0 under
# sg's major. The busybox guest has no udev: the aliases are made from
# sysfs by the guest script, as 60-devcall.rules would.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/nodes
vm=$top/vmm-glue/devcall-vm
mkdir -p "$out"
. "$top/tests/e2e/lib.sh"

: > "$out/disc.img"
truncate -s 1M "$out/disk.img"
g='
for n in /dev/sg0 /dev/misc/mynull /dev/devcall/cpuid /dev/devcall/plain; do
	echo "NODE $(stat -c "%A %u %g %t:%T" $n) $n"
done
ls -l /dev/sg0 /dev/misc/mynull /dev/devcall/cpuid /dev/devcall/plain
for d in /sys/class/devcall/*; do
	echo "ATTR $(cat $d/export) $(cat $d/host_type) $(cat $d/host_dev)" \
		"[$(cat $d/aliases)] [$(cat $d/owner)] [$(cat $d/group)] $(cat $d/dev)"
	node=$(sed -n "s/^DEVNAME=//p" $d/uevent)
	for a in $(cat $d/aliases); do
		mkdir -p /dev/$(dirname $a) && ln -sf /dev/$node /dev/$a
	done
done
echo "BUS $(cat /sys/bus/devcall/devices/*:cd/host_type)" \
	"$(cat /sys/bus/devcall/devices/*:cd/host_dev)"
echo "LINK $(readlink /dev/cdrw)"
echo "DISK $(stat -c "%A %u %g" /dev/disks/mydisk)" \
	"$(cat "/sys/class/block/devcall!disk/export")" \
	"$(cat "/sys/class/block/devcall!disk/host_type")" \
	"[$(cat "/sys/class/block/devcall!disk/group")]"
dmesg | grep "is taken here"
wodim -scanbus; echo SCANBUS=$?
wodim dev=/dev/sg0 -inq; echo INQ=$?
wodim dev=/dev/cdrw -inq; echo INQALIAS=$?
'
"$vm" --name nodes --timeout 300 --plugin "$build/examples/devcall-emudrive.so" \
	--export "cd=$out/disc.img,backend=emudrive,options=media=cdrw,scsi=passthrough,guest-name=sg0,guest-devnum=21:0,guest-mode=0660,guest-group=24,guest-alias=cdrw" \
	--export "nul=/dev/null,guest-name=misc/mynull,guest-mode=0640,guest-owner=1000,guest-group=cdrom,guest-devnum=host" \
	--export "cpuid=/dev/cpu/0/cpuid,guest-type=char,guest-devnum=host,guest-mode=0444" \
	--export "plain=/dev/zero" \
	--export "disk=$out/disk.img,guest-type=block,guest-name=disks/mydisk,guest-mode=0640,guest-group=6" \
	--package wodim --log "$out/console.log" --daemon-log "$out/devcalld.log" \
	-- sh -c "$g" > "$out/guest.out" 2>&1
o=$out/guest.out
node() { sed -n "s|^NODE \(.*\) $1\$|\1|p" "$o"; }
attr() { grep "^ATTR $1 " "$o" | cut -d' ' -f3-; }
check() {	# check NAME ACTUAL EXPECTED
	result "$1" "$([ "$2" = "$3" ] && echo ok || echo fail)" "got '$2'"
}
check sg0-name-mode-group-number "$(node /dev/sg0)" "crw-rw---- 0 24 15:0"
check alias-symlink "$(sed -n 's/^LINK //p' "$o")" "/dev/sg0"
check sg0-attrs "$(attr cd)" "regular 0:0 [cdrw] [] [24] 21:0"
check bus-attrs "$(sed -n 's/^BUS //p' "$o")" "regular 0:0"
# 1:3 is /dev/null's in the guest too: a dynamic number, logged.
nul=$(node /dev/misc/mynull)
check nested-name-mode-owner "${nul% *}" "crw-r----- 1000 0"
result host-devnum-taken-falls-back "$([ "${nul##* }" != 1:3 ] && cat "$out/console.log" "$o" | grep -q 'nul: 1:3 is taken here' && echo ok || echo fail)" "got '${nul##* }'"
check group-name-for-udev "$(attr nul | cut -d' ' -f3-5)" "[] [1000] [cdrom]"
# 203:0 (cpuid) is free in this guest: the node has the host's number.
check host-devnum-free "$(node /dev/devcall/cpuid)" "cr--r--r-- 0 0 cb:0"
check cpuid-attrs "$(attr cpuid)" "char 203:0 [] [] [] 203:0"
plain=$(node /dev/devcall/plain)
check defaults "${plain% *}" "crw------- 0 0"
check plain-attrs "$(attr plain | cut -d' ' -f1-2)" "char 1:5"
# Disks: name and mode by the kernel; the group is udev's (attribute).
check disk-name-mode-attrs "$(sed -n 's/^DISK //p' "$o")" "brw-r----- 0 0 disk regular [6]"
st() { sed -n "s/^$1=//p" "$o"; }
result wodim-inq-sg0 "$([ "$(st INQ)" = 0 ] && grep -q "Vendor_info    : 'DEVCALL '" "$o" && echo ok || echo fail)"
result wodim-inq-alias "$([ "$(st INQALIAS)" = 0 ] && echo ok || echo fail)"
result wodim-scanbus "$([ "$(st SCANBUS)" = 0 ] && grep -q "0,0,0.*'DEVCALL '" "$o" && echo ok || echo fail)"

echo "nodes: $pass passed, $fail failed"
[ "$fail" = 0 ]
