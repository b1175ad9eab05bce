#!/bin/bash
# Least privilege, without a guest: start devcalld with a configuration and
# read /proc/PID/status. The capabilities it keeps are exactly what the
# exports need (CAP_SYS_RAWIO for scsi = passthrough, CAP_SYS_ADMIN for
# host-partitions = allow), in the effective, permitted and bounding sets;
# NoNewPrivs is 1; every thread is under the seccomp filter (Seccomp 2)
# unless it is switched off; --user/--group switch the ids. A plugin's
# forbidden call is tests/unit/test_privilege.c's (a forked child).
# Needs root. Prints ok/FAIL lines and closes with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
build=${BUILD:-$here/../../build}
daemon_bin=$build/vmm-glue/devcalld
out=$build/e2e/privilege
mkdir -p "$out"
daemon=

cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ] || [ ! -x "$daemon_bin" ]; then
	echo "privilege: needs root and $daemon_bin (make build-all)"
	echo "0 passed, 1 failed"
	exit 1
fi

# The capability mask a configuration file should leave, in /proc's hex.
expected_caps() {
	local mask=0
	grep -Eq '^[[:space:]]*scsi[[:space:]]*=[[:space:]]*passthrough' "$1" &&
		mask=$((mask | 1 << 17))		# CAP_SYS_RAWIO
	grep -Eq '^[[:space:]]*host-partitions[[:space:]]*=[[:space:]]*allow' "$1" &&
		mask=$((mask | 1 << 21))		# CAP_SYS_ADMIN
	printf '%016x' "$mask"
}

