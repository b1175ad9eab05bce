#!/bin/bash
# Burning tools in a guest against the emulated drive plugin, through
# devcall: two independent SG_IO stacks, wodim (libusal) and libburn
# (cdrskin, xorriso). Each burns TAO and SAO, single and multi-session,
# on CD-RW and CD-R, reads the tracks back and compares them byte for
# byte in the guest; the host checks the disc images too. Also the sg
# driver's read/write/poll semantics from a guest program (sgrw).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/burners
vm=$top/vmm-glue/devcall-vm
mkdir -p "$out"
. "$top/tests/e2e/lib.sh"
start=$(now)

sgrw=$build/guest-tools/sgrw
[ -x "$sgrw" ] || { echo "no $sgrw: make $sgrw"; echo "burners: 0 passed, 1 failed"; exit 1; }

# Two small ISOs (over 300 sectors: no TAO padding to account for).
rm -rf "$out/src" "$out"/*.img* "$out"/*.out
mkdir -p "$out/src/a" "$out/src/b"
head -c 600000 /dev/urandom > "$out/src/a/a.bin"
head -c 800000 /dev/urandom > "$out/src/b/b.bin"
genisoimage -quiet -R -o "$out/a.iso" "$out/src/a" &&
genisoimage -quiet -R -o "$out/b.iso" "$out/src/b" ||
	{ echo "genisoimage failed"; echo "burners: 0 passed, 1 failed"; exit 1; }
sectors() { echo $(( $(stat -c %s "$1") / 2048 )); }

# One boot, four drives: a CD-RW and a CD-R for each stack. wodim opens
# /dev/devcall/NAME; libburn enumerates sg nodes, so its drives are
# /dev/sg0 and /dev/sg1 with sg's major.
emu="backend=emudrive,exclusive,scsi=passthrough"
for d in w-rw w-r l-rw l-r; do : > "$out/$d.img"; done
"$vm" --name burners --timeout 600 \
	--plugin "$build/examples/devcall-emudrive.so" \
	--export "cdrw=$out/w-rw.img,$emu,options=media=cdrw" \
	--export "cdr=$out/w-r.img,$emu,options=media=cdr" \
	--export "lrw=$out/l-rw.img,$emu,options=media=cdrw,guest-name=sg0,guest-devnum=21:0" \
	--export "lr=$out/l-r.img,$emu,options=media=cdr,guest-name=sg1,guest-devnum=21:1" \
	--package wodim --package cdrskin --package xorriso \
	--file "$out/a.iso:/a.iso" --file "$out/b.iso:/b.iso" \
	--file "$out/src/a/a.bin:/a.bin" --file "$out/src/b/b.bin:/b.bin" \
	--file "$sgrw:/sgrw" \
	--file "$top/tests/e2e/guest/burn-wodim.sh:/burn-wodim.sh" \
	--file "$top/tests/e2e/guest/burn-libburn.sh:/burn-libburn.sh" \
	--log "$out/console.log" --daemon-log "$out/devcalld.log" \
	-- sh -c 'sh /burn-wodim.sh > /tmp/out-w 2>&1; sed "s/^/W_/" /tmp/out-w
		  sh /burn-libburn.sh > /tmp/out-l 2>&1; sed "s/^/L_/" /tmp/out-l' \
	> "$out/guest.out" 2>&1
echo "guest done after $(elapsed "$start") s"
val() { sed -n "s/^$1=//p" "$out/guest.out" | tail -1; }
is0() { for k; do [ "$(val "$k")" = 0 ] || { echo fail; return; }; done; echo ok; }
# at IMG ISO LBA: the image holds ISO at LBA
at() { tail -c +$(( $3 * 2048 + 1 )) "$1" | cmp -s -n "$(stat -c %s "$2")" "$2" - && echo ok || echo fail; }

# The sg driver's read/write/poll semantics (sgrw, on /dev/sg0).
for c in blocking-read-sleeps nonblock-eagain poll-idle poll-reply \
	 reply-inquiry second-outstanding-edom reply-pack-id \
	 reply-check-condition v3-inquiry-poll v3-inquiry v3-read10-poll \
	 v3-read10 v3-check-condition-poll v3-check-condition \
	 v3-blocking-read-sleeps v3-interface-q-enosys v3-short-einval \
	 v3-bogus-dxferp-efault v3-bogus-cmdp-efault v3-refused-opcode-eperm \
	 v3-nothing-queued; do
	line=$(grep "^W_CHECK $c " "$out/guest.out" | head -1)
	result "sg-$c" "$(echo "$line" | grep -q " ok" && echo ok || echo fail)" "${line#W_CHECK $c }"
done

for s in W L; do
	[ $s = W ] && t=wodim || t=libburn
	result $t-cdrw-tao "$(is0 ${s}_RW_TAO)"
	result $t-cdrw-tao-readback "$(is0 ${s}_RW_TAO_READ)"
	result $t-cdrw-blank-fast "$(is0 ${s}_RW_BLANK1 ${s}_RW_BLANK2)"
	result $t-cdrw-sao "$(is0 ${s}_RW_SAO)"
	result $t-cdrw-sao-readback "$(is0 ${s}_RW_SAO_READ)"
	result $t-cdrw-multisession "$(is0 ${s}_RW_MS1 ${s}_RW_MS2)" "next session at $(val ${s}_RW_MS_NWA)"
	result $t-cdrw-multisession-readback "$(is0 ${s}_RW_MS1_READ ${s}_RW_MS2_READ)"
	result $t-cdr-multisession "$(is0 ${s}_R_MS1 ${s}_R_MS2)" "second session at $(val ${s}_R_MS_NWA)"
	result $t-cdr-multisession-readback "$(is0 ${s}_R_MS1_READ ${s}_R_MS2_READ)"
	result $t-cdr-refuses-blank "$([ "$(val ${s}_R_BLANK)" != 0 ] && [ -n "$(val ${s}_R_BLANK)" ] && echo ok || echo fail)"
	result $t-cdr-closed-refuses-tao "$([ "$(val ${s}_R_CLOSED_TAO)" != 0 ] && [ -n "$(val ${s}_R_CLOSED_TAO)" ] && echo ok || echo fail)"
done
result wodim-cdrw-toc-two-sessions "$([ "$(val W_RW_MS_TOC_ENTRIES)" = 3 ] && echo ok || echo fail)" \
	"$(val W_RW_MS_TOC_ENTRIES) entries"
result wodim-cdrw-blank-session "$([ "$(val W_RW_BLANK_SESSION)" = 0 ] && [ "$(val W_RW_AFTER_BLANK_ENTRIES)" = 2 ] && echo ok || echo fail)" \
	"$(val W_RW_AFTER_BLANK_ENTRIES) entries after"
result xorriso-two-sessions "$(is0 L_XO_S1 L_XO_S2)"
result xorriso-indev-extract-compare "$(is0 L_XO_EXTRACT L_XO_CMP)"
result xorriso-toc-two-sessions "$([ "$(val L_XO_SESSIONS)" = 2 ] && echo ok || echo fail)" "$(val L_XO_SESSIONS) sessions"
# The host's view: the images hold the ISOs at the LBAs the guests saw.
for s in w l; do
	S=$(echo $s | tr wl WL)
	n=$(val ${S}_R_MS_NWA)
	result image-$s-cdr "$([ "$(at "$out/$s-r.img" "$out/a.iso" 0)" = ok ] &&
		[ "$(at "$out/$s-r.img" "$out/b.iso" "${n:-0}")" = ok ] && echo ok || echo fail)"
done

echo "time $(elapsed "$start") s"
echo "burners: $pass passed, $fail failed"
[ "$fail" = 0 ]
