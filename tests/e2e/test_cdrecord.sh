#!/bin/bash
# cdrecord (Debian's wodim) in a guest against the emulated CD-RW drive
# plugin, through devcall: every MMC command travels as SG_IO with its
# embedded pointers rewritten by the host. The host checks the disc image.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/cdrecord
vm=$top/vmm-glue/devcall-vm
mkdir -p "$out"
. "$top/tests/e2e/lib.sh"

burn() {	# burn NAME GUEST-SCRIPT: run wodim in a guest on the drive
	"$vm" --name "cd-$1" --timeout 300 --plugin "$build/examples/devcall-emudrive.so" \
		--export "cdrw=$out/disc.img,backend=emudrive,options=media=cdrw,exclusive,scsi=passthrough" \
		--package wodim --file "$out/small.iso:/small.iso" \
		--log "$out/$1-console.log" --daemon-log "$out/$1-devcalld.log" \
		-- sh -c "$2" > "$out/$1.out" 2>&1
}

# A small ISO: shorter than 300 sectors, so wodim pads the track.
rm -rf "$out/src" "$out"/disc.img*
mkdir -p "$out/src"
head -c 200000 /dev/urandom > "$out/src/random.bin"
echo "burned through devcall" > "$out/src/README"
genisoimage -quiet -R -J -o "$out/small.iso" "$out/src" ||
	{ echo "genisoimage failed"; echo "0 passed, 1 failed"; exit 1; }
iso_sectors=$(( $(stat -c %s "$out/small.iso") / 2048 ))
: > "$out/disc.img"		# an empty image is a blank disc

w='wodim dev=/dev/devcall/cdrw'
burn probe "$w -inq; echo INQ=\$?; $w -checkdrive; echo CHECKDRIVE=\$?;
	$w -prcap; echo PRCAP=\$?; $w -atip; echo ATIP=\$?;
	$w -dummy -tao /small.iso; echo DUMMY=\$?"
st() { sed -n "s/^$1=//p" "$out/probe.out"; }
result wodim-inq "$([ "$(st INQ)" = 0 ] && grep -q "Vendor_info    : 'DEVCALL '" "$out/probe.out" && echo ok || echo fail)"
result wodim-checkdrive "$([ "$(st CHECKDRIVE)" = 0 ] && grep -q 'Supported modes: TAO' "$out/probe.out" && echo ok || echo fail)"
result wodim-prcap "$([ "$(st PRCAP)" = 0 ] && grep -q 'Maximum write speed: *1408 kB/s' "$out/probe.out" && echo ok || echo fail)"
result wodim-atip "$([ "$(st ATIP)" = 0 ] && grep -q 'ATIP start of lead out' "$out/probe.out" && echo ok || echo fail)"
result wodim-dummy-tao "$([ "$(st DUMMY)" = 0 ] && grep -q 'dummy TAO' "$out/probe.out" && echo ok || echo fail)"
result dummy-leaves-disc-blank "$([ ! -s "$out/disc.img" ] && ! grep -q '^status [12]' "$out/disc.img.state" 2>/dev/null && echo ok || echo fail)" \
	"image $(stat -c %s "$out/disc.img") bytes"

burn write "$w -tao /small.iso; echo TAO=\$?"
result wodim-tao-write "$([ "$(sed -n 's/^TAO=//p' "$out/write.out")" = 0 ] && echo ok || echo fail)"
img=$(stat -c %s "$out/disc.img")
padded=$(( iso_sectors < 300 ? 300 : iso_sectors ))
result disc-holds-iso-byte-for-byte "$(cmp -s -n "$(stat -c %s "$out/small.iso")" "$out/small.iso" "$out/disc.img" && echo ok || echo fail)"
result short-track-zero-padded "$([ "$img" = $((padded * 2048)) ] && [ -z "$(tail -c +$((iso_sectors * 2048 + 1)) "$out/disc.img" | tr -d '\0' | head -c 1)" ] && echo ok || echo fail)" \
	"iso $iso_sectors sectors, image $img bytes"
result disc-closed "$(grep -q '^status 2' "$out/disc.img.state" && echo ok || echo fail)"

