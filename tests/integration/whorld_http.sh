#!/bin/sh
# whorld_http.sh - whorld's HTTP endpoints with curl: POST /v1/score (every
# field of whorl-scan --json, the eight cmae-* values, headers to add,
# envelope headers), the Cloudmark Authority API as rspamd's cloudmark
# module calls it (multipart POST /score/v2/message, GET
# /score/v2/max-message-size), GET /ping, /metrics (Prometheus text),
# /stats; keep-alive; 413 for a body over max message size; 503 at once
# when the queue is full; 503 past the request deadline; 503 for requests
# arriving during the drain; 404. Then the real cartridge on the demo data:
# the same spam through spamc -y and /v1/score names the engines that hit.
# Servers on 127.0.0.1, stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
whorld="$top/$build/sbin/whorld"
slow_so="$top/$build/tests/cartridges/slow_on_marker.so"
need_files "$whorld" "$slow_so" "$cart" "$bin/whorl-keygen" "$bin/whorl-publish"
command -v curl >/dev/null || { echo "FAIL: curl missing"; exit 1; }

whorld_tmp whorld_http
sport=$(free_port)
hport=$(free_port)
url="http://127.0.0.1:$hport"

start_whorld() { # start_whorld CARTRIDGE CONFIG_DIR [EXTRA LINES]
	cat > "$tmp/whorld.cfg" <<CFG
spamd listen = 127.0.0.1:$sport
http listen = 127.0.0.1:$hport
cartridge = $1
cartridge config dir = $2
threads = 1
queue size = 1
max message size = 64K
${3:-}
CFG
	"$whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/whorld.log" &
	wpid=$!
	wait_port "$hport" || { echo "FAIL: whorld did not start"; cat "$tmp/whorld.log"; exit 1; }
}
stop_whorld() { kill "$wpid"; wait "$wpid"; rc_stop=$?; wpid=""; }

start_whorld "$slow_so" "$tmp/etc"

# 1. /v1/score
curl -s -H 'IP: 192.0.2.7' -H 'Helo: mx.example.org' -H 'From: <a@example.org>' \
	-H 'Rcpt: <b@example.net>' -H 'Rcpt: <c@example.net>' -H 'Queue-Id: 1abc-XY' \
	--data-binary @"$tmp/spam.eml" "$url/v1/score" > "$tmp/score.json"
check "/v1/score: whorl-scan --json's fields, cmae-* and headers" python3 - "$tmp/score.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = {"path": "1abc-XY", "score": 90, "is_spam": True, "category": 1, "subcategory": 0,
        "category_desc": "spam", "subcategory_desc": "undefined", "rescan": False,
        "analysis": "echo; rule=x-test-spam; score=90", "cmae-score": "90",
        "cmae-isspam": "true", "cmae-category": "1", "cmae-subcategory": "0",
        "cmae-rescan": "0", "cmae-analysis": "echo; rule=x-test-spam; score=90",
        "cmae-category-desc": "spam", "cmae-subcategory-desc": "undefined"}
bad = {k: r.get(k) for k in want if r.get(k) != want[k]}
hdrs = {h["name"]: h["value"] for h in r["headers"]}
ok = not bad and hdrs == {"X-CMAE-Score": "90", "X-CMAE-Analysis": want["analysis"]}
print("mismatch:", bad, hdrs) if not ok else None
sys.exit(0 if ok else 1)
PY

# 2. The Cloudmark API as rspamd's cloudmark.lua sends it.
curl -s -F "rfc822=@$tmp/spam.eml;type=message/rfc822" -F heloDomain=mx.example.org \
	-F mailFrom=a@example.org -F rcptTo=b@example.net,c@example.net -F connIp=192.0.2.7 \
	"$url/score/v2/message" > "$tmp/cm.json"
check "/score/v2/message: score, analysis and appendHeaders as cloudmark.lua reads them" \
	python3 - "$tmp/cm.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
h = {x["headerField"]: x["body"] for x in r["appendHeaders"]}
sys.exit(0 if r["score"] == 90 and r["analysis"].startswith("echo;") and h["X-CMAE-Score"] == "90" else 1)
PY
check "/score/v2/max-message-size: maxMessageSize" \
	[ "$(curl -s "$url/score/v2/max-message-size")" = '{"maxMessageSize":65536}' ]
code=$(curl -s -o "$tmp/cm_bad.json" -w '%{http_code}' -F heloDomain=x "$url/score/v2/message")
check "/score/v2/message without rfc822: 400" [ "$code" = 400 ]

