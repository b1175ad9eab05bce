#!/bin/bash
# QEMU's devcall QMP monitor connecting before its ivshmem chardev (what
# libvirt's argument order gives): the daemon must hold the connection,
# not close it (an EOF right after connecting crashes QEMU 7.2, see
# vm_session.c, session_qmp_accept()), and take it once the ivshmem
# connection of the same process comes. No QEMU: one Python process
# plays both of QEMU's sockets. An earlier connection still held (one
# is) is closed when a newer one comes.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
. "$top/tests/e2e/lib.sh"
run=$(mktemp -d /tmp/devcall-qmp-early.XXXXXX)
log=$run/devcalld.log
trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$run"' EXIT

"$build/vmm-glue/devcalld" --run-dir "$run" --pidfile "$run/pid" \
	--vm early,memory=auto --export early:rnd=/dev/urandom > "$log" 2>&1 &
dpid=$!
for _ in $(seq 100); do [ -S "$run/early.qmp" ] && [ -S "$run/early.sock" ] && break; sleep 0.05; done

# prints: EOF-BEFORE-IVSHMEM or HELD, then the first command the daemon sent
python3 - "$run" > "$run/out" 2>&1 <<'P'
import socket, sys, time, select
run = sys.argv[1]
other = socket.socket(socket.AF_UNIX)		# "someone else", connects first
other.connect(run + "/early.qmp")
time.sleep(0.3)
q = socket.socket(socket.AF_UNIX)		# "QEMU's monitor"
q.connect(run + "/early.qmp")
r, _, _ = select.select([q], [], [], 1.0)
print("EOF-BEFORE-IVSHMEM" if r else "HELD", flush=True)
iv = socket.socket(socket.AF_UNIX)		# "QEMU's ivshmem chardev"
iv.connect(run + "/early.sock")
q.settimeout(5)
got = b""
while b"\n" not in got:
	d = q.recv(4096)
	if not d:
		break
	got += d
print("QMP-GOT", got.split(b"\n")[0].decode(errors="replace").strip(), flush=True)
other.settimeout(5)
print("OTHER-EOF" if other.recv(1) == b"" else "OTHER-DATA", flush=True)
P
cat "$run/out"
result qmp-held-before-ivshmem "$(grep -qx HELD "$run/out" && grep -q 'waits for its ivshmem connection' "$log" && echo ok || echo fail)"
result qmp-taken-with-ivshmem "$(grep -q '^QMP-GOT {"execute": "qmp_capabilities"}' "$run/out" &&
	grep -q "vm early: QEMU's QMP events connected" "$log" && echo ok || echo fail)"
result older-held-closed "$(grep -qx OTHER-EOF "$run/out" && echo ok || echo fail)"
result daemon-alive "$(kill -0 $dpid 2>/dev/null && echo ok || echo fail)"
echo "qmp_early: $pass passed, $fail failed"
[ "$fail" = 0 ]
