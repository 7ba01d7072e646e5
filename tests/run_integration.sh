#!/bin/sh
# Runs every tests/integration/*.sh driver against BUILD and prints one
# closing line: "N passed, N failed". Each driver starts and stops its own
# servers on 127.0.0.1.
set -u
build=${1:-build}
export WHORL_TEST_BUILD="$build" WHORL_SRCDIR="$(pwd)"
passed=0 failed=0
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	echo "== $t"
	if sh "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t"; fi
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
