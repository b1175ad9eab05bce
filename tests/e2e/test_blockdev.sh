#!/bin/bash
# Host block devices as guest disks (devcall_blk): a zram disk and a loop
# device, exported with the default guest-type (auto: block). In the
# guest, on each: sfdisk makes two partitions, mke2fs -t ext4 the first,
# mount, 50 MiB of files, sync, umount; O_DIRECT dd at 4 KiB, 64 KiB and
# 1 MiB on the second, read back and compared; the queue limits are the
# host's; a host loop ioctl reaches the host driver; blkdiscard frees
# zram memory on the host (mm_stat); a host resize (losetup -c) reaches
# the guest disk's size. After the guest exits the host runs fsck -n on
# each first partition, mounts it and compares the files byte for byte.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/blockdev
vm=$top/vmm-glue/devcall-vm
mkdir -p "$out"
zram= loop= vmpid= ploops=() mnt=
. "$top/tests/e2e/lib.sh"

cleanup() {
	[ -n "$vmpid" ] && kill "$vmpid" 2>/dev/null
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	for l in "${ploops[@]}"; do losetup -d "$l" 2>/dev/null; done
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	[ -n "$zram" ] && echo "$zram" > /sys/class/zram-control/hot_remove 2>/dev/null
	rm -f "$out/loop.img"
	[ -n "$mnt" ] && rmdir "$mnt" 2>/dev/null
}
trap cleanup EXIT
finish() { echo "blockdev: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }
for p in /usr/sbin/sfdisk /usr/sbin/mke2fs /usr/sbin/blkdiscard /usr/sbin/fsck.ext4; do
	[ -x "$p" ] || { result tools fail "no $p: scripts/install-deps.sh e2e"; finish; }
done

zram=$(cat /sys/class/zram-control/hot_add) && echo 160M > "/sys/block/zram$zram/disksize" ||
	{ result zram fail "cannot create a zram disk"; finish; }
zdev=/dev/zram$zram
truncate -s 160M "$out/loop.img"
loop=$(losetup -f --show "$out/loop.img") || { result losetup fail; finish; }
lname=$(basename "$loop")
flushes() { awk '{ print $16 }' "/sys/block/$lname/stat"; }
mm_data() { awk '{ print $1 }' "/sys/block/zram$zram/mm_stat"; }

cat > "$out/guest.sh" <<'GUEST'
#!/bin/sh
check() { if [ "$2" = 0 ]; then echo "CHECK $1 ok"; else echo "CHECK $1 fail ${3:-}"; fi; }
mkdir -p /mnt
for d in zdisk ldisk; do
	dev=/dev/devcall/$d
	[ -b "$dev" ]; check "$d-is-block-device" $?
	sys="/sys/block/devcall!$d"
	for a in logical_block_size physical_block_size rotational discard_max_bytes scheduler; do
		echo "VALUE $d-$a $(cat "$sys/queue/$a")"
	done
	echo "VALUE $d-size $(cat "$sys/size")"
	printf 'size=96MiB\n,\n' | sfdisk -q "$dev" > /tmp/sfdisk.out 2>&1
	check "$d-sfdisk-two-partitions" $? "$(cat /tmp/sfdisk.out)"
	i=0
	while { [ ! -b "${dev}1" ] || [ ! -b "${dev}2" ]; } && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -b "${dev}1" ] && [ -b "${dev}2" ] && [ -d "$sys/devcall!${d}1" ]
	check "$d-partitions-scanned" $? "$(ls /dev/devcall)"
	/usr/sbin/mke2fs -q -F -t ext4 "${dev}1" > /tmp/mkfs.out 2>&1
	check "$d-mkfs-ext4" $? "$(cat /tmp/mkfs.out)"
	mkdir -p "/mnt/$d"
	mount -t ext4 "${dev}1" "/mnt/$d"
	check "$d-mount" $?
	ok=0
	for n in 1 2 3 4 5; do
		dd if=/dev/urandom of="/mnt/$d/file$n" bs=1M count=10 2>/dev/null || ok=1
		echo "MD5 $d file$n $(md5sum < "/mnt/$d/file$n" | cut -d' ' -f1)"
	done
	check "$d-write-50mib" $ok
	echo "FLUSH-BEFORE $d"
	sleep 1
	sync
	echo "FLUSH-AFTER $d"
	umount "/mnt/$d"
	check "$d-umount" $?
	# O_DIRECT at several block sizes on the second partition.
	dd if=/dev/urandom of=/tmp/pat bs=1M count=4 2>/dev/null
	for bs in 4096 65536 1048576; do
		n=$((4194304 / bs))
		dd if=/tmp/pat of="${dev}2" bs=$bs count=$n oflag=direct 2>/dev/null &&
		dd if="${dev}2" of=/tmp/back bs=$bs count=$n iflag=direct 2>/dev/null &&
		cmp /tmp/pat /tmp/back
		check "$d-odirect-bs$bs" $?
	done
