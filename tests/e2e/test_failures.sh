#!/bin/bash
# Failures, in real guests on one daemon: a guest killed while it holds an
# exclusive export and sits in a blocked call (its files close and the
# other guest gets the export within a second); a guest reset the same
# way; the daemon killed under a guest's blocked call and its block I/O
# (the call and the disk's requests fail with EIO at once, nothing hangs,
# the guest kernel warns of nothing) and started again (the guest attaches
# again without a reboot, new opens work and the disk reads again).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/failures
vm=$top/vmm-glue/devcall-vm
dcwait=$build/guest-tools/dcwait
mkdir -p "$out"
daemon= pids=() loop=
. "$top/tests/e2e/lib.sh"

cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	pkill -f "devcall/f[abcrswl]/ram" 2>/dev/null
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	rm -f "$out"/*.fifo "$out/blk.img"
}
trap cleanup EXIT
[ -x "$dcwait" ] || { echo "no $dcwait: run 'make e2e'"; echo "failures: 0 passed, 1 failed"; exit 1; }

start_daemon() {
	"$build/vmm-glue/devcalld" --run-dir "$run" --pidfile "$run/pid" "$@" \
		>> "$out/devcalld.log" 2>&1 &
	daemon=$!
	for _ in $(seq 100); do [ -f "$run/pid" ] && break; sleep 0.05; done
}
guest() {	# guest NAME SCRIPT [QEMU-ARG...]: start a guest on the daemon
	local name=$1 script=$2 extra=() a
	shift 2
	for a in "$@"; do extra+=(--qemu-arg "$a"); done
	rm -f "$out/$name-console.log"
	"$vm" --attach --run-dir "$run" --name "$name" --timeout 300 \
		--file "$dcwait:/dcwait" --log "$out/$name-console.log" "${extra[@]}" \
		-- sh -c "$script" > "$out/$name.out" 2>&1 &
	pids+=($!)
}
qmp() {		# qmp SOCKET COMMAND: one QMP command to a QEMU; prints
		# the time it was sent (the clock of now()), as python
		# starting up is no part of what a test measures after it
	python3 - "$1" "$2" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", sys.argv[2]):
    sent = time.time()
    f.write(json.dumps({"execute": cmd}) + "\n")
    f.flush()
    while "return" not in json.loads(f.readline()):
        pass
print("%.6f" % sent)
PY
}
# The waiting guest got the export within a second of what freed it.
released_within_1s() {	# released_within_1s CHECK GUEST T0 WHAT READY
	local got=0 t
	wait_for "$out/$2-console.log" '^GOT' 10 && got=1
	t=$(elapsed "$3")
	result "$1" "$([ "$5" = 1 ] && [ $got = 1 ] && below "$t" 1.0 && echo ok || echo fail)" \
		"other guest opened it ${t}s after the $4"
}
# The shell's own read: no process per try, so what the second is spent
# on is the export becoming free, not TCG starting programs.
waiter='n=0; until read -r -n 1 x 2>/dev/null < /dev/devcall/excl; do
	[ $n = 0 ] && echo REFUSED; n=1; usleep 20000; done; echo GOT'
holder='exec 3</dev/devcall/excl && echo HOLDING; /dcwait block /dev/devcall/fifo'

run=$out/run
rm -rf "$run" "$out"/*.log && mkdir -p "$run"
rm -f "$out"/*.fifo && mkfifo "$out/a.fifo" "$out/c.fifo" "$out/r.fifo" "$out/w.fifo"
head -c 1M /dev/urandom > "$out/disc.bin"
rm -f "$out/blk.img" && truncate -s 64M "$out/blk.img" &&
	loop=$(losetup -f --show "$out/blk.img") ||
	{ echo "no loop device"; echo "failures: 0 passed, 1 failed"; exit 1; }
args=(--export "fa:excl=$out/disc.bin,exclusive" --export "fb:excl=$out/disc.bin,exclusive"
      --export "fr:excl=$out/disc.bin,exclusive" --export "fs:excl=$out/disc.bin,exclusive"
      --export "fa:fifo=$out/a.fifo" --export "fr:fifo=$out/r.fifo"
      --export "fc:fifo=$out/c.fifo" --export fc:zero=/dev/zero --export "fc:dblk=$loop"
      --export "fw:wfifo=$out/w.fifo" --export fl:zero=/dev/zero)
start_daemon "${args[@]}"

# ---- A guest killed mid-call while it holds an exclusive export. ----
guest fa "$holder"
wait_for "$out/fa-console.log" '^BLOCKING' 120
guest fb "$waiter"
ready=0
wait_for "$out/fa-console.log" '^BLOCKING' 120 && wait_for "$out/fb-console.log" '^REFUSED' 120 && ready=1
result other-guest-refused-while-held "$([ $ready = 1 ] && ! grep -aq '^GOT' "$out/fb-console.log" && echo ok || echo fail)"
# A stranger on the VM's QMP socket cannot fake a reset.
python3 - "$run/fa.qmp" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
try:	# the daemon may hang up first: that is the point
    s.sendall(b'{"QMP": {}}\r\n{"event": "RESET", "data": {"guest": true}}\r\n')
except OSError:
    pass
time.sleep(0.5)
PY
sleep 0.5
result fake-qmp-reset-refused "$(grep -q 'vm fa: QMP connection from pid [0-9]* refused' "$out/devcalld.log" &&
	! grep -q 'vm fa: guest reset' "$out/devcalld.log" && ! grep -aq '^GOT' "$out/fb-console.log" && echo ok || echo fail)"
t0=$(now)
pkill -9 -f "mem-path=/dev/shm/devcall/fa/ram"
released_within_1s killed-guest-claim-released-within-1s fb "$t0" kill 1
result killed-guest-files-closed "$(grep -q 'vm fa: QEMU disconnected: closing its 2 open file' "$out/devcalld.log" && echo ok || echo fail)"

# ---- A guest reset mid-call while it holds an exclusive export. ----
# QEMU would exit on a reset under the launcher's -no-reboot: reset instead.
guest fr "$holder" -action reboot=reset -qmp "unix:$out/fr-mon.qmp,server=on,wait=off"
wait_for "$out/fr-console.log" '^BLOCKING' 120
guest fs "$waiter"
ready=0
wait_for "$out/fs-console.log" '^REFUSED' 120 && ready=1
t0=$(qmp "$out/fr-mon.qmp" system_reset)
released_within_1s reset-guest-claim-released-within-1s fs "$t0" reset "$ready"
result reset-guest-files-closed "$(grep -q 'vm fr: guest reset: closing its 2 open file' "$out/devcalld.log" && echo ok || echo fail)"
pkill -9 -f "mem-path=/dev/shm/devcall/fr/ram"

# ---- A guest holding every worker it has in blocking host opens. ----
# fw opens a host FIFO nobody reads, 8 times at once: each open blocks in
# the host (its 4 workers held, 4 more calls queued behind them). fl, on
# the same daemon, makes 1000 small calls meanwhile: its own workers serve
# them (one shared pool used to leave the other VM's calls unanswered).
guest fw 'for i in 1 2 3 4 5 6 7 8; do (echo x > /dev/devcall/wfifo; echo OPENED) & done
	usleep 500000; echo BLOCKING; sleep 120'
wait_for "$out/fw-console.log" '^BLOCKING' 120
guest fl '/dcwait lat /dev/devcall/zero 1000'
lat=
wait_for "$out/fl-console.log" '^LAT' 120 && lat=$(grep -a '^LAT' "$out/fl-console.log" | tr -d '\r')
p99=$(echo "$lat" | sed -n 's/.* p99=\([0-9]*\) .*/\1/p')
blocked=$(grep -ac '^OPENED' "$out/fw-console.log")
result other-vm-served-while-workers-blocked \
	"$([ -n "$p99" ] && [ "$p99" -lt 50000 ] && echo "$lat" | grep -q 'errors=0' && [ "$blocked" = 0 ] && echo ok || echo fail)" \
	"${lat:-no answer}; blocked guest's opens done meanwhile: $blocked"
