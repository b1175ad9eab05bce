#!/bin/bash
# Exports added and removed live, in a real guest (guest/hotplug.sh): the
# daemon runs from a configuration file exporting /dev/zero, a host FIFO
# and a disk image. The guest holds zero and the disk open and waits in a
# read of the FIFO (parked in the daemon); the file is rewritten to export
# /dev/urandom as rnd instead and the daemon gets SIGHUP. rnd must appear
# and zero disappear in the guest within 1 s; the open descriptor and the
# waiting read fail with ENXIO or EIO (the disk's: end of file, as any
# removed disk); the daemon's descriptors come back to what they were
# without the guest's files. A broken configuration changes nothing; zero
# added back appears and works.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/hotplug
vm=$top/vmm-glue/devcall-vm
name=e2e-hotplug
conf=$out/devcalld.conf
mkdir -p "$out"
vmpid=
. "$top/tests/e2e/lib.sh"

cleanup() { [ -n "$vmpid" ] && kill "$vmpid" 2>/dev/null; rm -f "$out/h.fifo" "$out/disk.img"; }
trap cleanup EXIT
finish() { echo "hotplug: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }

write_conf() {	# write_conf NAME=PATH[|KEY = VALUE]...: the exports, atomically
	local e p
	for e in "$@"; do
		p=${e#*=}
		printf '[export %s %s]\npath = %s\n' "$name" "${e%%=*}" "${p%%|*}"
		[ "$p" = "${p#*|}" ] || printf '%s\n' "${p#*|}"
		echo
	done > "$conf.new"
	mv "$conf.new" "$conf"
}
in_1s() { [ -n "$1" ] && [ "$1" != never ] && below "$1" 1; }
daemon_pid() { pgrep -f -- "--vm $name," | head -1; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
fds_on() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c -- "-> $2\$"; }
# reload MARKER...: SIGHUP the daemon; seconds until the guest said each
reload() {
	local t0 m
	t0=$(now)
	kill -HUP "$d"
	for m in "$@"; do
		if wait_for "$out/console.log" "^$m" 20; then elapsed "$t0"
		else printf never; fi
		echo
	done
}

rm -f "$out/h.fifo"
mkfifo "$out/h.fifo"
head -c 4M /dev/urandom > "$out/disk.img"
write_conf zero=/dev/zero fifo="$out/h.fifo" "disk=$out/disk.img|guest-type = block"
rm -f "$out/console.log"
"$vm" --name "$name" --timeout 240 --config "$conf" \
	--script "$top/tests/e2e/guest/hotplug.sh" \
	--log "$out/console.log" --daemon-log "$out/devcalld.log" \
	> "$out/guest.out" 2>&1 &
vmpid=$!

bad=fail held= base= t_rnd= t_gone= t_back= after= after2=
if wait_for "$out/console.log" '^HOLDING' 200; then
	d=$(daemon_pid)
	sleep 0.5
	held=$(fds_on "$d" /dev/zero)$(fds_on "$d" "$out/h.fifo")$(fds_on "$d" "$out/disk.img")
	base=$(($(fd_count "$d") - 3))	# without the guest's zero, fifo, disk
	write_conf rnd=/dev/urandom
	{ read -r t_rnd; read -r t_gone; } < <(reload RND-UP ZERO-GONE)
	if wait_for "$out/console.log" '^STAGE1-DONE' 60; then
		sleep 0.5
		after=$(fd_count "$d")
		left=$(fds_on "$d" /dev/zero)$(fds_on "$d" /dev/urandom)$(fds_on "$d" "$out/h.fifo")$(fds_on "$d" "$out/disk.img")
	fi
	# A configuration that does not load changes nothing.
	printf '[export %s bad]\npath = relative\n' "$name" > "$conf"
	kill -HUP "$d"
	wait_for "$out/devcalld.log" 'configuration unchanged' 10 && bad=ok
	want=$(dd if="$out/disk.img" bs=4096 skip=100 count=1 status=none | md5sum | cut -d' ' -f1)
	got=$(sed -n 's/^VALUE disk-md5 //p' "$out/console.log" | tr -d '\r')
	result read-disk-matches-host "$([ -n "$got" ] && [ "$got" = "$want" ] && echo ok || echo fail)" \
		"guest $got host $want"
	write_conf rnd=/dev/urandom zero=/dev/zero
	t_back=$(reload ZERO-UP)
	if wait_for "$out/console.log" '^DONE' 60; then
		sleep 0.5
		after2=$(fd_count "$d")
	fi
	grep -a "reload" "$out/devcalld.log" | sed 's/^/  daemon: /'
fi
result bad-config-refused "$bad"
result holding-host-files "$([ "$held" = 111 ] && echo ok || echo fail)" "${held:-none} (/dev/zero, FIFO, disk image)"
result rnd-up-within-1s "$(in_1s "$t_rnd" && echo ok || echo fail)" "${t_rnd:-none} s"
result zero-gone-within-1s "$(in_1s "$t_gone" && echo ok || echo fail)" "${t_gone:-none} s"
result zero-back-within-1s "$(in_1s "$t_back" && echo ok || echo fail)" "${t_back:-none} s"
result daemon-fds-back-to-baseline "$([ -n "$after" ] && [ "$after" = "$base" ] && [ "$left" = 0000 ] && echo ok || echo fail)" \
	"baseline $base, after removal $after (zero,urandom,fifo,disk open: ${left:-?})"
result daemon-fds-after-readd "$([ -n "$after2" ] && [ "$after2" = "$base" ] && echo ok || echo fail)" \
	"baseline $base, after re-add $after2"

wait "$vmpid"
rc=$?
vmpid=
result guest-ran "$([ $rc = 0 ] && echo ok || echo fail)" "status $rc"
while read -r _ n verdict detail; do
	result "$n" "$verdict" "$detail"
done < <(grep '^CHECK ' "$out/guest.out" | tr -d '\r')
for n in read-zero-before rnd-appears zero-disappears removed-fd-enxio-eio \
	 waiting-read-ends-enxio-eio read-disk-before disk-disappears removed-disk-read-eof removed-disk-write-fails read-rnd \
	 rnd-not-zero bus-holds-rnd-only zero-reappears read-zero-again rnd-still-there \
	 bus-holds-two no-kernel-warnings; do
	grep -q "^CHECK $n " "$out/guest.out" || result "$n" fail "did not run"
done
finish
