#!/bin/sh
# determinism.sh - the same bytes always get the same verdict, on a corpus
# subset: every third corpus message (and re-encodings of some in UTF-16,
# UTF-32, UTF-7, ...) scored forward, reversed and shuffled on 1 and 2
# threads, and every 60th alone in its own process; all verdicts must be
# byte-identical (tests/integration/lib/determinism.sh does the work;
# tests/bench/determinism.sh runs it on the whole corpus).
# The corpus is fetched with shared/corpus/fetch.sh; when it cannot be had
# this FAILS, it does not skip.
set -u
build=${WHORL_TEST_BUILD:-build}
out=$(STRIDE=3 PROC_STRIDE=60 BUILD="$build" bash tests/integration/lib/determinism.sh 2>&1)
rc=$?
echo "$out" | sed -n '/^DIFF/,$p;/^determinism:/p' | head -n 40
case $rc in
0) echo "PASS: determinism: $(echo "$out" | grep -E '^(messages_compared|differences) ' | tr '\n' ' ')" ;;
1) echo "FAIL: determinism: verdicts differ between runs"; exit 1 ;;
*) echo "FAIL: determinism: could not run (exit $rc)"; exit 1 ;;
esac
