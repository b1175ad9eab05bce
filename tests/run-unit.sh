#!/bin/bash
# Run every unit-test binary given; print each one's cmocka summary and a
# closing tally. Exits non-zero if any binary fails.
set -u
failed=0
for t in "$@"; do
	echo "== $(basename "$t")"
	if ! "$t"; then
		failed=$((failed + 1))
		echo "!! $(basename "$t") FAILED"
	fi
done
echo "unit test binaries: $# run, $failed failed"
[ "$failed" = 0 ]
