#!/bin/bash
# devcalld under systemd, without systemd as PID 1:
#   - systemd-analyze verify on the unit (its ExecStart= naming the
#     daemon just built; Documentation= against the man pages built in
#     build/man when scdoc made them);
#   - the unit's FileDescriptorStoreMax= holds every VM's descriptors;
#   - fake_systemd: READY/STATUS/RELOADING/STOPPING/WATCHDOG and the fd
#     store across a restart, with a fake QEMU and guest.
# Prints "N passed, N failed". Needs root.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
unit=$build/tests/service/devcall.service
fake=$build/tests/service/fake_systemd
devcalld=$build/vmm-glue/devcalld
pass=0 fail=0
result() {	# result NAME ok|fail [why]
	if [ "$2" = ok ]; then
		echo "ok $1"; pass=$((pass + 1))
	else
		echo "FAIL $1: ${3:-}"; fail=$((fail + 1))
	fi
}

[ -x "$fake" ] && [ -x "$devcalld" ] && [ -f "$unit" ] ||
	{ echo "run 'make service'"; echo "0 passed, 1 failed"; exit 1; }

# verify reads the unit under its own name; Documentation= man pages are
# looked up with man(1): against ours when they were built.
dir=$(mktemp -d /tmp/devcall-service.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$unit" "$dir/devcall.service"
man=--man=no
[ -f "$build/man/man8/devcalld.8" ] && man=--man=yes
out=$(cd "$dir" && MANPATH=$build/man systemd-analyze verify $man \
	./devcall.service 2>&1)
rc=$?
result unit-verifies "$([ $rc = 0 ] && [ -z "$out" ] && echo ok || echo fail)" \
	"systemd-analyze verify $man: rc $rc: $out"
[ $man = --man=yes ] || echo "# man pages not built (no scdoc): Documentation= not checked"

# 16 VMs (CONFIG_MAX_VMS) x (connection, shm, 2 x DEVCALL_NR_VECTORS).
vms=$(sed -n 's/^#define CONFIG_MAX_VMS[[:space:]]*\([0-9]*\).*/\1/p' \
	"$top/call-mechanism-host/config.h")
queues=$(sed -n 's/^#define DEVCALL_SHM_MAX_QUEUES[[:space:]]*\([0-9]*\)u.*/\1/p' \
	"$top/abi/devcall_ivshmem.h")
need=$((vms * (2 + 2 * (1 + queues))))
have=$(sed -n 's/^FileDescriptorStoreMax=//p' "$unit")
result fdstore-max-fits "$([ -n "$have" ] && [ "$have" -ge "$need" ] && echo ok || echo fail)" \
	"FileDescriptorStoreMax=$have, $vms VMs need $need"
for k in Type=notify RuntimeDirectoryPreserve=restart DevicePolicy=closed; do
	result "unit-has-$k" "$(grep -qx "$k" "$unit" && echo ok || echo fail)" "missing"
done
result unit-no-privatedevices "$(grep -q '^PrivateDevices=' "$unit" && echo fail || echo ok)" \
	"PrivateDevices= hides the nodes exports name"

chmod 755 "$dir"
"$fake" --dir "$dir" --devcalld "$devcalld" > "$dir/out" 2>&1
grep -v '^[0-9]* passed, [0-9]* failed$' "$dir/out"
line=$(grep '^[0-9]* passed, [0-9]* failed$' "$dir/out" | tail -1)
line=${line:-0 passed, 1 failed}
pass=$((pass + $(echo "$line" | awk '{print $1}')))
fail=$((fail + $(echo "$line" | awk '{print $3}')))
if [ "$(echo "$line" | awk '{print $3}')" != 0 ]; then
	echo "# devcalld's log:"; sed 's/^/#   /' "$dir/devcalld.log" | tail -40
fi
mkdir -p "$build/service"
cp "$dir/devcalld.log" "$build/service/devcalld.log" 2>/dev/null
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
