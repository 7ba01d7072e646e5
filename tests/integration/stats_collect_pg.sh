#!/bin/sh
# stats_collect_pg.sh - the statistics collector on PostgreSQL 15: a
# server started by the test in a temp dir (initdb/pg_ctl as the postgres
# user when run as root: PostgreSQL refuses root) on 127.0.0.1; two gateways
# (whorl-scan, different customer ids) report to whorl-collect; the summary
# shows both with the counts their scans printed, and the published
# fingerprints never seen, which whorl-publish --never-seen also reads from
# the same database; a replay is refused;
# 1000 generated gateways' reports arrive and the database stays consistent.
# Skips (exit 0) only when PostgreSQL 15 is not installed.
# Not for: what stats_collect.sh covers on SQLite (bad input, proxy, page).
set -u
. "$(pwd)/tests/integration/lib/common.sh"
. "$(pwd)/tests/integration/lib/collect.sh"

pgbin=/usr/lib/postgresql/15/bin
[ -x "$pgbin/initdb" ] || { echo "SKIP: PostgreSQL 15 not installed (scripts/deps.sh installs it)"; exit 0; }
need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-scan" "$bin/whorl-collect" "$cart"
tmp=$(mktemp -d /tmp/whorl_stats_pg.XXXXXX) || exit 1
chmod 755 "$tmp"
pids=""
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_stop() { as_pg "$pgbin/pg_ctl" -D "$tmp/pg/data" -m immediate stop >/dev/null 2>&1; }
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; pg_stop; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT INT TERM

pgport=$(free_port)
mkdir -p "$tmp/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp/pg"
as_pg "$pgbin/initdb" -D "$tmp/pg/data" -A trust -U postgres >"$tmp/initdb.log" 2>&1 ||
	{ echo "FAIL: initdb"; cat "$tmp/initdb.log"; exit 1; }
as_pg "$pgbin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w \
	-o "-p $pgport -k $tmp/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
	{ echo "FAIL: pg_ctl start"; cat "$tmp/pg/server.log"; exit 1; }
check "postgresql: server up on 127.0.0.1:$pgport" wait_port "$pgport"

"$bin/whorl-keygen" "$tmp/keys" >/dev/null && publish_demo >/dev/null ||
	{ echo "FAIL: publishing the demo set"; exit 1; }
collect_start "postgresql:host=127.0.0.1 port=$pgport dbname=postgres user=postgres" \
	"reports per minute per address = 0"
check "collector: on postgresql" grep -q "database postgresql" "$tmp/collect.log"

scan_dir="$top/etc/demo/scan"
gateway gw-a acme "$scan_dir"
gateway gw-b globex "$scan_dir"/spam-* "$scan_dir"/legit-*
expect_counts gw-a gw-b
"$bin/whorl-collect" -c "$tmp/collect.cfg" summary > "$tmp/summary.txt"; rc=$?
check "summary: exit 0" [ "$rc" -eq 0 ]
check "summary: 2 gateways" grep -q "^gateways reporting: 2$" "$tmp/summary.txt"
check "summary: acme and globex listed" sh -c "grep -q '^  acme ' '$tmp/summary.txt' && grep -q '^  globex ' '$tmp/summary.txt'"
check "summary: the gateways' data age (PostgreSQL's correlated subquery)" \
	grep -Eq "^  acme .* 1\.1 +[0-9]+(s|h[0-9]{2}m|d) " "$tmp/summary.txt"
check "summary: reports and messages ($messages)" grep -q "^reports: 2, messages: $messages$" "$tmp/summary.txt"
cat_sum=$(sed -n 's/.*total [0-9]*, not abuse [0-9]*//p' "$tmp/summary.txt" | grep -o '([0-9]*) [0-9]*' | awk '{s += $2} END {print s + 0}')
check "summary: categorised messages = scans with a category ($abuse)" [ "$cat_sum" -eq "$abuse" ]
check "summary: categories named (built-in table)" grep -q ", spam (1) [0-9]" "$tmp/summary.txt"
check "summary: fingerprints seen listed" grep -q "^  [0-9a-f]\{16\}:[a-z]* [0-9]" "$tmp/summary.txt"

# never seen since published: the summary's list, and whorl-publish reading
# the same PostgreSQL database with the collector's "database" value
sed -n '/^fingerprints never seen since published: /,$p' "$tmp/summary.txt" > "$tmp/never_sum.txt"
never_n=$(sed -n '1s/^[^:]*: \([0-9]*\) of \([0-9]*\) published.*/\1/p' "$tmp/never_sum.txt")
published=$(sed -n '1s/^[^:]*: \([0-9]*\) of \([0-9]*\) published.*/\2/p' "$tmp/never_sum.txt")
check "summary: never seen counted (${never_n:-?} of ${published:-?})" [ "${never_n:-0}" -gt 0 -a "${never_n:-0}" -lt "${published:-0}" ]
"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" \
	--never-seen "postgresql:host=127.0.0.1 port=$pgport dbname=postgres user=postgres" \
	> "$tmp/never.txt" 2>"$tmp/never.err"; rc=$?
check "never-seen on postgresql: exit 0" [ "$rc" -eq 0 ]
check "never-seen on postgresql: the summary's count" grep -q "^whorl-publish: $never_n of $published published abuse fingerprints never seen" "$tmp/never.err"
seen_one=$(sed -n '/^fingerprints seen most/{n;p}' "$tmp/summary.txt" | awk '{print $1}')
check "never-seen on postgresql: a fingerprint seen ($seen_one) is not listed" sh -c "[ -n '$seen_one' ] && ! grep -q '^$seen_one ' '$tmp/never.txt'"
cut -d' ' -f1 "$tmp/never.txt" | sort > "$tmp/never_a.txt"
sed -n '2,$s/^  //p' "$tmp/never_sum.txt" | cut -d' ' -f1 | sort > "$tmp/never_b.txt"
check "never-seen on postgresql: the same list as the summary" cmp -s "$tmp/never_a.txt" "$tmp/never_b.txt"
"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" \
	--never-seen "postgresql:host=127.0.0.1 port=$pgport dbname=nosuchdb user=postgres" >/dev/null 2>"$tmp/never2.err"; rc=$?
check "never-seen on postgresql: a database that is not there is an error" sh -c "[ $rc -eq 1 ] && grep -q 'nosuchdb' '$tmp/never2.err'"

# a replayed report is refused by the same transaction logic
capture_report gw-r "$scan_dir"/phish-*
check "replay: first delivery stored (200)" [ "$(post "$tmp/captured")" = 200 ]
check "replay: second delivery refused (409)" [ "$(post "$tmp/captured")" = 409 ]

if [ -x "$top/$build/bench/collect_load" ]; then
	"$top/$build/bench/collect_load" "http://127.0.0.1:$cport/cmstats" "$tmp/ckeys/collector.pub" 1000 4 > "$tmp/load.txt"
	check "load: all 1000 stored" grep -q "^stored = 1000$" "$tmp/load.txt"
	sed 's/^/  /' "$tmp/load.txt"
fi
out=$("$bin/whorl-collect" -c "$tmp/collect.cfg" check); rc=$?
check "database consistent" [ "$rc" -eq 0 ]
check "1003 reports stored once each" sh -c "printf '%s' \"\$1\" | grep -q '^reports: 1003$'" _ "$out"

echo "stats_collect_pg: $fails failed"
[ "$fails" -eq 0 ]