timeout 10 cat "$out/w.fifo" > /dev/null &
opened=0
for _ in $(seq 100); do
	[ "$(grep -ac '^OPENED' "$out/fw-console.log")" = 8 ] && { opened=1; break; }
	sleep 0.1
done
result blocked-opens-answered-once-released "$([ $opened = 1 ] && echo ok || echo fail)" \
	"$(grep -ac '^OPENED' "$out/fw-console.log") of 8 opens answered"
pkill -9 -f "mem-path=/dev/shm/devcall/fw/ram"
pkill -9 -f "mem-path=/dev/shm/devcall/fl/ram"

# ---- The daemon killed under a blocked call and block I/O, then started
# again. The disk's requests in flight fail only after the device reset
# (devcall_remove), and the guest kernel warns of nothing. ----
guest fc 'exec 4</dev/devcall/zero
	disk() { i=0; while [ ! -b /dev/devcall/dblk ] && [ $i -lt 300 ]; do usleep 100000; i=$((i+1)); done; }
	disk
	( n=0
	  while dd if=/dev/devcall/dblk of=/dev/null bs=1M count=16 iflag=direct 2>/tmp/dd; do
		n=$((n+1)); [ $n = 1 ] && echo DD-RUNNING
	  done
	  echo "DD-END after $n passes: $(grep -v records /tmp/dd | head -n 1)" ) &
	/dcwait block /dev/devcall/fifo
	head -c 1 <&4 >/dev/null 2>/tmp/e; echo "OLDFD=$? $(cat /tmp/e)"
	wait
	for i in $(seq 600); do
		[ "$(head -c 4096 /dev/devcall/zero 2>/dev/null | wc -c)" = 4096 ] && { echo REATTACHED; break; }
		usleep 50000
	done
	disk; dd if=/dev/devcall/dblk of=/dev/null bs=1M count=4 iflag=direct 2>/dev/null; echo "DD-AGAIN=$?"
	echo "KWARN=[$(dmesg | grep -E "WARNING|BUG|Oops|refcount" | head -n 3 | tr "\n" " ")]"
	sleep 3	# QEMU reconnects its QMP monitor meanwhile'
