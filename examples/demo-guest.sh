#!/bin/sh
# The demo's guest side: an ordinary program's view of host devices.
d=/dev/devcall
echo "guest: devcall nodes: $(ls $d | tr '\n' ' ')"
echo "guest: the host RAM disk says: $(head -c 64 $d/ramdisk | tr -d '\0')"
echo "guest: BLKGETSIZE64 of the host RAM disk: $(/dcprobe size $d/ramdisk) bytes"
# 1 MiB from the host's /dev/urandom, written to the host RAM disk at 1 MiB.
head -c 1048576 $d/urandom > /tmp/random
dd if=/tmp/random of=$d/ramdisk bs=65536 seek=16 conv=notrunc 2>/dev/null
echo "guest: wrote 1 MiB of host randomness at offset 1 MiB, md5 $(md5sum < /tmp/random | cut -d' ' -f1)"
echo "written by the guest through devcall" | dd of=$d/ramdisk bs=512 seek=8 conv=notrunc 2>/dev/null
echo "guest: read back: $(dd if=$d/ramdisk bs=512 skip=8 count=1 2>/dev/null | tr -d '\0')"
echo "discarded" > $d/null && echo "guest: /dev/null of the host took a write"
# cdrecord, unmodified, burning an ISO to the host's (emulated) CD-RW drive:
# every SCSI command crosses as SG_IO with its pointers remapped on the host.
echo "guest: wodim -tao dev=/dev/devcall/cdrw /demo.iso"
wodim -tao dev=$d/cdrw /demo.iso > /tmp/wodim.log 2>&1
rc=$?
grep -E 'Identification|Starting to write|Track 01: Total' /tmp/wodim.log | sed 's/^/guest:   /'
echo "guest: wodim exit status $rc"
