#!/bin/sh
# rollback.sh - crash rollback from the command line: whorl-scan with
# --state-dir runs good_echo cleanly (it becomes the last viable cartridge,
# --trial-ms 1), then the crash_on_marker cartridge three times (each
# run dies scanning the marker), and the fourth run scans the same marker
# without dying because the host started good_echo again and said why.
# Prints PASS/FAIL per check; exits non-zero when any check failed.
set -u
build=${WHORL_TEST_BUILD:-build}
scan="$build/bin/whorl-scan"
carts="$build/tests/cartridges"
fails=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }

for f in "$scan" "$carts/good_echo.so" "$carts/crash_on_marker.so"; do
	[ -e "$f" ] || { echo "FAIL: $f missing (make $f)"; exit 1; }
done
tmp=$(mktemp -d /tmp/whorl_rollback.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
printf 'Subject: boom\nX-Whorl-Crash: now\n\nbody\n' > "$tmp/crash.eml"
printf 'Subject: hello\n\nhi\n' > "$tmp/ham.eml"
state="$tmp/state"

run() { # run CARTRIDGE MESSAGE: whorl-scan's exit status (trial: $trial ms)
	"$scan" -v -j 1 --config-dir / --state-dir "$state" --trial-ms "$trial" \
		--cartridge "$carts/$1.so" "$tmp/$2" > "$tmp/out" 2> "$tmp/err"
}

# The clean runs scan a few hundred messages, so that they outlast the
# 1 ms trial however fast the machine is.
mkdir "$tmp/many"
i=0
while [ $i -lt 400 ]; do cp "$tmp/ham.eml" "$tmp/many/$i.eml"; i=$((i + 1)); done
trial=1
if run good_echo many && run good_echo many; then
	pass "good_echo runs cleanly"
else
	fail "good_echo runs cleanly"
fi
grep -q 'viable_hash [0-9a-f]' "$state/rollback" && pass "good_echo is the last viable" \
	|| fail "good_echo is the last viable"
trial=600000
for i in 1 2 3; do
	run crash_on_marker crash.eml
	rc=$?
	[ "$rc" -gt 128 ] && pass "start $i with the trial crashes (status $rc)" \
		|| fail "start $i with the trial crashes (status $rc)"
done
grep -q '^unclean 3$' "$state/rollback" && pass "three unclean starts recorded" \
	|| fail "three unclean starts recorded"
if run crash_on_marker crash.eml; then pass "start 4 rolls back and scans"; else fail "start 4 rolls back and scans"; fi
grep -q 'unclean starts; starting the last viable cartridge' "$tmp/err" \
	&& pass "rollback is logged" || { fail "rollback is logged"; cat "$tmp/err"; }
grep -q '^unclean 0$' "$state/rollback" && pass "clean shutdown clears the counter" \
	|| fail "clean shutdown clears the counter"
[ "$fails" -eq 0 ]
