#!/bin/sh
# Runs the named unit test programs of BUILD (built with -fsanitize=thread)
# without forking, so ThreadSanitizer watches the threads of each test, and
# fails on any report. ASLR is turned off for the run (setarch -R): TSan's
# shadow memory layout does not fit some kernels' randomised mappings.
set -u
build=$1
shift
export WHORL_TEST_BUILD="$build" WHORL_SRCDIR="$(pwd)" CK_FORK=no
# Check's default of 4 s per test is too short for a loaded machine or a
# sanitizer build (one 5-check suite failed that way under load); a test
# that really hangs still fails, after 60 s. Tests that need longer set
# their own (tcase_set_timeout).
export CK_DEFAULT_TIMEOUT="${CK_DEFAULT_TIMEOUT:-60}"
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"
norand=""
setarch "$(uname -m)" -R true 2>/dev/null && norand="setarch $(uname -m) -R"
passed=0 failed=0
for name in "$@"; do
	if $norand "$build/tests/unit/$name"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED under TSan: $name"
	fi
done
echo "tsan: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
