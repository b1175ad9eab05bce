#!/bin/bash
# devcall under libvirt (Debian's libvirt-daemon-system), as
# docs/libvirt.md describes it: libvirtd and virtlogd started by hand (no
# systemd here) and stopped after; QEMU as libvirt-qemu; the hook
# (libvirt/devcall-hook as /etc/libvirt/hooks/qemu) starts the one
# devcalld (none runs yet) and adds each domain to it at prepare, with
# memory = auto and sockets of group libvirt-qemu, mode 0660. A TCG
# domain from the documented XML boots the project's kernel and an
# initramfs whose script
#   - copies 1 MiB from an urandom export to an exclusive file export
#     (the host checks the bytes: guest RAM found by the daemon),
#   - then holds the exclusive export open: a `virsh reset` must release
#     it (the rebooted guest opens it again instead of getting EBUSY);
# a second domain, served by the same daemon, shares that export: it
# gets EBUSY while the first holds it, and the export once the first is
# destroyed. `virsh destroy` must close the daemon's files and the
# release hook remove the VM from the daemon, which serves on.
# Everything it installs (qemu.conf, the hook) is put back.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
. "$top/tests/e2e/lib.sh"
name=devcall-e2e name1=devcall-e2e name2=devcall-e2e2
tmp=$(mktemp -d /tmp/devcall-libvirt.XXXXXX)
chmod 0755 "$tmp"
# A run directory of its own: other devcall daemons may serve /run/devcall.
etc=$tmp/etc run=/run/devcall-e2e-libvirt
hook=/etc/libvirt/hooks/qemu
started_libvirtd= started_virtlogd= qemu_conf_saved= hook_installed=

finish() {
	echo "libvirt: $pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit $?
}

