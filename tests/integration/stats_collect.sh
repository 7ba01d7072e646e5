#!/bin/sh
# stats_collect.sh - statistics from gateway to collector with the real
# programs: two gateways (whorl-scan, different customer ids) report to
# whorl-collect on 127.0.0.1 with SQLite; the summary and the page show both
# with the counts their scans printed; a report through tinyproxy with basic
# auth arrives; replays, garbage, oversized bodies, reports sealed to another
# key and floods are refused with their statuses; the database stays
# consistent; the page renders in headless Chromium to a non-trivial
# screenshot (skipped with a note when chromium is missing); the summary,
# the page and whorl-publish --never-seen (reading the collector's database)
# list the published fingerprints no report named; 1,000 generated
# gateways' reports leave the database consistent; with no collector a
# long-running host retries each report 3 times, drops it and goes on; a
# collector that connects and never answers is named as such.
# Not for: PostgreSQL (stats_collect_pg.sh) or counter semantics (unit tests).
set -u
. "$(pwd)/tests/integration/lib/common.sh"
. "$(pwd)/tests/integration/lib/collect.sh"

need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-scan" "$bin/whorl-collect" "$cart"
net_tmp stats_collect

# a spam message published with the demo set that no gateway scans
mkdir -p "$tmp/unseen"
cat > "$tmp/unseen/unseen.eml" <<'EOF'
From: "Prize Desk" <desk@never-scanned.example>
To: someone@example.org
Subject: Claim your unseen reward now
Message-ID: <unseen-1@never-scanned.example>
Date: Wed, 02 Dec 2026 10:00:00 +0000
Content-Type: text/plain

Your reward voucher is waiting at http://reward-never-scanned.example/claim?id=777
Reply within 24 hours to keep your place in the queue of winners.
EOF
unseen_fp=$("$bin/whorl-scan" --fingerprints --config-dir "$tmp/unseen" --cartridge "$cart" "$tmp/unseen/unseen.eml" 2>/dev/null |
	awk -F '\t' '$2 == "body" {print $4 ":body"}')
"$bin/whorl-keygen" "$tmp/keys" >/dev/null && publish_demo --category spam="$tmp/unseen" >/dev/null ||
	{ echo "FAIL: publishing the demo set"; exit 1; }
# the collector names categories from its own categories file (spam renamed)
sed 's/^\(1\/[0-9]*\) spam /\1 junkmail /' "$top/etc/categories" > "$tmp/collect-cats"
printf 'categories = %s\n' "$tmp/nothere" > "$tmp/badcats.cfg"
"$bin/whorl-collect" -c "$tmp/badcats.cfg" summary >/dev/null 2>"$tmp/badcats.err"; rc=$?
check "collector: a categories file that is not there stops it, named" sh -c "[ $rc -ne 0 ] && grep -q nothere '$tmp/badcats.err'"
collect_start "sqlite:$tmp/collect.db" "categories = $tmp/collect-cats"
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
check "summary: the data's age shown (from the report's mu sigs age)" \
	grep -Eq "^  acme .* 1\.1 +[0-9]+(s|h[0-9]{2}m|d) " "$tmp/summary.txt"
check "summary: reports and messages ($messages)" grep -q "^reports: 2, messages: $messages$" "$tmp/summary.txt"
cat_sum=$(sed -n 's/.*total [0-9]*, not abuse [0-9]*//p' "$tmp/summary.txt" | grep -o '([0-9]*) [0-9]*' | awk '{s += $2} END {print s + 0}')
check "summary: categorised messages = scans with a category ($abuse)" [ "$cat_sum" -eq "$abuse" ]
check "summary: categories named from the collector's categories file" grep -q ", junkmail (1) [0-9]" "$tmp/summary.txt"
check "summary: no bare category numbers" sh -c "! grep -q 'category [0-9]' '$tmp/summary.txt'"
check "summary: fingerprints seen listed" grep -q "^  [0-9a-f]\{16\}:[a-z]* [0-9]" "$tmp/summary.txt"
fuzzy_hits=$(awk '$1 == "fuzzy" {print $2}' "$tmp/summary.txt")
check "summary: fuzzy engine hit rate counted" [ "${fuzzy_hits:-0}" -gt 0 ]

# fingerprints never seen since published: $tmp/unseen/unseen.eml was
# published with the demo set and no gateway scanned it
sed -n '/^fingerprints never seen since published: /,$p' "$tmp/summary.txt" > "$tmp/never_sum.txt"
never_n=$(sed -n '1s/^[^:]*: \([0-9]*\) of \([0-9]*\) published.*/\1/p' "$tmp/never_sum.txt")
published=$(sed -n '1s/^[^:]*: \([0-9]*\) of \([0-9]*\) published.*/\2/p' "$tmp/never_sum.txt")
check "summary: never seen counted (${never_n:-?} of ${published:-?})" [ "${never_n:-0}" -gt 0 -a "${never_n:-0}" -lt "${published:-0}" ]
check "summary: the whole never-seen list shown (at most 50)" [ "$(($(wc -l < "$tmp/never_sum.txt") - 1))" -eq "${never_n:-0}" -a "${never_n:-0}" -le 50 ]
check "summary: the published, never scanned body fingerprint listed ($unseen_fp)" \
	grep -q "^  $unseen_fp junkmail/undefined (1\.0) published [0-9-]*$" "$tmp/never_sum.txt"
