# Shared by the end-to-end test scripts (sourced): checks and timing.
pass=0 fail=0

result() {	# result NAME ok|fail [DETAIL]
	if [ "$2" = ok ]; then pass=$((pass + 1)); echo "ok   $1 ${3:-}"
	else fail=$((fail + 1)); echo "FAIL $1 ${3:-}"; fi
}

wait_for() {	# wait_for FILE RE SEC: 0 once FILE has a line matching RE
	local i
	for i in $(seq $(($3 * 20))); do
		grep -aq "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }	# since NOW-VALUE
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }	# below X LIMIT
