#!/bin/bash
# Real host devices from a real guest (guest/dcdev.c), one guest boot:
#   loop    LOOP_CTL_GET_FREE/ADD/REMOVE on /dev/loop-control, then
#           LOOP_CONFIGURE binds the host's new /dev/loopN to an image file
#           that is itself an export (a descriptor passed by handle): the
#           host sees the loop device backed by that file, and the bytes
#           written through it in the file;
#   zram    BLKGETSIZE64, BLKSSZGET, BLKDISCARD (the host's mm_stat drops);
#   pty     TIOCGPTPEER on /dev/ptmx: the guest talks to itself through a
#           descriptor the host returned; closing it hangs the master up;
#   tun     TUNSETIFF creates a host tap (name chosen here) through an
#           export with host-network = allow, and is refused (EPERM) through
#           one without; a frame the guest writes is captured on the host's
#           side (AF_PACKET), one the host injects is read by the guest;
#   kvm     with /dev/kvm exported: API version, CHECK_EXTENSION,
#           CREATE_VM, CREATE_VCPU, GET/SET_REGS through the returned
#           descriptors, SET_USER_MEMORY_REGION refused. Skipped (not
#           failed) on a host without /dev/kvm.
# loop and pty run again from a 32-bit process (dcdev32, checks "m32-"):
# descriptors in and out through the frontend's compat_ioctl.
# The tap lives in a network namespace of its own (the guest, QEMU and the
# daemon run in it): nothing of it reaches the host's real network, and
# only frames of the local experimental EtherType 0x88b5 are sent.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/devices
vm=$top/vmm-glue/devcall-vm
dcdev=${DCDEV:-$build/guest-tools/dcdev}
dcdev32=${DCDEV32:-$build/guest-tools/dcdev32}
mkdir -p "$out"
zram= ns= nloop=
. "$top/tests/e2e/lib.sh"