cleanup() {
	local p
	for p in $name1 $name2; do
		virsh -q destroy "$p" >/dev/null 2>&1
		virsh -q undefine "$p" >/dev/null 2>&1
	done
	for p in $started_libvirtd $started_virtlogd; do
		kill "$p" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	[ -n "$hook_installed" ] && rm -f "$hook" && rmdir /etc/libvirt/hooks 2>/dev/null
	[ -n "$qemu_conf_saved" ] && mv "$tmp/qemu.conf.orig" /etc/libvirt/qemu.conf
	[ -f "$run/devcalld.pid" ] && kill "$(cat "$run/devcalld.pid")" 2>/dev/null
	rm -f "$run/hook.lock"; rmdir "$run" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

command -v libvirtd >/dev/null || { result libvirt-installed fail "no libvirtd: scripts/install-deps.sh libvirt"; finish; }
pgrep -x libvirtd >/dev/null && { result libvirtd-not-running fail "a libvirtd runs already"; finish; }
[ -e "$hook" ] && { result no-other-hook fail "$hook exists"; finish; }
"$build/vmm-glue/devcallctl" --socket "$run/control" status >/dev/null 2>&1 &&
	{ result no-devcalld-running fail "a devcalld serves $run already"; finish; }

# ---- The guest: the project's kernel, an initramfs with the script. ----
eval "$(sed 's/^/local_/' "$build/guest-kernel.env")"
cat > "$tmp/guest.sh" <<'G'
#!/bin/sh
if dd if=/dev/devcall/rnd of=/tmp/d bs=64k count=16 2>/dev/null &&
   dd if=/tmp/d of=/dev/devcall/out bs=64k 2>/dev/null; then
	echo "GUEST-MD5: $(md5sum < /tmp/d | cut -d' ' -f1)"
fi
# The exclusive export, held: after a reset the next boot must get it.
# Another domain holding it: EBUSY (the shell says why), again each second.
# (A failed exec redirection would end this shell: a child tries first.)
while ! sh -c 'exec 3<>/dev/devcall/out'; do echo BUSY; sleep 1; done
exec 3<>/dev/devcall/out
echo HOLDING
sleep 100000
G
"$top/scripts/mkinitramfs.sh" -o "$tmp/initrd.gz" -m "$local_MODDIR" \
	-k "$build/guest/devcall_ivshmem.ko" -k "$build/guest/devcall.ko" \
	-k "$build/guest/devcall_frontend.ko" -k "$build/guest/devcall_blk.ko" \
	-s "$tmp/guest.sh" >/dev/null || { result initramfs fail; finish; }
cp "$local_VMLINUZ" "$tmp/vmlinuz"
truncate -s 1M "$tmp/out.img"

# ---- The daemon's configuration, as docs/libvirt.md has it. ----
mkdir -p "$etc/libvirt"
cat > "$etc/devcalld.ini" <<C
[daemon]
qemu-user = libvirt-qemu
socket-group = libvirt-qemu
socket-mode = 0660
live-vms = yes
C
for n in $name1 $name2; do
	cat > "$etc/libvirt/$n.ini" <<C
[export $n rnd]
path = /dev/urandom

[export $n out]
path = $tmp/out.img
sharing = exclusive
C
done

# ---- libvirt: no AppArmor or cgroups here, TCG. ----
cp /etc/libvirt/qemu.conf "$tmp/qemu.conf.orig" && qemu_conf_saved=1
cat >> /etc/libvirt/qemu.conf <<C
# devcall test_libvirt.sh (removed after the test)
user = "libvirt-qemu"
group = "libvirt-qemu"
security_driver = "none"
cgroup_controllers = [ ]
C
mkdir -p /etc/libvirt/hooks
# The hook as installed, pointed at this test's daemon and files.
cat > "$hook" <<H
#!/bin/sh
DEVCALL_ETC=$etc DEVCALL_RUN=$run DEVCALL_LOG=$tmp/log \\
	DEVCALLD=$build/vmm-glue/devcalld \\
	DEVCALLCTL=$build/vmm-glue/devcallctl \\
	exec $top/libvirt/devcall-hook "\$@"
H
chmod 0755 "$hook"
hook_installed=1
virtlogd -d && started_virtlogd=$(pgrep -nx virtlogd)
libvirtd -d && started_libvirtd=$(pgrep -nx libvirtd)
for _ in $(seq 100); do virsh -q version >/dev/null 2>&1 && break; sleep 0.1; done
virsh -q version >/dev/null 2>&1 && result libvirtd-started ok || { result libvirtd-started fail; finish; }

# ---- The domain: docs/libvirt.md's XML, booting the kernel directly. ----
domain_xml() {	# domain_xml file|memfd CONSOLE [numa|NAME]
	local name=$name
	case "${3:-}" in ''|numa) ;; *) name=$3 ;; esac
	local cpu="<cpu mode='custom' match='exact'><model>qemu64</model>"
	[ "${3:-}" = numa ] && cpu="$cpu<numa>
      <cell id='0' cpus='0' memory='192' unit='MiB' memAccess='shared'/>
      <cell id='1' memory='320' unit='MiB' memAccess='shared'/>
    </numa>"
	cat <<X
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$name</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <memoryBacking>
    <source type='$1'/>
    <access mode='shared'/>
  </memoryBacking>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$tmp/vmlinuz</kernel>
    <initrd>$tmp/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 rdinit=/init</cmdline>
  </os>
  $cpu</cpu>
  <on_reboot>restart</on_reboot>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'>
      <source path='$2'/>
      <target port='0'/>
    </serial>
    <shmem name='devcall'>
      <model type='ivshmem-doorbell'/>
      <server path='$run/$name.sock'/>
      <msi vectors='5' ioeventfd='on'/>
    </shmem>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-chardev'/>
    <qemu:arg value='socket,id=devcall-qmp,path=$run/$name.qmp,reconnect=1'/>
    <qemu:arg value='-mon'/>
    <qemu:arg value='chardev=devcall-qmp,mode=control'/>
  </qemu:commandline>
</domain>
X
}

qemu_segfaults() { dmesg 2>/dev/null | grep -c 'qemu-system-x86.*segfault'; }

