#!/bin/sh
# stats_collect.sh - statistics from gateway to collector with the real
# programs: two gateways (whorl-scan, different customer ids) report to
# whorl-collect on 127.0.0.1 with SQLite; the summary and the page show both
# with the counts their scans printed; a report through tinyproxy with basic
# auth arrives; replays, garbage, oversized bodies, reports sealed to another
# key and floods are refused with their statuses; the database stays
# consistent; the page renders in headless Chromium to a non-trivial
# screenshot (skipped with a note when chromium is missing); whorl-publish
# --never-seen lists the fingerprints no report named; 1,000 generated
# gateways' reports leave the database consistent; with no collector a
# long-running host retries each report 3 times, drops it and goes on.
# Not for: PostgreSQL (stats_collect_pg.sh) or counter semantics (unit tests).
set -u
. "$(pwd)/tests/integration/lib/common.sh"
. "$(pwd)/tests/integration/lib/collect.sh"

for f in "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-scan" "$bin/whorl-collect" "$cart"; do
	[ -e "$f" ] || { echo "FAIL: $f missing (make all)"; exit 1; }
done
tmp=$(mktemp -d /tmp/whorl_stats_collect.XXXXXX) || exit 1
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT INT TERM

"$bin/whorl-keygen" "$tmp/keys" >/dev/null && publish_demo >/dev/null ||
	{ echo "FAIL: publishing the demo set"; exit 1; }
collect_start "sqlite:$tmp/collect.db"
check "collector key is 0600" [ "$(stat -c %a "$tmp/ckeys/collector.key")" = 600 ]

# 1. two gateways, two customers
scan_dir="$top/etc/demo/scan"
gateway gw-a acme "$scan_dir"
gateway gw-b globex "$scan_dir"/spam-* "$scan_dir"/legit-*
expect_counts gw-a gw-b
check "gateways: Statistics initialized logged" grep -q "^INFO:STATS: Statistics initialized. Current settings: report statistics=yes" "$tmp/gw-a.log"
check "gateways: shutdown line logged" grep -q "^INFO:STATS: Shutting down, stopping background stats reporting." "$tmp/gw-b.log"
check "gateways: period report logged" grep -q "^INFO:STATS: Current statistics for period 1..." "$tmp/gw-a.log"
check "gateways: no statistics ERROR" sh -c "! grep -q '^ERROR:STATS' '$tmp/gw-a.log' '$tmp/gw-b.log'"
check "collector: two reports stored" [ "$(grep -c ' 200 stored' "$tmp/collect.log")" -eq 2 ]
sum=$("$bin/whorl-collect" -c "$tmp/collect.cfg" summary); rc=$?
echo "$sum" > "$tmp/summary.txt"
check "summary: exit 0" [ "$rc" -eq 0 ]
check "summary: 2 gateways" grep -q "^gateways reporting: 2$" "$tmp/summary.txt"
check "summary: acme listed" grep -q "^  acme " "$tmp/summary.txt"
check "summary: globex listed" grep -q "^  globex " "$tmp/summary.txt"
check "summary: data serial 1.1 shown" grep -q "^  acme .* 1\.1 " "$tmp/summary.txt"
check "summary: reports and messages ($messages)" grep -q "^reports: 2, messages: $messages$" "$tmp/summary.txt"
cat_sum=$(sed -n 's/.*total [0-9]*, not abuse [0-9]*//p' "$tmp/summary.txt" | grep -o 'category [0-9]* [0-9]*' | awk '{s += $3} END {print s + 0}')
check "summary: categorised messages = scans with a category ($abuse)" [ "$cat_sum" -eq "$abuse" ]
check "summary: fingerprints seen listed" grep -q "^  [0-9a-f]\{16\}:[a-z]* [0-9]" "$tmp/summary.txt"
fuzzy_hits=$(awk '$1 == "fuzzy" {print $2}' "$tmp/summary.txt")
check "summary: fuzzy engine hit rate counted" [ "${fuzzy_hits:-0}" -gt 0 ]

# fingerprints that never fired, for the publisher
"$bin/whorl-collect" -c "$tmp/collect.cfg" sigs-seen > "$tmp/seen.txt"; rc=$?
check "sigs-seen: exported" sh -c "[ $rc -eq 0 ] && grep -q '^[0-9a-f]\{16\}:[a-z]* [0-9]' '$tmp/seen.txt'"
"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" --never-seen "$tmp/seen.txt" \
	> "$tmp/never.txt" 2>"$tmp/never.err"; rc=$?