done

# A host loop ioctl the guest block layer does not know: LOOP_GET_STATUS64.
losetup /dev/devcall/ldisk > /tmp/losetup.out 2>&1
echo "VALUE loop-status $(tr '\n' ' ' < /tmp/losetup.out)"

# Discard: 32 MiB on zram's second partition, then blkdiscard.
dd if=/dev/urandom of=/dev/devcall/zdisk2 bs=1M count=32 oflag=direct 2>/dev/null
echo "DISCARD-BEFORE"
sleep 2
blkdiscard /dev/devcall/zdisk2
check zdisk-blkdiscard $?
echo "DISCARD-AFTER"
sleep 2

# Resize: the host grows the loop device.
old=$(cat "/sys/block/devcall!ldisk/size")
echo "RESIZE-READY $old"
i=0
while [ "$(cat "/sys/block/devcall!ldisk/size")" = "$old" ] && [ $i -lt 150 ]; do
	sleep 0.2; i=$((i + 1))
done
echo "VALUE ldisk-resized $(cat "/sys/block/devcall!ldisk/size")"
GUEST
chmod +x "$out/guest.sh"

rm -f "$out/console.log"
"$vm" --name e2e-blockdev --timeout 600 --memory 512M \
	--export "zdisk=$zdev" --export "ldisk=$loop" \
	--binary /usr/sbin/sfdisk --binary /usr/sbin/mke2fs --binary /usr/sbin/blkdiscard \
	--file /etc/mke2fs.conf:/etc/mke2fs.conf \
	--script "$out/guest.sh" \
	--log "$out/console.log" --daemon-log "$out/devcalld.log" \
	> "$out/guest.out" 2>&1 &
vmpid=$!

# A guest sync of the mounted ext4 reaches the host loop device as flushes.
before= after=
wait_for "$out/console.log" '^FLUSH-BEFORE ldisk' 400 && before=$(flushes)
wait_for "$out/console.log" '^FLUSH-AFTER ldisk' 60 && after=$(flushes)
result ldisk-sync-flushes-host \
	"$([ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ] && echo ok || echo fail)" \
	"flushes $before -> $after"

mm_before= mm_after=
wait_for "$out/console.log" '^DISCARD-BEFORE' 300 && mm_before=$(mm_data)
wait_for "$out/console.log" '^DISCARD-AFTER' 60 && mm_after=$(mm_data)
result zdisk-discard-frees-host-zram \
	"$([ -n "$mm_before" ] && [ -n "$mm_after" ] && [ $((mm_before - mm_after)) -ge $((30 << 20)) ] && echo ok || echo fail)" \
	"orig_data_size $mm_before -> $mm_after"

resized=0
if wait_for "$out/console.log" '^RESIZE-READY' 120; then
	truncate -s 192M "$out/loop.img" && losetup -c "$loop" && resized=1
fi
wait "$vmpid"
rc=$?
vmpid=
result guest-boot-and-exit "$([ $rc = 0 ] && echo ok || echo fail)" "status $rc"
while read -r _ name verdict detail; do
	result "$name" "$verdict" "$detail"
done < <(grep -a '^CHECK ' "$out/guest.out")
for d in zdisk ldisk; do
	for c in is-block-device sfdisk-two-partitions partitions-scanned mkfs-ext4 \
		 mount write-50mib umount odirect-bs4096 odirect-bs65536 odirect-bs1048576; do
		grep -aq "^CHECK $d-$c " "$out/guest.out" || result "$d-$c" fail "did not run"
	done
done
value() { sed -n "s/^VALUE $1 //p" "$out/guest.out" | tr -d '\r' | head -n 1; }

