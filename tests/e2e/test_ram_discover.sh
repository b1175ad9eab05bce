#!/bin/bash
# memory = auto: the daemon finds a plain QEMU's guest RAM by itself
# (QMP + the fd table of the QEMU on its ivshmem socket), for
#   auto    a memory-backend-file (the machine's memory-backend),
#   memfd   a memory-backend-memfd (no path at all),
#   numa    two NUMA nodes: ram-node0 a 160M file, ram-node1 a memfd.
# and a daemon killed and started again under a memfd guest (the guest
# attaches again; its queue enable may come before QEMU's QMP monitor
# has reconnected, and then waits for it).
# In each guest, random bytes read through an export and written back to
# a file export must arrive on the host intact. The NUMA guest first
# fills node 0 (tmpfs), so the buffers of its later calls come from
# node 1: its per-node MemFree must show node 1 in use, and the data
# still arrive intact. The daemon's log must name what it mapped.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/ram_discover
vm=$top/vmm-glue/devcall-vm
mkdir -p "$out"
. "$top/tests/e2e/lib.sh"
trap 'rm -f "$out/out.img"' EXIT

cat > "$out/guest.sh" <<'G'
#!/bin/sh
node1() { sed -n 's/.*MemFree: *\([0-9]*\) kB/\1/p' /sys/devices/system/node/node1/meminfo 2>/dev/null; }
echo "NODE1-BEFORE: $(node1)"
# Node 0 full first (only where there is a node 1): what follows is
# allocated from node 1.
[ -d /sys/devices/system/node/node1 ] && dd if=/dev/zero of=/tmp/fill bs=1M count=120 2>/dev/null
dd if=/dev/devcall/rnd of=/tmp/data bs=4M count=8 2>/dev/null || exit 3
echo "GUEST-MD5: $(md5sum < /tmp/data | cut -d' ' -f1)"
dd if=/tmp/data of=/dev/devcall/out bs=4M 2>/dev/null || exit 4
echo "NODE1-AFTER: $(node1)"
G

for kind in auto memfd numa; do
	truncate -s 0 "$out/out.img"
	truncate -s 32M "$out/out.img"
	"$vm" --name "disc-$kind" --ram "$kind" --timeout 120 \
		--daemon-log "$out/devcalld-$kind.log" \
		--export rnd=/dev/urandom --export "out=$out/out.img" \
		--script "$out/guest.sh" > "$out/guest-$kind.log" 2>&1
	st=$?
	gmd5=$(sed -n 's/^GUEST-MD5: //p' "$out/guest-$kind.log" | tr -d '\r')
	hmd5=$(md5sum < "$out/out.img" | cut -d' ' -f1)
	if [ "$st" = 0 ] && [ -n "$gmd5" ] && [ "$gmd5" = "$hmd5" ]; then
		result "$kind-data" ok "(32 MiB through the discovered RAM)"
	else
		result "$kind-data" fail "status $st, guest $gmd5, host $hmd5"
		tail -n 20 "$out/guest-$kind.log" "$out/devcalld-$kind.log"
	fi
	case $kind in
	auto)	want='guest RAM ram: file .*/disc-auto/ram (512 MiB)' ;;
	memfd)	want='guest RAM ram: memfd (512 MiB)' ;;
	numa)	want='guest RAM discovered and mapped (2 backend(s), 512 MiB' ;;
	esac
	if grep -q "$want" "$out/devcalld-$kind.log"; then
		result "$kind-log" ok
	else
		result "$kind-log" fail "no '$want' in the daemon's log"
	fi
done

# Node 1 really served the NUMA guest.
b=$(sed -n 's/^NODE1-BEFORE: //p' "$out/guest-numa.log" | tr -d '\r')
a=$(sed -n 's/^NODE1-AFTER: //p' "$out/guest-numa.log" | tr -d '\r')
if [ -n "$b" ] && [ -n "$a" ] && [ $((b - a)) -gt 16384 ] &&
   grep -q 'guest RAM ram-node1: memfd (352 MiB)' "$out/devcalld-numa.log" &&
   grep -q 'guest RAM ram-node0: file .*/ram-node0 (160 MiB)' "$out/devcalld-numa.log"; then
	result numa-node1-used ok "(node 1 MemFree $b -> $a kB)"
else
	result numa-node1-used fail "node 1 MemFree '$b' -> '$a' kB"
fi

# ---- The daemon killed and started again under a memfd guest. ----
run=/run/devcall
start_daemon() {
	rm -f "$out/pid"
	"$build/vmm-glue/devcalld" --run-dir "$run" --pidfile "$out/pid" \
		--vm disc-restart,memory=auto --export disc-restart:rnd=/dev/urandom \
		>> "$out/devcalld-restart.log" 2>&1 &
	daemon=$!
	for _ in $(seq 100); do [ -f "$out/pid" ] && break; sleep 0.05; done
}
: > "$out/devcalld-restart.log"
start_daemon
"$vm" --attach --run-dir "$run" --name disc-restart --ram memfd --timeout 120 \
	--log "$out/console-restart.log" -- sh -c '
	head -c 16 /dev/devcall/rnd > /dev/null && echo FIRST
	failed=0
	for i in $(seq 600); do
		if [ "$(head -c 16 /dev/devcall/rnd 2>/dev/null | wc -c)" = 16 ]; then
			[ $failed = 1 ] && { echo REATTACHED; break; }
		else
			failed=1
		fi
		usleep 50000
	done' > "$out/guest-restart.log" 2>&1 &
vmpid=$!
if wait_for "$out/console-restart.log" '^FIRST' 120; then
	kill -9 "$daemon"; wait "$daemon" 2>/dev/null
	sleep 2		# the guest sees the heartbeat stop
	t0=$(now)
	start_daemon
	back=0
	wait_for "$out/console-restart.log" '^REATTACHED' 30 && back=1
	t=$(elapsed "$t0")
	result restart-guest-reattaches "$([ $back = 1 ] &&
		[ "$(grep -c 'guest RAM discovered and mapped' "$out/devcalld-restart.log")" = 2 ] &&
		echo ok || echo fail)" "(${t}s after the restart$(grep -q 'queue enable waits for QEMU' \
		"$out/devcalld-restart.log" && echo ', the enable waited for QMP'))"
else
	result restart-guest-reattaches fail "the guest never read its export"
fi
kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null
wait "$vmpid" 2>/dev/null

echo "ram_discover: $pass passed, $fail failed"
[ "$fail" = 0 ]
