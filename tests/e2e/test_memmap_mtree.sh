#!/bin/bash
# devcalld's guest RAM map must be exactly QEMU's: for q35 and pc machines
# and RAM sizes below and above the below-4G split, every piece of the RAM
# backend in QEMU's flat view (`info mtree -f`) must sit where devcalld
# would look for it, and devcalld's regions must end where QEMU's do.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
memmap=$build/vmm-glue/devcall-memmap
tmp=$(mktemp -d)
trap 'pkill -f "$tmp/mon" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0

mtree() {	# mtree MACHINE SIZE_MIB -> QEMU's flat view of address space memory
	local ram=$tmp/ram
	qemu-system-x86_64 -accel tcg -machine "$1,memory-backend=ram" -m "${2}M" \
		-object "memory-backend-file,id=ram,size=${2}M,mem-path=$ram,share=on" \
		-nodefaults -display none -S -monitor "unix:$tmp/mon,server=on,wait=off" 2>/dev/null &
	local pid=$!
	for _ in $(seq 100); do [ -S "$tmp/mon" ] && break; sleep 0.05; done
	python3 - "$tmp/mon" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(3)
s.sendall(b"info mtree -f\n")
s.settimeout(1)
buf = b""
while True:		# until the monitor has been quiet for a second
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    buf += chunk
print(buf.decode(errors="replace"))
PY
	kill "$pid"; wait "$pid" 2>/dev/null; rm -f "$tmp/mon" "$ram"
	return 0
}

check() {	# check MACHINE SIZE_MIB
	local view layout
	view=$(mtree "$1" "$2")
	layout=$("$memmap" "$1" $(($2 << 20)))
	python3 - "$layout" <<PY
import re, sys
layout = [tuple(int(x, 16) for x in l.split()) for l in sys.argv[1].splitlines()]
view = """$view"""
# The flat view of the "memory" address space (its number varies).
fv = next(v for v in view.split("FlatView #") if 'AS "memory"' in v)
# "ram" is the backend; QEMU leaves out "@offset" where it is 0.
pieces = [(int(a, 16), int(b, 16), int(o or "0", 16)) for a, b, o in
          re.findall(r"([0-9a-f]{16})-([0-9a-f]{16}) \(prio [-0-9]+, (?:ram|rom)\): ram(?: @([0-9a-f]{16}))?$", fv, re.M)]
ok = bool(pieces)
for a, b, o in pieces:
    if not any(g <= a and b < g + sz and o == off + (a - g) for g, sz, off in layout):
        print("piece %x-%x @%x not where devcalld maps it" % (a, b, o)); ok = False
for g, sz, off in layout:
    ends = [b for a, b, o in pieces if g <= a <= b < g + sz]
    if not ends or max(ends) != g + sz - 1:
        print("devcalld region %x+%x does not end where QEMU's RAM does" % (g, sz)); ok = False
sys.exit(0 if ok else 1)
PY
}

for machine in q35 pc; do
	for mib in 512 2048 3072 4096; do
		if out=$(check "$machine" "$mib" 2>&1); then
			pass=$((pass + 1)); echo "ok   mtree-$machine-${mib}M"
		else
			fail=$((fail + 1)); echo "FAIL mtree-$machine-${mib}M $out"
		fi
	done
done
echo "mtree: $pass passed, $fail failed"
[ "$fail" = 0 ]
