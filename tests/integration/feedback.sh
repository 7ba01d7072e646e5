#!/bin/sh
# feedback.sh - every way whorld takes a feedback report ends in the one
# writer (libwhorl's whorl_feedback_record) and the spool format of
# docs/FEEDBACK.md: "whorlctl report spam|ham FILE" over the control socket
# (reporter = login name or -u), POST /v1/feedback over HTTP (Class and
# Reporter headers, client address), spamc -L over the spamd protocol;
# refusals (bad class, no message, no spool); and "feedback content =
# fingerprints" (after a reload): fingerprints from the cartridge, no
# message on disk; and with "workers = 2", through the master. whorld runs
# the echo test cartridge, whose fingerprint is the FNV-1a of the bytes, on
# 127.0.0.1 and a temp dir; stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
whorld="$top/$build/sbin/whorld"
ctl="$top/$build/bin/whorlctl"
carts="$top/$build/tests/cartridges"
need_files "$whorld" "$ctl" "$carts/good_echo.so"
need_commands curl spamc python3

whorld_tmp feedback
port=$(free_port)
hport=$(free_port)
sock="$tmp/control"
spool="$tmp/spool"
write_cfg() {
	cat > "$tmp/whorld.cfg" <<CFG
spamd listen = 127.0.0.1:$port
http listen = 127.0.0.1:$hport
cartridge = $carts/good_echo.so
cartridge config dir = $tmp/etc
control socket = $sock
feedback spool = $spool
$1
CFG
}
write_cfg ""
printf 'Subject: cheap\nX-Test-Spam: yes\n\nbuy now\n' > "$tmp/spam.eml"
printf 'Subject: minutes\n\nsee you at ten\n' > "$tmp/ham.eml"
"$whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/whorld.log" &
wpid=$!
wait_port "$port" && wait_port "$hport" ||
	{ echo "FAIL: whorld did not start"; cat "$tmp/whorld.log"; exit 1; }

# newest: the report written last (names start with seconds.microseconds).
newest() { ls "$spool/new" | sort | tail -1; }
nreports() { ls "$spool/new" 2>/dev/null | wc -l; }
field() { grep -m1 "^X-Whorl-Feedback-$1: " "$spool/new/$2" | cut -d' ' -f2-; }
# body_is REPORT FILE: the report's message is FILE's bytes, after its Length.
body_is() {
	len=$(field Length "$1")
	[ "$len" -eq "$(wc -c < "$2")" ] && tail -c "$len" "$spool/new/$1" | cmp -s - "$2"
}

# 1. whorlctl report, over the control socket.
me=$(id -un)
out=$("$ctl" -c "$tmp/whorld.cfg" report spam "$tmp/spam.eml" 2>&1); rc=$?
f=$(newest)
check "whorlctl report spam: exit 0, says where ($out)" \
	sh -c '[ "$1" -eq 0 ] && printf "%s" "$2" | grep -q "^recorded spam $3/new/$4$"' _ "$rc" "$out" "$spool" "$f"
check "whorlctl report spam: class spam, source control, reporter = login name ($me)" \
	sh -c '[ "$(grep -c "" "$1")" -gt 0 ] && grep -q "^X-Whorl-Feedback-Class: spam$" "$1" && grep -q "^X-Whorl-Feedback-Source: control$" "$1" && grep -q "^X-Whorl-Feedback-User: $2$" "$1" && grep -q "^X-Whorl-Feedback-Action: set-local$" "$1"' _ "$spool/new/$f" "$me"
check "whorlctl report spam: the message, whole, after the fields" body_is "$f" "$tmp/spam.eml"
"$ctl" -s "$sock" -u alice@example.org report ham "$tmp/ham.eml" >/dev/null; rc=$?
f=$(newest)
check "whorlctl -u alice report ham: class ham, reporter alice" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^X-Whorl-Feedback-Class: ham$" "$2" && grep -q "^X-Whorl-Feedback-User: alice@example.org$" "$2"' _ "$rc" "$spool/new/$f"
n0=$(nreports)
"$ctl" -s "$sock" report maybe "$tmp/ham.eml" 2>"$tmp/err"; rc=$?
check "whorlctl report maybe: refused by whorld (exit 1), nothing recorded" \
	sh -c '[ "$1" -eq 1 ] && grep -q "usage: REPORT spam|ham" "$2" && [ "$(ls "$3" | wc -l)" -eq "$4" ]' _ "$rc" "$tmp/err" "$spool/new" "$n0"
"$ctl" -s "$sock" report spam "$tmp/nosuch.eml" 2>"$tmp/err"; rc=$?
check "whorlctl report of a missing file: exit 1, says why" \
	sh -c '[ "$1" -eq 1 ] && grep -q "nosuch.eml: No such file" "$2"' _ "$rc" "$tmp/err"
check "whorld logged the control reports" grep -q "CONTROL: report: recorded spam" "$tmp/whorld.log"

# 2. POST /v1/feedback.
url="http://127.0.0.1:$hport/v1/feedback"
out=$(curl -s -w ' %{http_code}' -H 'Class: spam' -H 'Reporter: bob' --data-binary @"$tmp/spam.eml" "$url")
f=$(newest)
check "POST /v1/feedback: 200 and the report's name ($out)" \
	sh -c 'case "$1" in "{\"recorded\":\"$2\",\"class\":\"spam\"}"*" 200") exit 0;; esac; exit 1' _ "$out" "$f"
check "POST /v1/feedback: source http, reporter bob, client 127.0.0.1, the message" \
	sh -c 'grep -q "^X-Whorl-Feedback-Source: http$" "$1" && grep -q "^X-Whorl-Feedback-User: bob$" "$1" && grep -q "^X-Whorl-Feedback-Client: 127.0.0.1$" "$1"' _ "$spool/new/$f"