seen_one=$(sed -n '/^fingerprints seen most/{n;p}' "$tmp/summary.txt" | awk '{print $1}')
check "summary: a fingerprint seen ($seen_one) is not in the never-seen list" \
	sh -c "[ -n '$seen_one' ] && ! grep -q '^  $seen_one ' '$tmp/never_sum.txt'"
curl -s "http://127.0.0.1:$cport/" > "$tmp/page0.html"
check "page: the never-seen table lists the unseen fingerprint" \
	sh -c "grep -q 'Fingerprints never seen since published' '$tmp/page0.html' && grep -q '<code>${unseen_fp%%:*}</code></td><td>body</td><td>junkmail/undefined (1.0)' '$tmp/page0.html'"
check "page: the chart's legend names the categories" grep -q '</span>junkmail (1)' "$tmp/page0.html"

# whorl-publish reads the collector's database itself
"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" --never-seen "sqlite:$tmp/collect.db" \
	> "$tmp/never.txt" 2>"$tmp/never.err"; rc=$?
check "never-seen: exit 0" [ "$rc" -eq 0 ]
check "never-seen: the same count as the summary" grep -q "^whorl-publish: $never_n of $published published abuse fingerprints never seen" "$tmp/never.err"
check "never-seen: the unseen fingerprint listed" grep -q "^$unseen_fp category 1\.0 published " "$tmp/never.txt"
check "never-seen: a fingerprint seen is not listed" sh -c "! grep -q '^$seen_one ' '$tmp/never.txt'"
cut -d' ' -f1 "$tmp/never.txt" | sort > "$tmp/never_a.txt"
sed -n '2,$s/^  //p' "$tmp/never_sum.txt" | cut -d' ' -f1 | sort > "$tmp/never_b.txt"
check "never-seen: the same list as the summary" cmp -s "$tmp/never_a.txt" "$tmp/never_b.txt"
"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" --never-seen "sqlite:$tmp/nothere.db" >/dev/null 2>"$tmp/never2.err"; rc=$?
check "never-seen: a database that is not there is an error, not created" sh -c "[ $rc -eq 1 ] && [ ! -e '$tmp/nothere.db' ] && grep -q 'nothere.db' '$tmp/never2.err'"
printf 'database = sqlite:%s\n' "$tmp/empty.db" > "$tmp/empty.cfg"
"$bin/whorl-collect" -c "$tmp/empty.cfg" check >/dev/null
"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" --never-seen "sqlite:$tmp/empty.db" >/dev/null 2>"$tmp/never3.err"; rc=$?
check "never-seen: a database with no sigs seen is refused (exit 1, says why)" sh -c "[ $rc -eq 1 ] && grep -q 'holds no sigs seen' '$tmp/never3.err'"

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
check "page: a data age column" grep -q "<th>data age</th>" "$tmp/page.html"
check "page: the gateways' data age beside their serial" \
	grep -Eq "<td>1\.1</td><td>[0-9]+(s|h[0-9]{2}m|d)</td>" "$tmp/page.html"
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

# 8. a collector that takes the connection and never answers: the report's
# line says so ("connected, no answer"), not "connection timed out"
hport=$(free_port)
echo "hang /" > "$tmp/hang.mode"
python3 "$top/tests/integration/hostile_server.py" "$hport" "$tmp" "$tmp/hang.mode" &
pids="$pids $!"
wait_port "$hport" || fail "hanging collector: the server did not start"
gateway_cfg gw-h hangcollector "statistics url = http://127.0.0.1:$hport/cmstats" "micro-update timeout = 2"
timeout 60 "$bin/whorl-scan" -v --config-dir "$tmp/gw-h" --cartridge "$cart" "$scan_dir"/spam-* \
	>/dev/null 2>"$tmp/gw-h.log"
check "hanging collector: connected, no answer within the limit" \
	grep -q "^ERROR:STATS: Could not receive HTTP response for statistics report (connected, no answer within [0-9]* s), report may not have been sent successfully" "$tmp/gw-h.log"
check "hanging collector: not called a connect timeout" sh -c "! grep -q 'timed out\|Timeout was reached' '$tmp/gw-h.log'"

echo "stats_collect: $fails failed"
[ "$fails" -eq 0 ]