# A closed disc refuses another TAO write; blank=fast makes it blank again.
burn again "$w -tao /small.iso; echo AGAIN=\$?; $w blank=fast; echo BLANK=\$?"
result closed-disc-refuses-tao "$([ "$(sed -n 's/^AGAIN=//p' "$out/again.out")" != 0 ] && echo ok || echo fail)"
result blank-fast-on-rw "$([ "$(sed -n 's/^BLANK=//p' "$out/again.out")" = 0 ] && grep -q '^status 0' "$out/disc.img.state" && echo ok || echo fail)"

# Two guests, one drive, on one daemon: the export is exclusive across VMs,
# so the second wodim gets EBUSY (wodim itself retries) until the first one
# closes; both burn a session (-multi), one after the other.
run=$out/run
rm -rf "$run" && mkdir -p "$run"
: > "$out/disc.img"
rm -f "$out/disc.img.state"
mkdir -p "$out/src2" && head -c 250000 /dev/urandom > "$out/src2/other.bin"
genisoimage -quiet -R -o "$out/second.iso" "$out/src2"
"$build/vmm-glue/devcalld" --run-dir "$run" --pidfile "$run/pid" \
	--plugin "$build/examples/devcall-emudrive.so" \
	--export "ga:cdrw=$out/disc.img,backend=emudrive,exclusive,scsi=passthrough" \
	--export "gb:cdrw=$out/disc.img,backend=emudrive,exclusive,scsi=passthrough" \
	> "$out/two-devcalld.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do [ -f "$run/pid" ] && break; sleep 0.05; done
# Each guest retries while the drive is busy and counts the opens that
# were refused. The first one's wodim output reaches its console as it
# goes, so the second starts while the first holds the drive (a long
# gracetime keeps it held).
g='busy=0; for i in $(seq 60); do
	{ wodim -v -multi -tao gracetime=$GRACE dev=/dev/devcall/cdrw /x.iso
	  echo "RC=$?"; } 2>&1 | tee /tmp/w.log
	rc=$(sed -n "s/^RC=//p" /tmp/w.log)
	[ "$rc" = 0 ] && break
	grep -q "Device or resource busy" /tmp/w.log || break
	busy=$((busy + 1)); sleep 1
done
echo BUSY=$busy; echo BURN=$rc'
rm -f "$out/ga-console.log"
"$vm" --attach --run-dir "$run" --name ga --timeout 300 --package wodim \
	--log "$out/ga-console.log" \
	--file "$out/small.iso:/x.iso" -- sh -c "GRACE=40; $g" > "$out/ga.out" 2>&1 &
first=$!
# The second guest starts once the first one holds the drive.
for _ in $(seq 600); do
	grep -q 'Last chance' "$out/ga-console.log" 2>/dev/null && break
	sleep 0.1
done
"$vm" --attach --run-dir "$run" --name gb --timeout 300 --package wodim \
	--file "$out/second.iso:/x.iso" -- sh -c "GRACE=2; $g" > "$out/gb.out" 2>&1
wait "$first"
kill "$daemon"; wait "$daemon" 2>/dev/null
burns=$(cat "$out/ga.out" "$out/gb.out" | grep -c '^BURN=0')
busy=$(cat "$out/ga.out" "$out/gb.out" | sed -n 's/^BUSY=//p' | awk '{s += $1} END {print s + 0}')
result two-guests-both-burn "$([ "$burns" = 2 ] && grep -q '^tracks 2' "$out/disc.img.state" && echo ok || echo fail)" \
	"burns $burns, $(grep '^tracks' "$out/disc.img.state" 2>/dev/null)"
result second-guest-saw-ebusy "$([ "$busy" -gt 0 ] && echo ok || echo fail)" "busy $busy"
# The sessions hold the two ISOs, in the order the guests got the drive.
t2=$(sed -n "s/^track \([0-9]*\) [0-9]* 2\( [0-9]*\)\?$/\1/p" "$out/disc.img.state")
iso_at() { tail -c +$(( $2 * 2048 + 1 )) "$out/disc.img" | cmp -s -n "$(stat -c %s "$1")" "$1" -; }
result both-isos-on-the-disc "$({ iso_at "$out/small.iso" 0 && iso_at "$out/second.iso" "${t2:-0}"; } ||
	{ iso_at "$out/second.iso" 0 && iso_at "$out/small.iso" "${t2:-0}"; } && echo ok || echo fail)"

echo "cdrecord: $pass passed, $fail failed"
[ "$fail" = 0 ]
