#!/bin/sh
# scan_cli.sh - whorl-scan end to end with the good_echo test cartridge:
# files, a directory tree, an mbox, a maildir, standard input, JSON output,
# fingerprints, -j ordering, and the exit statuses for unreadable inputs (2),
# bad options and refused cartridges (1). Also checks that the real
# cartridge.so, when built, exports exactly one symbol.
# Prints PASS/FAIL per check; exits non-zero when any check failed.
set -u
build=${WHORL_TEST_BUILD:-build}
scan="$build/bin/whorl-scan"
carts="$build/tests/cartridges"
echo_so="$carts/good_echo.so"
fails=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }
check() { # check NAME COMMAND...: PASS when the command succeeds
	name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

for f in "$scan" "$echo_so" "$carts/bad_major.so"; do
	[ -e "$f" ] || { echo "FAIL: $f missing (make $f)"; exit 1; }
done

tmp=$(mktemp -d /tmp/whorl_scan_cli.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/etc" "$tmp/tree/b/c" "$tmp/tree/a" "$tmp/md/cur" "$tmp/md/new" "$tmp/md/tmp"
spam='Subject: buy\nX-Test-Spam: yes\n\nnow\n'
ham='Subject: hello\n\nX-Test-Spam: no\n'
printf "$spam" > "$tmp/spam.eml"
printf "$ham" > "$tmp/ham.eml"
printf "$spam" > "$tmp/tree/b/c/2"
printf "$ham" > "$tmp/tree/a/1"
printf "$ham" > "$tmp/tree/b/0"
printf "$ham" > "$tmp/md/cur/1:2,S"
printf "$spam" > "$tmp/md/new/2"
printf "$spam" > "$tmp/md/tmp/3"
printf 'junk\n' > "$tmp/md/dovecot-uidlist"
printf 'From a@example.org Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From the start\n\nFrom b@example.org Mon Jan  1 00:00:01 2024\nSubject: two\nX-Test-Spam: yes\n\nx\n\nFrom c@example.org Mon Jan  1 00:00:02 2024\nSubject: three\n\n>>From quoted\n' > "$tmp/box.mbox"
run="$scan --cartridge $echo_so --config-dir $tmp/etc"
t=$(printf '\t')

# 1. single files: score, names, rescan, analysis
out=$($run "$tmp/spam.eml" "$tmp/ham.eml"); rc=$?
want="$tmp/spam.eml${t}90${t}spam/undefined${t}0${t}echo; rule=x-test-spam; score=90
$tmp/ham.eml${t}5${t}clean/undefined${t}0${t}echo; rule=none; score=5"
check "files: exit 0" [ "$rc" -eq 0 ]
check "files: one line per message with the echo rule" [ "$out" = "$want" ]

# 2. directory tree: recursive, sorted
out=$($run "$tmp/tree" | cut -f1,2); rc=$?
want="$tmp/tree/a/1${t}5
$tmp/tree/b/0${t}5
$tmp/tree/b/c/2${t}90"
check "tree: exit 0" [ "$rc" -eq 0 ]
check "tree: recursive in sorted order" [ "$out" = "$want" ]

# 3. mbox: file:N names, split on From lines
out=$($run "$tmp/box.mbox" | cut -f1,2); rc=$?
want="$tmp/box.mbox:1${t}5
$tmp/box.mbox:2${t}90
$tmp/box.mbox:3${t}5"
check "mbox: exit 0" [ "$rc" -eq 0 ]
check "mbox: three messages named file:N" [ "$out" = "$want" ]
# >From unquoting: the sketch is the message length; message 1 is
# "Subject: one\n\nFrom the start\n\n" = 30 bytes (31 if still quoted);
# message 3 "Subject: three\n\n>From quoted\n" = 29 (30 if still quoted).
out=$($run --fingerprints "$tmp/box.mbox" | grep "box.mbox:1${t}fuzzy" | cut -f4)
check "mbox: >From lines unquoted" [ "$out" = "sketch:0000001e" ]
out=$($run --fingerprints "$tmp/box.mbox" | grep "box.mbox:3${t}fuzzy" | cut -f4)
check "mbox: >>From becomes >From" [ "$out" = "sketch:0000001d" ]

# 4. maildir: cur then new, never tmp or top-level files
out=$($run "$tmp/md" | cut -f1,2); rc=$?
want="$tmp/md/cur/1:2,S${t}5
$tmp/md/new/2${t}90"
check "maildir: exit 0" [ "$rc" -eq 0 ]
check "maildir: cur and new only" [ "$out" = "$want" ]

# 5. standard input
out=$(printf "$spam" | $run - | cut -f1,2)
check "stdin: scored as -" [ "$out" = "-${t}90" ]

# 6. a missing file: named on stderr, others still scanned, exit 2
out=$($run "$tmp/spam.eml" "$tmp/missing.eml" "$tmp/ham.eml" 2>"$tmp/err"); rc=$?
check "missing: exit 2" [ "$rc" -eq 2 ]
check "missing: named on stderr" grep -q "missing.eml" "$tmp/err"
check "missing: the others still scanned" [ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]

# 7. usage errors: exit 1
$run --no-such-option "$tmp/spam.eml" >/dev/null 2>&1; rc=$?
check "bad option: exit 1" [ "$rc" -eq 1 ]
$run -j 0 "$tmp/spam.eml" >/dev/null 2>&1; rc=$?
check "bad -j: exit 1" [ "$rc" -eq 1 ]
$run >/dev/null 2>&1; rc=$?
check "no PATH: exit 1" [ "$rc" -eq 1 ]

# 8. refused cartridges and bad configuration: exit 1 with the reason
$scan --cartridge "$carts/bad_major.so" --config-dir "$tmp/etc" "$tmp/spam.eml" \
	>/dev/null 2>"$tmp/err"; rc=$?
check "bad_major: exit 1" [ "$rc" -eq 1 ]
check "bad_major: reason printed" grep -q "not binary compatible: ABI major 2" "$tmp/err"
if [ -e "$carts/bad_build.so" ]; then
	$scan --cartridge "$carts/bad_build.so" "$tmp/spam.eml" >/dev/null 2>"$tmp/err"; rc=$?
	check "bad_build: exit 1 with reason" \
		sh -c "[ $rc -eq 1 ] && grep -q 'build signature' '$tmp/err'"
fi
$scan --cartridge "$echo_so" --config-dir "$tmp/nope" "$tmp/spam.eml" >/dev/null 2>"$tmp/err"; rc=$?
check "missing config dir: exit 1 naming it" \
	sh -c "[ $rc -eq 1 ] && grep -q '$tmp/nope' '$tmp/err'"

# 9. JSON: every line parses, fields present and typed
$run --json "$tmp/spam.eml" "$tmp/tree" "$tmp/box.mbox" "$tmp/md" > "$tmp/json"; rc=$?
check "json: exit 0" [ "$rc" -eq 0 ]
check "json: valid, one object per line" python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 9, len(rows)
for r in rows:
    assert set(r) == {"path","score","is_spam","category","subcategory","category_desc",
                      "subcategory_desc","rescan","analysis"}, r
    assert r["is_spam"] == (r["score"] >= 50) and isinstance(r["rescan"], bool)
    assert r["category_desc"] == ("spam" if r["category"] == 1 else "clean")
' < "$tmp/json"
weird="$tmp/we\"ird	na\\me"
printf "$ham" > "$weird"
check "json: quotes, tabs and backslashes in paths escaped" sh -c "
	$run --json '$tmp/we\"ird	na\\me' | python3 -c '
import json, sys
assert json.loads(sys.stdin.readline())[\"path\"].endswith(\"we\\\"ird\\tna\\\\me\")'"
out=$($run --json --minimum-score 3 "$tmp/ham.eml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["is_spam"])')
check "json: --minimum-score decides is_spam" [ "$out" = "True" ]
check "json: fingerprints parse" sh -c "$run --json --fingerprints '$tmp/box.mbox' | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 3 and all(len(r[\"fingerprints\"][0][\"key\"]) == 16 for r in rows)'"

# 10. fingerprints: one body fp per message, 16 hex digits
out=$($run --fingerprints "$tmp/spam.eml" | grep "${t}body${t}")
check "fingerprints: PATH engine v1 key" \
	sh -c "printf '%s\n' '$out' | grep -Eq '^$tmp/spam.eml	body	v1	[0-9a-f]{16}\$'"

# 11. -j N prints exactly what -j 1 prints, in the same order
i=0
mkdir -p "$tmp/many"
while [ $i -lt 300 ]; do
	if [ $((i % 7)) -eq 0 ]; then printf "$spam" > "$tmp/many/m$i"; else printf "Subject: $i\n\nb $i\n" > "$tmp/many/m$i"; fi
	i=$((i + 1))
done
# Among the files, a small mbox (split when it is read) and one over 256 KiB
# (split by the walk, one job per message).
cp "$tmp/box.mbox" "$tmp/many/m150.mbox"
awk 'BEGIN { for (i = 1; i <= 3000; i++)
	printf "From x Mon Jan  1 00:00:00 2024\nSubject: big %d\n\n%0100d\n\n", i, 0 }' > "$tmp/many/m151.mbox"
$run -j 1 "$tmp/many" "$tmp/box.mbox" "$tmp/md" > "$tmp/j1"
$run -j 2 "$tmp/many" "$tmp/box.mbox" "$tmp/md" > "$tmp/j2"
$run -j 8 --fingerprints "$tmp/many" > "$tmp/j8f"
$run -j 1 --fingerprints "$tmp/many" > "$tmp/j1f"
check "-j 2 output equals -j 1 output" cmp -s "$tmp/j1" "$tmp/j2"
check "-j 8 fingerprints equal -j 1" cmp -s "$tmp/j1f" "$tmp/j8f"
check "-j: every message printed" [ "$(wc -l < "$tmp/j2")" -eq 3308 ]
check "-j: a small mbox in a directory gives file:N in order" \
	[ "$(grep -o "many/m150.mbox:[0-9]*" "$tmp/j2" | tr '\n' ' ')" = "many/m150.mbox:1 many/m150.mbox:2 many/m150.mbox:3 " ]
check "-j: a large mbox in a directory gives file:N for each" \
	[ "$(grep -c "many/m151.mbox:[0-9]*$t" "$tmp/j2")" -eq 3000 ]

# 12. -v logs in the guide's LEVEL:MODULE: style; no progress bar off a tty
$run -v "$tmp/spam.eml" "$tmp/ham.eml" >/dev/null 2>"$tmp/err"
check "-v: INFO:ECHO: line on stderr" grep -q "^INFO:ECHO: opened on $tmp/etc\$" "$tmp/err"
check "no progress bar when stderr is not a terminal" \
	sh -c "! grep -q '\\[#' '$tmp/err'"

# 13. the real engine exports exactly one symbol (when it is built)
if [ -e "$build/lib/cartridge.so" ]; then
	syms=$(nm -D --defined-only "$build/lib/cartridge.so" | awk '{print $3}')
	check "cartridge.so exports only whorl_cartridge_entry" [ "$syms" = "whorl_cartridge_entry" ]
else
	echo "SKIP: $build/lib/cartridge.so not built yet (export check)"
fi

if [ "$fails" -ne 0 ]; then
	echo "scan_cli: $fails check(s) failed"
	exit 1
fi
echo "scan_cli: all checks passed"
