#!/bin/sh
# Runs every unit test program in BUILD/tests/unit (Check, fork mode) and
# prints one closing line: "N passed, N failed".
set -u
build=${1:-build}
export WHORL_TEST_BUILD="$build" WHORL_SRCDIR="$(pwd)"
# Check's default of 4 s per test is too short for a loaded machine or a
# sanitizer build (one 5-check suite failed that way under load); a test
# that really hangs still fails, after 60 s. Tests that need longer set
# their own (tcase_set_timeout).
export CK_DEFAULT_TIMEOUT="${CK_DEFAULT_TIMEOUT:-60}"
passed=0 failed=0
for t in "$build"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t"; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
