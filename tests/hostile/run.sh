#!/bin/bash
# The hostile-guest suite (tests/hostile/README.md): starts the real
# devcalld with five VMs and runs build/tests/hostile/hostile against it.
# No QEMU, no guest kernel: a fake QEMU + guest in C speaks the ivshmem
# protocol and writes registers, rings and requests by hand.
#   a    the attacker: exports below, a small call budget
#   b    the victim: the same exports, default limits
#   c    a spare VM nobody connects to (foreign-uid connects)
#   sym  guest RAM path is a symlink;  own  RAM file owned by uid 65534
# Exports of a and b, ids 1..6: zero, null, fifo (the suite holds its
# other end), wfifo (nobody does: OPEN blocks), excl (exclusive, one
# file for both VMs), file (a regular 4 KiB file, rw).
# Restarts the daemon if a scenario kills it, and goes on with the rest.
# Usage: run.sh [FILTER...]   Needs root (uid 65534 scenarios).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/hostile
bin=$build/tests/hostile/hostile
devcalld=$build/vmm-glue/devcalld
mkdir -p "$out"
[ -x "$bin" ] && [ -x "$devcalld" ] || { echo "run 'make hostile'"; echo "0 passed, 1 failed"; exit 1; }

dir=$(mktemp -d /tmp/devcall-hostile.XXXXXX)
chmod 755 "$dir"		# uid 65534 must reach the daemon's run dir
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	cp "$dir/devcalld.log" "$out/devcalld.log" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

mkfifo "$dir/a.fifo" "$dir/a-w.fifo" "$dir/b.fifo" "$dir/b-w.fifo"
head -c 4096 /dev/zero > "$dir/excl.bin"
head -c 4096 /dev/zero > "$dir/a-file.bin"
head -c 4096 /dev/zero > "$dir/b-file.bin"
# A device whose reads are short calls that take long, as a disk's do.
echo 'read result=16 delay=50ms' > "$dir/slow.script"
# Guest RAM in a private directory, as the daemon requires (0700).
mkdir -m 0700 "$dir/ram"
truncate -s 64M "$dir/ram/sym-target.ram" "$dir/ram/own.ram"
ln -s "$dir/ram/sym-target.ram" "$dir/ram/sym.ram"
chown 65534:65534 "$dir/ram/own.ram"

write_config() {	# write_config WITH-BUDGET
	{
		printf '[daemon]\nram-dir = %s/ram-default\n' "$dir"
		echo "[vm a]"
		echo "memory = $dir/ram/a.ram"
		[ "$1" = 1 ] && printf 'max-calls = 64\nmax-call-bytes = 1M\nworkers = 4\n'
		echo "[vm b]"
		echo "memory = $dir/ram/b.ram"
		echo "poll-us = 1000"
		for v in c sym own; do printf '[vm %s]\nmemory = %s/ram/%s.ram\n' $v "$dir" $v; done
		printf '[vm auto]\nmemory = auto\n[export auto zero]\npath = /dev/zero\n'
		for v in a b; do
			printf '[export %s zero]\npath = /dev/zero\n' $v
			printf '[export %s null]\npath = /dev/null\n' $v
			printf '[export %s fifo]\npath = %s/%s.fifo\n' $v "$dir" $v
			printf '[export %s wfifo]\npath = %s/%s-w.fifo\n' $v "$dir" $v
			printf '[export %s excl]\npath = %s/excl.bin\nsharing = exclusive\n' $v "$dir"
			printf '[export %s file]\npath = %s/%s-file.bin\naccess = rw\n' $v "$dir" $v
			printf '[export %s slow]\npath = /dev/null\nbackend = script\nscript = %s/slow.script\n' $v "$dir"
		done
	} > "$dir/vms.ini"
}

start_daemon() {
	rm -f "$dir/pid"
	(umask 022; exec "$devcalld" --config "$dir/vms.ini" --run-dir "$dir/run" \
		--pidfile "$dir/pid" >> "$dir/devcalld.log" 2>&1) &
	daemon=$!
	for _ in $(seq 100); do
		[ -s "$dir/pid" ] && return 0
		kill -0 "$daemon" 2>/dev/null || break
		sleep 0.05
	done
	wait "$daemon" 2>/dev/null
	daemon=
	return 1
}

# The call budget knobs (max-calls, max-call-bytes, workers) are newer
# than some daemons: without them the budget scenarios fail and say so.
budget=1
write_config 1
if ! start_daemon; then
	if grep -q "unknown VM key" "$dir/devcalld.log"; then
		echo "# devcalld does not know max-calls/max-call-bytes/workers: budget scenarios will fail"
		budget=0
		write_config 0
		start_daemon || { cat "$dir/devcalld.log"; echo "0 passed, 1 failed"; exit 1; }
	else
		cat "$dir/devcalld.log"; echo "0 passed, 1 failed"; exit 1
	fi
fi

pass=0 fail=0 after=()
t0=$(date +%s)
while :; do
	HOSTILE_BUDGET=$budget "$bin" --dir "$dir" --pid "$daemon" "${after[@]}" "$@" > "$dir/out" 2>&1
	rc=$?
	grep -v '^[0-9]* passed, [0-9]* failed$' "$dir/out"
	line=$(grep '^[0-9]* passed, [0-9]* failed$' "$dir/out" | tail -1)
	pass=$((pass + $(echo "${line:-0 passed, 1 failed}" | awk '{print $1}')))
	fail=$((fail + $(echo "${line:-0 passed, 1 failed}" | awk '{print $3}')))
	[ $rc = 3 ] || break
	last=$(sed -n 's/^# the daemon died in //p' "$dir/out")
	wait "$daemon" 2>/dev/null
	echo "# devcalld died ($(tail -1 "$dir/devcalld.log")); restarting it"
	daemon=
	start_daemon || { echo "# devcalld would not start again"; fail=$((fail + 1)); break; }
	after=(--after "$last")
done
echo "# $(($(date +%s) - t0)) s; daemon log: $out/devcalld.log"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