check "never-seen: exit 0" [ "$rc" -eq 0 ]
check "never-seen: counted" grep -q "published abuse fingerprints never seen" "$tmp/never.err"
never=$(wc -l < "$tmp/never.txt")
published=$(sed -n 's/.* of \([0-9]*\) published.*/\1/p' "$tmp/never.err")
check "never-seen: some fired, some never ($never of $published)" [ "$never" -gt 0 -a "$never" -lt "${published:-0}" ]
seen_one=$(head -1 "$tmp/seen.txt" | cut -d' ' -f1)
check "never-seen: a fingerprint seen is not listed" sh -c "! grep -q '^$seen_one ' '$tmp/never.txt'"
: > "$tmp/empty.txt"
n_all=$("$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" --never-seen "$tmp/empty.txt" 2>/dev/null | wc -l)
check "never-seen: with nothing seen, every abuse fingerprint is listed ($n_all)" [ "$n_all" -eq "${published:-0}" ]

# 2. through tinyproxy with basic auth
TINYPROXY=$(command -v tinyproxy || ls /usr/bin/tinyproxy /usr/sbin/tinyproxy 2>/dev/null | head -1)
if [ -n "$TINYPROXY" ]; then
	pport=$(free_port)
	printf 'Port %s\nListen 127.0.0.1\nTimeout 30\nMaxClients 8\nLogLevel Info\nLogFile "%s"\nBasicAuth proxyuser proxypass\nAllow 127.0.0.1\n' \
		"$pport" "$tmp/tinyproxy.log" > "$tmp/tinyproxy.conf"
	"$TINYPROXY" -d -c "$tmp/tinyproxy.conf" &
	pids="$pids $!"
	wait_port "$pport" || fail "tinyproxy did not start"
	gateway_cfg gw-p proxied "http proxy = 127.0.0.1:$pport" "http proxy basic auth = proxyuser:proxypass"
	"$bin/whorl-scan" -v --config-dir "$tmp/gw-p" --cartridge "$cart" "$scan_dir"/spam-* >/dev/null 2>"$tmp/gw-p.log"
	check "proxy: report went through tinyproxy" grep -q "cmstats" "$tmp/tinyproxy.log"
	check "proxy: the collector stored it" sh -c "'$bin/whorl-collect' -c '$tmp/collect.cfg' summary | grep -q '^  proxied '"
	gateway_cfg gw-q badproxy "http proxy = 127.0.0.1:$pport" "http proxy basic auth = proxyuser:wrong"
	"$bin/whorl-scan" -v --config-dir "$tmp/gw-q" --cartridge "$cart" "$scan_dir"/spam-* >/dev/null 2>"$tmp/gw-q.log"
	# tinyproxy answers 401/407 or drops the connection: either guide line
	check "proxy: wrong password logged with a guide line" \
		grep -Eq "^ERROR:STATS: (Unexpected HTTP response for HTTP request POST .*: 40[17]|Could not receive HTTP response for statistics report)" "$tmp/gw-q.log"
	check "proxy: nothing stored for it" sh -c "! '$bin/whorl-collect' -c '$tmp/collect.cfg' summary | grep -q '^  badproxy '"
else
	echo "SKIP: tinyproxy not installed (scripts/deps.sh installs it)"
fi

# 3. bad input: each refused with its status and a log line
printf 'hello\n' > "$tmp/garbage"
check "garbage: 400" [ "$(post "$tmp/garbage")" = 400 ]
printf 'report = spamdna stats\nversion = 1\nencoding = c,s\nstats = !!!!\n' > "$tmp/badb64"
check "broken base64: 400" [ "$(post "$tmp/badb64")" = 400 ]
head -c 2000000 /dev/zero | tr '\0' 'a' > "$tmp/big"
check "oversized body: 413" [ "$(post "$tmp/big")" = 413 ]
check "oversized body: logged" grep -q " 413 body too large" "$tmp/collect.log"
# a report captured on its way (a recorder instead of the collector), replayed
capture_report gw-r "$scan_dir"/phish-*
check "replay: first delivery stored (200)" [ "$(post "$tmp/captured")" = 200 ]
check "replay: second delivery refused (409)" [ "$(post "$tmp/captured")" = 409 ]
check "replay: logged" grep -q " 409 replayed report serial" "$tmp/collect.log"
# sealed to another collector's key
mkdir -p "$tmp/otherkey" && "$bin/whorl-collect" keygen "$tmp/otherkey"
mkdir -p "$tmp/gw-o" && cp "$tmp/otherkey/collector.pub" "$tmp/gw-o/collector.pub"
gateway_cfg gw-o other
"$bin/whorl-scan" -v --config-dir "$tmp/gw-o" --cartridge "$cart" "$scan_dir"/phish-* >/dev/null 2>"$tmp/gw-o.log"
check "other key: refused (403) and logged" grep -q " 403 sealed to another key" "$tmp/collect.log"
check "other key: the gateway logs the refusal" grep -q "^ERROR:STATS: Unexpected HTTP response for HTTP request POST .*: 403" "$tmp/gw-o.log"
out=$("$bin/whorl-collect" -c "$tmp/collect.cfg" check); rc=$?
check "database consistent after the refusals" [ "$rc" -eq 0 ]
check "nothing stored twice" sh -c "printf '%s' \"\$1\" | grep -q '^reports stored twice: 0$'" _ "$out"

