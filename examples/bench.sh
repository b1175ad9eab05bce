#!/bin/bash
# devcall bench (issue 14): numbers, not a test. One host zram disk for
# every data path, one run on one machine, min/median/max over RUNS runs:
#   host-native   dcbench on the host itself, O_DIRECT
#   devcall       the guest's forwarded char node (guest-type = char)
#   devcall-blk   the guest's devcall_blk disk (default guest-type)
#   virtio-blk    QEMU's virtio-blk on the same disk, cache=none (O_DIRECT),
#                 with the guest's default I/O scheduler (one queue:
#                 mq-deadline)
#   virtio-blk-none  a second virtio-blk disk on the same zram disk, with
#                 the scheduler devcall-blk has: none (set once at boot)
# plus SG_IO TEST UNIT READY on the emulated drive (guest against the
# plugin called directly on the host), a BLKGETSIZE64 loop (guest against
# host), the per-stage breakdown of one 4 KiB read, and, with fake guests
# driving the real daemon (tests/hostile's fake QEMU, no TCG: 8 TCG guests
# do not fit 2 cores), daemon CPU per call, scale and memory.
# BENCH_POLL_US=N: the guest's VM and the fake ones poll their ring up to
# N us (poll-us; default 0, off).
# Prints one table; writes $BUILD/bench/bench.json. Run as root: `make bench`.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
out=$build/bench
runs=${BENCH_RUNS:-5}
nvms=${BENCH_VMS:-8}
depth=${BENCH_DEPTH:-16}
secs=${BENCH_SECONDS:-10}
dcbench=$build/guest-tools/dcbench
benchhost=$build/examples/benchhost
mkdir -p "$out"
rm -f "$out"/*.out "$out/stages.txt"

n=
cleanup() {
	[ -n "$n" ] && echo "$n" > /sys/class/zram-control/hot_remove 2>/dev/null
	true
}
trap cleanup EXIT

n=$(cat /sys/class/zram-control/hot_add)
disk=/dev/zram$n
echo 256M > /sys/block/zram$n/disksize
dd if=/dev/zero of="$disk" bs=1M count=256 oflag=direct status=none

# min/median/max of field F over the lines of file FILE matching TAG
stat3() {	# stat3 FILE TAG F
	sed -n "s/^$2 .*$3=\([0-9.]*\).*/\1/p" "$1" | sort -g |
		awk '{v[NR]=$1} END {if (!NR) {print "null null null"; exit}
		     printf "%s %s %s\n", v[1], v[int((NR+1)/2)], v[NR]}'
}
med() { stat3 "$@" | awk '{print $2}'; }

echo "# host-native: $runs runs" >&2
"$dcbench" io "$disk" 192 "$runs" > "$out/host-native.out"
"$dcbench" ioctl "$disk" 20000 "$runs" > "$out/host-ioctl.out"
"$benchhost" tur 20000 "$runs" > "$out/host-tur.out"

echo "# guest (one TCG guest): $runs runs per path" >&2
# The paths take turns, a run each, in a rotating order: a drift of the
# machine (other load, a TCG warm-up) falls on all of them alike.
# DEVICE MiB-OFFSET NAME
io_paths=("/dev/devcall/disk 0 devcall" "/dev/devcall/dblk 64 devcall-blk"
	  "/dev/vda 128 virtio-blk" "/dev/vdb 192 virtio-blk-none")
