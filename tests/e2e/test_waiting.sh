#!/bin/bash
# Forwarded files that wait, in real guests: poll, select, epoll, EAGAIN,
# blocking reads, signals (EINTR and SA_RESTART) on a host FIFO; a host
# pty (/dev/ptmx) a host process talks to through its slave; hundreds of
# blocked readers across two guests on one daemon, which must not spend
# a thread on each; a shared export open in both guests at once.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/waiting
vm=$top/vmm-glue/devcall-vm
dcwait=$build/guest-tools/dcwait
mkdir -p "$out"
daemon= slave_pid=
. "$top/tests/e2e/lib.sh"

cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	[ -n "$slave_pid" ] && kill "$slave_pid" 2>/dev/null
	rm -f "$out"/*.fifo
}
trap cleanup EXIT
[ -x "$dcwait" ] || { echo "no $dcwait: run 'make e2e'"; echo "waiting: 0 passed, 1 failed"; exit 1; }

# The host side of the pty check: open the slave the guest names, say
# "ping", expect "pong".
pty_host() {	# pty_host CONSOLE-LOG RESULT-FILE
	local n line
	wait_for "$1" '^PTN=' 120 || { echo "no PTN" > "$2"; return; }
	n=$(sed -n 's/^PTN=\([0-9]*\).*/\1/p' "$1" | head -1 | tr -d '\r')
	exec 7<>"/dev/pts/$n" || { echo "cannot open /dev/pts/$n" > "$2"; return; }
	printf 'ping\n' >&7
	if read -r -t 30 line <&7; then echo "GOT ${line%$'\r'}" > "$2"
	else echo "nothing read" > "$2"; fi
	exec 7>&-
}