# The guest disks' limits are the host devices'.
for d in zdisk:$zdev ldisk:$loop; do
	name=${d%%:*} dev=${d#*:} q=/sys/block/$(basename "${d#*:}")/queue
	g=$(value "$name-logical_block_size") h=$(cat "$q/logical_block_size")
	result "$name-logical-block-size-is-host" "$([ "$g" = "$h" ] && echo ok || echo fail)" "guest $g host $h"
	g=$(value "$name-size") h=$(($(blockdev --getsize64 "$dev") / 512))
	[ "$name" = ldisk ] && h=$((160 << 11))
	result "$name-size-is-host" "$([ "$g" = "$h" ] && echo ok || echo fail)" "guest $g host $h"
	g=$(value "$name-rotational") h=$(cat "$q/rotational")
	result "$name-rotational-is-host" "$([ "$g" = "$h" ] && echo ok || echo fail)" "guest $g host $h"
done
# No second I/O scheduler in the guest: the host's schedules the device.
g=$(value zdisk-scheduler)
result zdisk-no-guest-scheduler \
	"$(case "$g" in *"[none]"*) echo ok ;; *) echo fail ;; esac)" "scheduler $g"
g=$(value zdisk-discard_max_bytes)
result zdisk-discard-offered "$([ -n "$g" ] && [ "$g" -gt 0 ] && echo ok || echo fail)" "discard_max_bytes $g"

g=$(value loop-status)
result loop-ioctl-reaches-host-driver \
	"$(case "$g" in *loop.img*) echo ok ;; *) echo fail ;; esac)" "$g"
g=$(value ldisk-resized)
result ldisk-resize-reaches-guest \
	"$([ $resized = 1 ] && [ "$g" = $((192 << 11)) ] && echo ok || echo fail)" "guest size $g"

# The host reads what the guest wrote: fsck clean, files byte for byte.
mnt=$(mktemp -d /tmp/devcall-blockdev.XXXXXX)
for d in zdisk:$zdev ldisk:$loop; do
	name=${d%%:*} dev=${d#*:}
	dump=$(sfdisk -d "$dev" 2>/dev/null)
	ssz=$(echo "$dump" | sed -n 's/^sector-size: *//p')
	[ -n "$ssz" ] || ssz=$(blockdev --getss "$dev")
	start=$(echo "$dump" | sed -n "s|^$dev\(p\)\{0,1\}1 : start= *\([0-9]*\), size= *\([0-9]*\).*|\2|p")
	size=$(echo "$dump" | sed -n "s|^$dev\(p\)\{0,1\}1 : start= *\([0-9]*\), size= *\([0-9]*\).*|\3|p")
	nparts=$(echo "$dump" | grep -c "^$dev.* : start=")
	result "$name-host-sees-two-partitions" "$([ "$nparts" = 2 ] && echo ok || echo fail)" "$nparts"
	if [ -z "$start" ] || [ -z "$size" ]; then
		result "$name-host-fsck-clean" fail "no partition 1 in: $dump"
		result "$name-host-files-byte-for-byte" fail
		continue
	fi
	pl=$(losetup -f --show -r -o $((start * ssz)) --sizelimit $((size * ssz)) "$dev")
	ploops+=("$pl")
	fsck.ext4 -n -f "$pl" > "$out/$name-fsck.out" 2>&1
	frc=$?
	result "$name-host-fsck-clean" "$([ $frc = 0 ] && echo ok || echo fail)" "fsck status $frc"
	bad=0 n=0
	if mount -o ro -t ext4 "$pl" "$mnt"; then
		while read -r _ dn file sum; do
			[ "$dn" = "$name" ] || continue
			n=$((n + 1))
			hs=$(md5sum < "$mnt/$file" | cut -d' ' -f1)
			s=$(stat -c %s "$mnt/$file")
			[ "$hs" = "$sum" ] && [ "$s" = $((10 << 20)) ] || bad=$((bad + 1))
		done < <(grep -a '^MD5 ' "$out/guest.out" | tr -d '\r')
		umount "$mnt"
	else
		bad=1
	fi
	result "$name-host-files-byte-for-byte" "$([ $n = 5 ] && [ $bad = 0 ] && echo ok || echo fail)" \
		"$n files, $bad differ"
done
finish
