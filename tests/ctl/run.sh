#!/bin/bash
# devcallctl against the real devcalld (tests/ctl/ctl_test.c): one VM
# "a" with exports zero, excl (exclusive) and file, a socket group so a
# client outside it can be refused, and a fake QEMU/guest (no VM
# booted). Needs root (it runs clients as uid 65534). Ends with
# "N passed, N failed". DEVCALLD_ARGS: more daemon flags (a sanitizer
# build needs --no-seccomp: its runtime makes calls the filter refuses).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/ctl-test
bin=$build/tests/ctl/ctl_test
devcalld=$build/vmm-glue/devcalld
devcallctl=$build/vmm-glue/devcallctl
mkdir -p "$out"
[ -x "$bin" ] && [ -x "$devcalld" ] && [ -x "$devcallctl" ] ||
	{ echo "run 'make ctl-test'"; echo "0 passed, 1 failed"; exit 1; }
# The socket group: one that exists everywhere and uid 65534 is not in.
group=daemon
gid=$(getent group "$group" | cut -d: -f3)
[ -n "$gid" ] || { echo "no group $group"; echo "0 passed, 1 failed"; exit 1; }

dir=$(mktemp -d /tmp/devcall-ctl.XXXXXX)
chmod 755 "$dir"		# uid 65534 must reach the run dir
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	cp "$dir/devcalld.log" "$out/devcalld.log" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
# devcallctl runs as uid 65534 too: it must be reachable.
cp "$devcallctl" "$dir/devcallctl"
chmod 755 "$dir/devcallctl"

mkdir -m 0700 "$dir/ram"
head -c 4096 /dev/zero > "$dir/excl.bin"
head -c 4096 /dev/zero > "$dir/file.bin"
cat > "$dir/vms.ini" <<EOT
[daemon]
ram-dir = $dir/ram-default
control-group = $group
socket-group = nogroup
live-vms = yes
[vm a]
memory = $dir/ram/a.ram
max-calls = 64
[export a zero]
path = /dev/zero
[export a excl]
path = $dir/excl.bin
access = rw
sharing = exclusive
[export a file]
path = $dir/file.bin
access = rw
EOT

(umask 022; exec "$devcalld" --config "$dir/vms.ini" --run-dir "$dir/run" \
	--pidfile "$dir/pid" ${DEVCALLD_ARGS:-} > "$dir/devcalld.log" 2>&1) &
daemon=$!
for _ in $(seq 100); do
	[ -s "$dir/pid" ] && break
	kill -0 "$daemon" 2>/dev/null || break
	sleep 0.05
done
if ! [ -s "$dir/pid" ]; then
	cat "$dir/devcalld.log"; echo "0 passed, 1 failed"; exit 1
fi
mode=$(stat -c '%a %G' "$dir/run/control")
t0=$(date +%s%N)
"$bin" "$dir" "$dir/devcallctl" "$dir/run/control" "$gid" > "$dir/out" 2>&1
grep -v '^[0-9]* passed, [0-9]* failed$' "$dir/out"
line=$(grep '^[0-9]* passed, [0-9]* failed$' "$dir/out" | tail -1)
pass=$(echo "${line:-0 passed, 1 failed}" | awk '{print $1}')
fail=$(echo "${line:-0 passed, 1 failed}" | awk '{print $3}')
if [ "$mode" = "660 $group" ]; then
	echo "ok: control socket is 0660 group $group"; pass=$((pass + 1))
else
	echo "FAIL: control socket is $mode"; fail=$((fail + 1))
fi
if kill -0 "$daemon" 2>/dev/null && ! grep -q "seccomp: system call" "$dir/devcalld.log"; then
	echo "ok: the daemon is alive, no seccomp refusal"; pass=$((pass + 1))
else
	echo "FAIL: daemon died or seccomp refused a call:"; tail -5 "$dir/devcalld.log"
	fail=$((fail + 1))
fi
echo "# $(( ($(date +%s%N) - t0) / 1000000 )) ms; daemon log: $out/devcalld.log"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