start_domain() {	# start_domain TAG: define and start, the hook runs
	local segv
	virsh -q define "$tmp/domain-$1.xml" >/dev/null || { result "$1-define" fail; finish; }
	segv=$(qemu_segfaults)
	# No second try: a QEMU that dies here is a bug (the daemon closing
	# a QMP connection QEMU has just made crashed QEMU 7.2, see
	# vm_session.c, session_qmp_accept()).
	virsh -q start "$name" > "$tmp/start.out" 2>&1
	result "$1-qemu-no-segfault" "$([ "$(qemu_segfaults)" = "$segv" ] && echo ok || echo fail)"
	if virsh -q domstate "$name" 2>/dev/null | grep -q running; then
		result "$1-start-with-hook" ok
	else
		result "$1-start-with-hook" fail "$(cat "$tmp/start.out")"
		tail -n 5 "$tmp/log/devcalld.log" "/var/log/libvirt/qemu/$name.log" 2>/dev/null
		finish
	fi
	dpid=$(cat "$run/devcalld.pid")
	dlog=$tmp/log/devcalld.log
	qpid=$(pgrep -f "guest=$name" | head -n 1)
	# Its monitor may connect before its ivshmem chardev (libvirt's
	# order): held, never refused.
	for _ in $(seq 50); do grep -q "vm $name: QEMU's QMP events connected" "$dlog" && break; sleep 0.1; done
	result "$1-qmp-not-refused" "$(! grep -q "vm $name: QMP connection from pid $qpid refused" "$dlog" &&
		grep -q "vm $name: QEMU's QMP events connected" "$dlog" && echo ok || echo fail)" \
		"($(grep -c "vm $name: QMP connection from pid $qpid waits" "$dlog") held for ivshmem)"
}

guest_ready() {	# guest_ready TAG CONSOLE: the export used, then held
	if wait_for "$2" '^HOLDING' 120; then
		result "$1-guest-holds-export" ok
	else
		result "$1-guest-holds-export" fail; tail -n 20 "$2" "$dlog"; finish
	fi
	gmd5=$(sed -n 's/^GUEST-MD5: //p' "$2" | tr -d '\r' | head -n 1)
	hmd5=$(head -c 1M "$tmp/out.img" | md5sum | cut -d' ' -f1)
	result "$1-guest-data-on-host" "$([ -n "$gmd5" ] && [ "$gmd5" = "$hmd5" ] && echo ok || echo fail)" "(guest $gmd5, host $hmd5)"
}

stop_domain() {	# stop_domain TAG [NAME]: destroy; files closed, VM removed
	local name=${2:-$name} before gone= n
	local re="vm $name: QEMU disconnected: closing its 1 open file"
	before=$(out_fds "$dpid")
	n=$(grep -c "$re" "$dlog")	# the log is appended to by each run
	virsh -q destroy "$name" >/dev/null
	result "$1-destroy-closes-files" "$([ "$before" = 1 ] && [ "$(grep -c "$re" "$dlog")" = $((n + 1)) ] && echo ok || echo fail)" "($before fd before)"
	for _ in $(seq 50); do [ -e "$run/$name.sock" ] || { gone=1; break; }; sleep 0.1; done
	result "$1-release-removes-vm" "$([ -n "$gone" ] && [ ! -e "$run/$name.qmp" ] &&
		! ctl status "$name" >/dev/null 2>&1 && kill -0 "$dpid" && echo ok || echo fail)"
	virsh -q undefine "$name" >/dev/null
}

ctl() { "$build/vmm-glue/devcallctl" --socket "$run/control" "$@"; }