# 3. /ping, /stats, /metrics, 404, keep-alive.
check "/ping: pong" [ "$(curl -s "$url/ping")" = pong ]
curl -s "$url/stats" > "$tmp/stats.txt"
check "/stats: the cartridge's snapshot" grep -q "^messages scored = [0-9]" "$tmp/stats.txt"
curl -s "$url/metrics" > "$tmp/metrics.txt"
check "/metrics: requests by protocol" grep -q '^whorld_requests_total{protocol="http"} [0-9]' "$tmp/metrics.txt"
check "/metrics: a latency histogram with +Inf = count = 2 scans" \
	sh -c 'grep -q "^whorld_scan_duration_seconds_bucket{le=\"+Inf\"} 2$" "$1" && grep -q "^whorld_scan_duration_seconds_count 2$" "$1"' _ "$tmp/metrics.txt"
check "/metrics: verdicts by category" grep -q '^whorld_verdicts_total{category="1"} 2$' "$tmp/metrics.txt"
check "/metrics: queue depth, RSS" sh -c 'grep -q "^whorld_queue_depth 0$" "$1" && grep -q "^whorld_resident_memory_bytes [1-9]" "$1"' _ "$tmp/metrics.txt"
check "/metrics: parses as Prometheus text (every sample line is name{labels} number)" \
	python3 -c 'import re,sys; sys.exit(0 if all(re.match(r"^(#.*|[a-z_]+(\{[^}]*\})? [-0-9.e+Inf]+)$", l) for l in open(sys.argv[1]).read().splitlines()) else 1)' "$tmp/metrics.txt"
check "one INFO line per scan by default (log scans = yes)" grep -q "INFO HTTP: /v1/score: Y 90/50" "$tmp/whorld.log"
check "unknown path: 404" [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/nope")" = 404 ]
n=$(curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}\n' "$url/ping" "$url/ping" "$url/ping" | tr '\n' ' ')
check "keep-alive: three requests, one connection (num_connects: $n)" [ "$n" = "1 0 0 " ]

# 4. Limits: too large, queue full.
head -c 70000 /dev/zero | tr '\0' a > "$tmp/big"
code=$(curl -s -o "$tmp/big.json" -w '%{http_code}' --data-binary @"$tmp/big" "$url/v1/score")
check "body over max message size: 413" [ "$code" = 413 ]
printf 'Subject: slow\nX-Whorl-Sleep-Ms: 800\n\nx\n' > "$tmp/slow.eml"
cpids=""
for i in 1 2 3; do
	curl -s -o /dev/null -w '%{http_code}\n' --data-binary @"$tmp/slow.eml" "$url/v1/score" >> "$tmp/codes" &
	cpids="$cpids $!"
	sleep 0.1
done
for p in $cpids; do wait "$p"; done
check "queue full (1 thread, queue 1): the third gets 503 at once" \
	[ "$(sort "$tmp/codes" | tr '\n' ' ')" = "200 200 503 " ]
stop_whorld
check "SIGTERM with HTTP: exit 0" [ "$rc_stop" -eq 0 ]

# 4b. A request waiting for the scan slot past the request deadline gets 503
# (not a late scan); after SIGTERM a request on a kept-alive connection gets
# 503 "shutting down" while the scan in flight finishes (the drain).
scan_lines=$(grep -c "INFO HTTP: /v1/score: " "$tmp/whorld.log")
start_whorld "$slow_so" "$tmp/etc" "request deadline = 500ms
log scans = no"
python3 - "$hport" "$wpid" > "$tmp/drain.out" 2>&1 <<'PY'
import http.client, os, signal, sys, threading, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
slow = b"Subject: slow\nX-Whorl-Sleep-Ms: 4000\n\nx\n"
fast = b"Subject: fast\n\nx\n"
def post(conn, body):
    conn.request("POST", "/v1/score", body=body)
    r = conn.getresponse()
    return r.status, r.read().decode()
kept = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
kept.request("GET", "/ping"); kept.getresponse().read()
res = {}
t = threading.Thread(target=lambda: res.update(a=post(http.client.HTTPConnection("127.0.0.1", port, timeout=20), slow)))
t.start()
time.sleep(0.5)
late = post(http.client.HTTPConnection("127.0.0.1", port, timeout=20), fast)
print("waiting past the deadline:", late)
os.kill(pid, signal.SIGTERM)
drain = None
for _ in range(30):
    drain = post(kept, fast)
    if "shutting down" in drain[1]:
        break
    time.sleep(0.1)
print("after SIGTERM:", drain)
t.join()
print("in flight:", res.get("a"))
ok = (late[0] == 503 and "deadline" in late[1] and drain[0] == 503 and "shutting down" in drain[1]
      and res.get("a", (0,))[0] == 200)
