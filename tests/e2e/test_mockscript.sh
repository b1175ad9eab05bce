#!/bin/bash
# The scripted mock backend (backend = script): unmodified guest programs
# (busybox cat and dd, dcprobe) run against a device whose answers come
# from tests/e2e/mockscript/device.script; the test asserts on the JSON
# lines the daemon recorded of every call, and on what the programs saw.
# Also: a bad script and a plugin of another ABI stop the daemon at start
# with a message naming the cause (no guest needed).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/mockscript
vm=$top/vmm-glue/devcall-vm
probe=${DCPROBE:-$build/guest-tools/dcprobe}
script=$top/tests/e2e/mockscript/device.script
rec=$out/record.jsonl
mkdir -p "$out"
. "$top/tests/e2e/lib.sh"
finish() { echo "mockscript: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }
[ -x "$probe" ] || { result mockscript-deps fail "no $probe: run 'make e2e'"; finish; }
command -v jq >/dev/null || { result mockscript-deps fail "no jq"; finish; }

# -- refused at start ---------------------------------------------------
start_fails() {	# start_fails NAME EXPECTED-TEXT DEVCALLD-ARGS...
	local name=$1 want=$2 log=$out/$1.log
	shift 2
	timeout 10 "$build/vmm-glue/devcalld" --run-dir "$out/run-$name" \
		--vm "x,memory=$out/none" "$@" > "$log" 2>&1
	local rc=$?
	if [ $rc != 0 ] && [ $rc != 124 ] && grep -qF "$want" "$log"; then
		result "$name" ok
	else
		result "$name" fail "status $rc: $(head -c 300 "$log")"
	fi
}
printf 'read out="x"\nioctl NO_SUCH_IOCTL errno=EIO\n' > "$out/bad.script"
start_fails bad-script "$out/bad.script:2: 'NO_SUCH_IOCTL' is no ioctl layout's name" \
	--export "x:d=/dev/null,backend=script,script=$out/bad.script"
start_fails no-script "backend = script needs script = FILE" \
	--export "x:d=/dev/null,backend=script"
abibad=$build/tests/unit/plugin_abi_bad.so
if [ -f "$abibad" ]; then
	start_fails plugin-abi "built for devcall plugin ABI 2, this daemon has ABI 1" \
		--plugin "$abibad"
else
	result plugin-abi fail "no $abibad: make $abibad"
fi

# -- one guest ----------------------------------------------------------
rm -f "$rec"
cat > "$out/guest.sh" <<'G'
#!/bin/sh
d=/dev/devcall/dev
echo "CAT-BEGIN"; cat $d; echo "CAT-END $?"
printf abcdef | dd of=$d bs=6 count=1 2>/dev/null; echo "DD $?"
echo "SIZE $(/dcprobe size $d)"
cat $d 2>&1 | sed 's/^/CAT2 /'
echo "FSYNC $(/dcprobe fsync $d fsync)"
/dcprobe blkpg $d add > /dev/null 2>&1; echo "BLKPG $?"
echo DONE
G
start=$(now)
"$vm" --name e2e-mockscript --timeout 240 \
	--export "dev=/dev/null,backend=script,script=$script,record=$rec,host-partitions=allow" \
	--file "$probe:/dcprobe" --file "$out/guest.sh:/guest.sh" \
	--log "$out/console.log" --daemon-log "$out/devcalld.log" \
	-- sh /guest.sh > "$out/guest.out" 2>&1
rc=$?
tr -d '\r' < "$out/guest.out" > "$out/guest.txt"
result guest-ran "$([ $rc = 0 ] && grep -q '^DONE' "$out/guest.txt" && echo ok || echo fail)" \
	"status $rc, $(elapsed "$start") s"

# What the programs saw.
got=$(sed -n '/^CAT-BEGIN/,/^CAT-END/p' "$out/guest.txt")
want=$(printf 'CAT-BEGIN\nhello from the script\nsecond line\nCAT-END 0')
result cat-data "$([ "$got" = "$want" ] && echo ok || echo fail)" "$(echo "$got" | tr '\n' '|')"
result dd-status "$(grep -qx 'DD 0' "$out/guest.txt" && echo ok || echo fail)"
result ioctl-out "$(grep -qx 'SIZE 3145728' "$out/guest.txt" && echo ok || echo fail)" \
	"$(grep '^SIZE' "$out/guest.txt")"
result open-refused "$(grep -q '^CAT2 .*Permission denied' "$out/guest.txt" && echo ok || echo fail)" \
	"$(grep '^CAT2' "$out/guest.txt")"
result fsync-errno "$(grep -qx 'FSYNC EIO' "$out/guest.txt" && echo ok || echo fail)" \
	"$(grep '^FSYNC' "$out/guest.txt")"
result blkpg-status "$(grep -qx 'BLKPG 0' "$out/guest.txt" && echo ok || echo fail)"

# What the device was asked: the record, one JSON object a line.
check() {	# check NAME JQ-FILTER: ok if the filter prints true
	local v
	v=$(jq -s "$2" "$rec" 2>&1)
	result "$1" "$([ "$v" = true ] && echo ok || echo fail)" "${v:0:200}"
}
[ -s "$rec" ] || result record fail "no $rec"
check record-valid 'length > 10 and all(.seq and .op and has("result"))'
check record-seq '[.[].seq] == [range(1; length + 1)]'
check opens '[.[] | select(.op == "open") | .result] == [0, 0, 0, -13, 0, 0]'
check opens-closed '([.[] | select(.op == "open" and .result == 0)] | length) ==
	([.[] | select(.op == "close")] | length)'
check cat-reads '[.[] | select(.op == "read") | [.result, .rule]] |
	.[0:3] == [[22, 6], [12, 7], [0, 0]]'
check dd-writes '[.[] | select(.op == "write") | [.in, .result, .rule]] ==
	[["616263646566", 3, 10], ["646566", 3, 0]]'
check size-ioctl '[.[] | select(.name == "BLKGETSIZE64")] | length == 1 and
	.[0].cmd == "0x80081272" and .[0].out == "0000300000000000" and
	.[0].result == 0'
# BLKPG's pointer: the blkpg_partition it was handed, start 1 MiB and
# length 8 MiB (dcprobe blkpg add), read through the layout.
# The argument itself: op BLKPG_ADD_PARTITION, datalen 152, and the data
# pointer recorded as zeros (a daemon address means nothing to a test).
check blkpg-in0 '[.[] | select(.name == "BLKPG")] | length == 1 and
	(.[0].in0 | startswith("0000100000000000" + "0000800000000000" + "01000000")) and
	.[0].in == "01000000000000009800000000000000" + "0000000000000000"'
check fsync-rule '[.[] | select(.op == "fsync")] == [.[] | select(.op == "fsync")
	| select(.errno == "EIO" and .rule == 21)] and
	([.[] | select(.op == "fsync")] | length == 1)'
check no-unanswered-ioctl '[.[] | select(.op == "ioctl" and .errno == "ENOTTY")] |
	all(.name != "BLKGETSIZE64" and .name != "BLKPG")'
finish
