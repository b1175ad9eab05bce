#!/bin/bash
# devcall-dkms in a real Debian 12 guest, once per kernel series (6.1 and
# 6.12): a root filesystem from Debian packages (scripts/mkrootfs.sh,
# cached) boots systemd from a virtio disk (devcall-vm --disk); the guest
# installs the .deb with dpkg -i, DKMS builds the modules, udev loads them
# (the test loads nothing), /dev/devcall/cdrw appears and wodim burns an
# ISO on the emulated drive; the guest powers off by itself and the host
# compares the disc with the ISO byte for byte.
#   tests/e2e/test_dkms.sh [SERIES...]     (default: 6.1 6.12)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/dkms
vm=$top/vmm-glue/devcall-vm
deb=$(ls "$build"/deb/devcall-dkms_*_all.deb 2>/dev/null | tail -n 1)
mkdir -p "$out"
. "$top/tests/e2e/lib.sh"

[ -n "$deb" ] || { echo "no devcall-dkms .deb: make deb-dkms"; echo "0 passed, 1 failed"; exit 1; }
[ $# -gt 0 ] || set -- 6.1 6.12

# What the guest runs (devcall-payload.service, output on ttyS0). No
# insmod or modprobe: the modules must come from DKMS through udev.
cat > "$out/run.sh" <<'EOF'
echo "KERNEL=$(uname -r)"
t0=$(date +%s)
dpkg -i /payload/devcall-dkms.deb > /tmp/dpkg.log 2>&1
echo "DPKG=$?"
echo "DKMS_SECONDS=$(( $(date +%s) - t0 ))"
sed 's/^/dpkg: /' /tmp/dpkg.log | tail -n 15
echo "DKMS_STATUS=$(dkms status devcall 2>/dev/null | tr '\n' ' ')"
log=$(find /var/lib/dkms/devcall -name make.log 2>/dev/null | head -n 1)
echo "BUILD_WARNINGS=$([ -f "$log" ] && grep -c -i 'warning:' "$log" || echo none)"
grep -i 'warning:' "$log" 2>/dev/null | sed 's/^/build: /' | head -n 5
for i in $(seq 120); do
	[ -c /dev/devcall/cdrw ] && break
	sleep 0.5
done
echo "NODE=$([ -c /dev/devcall/cdrw ] && echo char || echo none)"
echo "LOADED=$(cut -d' ' -f1 /proc/modules | grep '^devcall' | sort | tr '\n' ' ')"
echo "FROM=$(modinfo -n devcall_ivshmem devcall devcall_frontend devcall_blk | tr '\n' ' ')"
wodim dev=/dev/devcall/cdrw -tao /payload/small.iso > /tmp/wodim.log 2>&1
echo "TAO=$?"
sed 's/^/wodim: /' /tmp/wodim.log | tail -n 5
EOF

rm -rf "$out/src"
mkdir -p "$out/src"
head -c 300000 /dev/urandom > "$out/src/random.bin"
echo "burned from a DKMS-built guest" > "$out/src/README"
genisoimage -quiet -R -J -o "$out/small.iso" "$out/src" ||
	{ echo "genisoimage failed"; echo "0 passed, 1 failed"; exit 1; }

# The payload disk: the .deb, the ISO, the script (ext4, label PAYLOAD).
rm -rf "$out/payload" "$out/payload.img"
mkdir -p "$out/payload"
cp "$deb" "$out/payload/devcall-dkms.deb"
cp "$out/small.iso" "$out/run.sh" "$out/payload/"
mke2fs -q -t ext4 -L PAYLOAD -d "$out/payload" "$out/payload.img" 32M >/dev/null

for series in "$@"; do
	t0=$(now)
	env=$("$top/scripts/mkrootfs.sh" --series "$series" 2>"$out/mkrootfs-$series.log") ||
		{ tail -n 20 "$out/mkrootfs-$series.log"; result "rootfs-$series" fail; continue; }
	image=$(sed -n 's/^IMAGE=//p' <<< "$env")
	kver=$(sed -n 's/^KVER=//p' <<< "$env")
	result "rootfs-$series" ok "$kver, $(elapsed "$t0") s"

	t1=$(now)
	: > "$out/disc.img"
	rm -f "$out/disc.img.state"
	# The image stays as cached (--snapshot); its own kernel boots.
	"$vm" --name "dkms-$series" --disk "$image" --snapshot \
		--append "systemd.show_status=error" --memory 1G --smp 2 \
		--timeout 2400 --plugin "$build/examples/devcall-emudrive.so" \
		--export "cdrw=$out/disc.img,backend=emudrive,options=media=cdrw,exclusive,scsi=passthrough" \
		--qemu-arg -drive --qemu-arg "file=$out/payload.img,if=virtio,format=raw,readonly=on" \
		--log "$out/$series-console.log" --daemon-log "$out/$series-devcalld.log" \
		> "$out/$series.out" 2>&1
	rc=$?
	secs=$(elapsed "$t1")
	o() { sed -n "s/^$1=//p" "$out/$series.out" | tr -d '\r' | tail -n 1; }
	result "guest-powers-off-$series" "$([ $rc = 0 ] && echo ok || echo fail)" \
		"devcall-vm status $rc, boot to power-off $secs s"
	result "booted-$series-kernel" "$([ "$(o KERNEL)" = "$kver" ] && echo ok || echo fail)" "$(o KERNEL)"
	result "dpkg-i-dkms-builds-$series" "$([ "$(o DPKG)" = 0 ] && o DKMS_STATUS | grep -q "devcall/.*$kver.*installed" && echo ok || echo fail)" \
		"dpkg+dkms $(o DKMS_SECONDS) s; $(o DKMS_STATUS)"
	result "dkms-build-warning-free-$series" "$([ "$(o BUILD_WARNINGS)" = 0 ] && echo ok || echo fail)" "$(o BUILD_WARNINGS) warnings"
	result "modules-from-dkms-$series" "$([ "$(o FROM | grep -o "/lib/modules/$kver/updates/dkms/devcall[a-z_]*.ko" | wc -l)" = 4 ] && echo ok || echo fail)" "$(o FROM)"
	result "udev-autoload-$series" "$([ "$(o NODE)" = char ] && o LOADED | grep -q devcall_frontend && o LOADED | grep -q devcall_ivshmem && echo ok || echo fail)" \
		"node $(o NODE), loaded $(o LOADED)"
	result "wodim-tao-$series" "$([ "$(o TAO)" = 0 ] && echo ok || echo fail)"
	result "disc-holds-iso-$series" "$(cmp -s -n "$(stat -c %s "$out/small.iso")" "$out/small.iso" "$out/disc.img" && grep -q '^status 2' "$out/disc.img.state" && echo ok || echo fail)" \
		"image $(stat -c %s "$out/disc.img") bytes"
	echo "timing $series: $(elapsed "$t0") s in all"
done

echo "dkms: $pass passed, $fail failed"
[ "$fail" = 0 ]