io_runs=
for ((r = 0; r < runs; r++)); do
	for ((k = 0; k < ${#io_paths[@]}; k++)); do
		set -- ${io_paths[(r + k) % ${#io_paths[@]}]}
		io_runs+="/dcbench io $1 $2 1 | sed 's/^/$3 /'
"
	done
done
# Both virtio disks open the one zram disk: QEMU's image locks off.
vblk="file=$disk,format=raw,if=virtio,cache=none,aio=threads,file.locking=off"
accel=$("$top/vmm-glue/devcall-vm" --print-accel)
: > "$out/disc.img"
poll=()
if [ "${BENCH_POLL_US:-0}" != 0 ]; then
	printf '[vm bench]\npoll-us = %d\n' "$BENCH_POLL_US" > "$out/poll.ini"
	poll=(--config "$out/poll.ini")
fi
# sysrq on in the guest, and the console at log level 8: should it hang,
# the QEMU monitor's "sendkey alt-sysrq-w" prints its blocked tasks to
# the console log.
DEVCALLD_STAGES=$out/stages.txt "$top/vmm-glue/devcall-vm" --name bench \
	--timeout 900 --log "$out/console.log" --daemon-log "$out/devcalld.log" \
	"${poll[@]}" \
	--export "disk=$disk,guest-type=char" --export "dblk=$disk" \
	--plugin "$build/examples/devcall-emudrive.so" \
	--export "cdrw=$out/disc.img,backend=emudrive,options=media=cdrw,scsi=passthrough" \
	--module virtio_blk --module virtio_pci \
	--qemu-arg -drive --qemu-arg "$vblk" --qemu-arg -drive --qemu-arg "$vblk" \
	--file "$dcbench:/dcbench" \
	-- sh -c "echo 1 > /proc/sys/kernel/sysrq; echo 8 > /proc/sys/kernel/printk
		i=0; while { [ ! -b /dev/vdb ] || [ ! -b /dev/devcall/dblk ]; } && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i+1)); done
		echo none > /sys/block/vdb/queue/scheduler
		$io_runs
		/dcbench ioctl /dev/devcall/disk 2000 $runs | sed 's/^/devcall /'
		/dcbench ioctl /dev/devcall/dblk 2000 $runs | sed 's/^/devcall-blk /'
		/dcbench ioctl /dev/vda 2000 $runs | sed 's/^/virtio-blk /'
		/dcbench tur /dev/devcall/cdrw 2000 $runs | sed 's/^/devcall /'
		echo 1 > /sys/module/devcall/parameters/stages
		/dcbench lat /dev/devcall/disk 2000 | sed 's/^/stages /'
		echo 0 > /sys/module/devcall/parameters/stages
		echo \"stages GUEST \$(cat /sys/module/devcall/parameters/stages_report)\"" \
	> "$out/guest.out"
# The host's stamps of the stage run: its last 2000 4 KiB reads.
awk '$1 == 3 && $2 == 4096' "$out/stages.txt" | tail -n 2000 |
	awk '{print $4-$3, $5-$4, $6-$5, $7-$6, $7-$3}' > "$out/stages-host.txt"
hmed() {	# hmed COLUMN: median of a host stage, in us
	awk -v c="$1" '{print $c}' "$out/stages-host.txt" | sort -g |
		awk '{v[NR]=$1} END {printf "%.1f\n", NR ? v[int((NR+1)/2)]/1000 : 0}'
}
gst() { sed -n "s/^stages GUEST .* $1=\([0-9]*\).*/\1/p" "$out/guest.out" |
	awk '{printf "%.1f\n", $1/1000}'; }

echo "# fake guests on the real daemon: $nvms VMs x $depth in flight, ${secs}s" >&2
BUILD=$build BENCH_DISK=$disk BENCH_SECONDS=$secs \
	BENCH_DAEMON_LOG=$out/devcalld-load.log \
	"$top/examples/bench/fake-rows.sh" "$nvms" "$depth" > "$out/load.out"

# ---- the table ----
paths=(host-native devcall devcall-blk virtio-blk virtio-blk-none)
pfile() { [ "$1" = host-native ] && echo "$out/host-native.out" || echo "$out/guest-$1.out"; }
for p in devcall devcall-blk virtio-blk virtio-blk-none; do
	sed -n "s/^$p //p" "$out/guest.out" > "$out/guest-$p.out"
done
sed -n 's/^IOCTL/IOCTL/p' "$out/host-ioctl.out" >> "$out/host-native.out"
fields=(write_MBps read_MBps read4k_us iops_qd32)
printf '\ndevcall bench: %s, zram disk, guest accelerator %s, poll-us %d, %d runs, min/median/max\n' \
	"$(date -u +%FT%TZ)" "$accel" "${BENCH_POLL_US:-0}" "$runs"
printf '%-15s %-8s %-20s %-20s %-16s %-18s %-18s\n' path mode "write MB/s" \
	"read MB/s" "4K read us qd1" "4K IOPS qd32" "BLKGETSIZE64/s"
for p in "${paths[@]}"; do
	f=$(pfile "$p")
	line=$(printf '%-15s %-8s' "$p" O_DIRECT)
	for k in "${fields[@]}"; do
		line+=$(printf ' %-20s' "$(stat3 "$f" BENCH "$k" | tr ' ' /)")
	done
	line+=$(printf ' %-18s' "$(stat3 "$f" IOCTL calls_per_s | tr ' ' / | sed 's|null/null/null|-|')")
	echo "$line"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 && a != "null") ? a / b : 0}'; }
echo
echo "ratios of medians (devcall path / virtio-blk path; latency: lower is better):"
for pv in devcall:virtio-blk devcall-blk:virtio-blk devcall-blk:virtio-blk-none; do
	p=${pv%%:*}
	f=$(pfile "$p") v=$(pfile "${pv#*:}")
	printf '  %-27s write %sx  read %sx  4K latency %sx  qd32 IOPS %sx\n' "$p / ${pv#*:}" \
		"$(ratio "$(med "$f" BENCH write_MBps)" "$(med "$v" BENCH write_MBps)")" \
		"$(ratio "$(med "$f" BENCH read_MBps)" "$(med "$v" BENCH read_MBps)")" \
		"$(ratio "$(med "$f" BENCH read4k_us)" "$(med "$v" BENCH read4k_us)")" \
		"$(ratio "$(med "$f" BENCH iops_qd32)" "$(med "$v" BENCH iops_qd32)")"
done
tur_g=$(med "$out/guest-devcall.out" TUR calls_per_s)
tur_h=$(med "$out/host-tur.out" TUR calls_per_s)
ioc_g=$(med "$out/guest-devcall.out" IOCTL calls_per_s)
ioc_h=$(med "$out/host-native.out" IOCTL calls_per_s)
printf 'SG_IO TEST UNIT READY/s: guest %s (%s), host to the plugin %s (%s); guest/host %s\n' \
	"$tur_g" "$(stat3 "$out/guest-devcall.out" TUR calls_per_s | tr ' ' /)" \
	"$tur_h" "$(stat3 "$out/host-tur.out" TUR calls_per_s | tr ' ' /)" "$(ratio "$tur_g" "$tur_h")"
nioc=$(awk '$1 == 5' "$out/stages.txt" | wc -l)
nlay=$(awk '$1 == 9' "$out/stages.txt" | wc -l)
printf 'SG_IO round trips: the daemon served %d IOCTL calls (+%d layout look-ups) for %d TEST UNIT READY + %d BLKGETSIZE64\n' \
	"$nioc" "$nlay" $((2000 * runs)) $((2000 * runs))
printf 'BLKGETSIZE64/s on the char node: guest %s, host %s; guest/host %s\n' \
	"$ioc_g" "$ioc_h" "$(ratio "$ioc_g" "$ioc_h")"
lv() { sed -n "s/^$1 .*$2=\([-0-9.]*\).*/\1/p" "$out/load.out" | head -n1; }
echo "daemon CPU per forwarded 4 KiB read (fake guest, 20000 calls): $(lv CPU daemon_us_per_call) us," \
	"host pread $(lv CPU host_syscall_us) us, overhead $(lv CPU overhead_us) us," \
	"$(lv CPU ctxsw_per_call) context switches per call; a bare thread doing the same" \
	"wake-up, pread and eventfd answer: $(lv CPU floor_us_per_call) us, devcall beyond it" \
	"$(lv CPU over_floor_us) us"
echo "scale (fake guests, no TCG): $(lv SCALE vms) VMs x $(lv SCALE depth) in flight:" \
	"$(lv SCALE iops) IOPS, p99 per VM $(lv SCALE p99_min_us)-$(lv SCALE p99_max_us) us," \
	"max/min p99 $(lv SCALE p99_ratio); daemon $(lv SCALE cpu_us_per_call) us CPU and" \
	"$(lv SCALE ctxsw_per_call) context switches per call"
echo "daemon memory with $(lv MEM vms) VMs: idle RSS $(lv MEM rss_idle_kib) KiB PSS $(lv MEM pss_idle_kib) KiB;" \
	"under load RSS $(lv MEM rss_load_kib) KiB PSS $(lv MEM pss_load_kib) KiB"
echo
echo "one 4 KiB O_DIRECT read on the char node, medians of 2000 (us):"
printf '  guest: syscall to doorbell %s; the doorbell write %s; doorbell to the answer seen (polled, or the interrupt) %s; answer to return %s\n' \
	"$(gst to_kick)" "$(gst kick)" "$(gst kick_to_irq)" "$(gst irq_to_ret)"
printf '  host:  wake to queued %s; hand-off to a worker %s; decode + host syscall %s; answer to interrupt sent %s; wake to interrupt %s\n' \
	"$(hmed 1)" "$(hmed 2)" "$(hmed 3)" "$(hmed 4)" "$(hmed 5)"
# Under TCG the doorbell write returns to the guest only once QEMU has
# written the eventfd, often after the daemon's work: the host's part is
# inside doorbell write + doorbell to the answer seen.
printf '  transport (doorbell write to the answer seen, minus the host part): %s\n' \
	"$(awk -v a="$(gst kick)" -v b="$(gst kick_to_irq)" -v c="$(hmed 5)" 'BEGIN {printf "%.1f", a + b - c}')"

# ---- bench.json ----
json_path() {	# json_path NAME FILE
	local k s
	printf '  "%s": {"mode": "O_DIRECT", "runs": %d' "$1" "$runs"
	for k in "${fields[@]}"; do
		s=($(stat3 "$2" BENCH "$k"))
		printf ', "%s": %s, "%s_min": %s, "%s_max": %s' "$k" "${s[1]}" \
			"$k" "${s[0]}" "$k" "${s[2]}"
	done
	s=($(stat3 "$2" IOCTL calls_per_s))
	printf ', "ioctl_per_s": %s, "ioctl_per_s_min": %s, "ioctl_per_s_max": %s}' \
		"${s[1]}" "${s[0]}" "${s[2]}"
}
{
	echo "{"
	printf '  "machine": {"date": "%s", "accel": "%s", "cpus": %d, "kernel": "%s", "poll_us": %d},\n' \
		"$(date -u +%FT%TZ)" "$accel" "$(nproc)" "$(uname -r)" "${BENCH_POLL_US:-0}"
	for p in "${paths[@]}"; do json_path "$p" "$(pfile "$p")"; echo ","; done
	printf '  "sg_io_tur": {"guest_per_s": %s, "host_plugin_per_s": %s, "ratio": %s, "daemon_ioctl_calls": %d, "guest_ioctls": %d},\n' \
		"$tur_g" "$tur_h" "$(ratio "$tur_g" "$tur_h")" "$nioc" $((4000 * runs))
	printf '  "daemon_cpu": {"us_per_call": %s, "host_syscall_us": %s, "overhead_us": %s, "ctxsw_per_call": %s, "floor_us_per_call": %s, "over_floor_us": %s},\n' \
		"$(lv CPU daemon_us_per_call)" "$(lv CPU host_syscall_us)" "$(lv CPU overhead_us)" \
		"$(lv CPU ctxsw_per_call)" "$(lv CPU floor_us_per_call)" "$(lv CPU over_floor_us)"
	printf '  "scale": {"driver": "fake guests", "vms": %s, "depth": %s, "iops": %s, "p99_min_us": %s, "p99_max_us": %s, "p99_ratio": %s, "cpu_us_per_call": %s, "ctxsw_per_call": %s},\n' \
		"$(lv SCALE vms)" "$(lv SCALE depth)" "$(lv SCALE iops)" \
		"$(lv SCALE p99_min_us)" "$(lv SCALE p99_max_us)" "$(lv SCALE p99_ratio)" \
		"$(lv SCALE cpu_us_per_call)" "$(lv SCALE ctxsw_per_call)"
	printf '  "memory": {"vms": %s, "rss_idle_kib": %s, "pss_idle_kib": %s, "rss_load_kib": %s, "pss_load_kib": %s},\n' \
		"$(lv MEM vms)" "$(lv MEM rss_idle_kib)" "$(lv MEM pss_idle_kib)" \
		"$(lv MEM rss_load_kib)" "$(lv MEM pss_load_kib)"
	printf '  "stages_us": {"guest_syscall_to_doorbell": %s, "guest_doorbell_write": %s, "doorbell_to_irq": %s, "irq_to_return": %s, "host_wake_to_queued": %s, "host_handoff": %s, "host_syscall": %s, "host_answer_to_irq": %s, "host_wake_to_irq": %s}\n' \
		"$(gst to_kick)" "$(gst kick)" "$(gst kick_to_irq)" "$(gst irq_to_ret)" \
		"$(hmed 1)" "$(hmed 2)" "$(hmed 3)" "$(hmed 4)" "$(hmed 5)"
	echo "}"
} > "$out/bench.json"
echo "wrote $out/bench.json"