wait_for "$out/fc-console.log" '^BLOCKING' 120
wait_for "$out/fc-console.log" '^DD-RUNNING' 60
kill -9 "$daemon"; wait "$daemon" 2>/dev/null; daemon=
t0=$(now)
ended=0
wait_for "$out/fc-console.log" '^BLOCK-END' 10 && ended=1
t=$(elapsed "$t0")
line=$(grep -a '^BLOCK-END' "$out/fc-console.log" | tr -d '\r')
result daemon-killed-call-fails-eio "$([ $ended = 1 ] && echo "$line" | grep -q 'errno=5 ' && echo ok || echo fail)" \
	"${line:-no answer} (${t}s after the kill)"
result daemon-killed-fails-within-3s "$([ $ended = 1 ] && below "$t" 3.0 && echo ok || echo fail)" "${t}s"
wait_for "$out/fc-console.log" '^OLDFD=' 10
result old-file-fails-eio "$(grep -aq '^OLDFD=1 .*Input/output error' "$out/fc-console.log" && echo ok || echo fail)" \
	"$(grep -a '^OLDFD' "$out/fc-console.log" | tr -d '\r')"
wait_for "$out/fc-console.log" '^DD-END' 10
line=$(grep -a '^DD-END' "$out/fc-console.log" | tr -d '\r')
result daemon-killed-disk-io-fails-eio "$(echo "$line" | grep -q 'passes: .*Input/output error' && echo ok || echo fail)" \
	"${line:-dd did not end}"
rm -f "$run/pid"
t0=$(now)
start_daemon "${args[@]}"
back=0
wait_for "$out/fc-console.log" '^REATTACHED' 30 && back=1
t=$(elapsed "$t0")
result daemon-restarted-guest-reattaches "$([ $back = 1 ] && echo ok || echo fail)" "new open worked ${t}s after the restart"
wait_for "$out/fc-console.log" '^KWARN=' 60
line=$(grep -a '^DD-AGAIN=' "$out/fc-console.log" | tr -d '\r')
result restarted-daemon-disk-reads "$([ "$line" = DD-AGAIN=0 ] && echo ok || echo fail)" "${line:-no answer}"
line=$(grep -a '^KWARN=' "$out/fc-console.log" | tr -d '\r')
result daemon-killed-no-kernel-warnings "$([ "$line" = 'KWARN=[]' ] && echo ok || echo fail)" "$line"
result restarted-daemon-took-qemu-back "$(grep -q 'vm fc: QEMU taken back from the fd keeper' "$out/devcalld.log" && echo ok || echo fail)"
for _ in $(seq 40); do
	[ "$(grep -c "vm fc: QEMU's QMP events connected" "$out/devcalld.log")" -ge 2 ] && break
	sleep 0.1
done
result qmp-reconnects-to-restarted-daemon "$([ "$(grep -c "vm fc: QEMU's QMP events connected" "$out/devcalld.log")" -ge 2 ] && echo ok || echo fail)"

for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
pids=()
echo "failures: $pass passed, $fail failed"
[ "$fail" = 0 ]
