#!/bin/sh
# Runs every unit test program in BUILD/tests/unit (Check, fork mode) and
# prints one closing line: "N passed, N failed".
set -u
build=${1:-build}
export WHORL_TEST_BUILD="$build" WHORL_SRCDIR="$(pwd)"
passed=0 failed=0
for t in "$build"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t"; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