cleanup() {
	[ -n "$vmpid" ] && kill "$vmpid" 2>/dev/null
	if [ -n "$nloop" ]; then
		losetup -d "/dev/loop$nloop" 2>/dev/null
		python3 -c "import fcntl, os; fd = os.open('/dev/loop-control', os.O_RDWR); fcntl.ioctl(fd, 0x4C81, $nloop)" 2>/dev/null
	fi
	[ -n "$zram" ] && echo "$zram" > /sys/class/zram-control/hot_remove 2>/dev/null
	[ -n "$ns" ] && ip netns delete "$ns" 2>/dev/null
	rm -f "$out/image.img"
}
vmpid=
trap cleanup EXIT
finish() { echo "devices: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }
[ -x "$dcdev" ] || { result dcdev fail "no $dcdev: run 'make e2e'"; finish; }
[ -x "$dcdev32" ] || { result dcdev32 fail "no $dcdev32: run 'make e2e'"; finish; }

# A loop number nobody uses: the guest creates it with LOOP_CTL_ADD.
for n in $(seq $((200 + $$ % 40)) 255); do
	[ -e "/sys/block/loop$n" ] || { nloop=$n; break; }
done
[ -n "$nloop" ] || { result free-loop-number fail; finish; }
truncate -s 16M "$out/image.img"
zram=$(cat /sys/class/zram-control/hot_add) && echo 32M > "/sys/block/zram$zram/disksize" ||
	{ zram=; result zram fail "cannot create a zram disk"; finish; }
dd if=/dev/urandom of="/dev/zram$zram" bs=1M count=8 status=none
zram_before=$(awk '{ print $1 }' "/sys/block/zram$zram/mm_stat")

ns=devcall-e2e-$$
ip netns add "$ns" || { ns=; result netns fail; finish; }
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
tap=dctap$(($$ % 10000))
# The guest creates the tap itself: its export says host-network = allow
# (the daemon keeps CAP_NET_ADMIN for it); the same node exported without
# it refuses TUNSETIFF.

exports=(--export loopctl=/dev/loop-control --export "newloop=/dev/loop$nloop"
	 --export "image=$out/image.img" --export "zram=/dev/zram$zram"
	 --export ptmx=/dev/ptmx --export null=/dev/null --export tun=/dev/net/tun,host-network=allow
	 --export tunlocked=/dev/net/tun)
kvm=0
[ -c /dev/kvm ] && { kvm=1; exports+=(--export kvm=/dev/kvm); }

cat > "$out/guest.sh" <<EOF
#!/bin/sh
d=/dev/devcall
/dcdev loop \$d/loopctl \$d/newloop \$d/image $nloop 4
/dcdev zram \$d/zram
/dcdev pty \$d/ptmx \$d/null
[ $kvm = 1 ] && /dcdev kvm \$d/kvm
/dcdev tun-refused \$d/tunlocked x$tap
/dcdev tun \$d/tun $tap 120
/dcdev32 loop \$d/loopctl \$d/newloop \$d/image $nloop 0
/dcdev32 pty \$d/ptmx \$d/null
exit 0
EOF

rm -f "$out/console.log"
ip netns exec "$ns" "$vm" --name "e2e-dev$$" --timeout 400 "${exports[@]}" \
	--file "$dcdev:/dcdev" --file "$dcdev32:/dcdev32" --script "$out/guest.sh" \
	--log "$out/console.log" --daemon-log "$out/devcalld.log" \
	> "$out/guest.out" 2>&1 &
vmpid=$!

# While the guest holds the loop device bound: the host's view.
backing= hostmd5=
if wait_for "$out/console.log" '^BOUND' 240; then
	backing=$(cat "/sys/block/loop$nloop/loop/backing_file" 2>/dev/null)
	hostmd5=$(dd if="$out/image.img" bs=4096 skip=2 count=1 status=none | md5sum | cut -d' ' -f1)
fi
result loop-backed-by-exported-image \
	"$([ "$backing" = "$(realpath "$out/image.img")" ] && echo ok || echo fail)" \
	"backing ${backing:-none}"
want=$(python3 -c "import sys, hashlib; sys.stdout.write(hashlib.md5(bytes((i * 13 + 5) & 255 for i in range(4096))).hexdigest())")
result loop-data-in-host-file "$([ "$hostmd5" = "$want" ] && echo ok || echo fail)" \
	"host $hostmd5 want $want"
losetup -a 2>/dev/null | grep -q "loop$nloop.*image.img" && lo=ok || lo=fail
result losetup-shows-image "$lo"

# The tap: up in the test namespace, frames both ways (only 0x88b5).
cap=none
if wait_for "$out/console.log" "^TAP-READY $tap" 200; then
	ip netns exec "$ns" ip link set "$tap" up
	cap=$(ip netns exec "$ns" python3 - "$tap" "$out/console.log" <<'EOF'
import socket, sys, time
tap, console = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind((tap, 0))
s.settimeout(0.2)
frame = b'\xff' * 6 + b'\x02\xdc\x00\x00\x00\x02' + b'\x88\xb5' + b'devcall-host'
frame += b'\0' * (60 - len(frame))
captured, deadline = False, time.time() + 90
while time.time() < deadline:
	try:
		s.send(frame)
		data = s.recv(2048)
		if data[12:14] == b'\x88\xb5' and data[14:27] == b'devcall-guest':
			captured = True
	except socket.timeout:
		pass
	except OSError:
		break	# the guest closed its tap: the interface went with it
	if captured and 'CHECK tun-read' in open(console, errors='replace').read():
		break
print('captured' if captured else 'none')
EOF
)
fi
result tun-host-captured-guest-frame "$([ "$cap" = captured ] && echo ok || echo fail)" "$cap"

wait "$vmpid"
rc=$?
vmpid=
result guest-ran "$([ $rc = 0 ] && echo ok || echo fail)" "status $rc"
result tun-refused-made-no-interface "$(ip netns exec "$ns" ip link show "x$tap" >/dev/null 2>&1 && echo fail || echo ok)"
while read -r _ name verdict detail; do
	result "$name" "$verdict" "$detail"
done < <(grep '^CHECK ' "$out/guest.out" | tr -d '\r')
names="loop-ctl-get-free loop-ctl-add loop-configure-pipe-ebadf
	loop-configure-badfd-ebadf loop-set-fd-pipe-ebadf loop-configure
	loop-configure-fd-unchanged loop-get-status64 loop-blkgetsize64
	loop-blksszget loop-write loop-data-in-image loop-clr-fd loop-ctl-remove
	zram-blkgetsize64 zram-blksszget zram-blkdiscard pty-tiocgptpeer
	pty-peer-termios pty-peer-reads pty-master-reads pty-peer-close-hangup
	tiocgptpeer-not-a-pty tun-setiff-needs-opt-in tun-setiff tun-write
	tun-read
	m32-loop-ctl-add m32-loop-configure-pipe-ebadf m32-loop-set-fd-pipe-ebadf
	m32-loop-configure m32-loop-configure-fd-unchanged m32-loop-blkgetsize64
	m32-loop-data-in-image m32-loop-clr-fd m32-loop-ctl-remove
	m32-pty-tiocgptpeer m32-pty-peer-termios m32-pty-peer-reads
	m32-pty-master-reads m32-pty-peer-close-hangup m32-tiocgptpeer-not-a-pty"
[ $kvm = 1 ] && names="$names kvm-api-version kvm-check-extension
	kvm-create-vm kvm-memory-region-refused kvm-create-vcpu kvm-get-regs
	kvm-set-regs kvm-regs-round-trip"
for name in $names; do
	grep -q "^CHECK $name " "$out/guest.out" || result "$name" fail "did not run"
done
[ $kvm = 1 ] || echo "skip kvm: this host has no /dev/kvm"

result loop-removed-on-host "$([ ! -e "/sys/block/loop$nloop" ] && echo ok || echo fail)"
zram_after=$(awk '{ print $1 }' "/sys/block/zram$zram/mm_stat")
result zram-discard-drops-mm-stat \
	"$([ "$zram_after" -lt "$zram_before" ] && echo ok || echo fail)" \
	"orig_data_size $zram_before -> $zram_after"
guest_size=$(sed -n 's/^VALUE zram-size //p' "$out/guest.out" | tr -d '\r')
result zram-size-equals-host "$([ "$guest_size" = "$(blockdev --getsize64 "/dev/zram$zram")" ] && echo ok || echo fail)" \
	"guest $guest_size"
# Every descriptor the guest got or lent was closed with the VM.
grep -q 'seccomp: system call' "$out/devcalld.log" && sc=fail || sc=ok
result no-seccomp-refusals "$sc"
finish