# write_config NAME [EXPORT-LINES...]: one VM exporting /dev/null.
write_config() {
	local name=$1 run=$out/$1
	shift
	rm -rf "$run"; mkdir -p "$run"
	{
		printf '[vm p]\nsocket = %s/p.sock\nqmp = %s/p.qmp\nmemory = %s/p.ram\n\n' \
			"$run" "$run" "$run"
		printf '[export p null]\npath = /dev/null\n'
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$run/config.ini"
}

# start NAME [FLAGS...]: 0 once the daemon is serving, else 1 (it exited).
start() {
	local run=$out/$1
	shift
	: > "$run/devcalld.log"
	"$daemon_bin" --config "$run/config.ini" --run-dir "$run" \
		--workers 2 "$@" >> "$run/devcalld.log" 2>&1 &
	daemon=$!
	wait_for "$run/devcalld.log" 'info: ready:' 5 && return 0
	wait "$daemon" 2>/dev/null; daemon=
	return 1
}

stop() {	# 0 if SIGTERM ended it cleanly (the exit path works filtered)
	local rc
	kill -TERM "$daemon"; wait "$daemon"; rc=$?; daemon=
	[ "$rc" = 0 ]
}

field() { awk -v k="$1:" '$1 == k { print $2; exit }' "/proc/$daemon/status"; }

# Every thread's Seccomp field is the one given.
threads_seccomp() {
	local f n=0
	for f in /proc/$daemon/task/*/status; do
		awk '$1 == "Seccomp:" { exit $2 != '"$1"' }' "$f" || return 1
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]	# main and the two workers
}

check() { result "$1" "$(eval "$2" && echo ok || echo fail)" "${3:-}"; }

# A scenario whose export keys this build does not parse yet is skipped.
supported() {
	local run=$out/$1
	if "$daemon_bin" --config "$run/config.ini" --run-dir "$run" \
		--workers 0 2>&1 | grep -q "unknown export key"; then
		echo "skip $1 (export key not parsed in this build)"
		return 1
	fi
}

# ---- No export needs a capability: none kept, filter on. ----
write_config plain
if start plain; then
	exp=$(expected_caps "$out/plain/config.ini")
	check plain-capeff "[ \"$(field CapEff)\" = $exp ]" "$(field CapEff) want $exp"
	check plain-capprm "[ \"$(field CapPrm)\" = $exp ]" "$(field CapPrm)"
	check plain-capbnd "[ \"$(field CapBnd)\" = $exp ]" "$(field CapBnd)"
	check plain-nonewprivs "[ \"$(field NoNewPrivs)\" = 1 ]"
	check plain-seccomp "[ \"$(field Seccomp)\" = 2 ]"
	check plain-every-thread-filtered "threads_seccomp 2"
	check plain-logged "grep -q 'privilege: keeping no capabilities' $out/plain/devcalld.log"
	stop; result plain-clean-exit "$([ $? = 0 ] && echo ok || echo fail)"
	check plain-no-refused-calls "! grep -q 'seccomp: system call' $out/plain/devcalld.log" \
		"$(grep -m1 'seccomp: system call' "$out/plain/devcalld.log")"
else
	result plain-start fail "$(tail -3 "$out/plain/devcalld.log")"
fi

# ---- scsi = passthrough keeps CAP_SYS_RAWIO (bit 17), alone. ----
write_config rawio 'scsi = passthrough'
if supported rawio; then
	if start rawio; then
		exp=$(expected_caps "$out/rawio/config.ini")
		check rawio-capeff "[ \"$(field CapEff)\" = $exp ]" "$(field CapEff) want $exp"
		check rawio-capbnd "[ \"$(field CapBnd)\" = $exp ]" "$(field CapBnd)"
		check rawio-logged "grep -q 'keeping cap_sys_rawio (export p/null: scsi = passthrough)' $out/rawio/devcalld.log"
		stop
	else
		result rawio-start fail "$(tail -3 "$out/rawio/devcalld.log")"
	fi
fi

# ---- host-partitions = allow keeps CAP_SYS_ADMIN (bit 21). ----
write_config admin 'host-partitions = allow'
if supported admin; then
	if start admin; then
		exp=$(expected_caps "$out/admin/config.ini")
		check admin-capeff "[ \"$(field CapEff)\" = $exp ]" "$(field CapEff) want $exp"
		stop
	else
		result admin-start fail "$(tail -3 "$out/admin/devcalld.log")"
	fi
fi

# ---- --user/--group: another uid, still nothing kept, filter on. ----
write_config user
if start user --user nobody --group nogroup; then
	uid=$(id -u nobody) gid=$(getent group nogroup | cut -d: -f3)
	check user-uid "[ \"\$(awk '\$1 == \"Uid:\" { print \$2 \$3 \$4 \$5 }' /proc/$daemon/status)\" = $uid$uid$uid$uid ]"
	check user-gid "[ \"\$(awk '\$1 == \"Gid:\" { print \$2 \$3 \$4 \$5 }' /proc/$daemon/status)\" = $gid$gid$gid$gid ]"
	check user-capeff "[ \"$(field CapEff)\" = 0000000000000000 ]" "$(field CapEff)"
	check user-seccomp "threads_seccomp 2"
	stop
else
	result user-start fail "$(tail -3 "$out/user/devcalld.log")"
fi

# ---- Another uid keeps what the exports need across the switch. ----
write_config userraw 'scsi = passthrough'
if supported userraw; then
	if start userraw --user nobody; then
		check userraw-capeff "[ \"$(field CapEff)\" = 0000000000020000 ]" "$(field CapEff)"
		check userraw-capprm "[ \"$(field CapPrm)\" = 0000000000020000 ]" "$(field CapPrm)"
		stop
	else
		result userraw-start fail "$(tail -3 "$out/userraw/devcalld.log")"
	fi
fi

# ---- An unknown user: refuse to run rather than run as root. ----
write_config nouser '[daemon]' 'user = devcall-no-such-user'
if start nouser; then
	result nouser-refused fail "it started"
	stop
else
	check nouser-refused "grep -q \"no user 'devcall-no-such-user'\" $out/nouser/devcalld.log"
fi

# ---- seccomp = off (file) and --no-seccomp (flag): no filter. ----
write_config off '[daemon]' 'seccomp = off'
if start off; then
	check off-seccomp "[ \"$(field Seccomp)\" = 0 ]"
	check off-nonewprivs "[ \"$(field NoNewPrivs)\" = 1 ]"
	stop
else
	result off-start fail "$(tail -3 "$out/off/devcalld.log")"
fi
write_config noflag
if start noflag --no-seccomp; then
	check flag-no-seccomp "[ \"$(field Seccomp)\" = 0 ]"
	stop
else
	result flag-no-seccomp fail "$(tail -3 "$out/noflag/devcalld.log")"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