check "POST /v1/feedback: the message, whole" body_is "$f" "$tmp/spam.eml"
n0=$(nreports)
c1=$(curl -s -o /dev/null -w '%{http_code}' -H 'Class: maybe' --data-binary @"$tmp/spam.eml" "$url")
c2=$(curl -s -o /dev/null -w '%{http_code}' -H 'Class: ham' -X POST "$url")
check "POST /v1/feedback: bad class 400 ($c1), no message 400 ($c2), nothing recorded" \
	[ "$c1" = 400 -a "$c2" = 400 -a "$(nreports)" -eq "$n0" ]

# 3. spamc -L, over the spamd protocol: the same writer, the same fields.
out=$(spamc -d 127.0.0.1 -p "$port" -u carol -L ham < "$tmp/ham.eml" 2>&1); rc=$?
f=$(newest)
check "spamc -L ham: '$out', class ham, source spamd, reporter carol, the message" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^X-Whorl-Feedback-Class: ham$" "$2" && grep -q "^X-Whorl-Feedback-Source: spamd$" "$2" && grep -q "^X-Whorl-Feedback-User: carol$" "$2"' _ "$rc" "$spool/new/$f"
check "spamc -L ham: the message, whole" body_is "$f" "$tmp/ham.eml"
check "every report has the same fields in the same order" python3 - "$spool/new" <<'PY'
import os, sys
order = None
for n in os.listdir(sys.argv[1]):
    head = open(os.path.join(sys.argv[1], n), "rb").read().split(b"\n\n", 1)[0]
    names = [l.split(b":", 1)[0] for l in head.split(b"\n")]
    if order is None:
        order = names
    elif names != order:
        print("  %s: %s != %s" % (n, names, order)); sys.exit(1)
sys.exit(0 if order and order[-1] == b"X-Whorl-Feedback-Length" else 1)
PY
check "nothing left in the spool's tmp/" [ -z "$(ls "$spool/tmp")" ]

# 4. feedback content = fingerprints, after a reload: no mail text on disk.
write_cfg "feedback content = fingerprints"
"$ctl" -s "$sock" reload >/dev/null
"$ctl" -s "$sock" report spam "$tmp/spam.eml" >/dev/null; rc=$?
f=$(newest)
key=$(python3 -c '
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$tmp/spam.eml")
check "fingerprints only: the cartridge's fingerprint ($key) and sketch, Length 0, no message" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^X-Whorl-Feedback-Content: fingerprints$" "$2" && grep -q "^X-Whorl-Feedback-Fingerprint: body v1 $3 0000$" "$2" && grep -q "^X-Whorl-Feedback-Sketch: fuzzy v1 " "$2" && grep -q "^X-Whorl-Feedback-Length: 0$" "$2" && ! grep -q "buy now" "$2"' _ "$rc" "$spool/new/$f" "$key"
curl -s -o /dev/null -H 'Class: spam' --data-binary @"$tmp/spam.eml" "$url"
f=$(newest)
check "fingerprints only: POST /v1/feedback too" \
	sh -c 'grep -q "^X-Whorl-Feedback-Source: http$" "$1" && grep -q "^X-Whorl-Feedback-Fingerprint: body v1 $2 0000$" "$1" && ! grep -q "buy now" "$1"' _ "$spool/new/$f" "$key"

# 5. No spool: every front end refuses, saying why.
write_cfg ""
sed -i '/^feedback spool/d' "$tmp/whorld.cfg"
"$ctl" -s "$sock" reload >/dev/null
n0=$(nreports)
"$ctl" -s "$sock" report spam "$tmp/spam.eml" 2>"$tmp/err"; rc=$?
c1=$(curl -s -o /dev/null -w '%{http_code}' -H 'Class: spam' --data-binary @"$tmp/spam.eml" "$url")
check "no feedback spool: whorlctl exit 1 ($(cat "$tmp/err")), HTTP 503 ($c1), nothing recorded" \
	[ "$rc" -eq 1 -a "$c1" = 503 -a "$(nreports)" -eq "$n0" ]
m=$(curl -s "http://127.0.0.1:$hport/metrics" | grep '^whorld_tells_total ')
check "metrics count the reports recorded ($m)" [ "$m" = "whorld_tells_total 6" ]

kill "$wpid"; wait "$wpid"; wpid=""

# 6. workers = 2: the master hands REPORT to one worker (recorded once);
# TELL and POST /v1/feedback are served by the workers themselves.
write_cfg "workers = 2"
"$whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/whorld.log" &
wpid=$!
n=0
while ! grep -q "ready: 2 workers" "$tmp/whorld.log" && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
n0=$(nreports)
out=$("$ctl" -s "$sock" report spam "$tmp/spam.eml" 2>&1); rc=$?
check "workers = 2: whorlctl report through the master: exit 0, recorded once ($out)" \
	sh -c '[ "$1" -eq 0 ] && printf "%s" "$2" | grep -q "^recorded spam " && [ "$(ls "$3" | wc -l)" -eq $(($4 + 1)) ]' _ "$rc" "$out" "$spool/new" "$n0"
c1=$(curl -s -o /dev/null -w '%{http_code}' -H 'Class: ham' --data-binary @"$tmp/ham.eml" "$url")
spamc -d 127.0.0.1 -p "$port" -L spam < "$tmp/spam.eml" >/dev/null 2>&1; rc=$?
check "workers = 2: POST /v1/feedback ($c1) and spamc -L (exit $rc) recorded" \
	[ "$c1" = 200 -a "$rc" -eq 0 -a "$(nreports)" -eq $((n0 + 3)) ]
kill "$wpid"; wait "$wpid"; wpid=""
echo "feedback: $fails failed"
[ "$fails" -eq 0 ]