sys.exit(0 if ok else 1)
PY
rc=$?
cat "$tmp/drain.out"
check "HTTP: 503 past the request deadline; 503 shutting down after SIGTERM; the scan in flight answered" [ "$rc" -eq 0 ]
wait "$wpid"; rc_stop=$?; wpid="" # the script sent the SIGTERM
check "log scans = no: no scan line, other INFO lines kept" \
	sh -c '[ "$(grep -c "INFO HTTP: /v1/score: " "$1")" = "$2" ] && tail -n 3 "$1" | grep -q "INFO MAIN: stopped"' _ "$tmp/whorld.log" "$scan_lines"
check "SIGTERM with a drained HTTP scan: exit 0" [ "$rc_stop" -eq 0 ]

# 5. The real cartridge on the demo data: the engines that hit.
"$bin/whorl-keygen" "$tmp/keys" > /dev/null
publish_demo > "$tmp/publish.log" 2>&1 || { echo "FAIL: publish"; cat "$tmp/publish.log"; exit 1; }
mkdir -p "$tmp/real"
cp "$top/etc/categories" "$tmp/real/"
printf 'micro-update url = file://%s\npublisher key = %s\nfavor analysis over speed = yes\n' \
	"$tmp/mirror" "$tmp/keys/publisher.pub" > "$tmp/real/cartridge.cfg"
start_whorld "$cart" "$tmp/real" "threads = 2
queue size = 16"
msg="$demo/scan/spam-pharma-v2.eml"
out=$(spamc -d 127.0.0.1 -p "$sport" -y < "$msg")
check "real cartridge, spamc -y: engines and category ($out)" \
	sh -c 'printf "%s" "$1" | grep -Eq "^(WHORL_[A-Z_]+,)+WHORL_SPAM$"' _ "$out"
curl -s --data-binary @"$msg" "$url/v1/score" > "$tmp/real.json"
check "real cartridge, /v1/score: the same symbols, score >= 50, d=sigs:1.1" python3 - "$tmp/real.json" "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["symbols"] == sys.argv[2] and r["score"] >= 50 and "d=sigs:1.1;" in r["analysis"] else 1)
PY
out=$(spamc -d 127.0.0.1 -p "$sport" -c < "$demo/scan/legit-new-family.eml"); rc=$?
check "real cartridge, spamc -c: new legit mail is ham ($out, exit $rc)" [ "$rc" -eq 0 ]
curl -s "$url/metrics" > "$tmp/real_metrics.txt"
issued=$(sed -n 's/^issued //p' "$tmp/mirror/manifest" 2>/dev/null | head -1)
check "real /metrics: the sigs data's age (from the manifest's issue time, $issued)" python3 - "$tmp/real_metrics.txt" "${issued:-}" <<'PY'
import re, sys, time
text = open(sys.argv[1]).read()
m = re.search(r'^whorld_data_age_seconds\{source="sigs"\} (\d+)$', text, re.M)
if not m:
    sys.exit(1)
age = int(m.group(1))
# The age is now - issued, read at the scrape: between the bounds taken around it.
issued = int(sys.argv[2]) if sys.argv[2] else None
sys.exit(0 if issued is None or 0 <= age <= int(time.time()) - issued + 1 else 1)
PY
check "real /metrics: data serials by source and part" \
	sh -c 'grep -q "^whorld_data_serial{source=\"sigs\",part=\"complete\"} 1$" "$1" && grep -q "^whorld_data_serial{source=\"sigs\",part=\"incremental\"} 1$" "$1"' _ "$tmp/real_metrics.txt"
check "real /metrics: data not stale, update downloads by result (file:// mirror: disk)" \
	sh -c 'grep -q "^whorld_data_stale 0$" "$1" && grep -q "^whorld_update_downloads_total{result=\"success\",kind=\"complete\",origin=\"disk\"} [1-9]" "$1" && grep -q "^whorld_update_downloads_total{result=\"failure\",kind=\"serial\",origin=\"network\"} 0$" "$1"' _ "$tmp/real_metrics.txt"
check "real /metrics: still parses as Prometheus text" \
	python3 -c 'import re,sys; sys.exit(0 if all(re.match(r"^(#.*|[a-z_]+(\{[^}]*\})? [-0-9.e+Inf]+)$", l) for l in open(sys.argv[1]).read().splitlines()) else 1)' "$tmp/real_metrics.txt"
stop_whorld
check "SIGTERM with the real cartridge (its update thread started before the signal mask): exit 0" \
	[ "$rc_stop" -eq 0 ]

echo "whorld_http: $fails failed"
[ "$fails" -eq 0 ]
