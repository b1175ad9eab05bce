#!/bin/sh
# Guest side of test_burners.sh (wodim's SG_IO stack): burns, reads back
# and compares in the guest; prints KEY=VALUE lines the host checks.
rw=/dev/devcall/cdrw
r=/dev/devcall/cdr
say() { echo "$1=$2"; }
# readback DEV ISO [START]: read the track at START, compare
readback() {
	n=$(( $(stat -c %s "$2") / 2048 ))
	s=${3:-0}
	rm -f /tmp/rb
	readom dev=$1 sectors=$s-$((s + n)) f=/tmp/rb > /tmp/rb.log 2>&1 &&
		cmp -s "$2" /tmp/rb
}
# next writable address of the disc in DEV (wodim -msinfo: last,next)
nwa() { wodim dev=$1 -msinfo 2>/dev/null | tail -1 | cut -d, -f2; }

# sg's read/write protocols on an sg node (sg's major: v3 writes too);
# libburn's CD-RW, still blank here
/sgrw /dev/sg0 300 > /tmp/sgrw.log 2>&1; say SGRW $?
cat /tmp/sgrw.log

# CD-RW: TAO, single session
wodim dev=$rw gracetime=2 -tao /a.iso > /tmp/l 2>&1; say RW_TAO $?
readback $rw /a.iso; say RW_TAO_READ $?
wodim dev=$rw gracetime=2 blank=fast > /tmp/l 2>&1; say RW_BLANK1 $?
# SAO, single session
wodim dev=$rw gracetime=2 -sao /b.iso > /tmp/l 2>&1; say RW_SAO $?
tail -3 /tmp/l
readback $rw /b.iso; say RW_SAO_READ $?
wodim dev=$rw -toc 2>/dev/null | grep -c '^track:' | sed 's/^/RW_SAO_TOC_ENTRIES=/'
wodim dev=$rw gracetime=2 blank=fast > /tmp/l 2>&1; say RW_BLANK2 $?
# TAO, two sessions, then blank=session takes the second away
wodim dev=$rw gracetime=2 -multi -tao /a.iso > /tmp/l 2>&1; say RW_MS1 $?
n2=$(nwa $rw); say RW_MS_NWA "$n2"
wodim dev=$rw gracetime=2 -multi -tao /b.iso > /tmp/l 2>&1; say RW_MS2 $?
readback $rw /a.iso 0; say RW_MS1_READ $?
readback $rw /b.iso "$n2"; say RW_MS2_READ $?
wodim dev=$rw -toc 2>/dev/null | grep -c '^track:' | sed 's/^/RW_MS_TOC_ENTRIES=/'
wodim dev=$rw gracetime=2 blank=session > /tmp/l 2>&1; say RW_BLANK_SESSION $?
wodim dev=$rw -toc 2>/dev/null | grep -c '^track:' | sed 's/^/RW_AFTER_BLANK_ENTRIES=/'

# CD-R: two TAO sessions, SAO refused on the closed... and no blanking
wodim dev=$r gracetime=2 -multi -tao /a.iso > /tmp/l 2>&1; say R_MS1 $?
n2=$(nwa $r); say R_MS_NWA "$n2"
wodim dev=$r gracetime=2 -sao /b.iso > /tmp/l 2>&1; say R_MS2 $?
readback $r /a.iso 0; say R_MS1_READ $?
readback $r /b.iso "$n2"; say R_MS2_READ $?
wodim dev=$r gracetime=2 blank=fast > /tmp/l 2>&1; say R_BLANK $?
wodim dev=$r gracetime=2 -tao /a.iso > /tmp/l 2>&1; say R_CLOSED_TAO $?
echo DONE
