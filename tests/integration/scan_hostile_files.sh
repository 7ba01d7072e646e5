#!/bin/sh
# scan_hostile_files.sh - whorl-scan against files that change under it
# (issue 12.1): an mbox truncated by another process while it is scanned, a
# listed file swapped for a FIFO or for a link to /dev/zero after the walk,
# a file over the maximum message size, and a FIFO met inside a directory.
# Each must end with a clear per-message error on stderr, every other
# message scored, exit status 2, and nothing left in TMPDIR; never SIGBUS,
# never a hang, never unbounded memory. whorl-scan's standard output is a
# FIFO this script reads, so the scan is held (the pipe fills, the ring of
# results stops the workers) while the file is changed: no timing guesses.
# Runs with the good_echo test cartridge; every step is bounded by timeout.
# Prints PASS/FAIL per check; exits non-zero when any check failed.
set -u
. "$(dirname "$0")/lib/common.sh"
scan="$bin/whorl-scan"
echo_so="$top/$build/tests/cartridges/good_echo.so"
for f in "$scan" "$echo_so"; do
	[ -e "$f" ] || { echo "FAIL: $f missing (make $f)"; exit 1; }
done

tmp=$(mktemp -d /tmp/whorl_scan_hostile.XXXXXX) || exit 1
scan_pid=
trap '[ -n "$scan_pid" ] && kill "$scan_pid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/etc" "$tmp/t"
export TMPDIR="$tmp/t"
run="timeout 60 $scan --cartridge $echo_so --config-dir $tmp/etc"

# start_held ARGS...: runs whorl-scan ARGS with stdout on a FIFO, reads its
# first 5 lines (the walk is over, scanning has begun and is held).
start_held() {
	rm -f "$tmp/out.fifo" "$tmp/out" "$tmp/err"
	mkfifo "$tmp/out.fifo"
	# At most 1 GiB of address space: reading /dev/zero must not run away.
	sh -c 'ulimit -v 1048576; exec "$@"' sh $run "$@" > "$tmp/out.fifo" 2> "$tmp/err" &
	scan_pid=$!
	exec 3< "$tmp/out.fifo"
	for _ in 1 2 3 4 5; do IFS= read -r line <&3 && printf '%s\n' "$line" >> "$tmp/out"; done
}
# finish_held: drains the rest of the output and sets rc to the exit status.
finish_held() {
	cat <&3 >> "$tmp/out"
	exec 3<&-
	wait "$scan_pid"; rc=$?
	scan_pid=
}

# 1. An mbox of 40,000 messages truncated to half while it is scanned:
# given by name (split by the walk), then found in a directory (split when
# it is read, its messages scanned by a pool of their own).
n=40000
mkdir -p "$tmp/boxdir"
for where in name directory; do
	awk -v n=$n 'BEGIN { for (i = 1; i <= n; i++)
		printf "From a%d@example.org Mon Jan  1 00:00:00 2024\nSubject: m%d\n\nbody %d\n\n", i, i, i }' \
		> "$tmp/boxdir/big.mbox"
	size=$(wc -c < "$tmp/boxdir/big.mbox")
	if [ $where = name ]; then start_held "$tmp/boxdir/big.mbox"; else start_held -j 3 "$tmp/boxdir"; fi
	truncate -s $((size / 2)) "$tmp/boxdir/big.mbox"
	finish_held
	scored=$(wc -l < "$tmp/out")
	changed=$(grep -c "big.mbox:[0-9]*: changed while it was read" "$tmp/err")
	check "truncated mbox by $where: exit 2, not a signal (rc $rc)" [ "$rc" -eq 2 ]
	check "truncated mbox by $where: the messages before the cut are scored ($scored)" \
		[ "$scored" -ge $((n / 2 - 10)) ]
	check "truncated mbox by $where: each lost message named once ($changed)" \
		[ $((scored + changed)) -eq "$n" ]
	check "truncated mbox by $where: the temp install directory is removed" \
		[ -z "$(ls -A "$tmp/t")" ]
done

# 2./3. A listed file swapped, after the walk, for a FIFO / a link to /dev/zero.
mkdir -p "$tmp/many"
i=0
while [ $i -lt 3000 ]; do printf 'Subject: %d\n\nb\n' $i > "$tmp/many/m$(printf %04d $i)"; i=$((i + 1)); done
for swap in fifo zero; do
	start_held "$tmp/many"
	rm -f "$tmp/many/m2999"
	if [ $swap = fifo ]; then mkfifo "$tmp/many/m2999"; else ln -s /dev/zero "$tmp/many/m2999"; fi
	finish_held
	check "$swap swapped in: exit 2 within the time limit (rc $rc)" [ "$rc" -eq 2 ]
	check "$swap swapped in: named as not a regular file" \
		grep -q "many/m2999: not a regular file" "$tmp/err"
	check "$swap swapped in: every other file scored" [ "$(wc -l < "$tmp/out")" -eq 2999 ]
	rm -f "$tmp/many/m2999"
	printf 'Subject: last\n\nb\n' > "$tmp/many/m2999"
done

# 4. A file over the maximum message size (64 MiB): a clear error, exit 2.
printf 'Subject: big\n\n' > "$tmp/huge.eml"
truncate -s $((64 * 1048576 + 1)) "$tmp/huge.eml"
printf 'Subject: ok\n\nb\n' > "$tmp/ok.eml"
$run "$tmp/huge.eml" "$tmp/ok.eml" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "oversized file: exit 2" [ "$rc" -eq 2 ]
check "oversized file: named as larger than the limit" \
	grep -q "huge.eml: larger than the limit" "$tmp/err"
check "oversized file: the other file scored" [ "$(wc -l < "$tmp/out")" -eq 1 ]

# 5. A FIFO inside a scanned directory (and in a maildir's new/) is named.
mkdir -p "$tmp/dir" "$tmp/md/cur" "$tmp/md/new"
printf 'Subject: a\n\nb\n' > "$tmp/dir/a"
mkfifo "$tmp/dir/pipe" "$tmp/md/new/pipe"
$run "$tmp/dir" "$tmp/md" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "FIFO in a directory: exit 2" [ "$rc" -eq 2 ]
check "FIFO in a directory: named on stderr" grep -q "dir/pipe: not a regular file" "$tmp/err"
check "FIFO in a maildir: named on stderr" grep -q "md/new/pipe: not a regular file" "$tmp/err"
check "FIFO in a directory: the file beside it scored" [ "$(wc -l < "$tmp/out")" -eq 1 ]

if [ "$fails" -ne 0 ]; then
	echo "scan_hostile_files: $fails check(s) failed"
	exit 1
fi
echo "scan_hostile_files: all checks passed"