# ---- One guest: FIFO waits and signals, then the pty. ----
rm -f "$out"/*.fifo
mkfifo "$out/w.fifo" "$out/a.fifo" "$out/b.fifo"
# Once the FIFO checks are done, the daemon must hold no file on the FIFO:
# every guest open was closed, the open of the killed process too.
fifo_host() {	# fifo_host CONSOLE-LOG RESULT-FILE
	local d
	wait_for "$1" '^FIFO-DONE' 120 || { echo "no FIFO-DONE" > "$2"; return; }
	d=$(pgrep -f -- "--vm wait-one," | head -1)
	ls -l "/proc/$d/fd" 2>/dev/null | grep -c -- "-> $out/w.fifo" > "$2"
}
rm -f "$out/one-console.log" "$out/pty.result" "$out/fifo.result"
pty_host "$out/one-console.log" "$out/pty.result" &
slave_pid=$!
fifo_host "$out/one-console.log" "$out/fifo.result" &
fifo_pid=$!
"$vm" --name wait-one --timeout 180 \
	--export "fifo=$out/w.fifo" --export ptmx=/dev/ptmx \
	--file "$dcwait:/dcwait" --log "$out/one-console.log" \
	--daemon-log "$out/one-devcalld.log" \
	-- sh -c '/dcwait fifo /dev/devcall/fifo; /dcwait orphan /dev/devcall/fifo
		  echo FIFO-DONE; sleep 2; /dcwait pty /dev/devcall/ptmx' \
	> "$out/one.out" 2>&1
rc=$?
wait "$slave_pid" "$fifo_pid"; slave_pid=
result guest-ran "$([ $rc = 0 ] && echo ok || echo fail)" "status $rc"
while read -r _ name verdict detail; do
	result "$name" "$verdict" "$detail"
done < <(grep '^CHECK ' "$out/one.out" | tr -d '\r')
for name in poll-timeout-empty poll-writable-now poll-wakes-on-data poll-slots-full-still-wakes \
	    poll-slots-data-read poll-never-events-time-out select-wakes-on-data \
	    epoll-timeout-empty epoll-wakes-on-data epoll-level-still-ready \
	    epoll-quiet-after-read nonblock-read-eagain nonblock-write-eagain \
	    blocking-write-waits-for-room blocking-write-data blocking-write-whole \
	    blocking-read-waits \
	    signal-eintr after-eintr-next-read signal-sa-restart pty-unlockpt \
	    orphan-open-killed orphan-reader-open \
	    pty-tiocgptn pty-tcsets-tcgets pty-poll-wakes pty-read-from-host \
	    pty-write-to-host; do
	grep -q "^CHECK $name " "$out/one.out" || result "$name" fail "did not run"
done
result pty-host-got-pong "$(grep -q '^GOT pong$' "$out/pty.result" 2>/dev/null && echo ok || echo fail)" \
	"$(cat "$out/pty.result" 2>/dev/null)"
result no-host-file-left-on-fifo "$([ "$(cat "$out/fifo.result" 2>/dev/null)" = 0 ] && echo ok || echo fail)" \
	"daemon holds $(cat "$out/fifo.result" 2>/dev/null) descriptor(s) of the FIFO"

# ---- Two guests, one daemon: 2 x N blocked readers, a shared export. ----
n=200
head -c 1M /dev/urandom > "$out/shared.bin"
run=$out/run
rm -rf "$run" && mkdir -p "$run"
workers=4
"$build/vmm-glue/devcalld" --run-dir "$run" --pidfile "$run/pid" --workers $workers \
	--export "wa:fifo=$out/a.fifo" --export "wb:fifo=$out/b.fifo" \
	--export "wa:shared=$out/shared.bin,ro" --export "wb:shared=$out/shared.bin,ro" \
	> "$out/two-devcalld.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do [ -f "$run/pid" ] && break; sleep 0.05; done
threads_idle=$(awk '/^Threads:/ {print $2}' /proc/$daemon/status)
g="exec 3</dev/devcall/shared; /dcwait waiters /dev/devcall/fifo $n;
   echo SHARED=\$(head -c 1048576 <&3 | md5sum | cut -d' ' -f1)"
for v in wa wb; do
	rm -f "$out/$v-console.log"
	"$vm" --attach --run-dir "$run" --name "$v" --timeout 240 --memory 768M \
		--file "$dcwait:/dcwait" --log "$out/$v-console.log" \
		-- sh -c "$g" > "$out/$v.out" 2>&1 &
	eval "pid_$v=\$!"
done
waiting=0
wait_for "$out/wa-console.log" '^WAITING' 180 && wait_for "$out/wb-console.log" '^WAITING' 60 && waiting=1
sleep 1
threads_busy=$(awk '/^Threads:/ {print $2}' /proc/$daemon/status)
wait "$pid_wa"; rc_a=$?
wait "$pid_wb"; rc_b=$?
result waiters-reached-host "$([ $waiting = 1 ] && echo ok || echo fail)"
result no-thread-per-waiter "$([ $waiting = 1 ] && [ "$threads_busy" = "$threads_idle" ] && echo ok || echo fail)" \
	"$((2 * n)) readers waiting; daemon threads idle $threads_idle, with waiters $threads_busy"
for v in wa wb; do
	result "$v-all-$n-woke" "$(grep -q '^CHECK waiters-all-woke ok' "$out/$v.out" && echo ok || echo fail)" \
		"$(grep '^CHECK waiters' "$out/$v.out" | tr -d '\r')"
done
want=$(md5sum < "$out/shared.bin" | cut -d' ' -f1)
result shared-export-both-guests-at-once "$([ "$(grep -c "^SHARED=$want" "$out/wa.out" "$out/wb.out" | awk -F: '{s += $2} END {print s}')" = 2 ] && echo ok || echo fail)"
result two-guests-exit "$([ $rc_a = 0 ] && [ $rc_b = 0 ] && echo ok || echo fail)" "status $rc_a $rc_b"

echo "waiting: $pass passed, $fail failed"
[ "$fail" = 0 ]
