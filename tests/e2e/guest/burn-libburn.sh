#!/bin/sh
# Guest side of test_burners.sh (libburn's SG_IO stack: cdrskin and
# xorriso): burns, reads back and compares; prints KEY=VALUE lines.
rw=/dev/sg0
r=/dev/sg1
say() { echo "$1=$2"; }
readback() {	# readback DEV ISO [START]: raw sectors (wodim's readom)
	n=$(( $(stat -c %s "$2") / 2048 ))
	s=${3:-0}
	rm -f /tmp/rb
	readom dev=$1 sectors=$s-$((s + n)) f=/tmp/rb > /tmp/rb.log 2>&1 &&
		cmp -s "$2" /tmp/rb
}
nwa() { cdrskin dev=$1 -msinfo 2>/dev/null | tail -1 | cut -d, -f2; }
run() { "$@" > /tmp/l 2>&1; rc=$?; [ $rc = 0 ] || tail -4 /tmp/l; return $rc; }

cdrskin dev=$rw -atip > /tmp/l 2>&1; say ATIP $?
grep -i 'profile\|media' /tmp/l | head -3
run cdrskin dev=$rw gracetime=0 -tao /a.iso; say RW_TAO $?
readback $rw /a.iso; say RW_TAO_READ $?
run cdrskin dev=$rw gracetime=0 blank=fast; say RW_BLANK1 $?
run cdrskin dev=$rw gracetime=0 -sao /b.iso; say RW_SAO $?
readback $rw /b.iso; say RW_SAO_READ $?
run cdrskin dev=$rw gracetime=0 blank=fast; say RW_BLANK2 $?
run cdrskin dev=$rw gracetime=0 -multi -sao /a.iso; say RW_MS1 $?
n2=$(nwa $rw); say RW_MS_NWA "$n2"
# libburn writes SAO on blank CDs only: the next session is TAO
run cdrskin dev=$rw gracetime=0 -multi -tao /b.iso; say RW_MS2 $?
readback $rw /a.iso 0; say RW_MS1_READ $?
readback $rw /b.iso "$n2"; say RW_MS2_READ $?

# xorriso: a real multi-session ISO 9660 on the CD-RW, read back through
# libburn (-indev) and extracted
# (libburn enumerates /dev/sr* unless told the sg family)
x() { xorriso -scsi_dev_family sg "$@"; }
run x -outdev $rw -blank as_needed -map /a.bin /s1/a.bin -commit
say XO_S1 $?
run x -dev $rw -map /b.bin /s2/b.bin -commit; say XO_S2 $?
rm -rf /tmp/x
run x -indev $rw -osirrox on -extract /s1/a.bin /tmp/x/a.bin \
	-extract /s2/b.bin /tmp/x/b.bin
say XO_EXTRACT $?
cmp -s /a.bin /tmp/x/a.bin && cmp -s /b.bin /tmp/x/b.bin; say XO_CMP $?
x -indev $rw -toc 2>/dev/null | grep -c '^ISO session' |
	sed 's/^/XO_SESSIONS=/'

# CD-R: a SAO session left open, a TAO one that closes the disc
run cdrskin dev=$r gracetime=0 -multi -sao /a.iso; say R_MS1 $?
n2=$(nwa $r); say R_MS_NWA "$n2"
run cdrskin dev=$r gracetime=0 -tao /b.iso; say R_MS2 $?
readback $r /a.iso 0; say R_MS1_READ $?
readback $r /b.iso "$n2"; say R_MS2_READ $?
cdrskin dev=$r gracetime=0 blank=fast > /tmp/l 2>&1; say R_BLANK $?
cdrskin dev=$r gracetime=0 -tao /a.iso > /tmp/l 2>&1; say R_CLOSED_TAO $?
echo DONE