out_fds() { local n=0 f; for f in /proc/"$1"/fd/*; do [ "$(readlink "$f")" = "$tmp/out.img" ] && n=$((n + 1)); done; echo $n; }
domain_xml file "$tmp/console.log" > "$tmp/domain-file.xml"
start_domain file
result socket-group-mode "$([ "$(stat -c '%G %a' "$run/$name.sock")" = 'libvirt-qemu 660' ] &&
	[ "$(stat -c '%G %a' "$run/$name.qmp")" = 'libvirt-qemu 660' ] && echo ok || echo fail)" \
	"($(stat -c '%G %a' "$run/$name.sock"))"
result qemu-as-libvirt-qemu "$([ -n "$qpid" ] && [ "$(stat -c %U "/proc/$qpid")" = libvirt-qemu ] && echo ok || echo fail)"
result taint-noted "$(grep -q 'custom-argv' "/var/log/libvirt/qemu/$name.log" 2>/dev/null && echo ok || echo fail)"
guest_ready file "$tmp/console.log"
result ram-discovered "$(grep -q "guest RAM pc.ram: file /var/lib/libvirt/qemu/ram/[0-9]*-$name/pc.ram (512 MiB), from QEMU pid $qpid" "$dlog" && echo ok || echo fail)"
result held-fd-in-daemon "$([ "$(out_fds "$dpid")" = 1 ] && echo ok || echo fail)" "($(out_fds "$dpid") fd)"

# ---- virsh reset: the claim goes at once; the next boot gets it. ----
virsh -q reset "$name" >/dev/null
released=
for _ in $(seq 40); do [ "$(out_fds "$dpid")" = 0 ] && { released=1; break; }; sleep 0.05; done
result reset-closes-files "$([ -n "$released" ] && grep -q "vm $name: guest reset: closing its 1 open file" "$dlog" && echo ok || echo fail)"
for _ in $(seq 1200); do [ "$(grep -ac '^HOLDING\|^BUSY' "$tmp/console.log")" -ge 2 ] && break; sleep 0.1; done
result reset-releases-claim "$([ "$(grep -ac '^HOLDING' "$tmp/console.log")" = 2 ] && echo ok || echo fail)" \
	"($(grep -ac '^HOLDING' "$tmp/console.log") HOLDING, $(grep -ac '^BUSY' "$tmp/console.log") BUSY)"

# ---- A second domain, the same daemon: the exclusive export is busy. ----
domain_xml file "$tmp/console2.log" $name2 > "$tmp/domain-two.xml"
dpid1=$dpid
name=$name2 start_domain two
result two-domains-one-daemon "$([ "$dpid" = "$dpid1" ] && [ "$(pgrep -fc -- "--run-dir $run")" = 1 ] &&
	ctl status "$name1" >/dev/null && ctl status "$name2" >/dev/null && echo ok || echo fail)" \
	"($(pgrep -fc -- "--run-dir $run") devcalld, pid $dpid1 then $dpid)"
wait_for "$tmp/console2.log" '^BUSY' 120
result second-gets-ebusy "$(grep -aq 'Device or resource busy' "$tmp/console2.log" &&
	[ "$(grep -ac '^BUSY' "$tmp/console2.log")" -ge 1 ] &&
	! grep -aq '^HOLDING' "$tmp/console2.log" && echo ok || echo fail)" \
	"($(grep -ac '^BUSY' "$tmp/console2.log") BUSY)"

# ---- virsh destroy: the daemon closes the files, release removes it. ----
stop_domain file "$name1"
if wait_for "$tmp/console2.log" '^HOLDING' 30; then
	result second-gets-it-after-first "$([ "$(out_fds "$dpid")" = 1 ] && echo ok || echo fail)"
else
	result second-gets-it-after-first fail; tail -n 5 "$tmp/console2.log"
fi
stop_domain two "$name2"

# ---- memfd RAM in two NUMA cells (libvirt's ram-node0, ram-node1). ----
truncate -s 0 "$tmp/out.img"; truncate -s 1M "$tmp/out.img"
domain_xml memfd "$tmp/console-numa.log" numa > "$tmp/domain-numa.xml"
start_domain numa
guest_ready numa "$tmp/console-numa.log"
result numa-ram-discovered "$(grep -q "guest RAM ram-node0: memfd (192 MiB), from QEMU pid $qpid" "$dlog" &&
	grep -q "guest RAM ram-node1: memfd (320 MiB), from QEMU pid $qpid" "$dlog" && echo ok || echo fail)"
stop_domain numa
finish