# 4. a flood from one address
collect_stop
collect_start "sqlite:$tmp/collect.db" "reports per minute per address = 2"
codes=""
for i in 1 2 3 4; do codes="$codes $(post "$tmp/garbage")"; done
check "flood: the third and later refused (429): $codes" [ "$codes" = " 400 400 429 429" ]
check "flood: logged" grep -q " 429 too many reports" "$tmp/collect.log"

# 5. the page, and the page in headless Chromium
curl -s "http://127.0.0.1:$cport/" > "$tmp/page.html"
check "page: inline SVG charts" [ "$(grep -c '<svg' "$tmp/page.html")" -ge 3 ]
check "page: both customers" sh -c "grep -q acme '$tmp/page.html' && grep -q globex '$tmp/page.html'"
check "page: no script" sh -c "! grep -qi '<script' '$tmp/page.html'"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/chrome" \
		--window-size=1000,1400 --screenshot="$tmp/page.png" "http://127.0.0.1:$cport/" >/dev/null 2>&1
	colours=$(python3 "$top/tests/integration/lib/png_colours.py" "$tmp/page.png" 2>&1)
	check "chromium: screenshot written" test -s "$tmp/page.png"
	check "chromium: screenshot non-trivial (distinct colours: $colours)" [ "${colours:-0}" -ge 8 ] 2>/dev/null
else
	echo "SKIP: chromium not installed (scripts/deps.sh installs it)"
fi

# 6. load: 1,000 gateways' reports (tests/bench/collect_load prints the time;
# here only the database is judged)
if [ -x "$top/$build/bench/collect_load" ]; then
	collect_stop
	collect_start "sqlite:$tmp/load.db" "reports per minute per address = 0"
	"$top/$build/bench/collect_load" "http://127.0.0.1:$cport/cmstats" "$tmp/ckeys/collector.pub" 1000 4 > "$tmp/load.txt"
	check "load: all 1000 stored" grep -q "^stored = 1000$" "$tmp/load.txt"
	out=$("$bin/whorl-collect" -c "$tmp/collect.cfg" check); rc=$?
	check "load: database consistent" [ "$rc" -eq 0 ]
	check "load: 1000 reports from 1000 gateways" sh -c "printf '%s' \"\$1\" | grep -q '^reports: 1000$' && printf '%s' \"\$1\" | grep -q '^gateways: 1000$'" _ "$out"
	sed 's/^/  /' "$tmp/load.txt"
else
	fail "load: $build/bench/collect_load missing (make bench)"
fi

# 7. a long-running host with one-second periods and a collector that is not
# there: each report is tried STATS_POST_TRIES (3) times, then dropped, and
# the next period still comes; nothing is queued or written
dead=$(free_port)
gateway_cfg gw-d deadcollector "statistics interval = 1" "statistics url = http://127.0.0.1:$dead/cmstats"
"$bin/whorl-update" -v --config-dir "$tmp/gw-d" --cartridge "$cart" >/dev/null 2>"$tmp/gw-d.log" &
upid=$!
pids="$pids $upid"
sleep 14
kill -TERM "$upid"; wait "$upid" 2>/dev/null
tries=$(grep -c "^ERROR:STATS: Could not connect to micro-updates host" "$tmp/gw-d.log")
periods=$(grep -c "^INFO:STATS: Current statistics for period" "$tmp/gw-d.log")
check "dead collector: a report tried 3 times then dropped, periods go on ($tries tries, $periods periods)" \
	[ "$tries" -ge 3 -a "$periods" -ge 2 -a "$tries" -le $((3 * periods)) ]
check "dead collector: the shutdown report gets one try" grep -q "^INFO:STATS: Shutting down, stopping background stats reporting." "$tmp/gw-d.log"
check "dead collector: nothing written beside the update state" \
	sh -c "[ -z \"\$(find '$tmp/gw-d' -newer '$tmp/gw-d/cartridge.cfg' -type f ! -path '*/micro_updates/*')\" ]"

echo "stats_collect: $fails failed"
[ "$fails" -eq 0 ]
