#!/usr/bin/env bash
# determinism.sh - the determinism check on the whole corpus: every message
# (and re-encodings of some in UTF-16, UTF-32, UTF-7, ...) scored forward,
# reversed and shuffled on 1 and 2 threads, and every 10th alone in its own
# whorl-scan process; prints the messages compared and the differences
# found (which must be 0).
#
#   tests/bench/determinism.sh         (from the repository root)
#
# Environment: PROC_STRIDE (default 10), SEED (default 1), BUILD.
# Exit: 0 no difference, 1 differences, 2 could not run.
# The same check on a subset runs in make check (tests/integration/determinism.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
echo "# whorl determinism benchmark (whole corpus)"
STRIDE=1 PROC_STRIDE=${PROC_STRIDE:-10} exec bash tests/integration/lib/determinism.sh
