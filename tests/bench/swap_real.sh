#!/usr/bin/env bash
# swap_real.sh - swap_stress between two builds of the real engine: the
# cartridge of BUILD and a second build of the same sources with another
# version string (so a different file, installed at its own path).
# Prints swap_stress's line. Not a pass/fail test.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
cd "$root"
make --no-print-directory -s "$build/lib/cartridge.so" "$build/bench/swap_stress"
make --no-print-directory -s BUILD=build-alt VERSION=0.1.0-alt build-alt/lib/cartridge.so
cfg=$(mktemp -d "${TMPDIR:-/tmp}/whorl-swap.XXXXXX")
trap 'rm -rf "$cfg"' EXIT
printf 'enable micro-updates = no\n' > "$cfg/cartridge.cfg"
cp etc/categories "$cfg/"
"$build/bench/swap_stress" "$root/$build/lib/cartridge.so" "$root/build-alt/lib/cartridge.so" "$cfg"
