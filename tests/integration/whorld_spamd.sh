#!/bin/sh
# whorld_spamd.sh - whorld speaking the spamd protocol to Debian's spamc
# 4.0.1 (-c, -R, -y, -K, -L spam, PROCESS, exit codes) on TCP and on a unix
# socket, Exim's exact requests (REPORT SPAMC/1.2 and CHECK RSPAMC/1.3)
# parsed with Exim's own formats, Compress: zlib, TELL into the feedback
# spool, "whorld -t", SIGHUP reload with a connection open across it, and
# SIGTERM. Uses the echo test cartridge (X-Test-Spam: yes scores 90).
# Servers run on 127.0.0.1 and in a temp dir, stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
whorld="$top/$build/sbin/whorld"
echo_so="$top/$build/tests/cartridges/good_echo.so"
raw="python3 $top/tests/integration/lib/spamd_raw.py"
need_files "$whorld" "$echo_so"
command -v spamc >/dev/null || { echo "FAIL: spamc missing (scripts/deps.sh)"; exit 1; }

whorld_tmp whorld_spamd
printf 'Subject: hello\n\nsee you\n' > "$tmp/ham.eml"
port=$(free_port)
sock="$tmp/whorld.sock"

# write_cfg [EXTRA LINES]: whorld.cfg for the echo cartridge.
write_cfg() {
	cat > "$tmp/whorld.cfg" <<CFG
# test configuration
spamd listen = 127.0.0.1:$port, unix:$sock
unix socket mode = 0600
cartridge = $echo_so
cartridge config dir = $tmp/etc
feedback spool = $tmp/spool
threads = 2
$1
CFG
}
start_whorld() {
	"$whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/whorld.log" &
	wpid=$!
	wait_port "$port" || { echo "FAIL: whorld did not start"; cat "$tmp/whorld.log"; exit 1; }
}
stop_whorld() { kill "$wpid"; wait "$wpid"; rc_stop=$?; wpid=""; }

# 1. whorld -t: a good configuration, then a broken one.
write_cfg ""
out=$("$whorld" -t -c "$tmp/whorld.cfg"); rc=$?
check "-t: good configuration exits 0" [ "$rc" -eq 0 ]
check "-t: says the cartridge passed its self test" \
	sh -c 'printf "%s" "$1" | grep -q "whorl-test-echo 1.0): loaded, self test passed"' _ "$out"
printf 'threads = lots\nmax conections = 4\n' > "$tmp/bad.cfg"
out=$("$whorld" -t -c "$tmp/bad.cfg" 2>&1); rc=$?
check "-t: broken configuration exits 1" [ "$rc" -eq 1 ]
check "-t: names the line and the bad value" \
	sh -c 'printf "%s" "$1" | grep -q "bad.cfg:1: threads = .lots.: expected a number from 1 to 256"' _ "$out"
check "-t: names the unknown key" \
	sh -c 'printf "%s" "$1" | grep -q "bad.cfg:2: unknown key .max conections."' _ "$out"
out=$("$whorld" -t -c "$tmp/missing.cfg" 2>&1); rc=$?
check "-t: a missing -c file exits 1" [ "$rc" -eq 1 ]

start_whorld
check "unix socket has the configured mode 0600" [ "$(stat -c %a "$sock")" = 600 ]

# 2. spamc on TCP and on the unix socket.
for where in "-d 127.0.0.1 -p $port" "-U $sock"; do
	# shellcheck disable=SC2086
	out=$(spamc $where -c < "$tmp/spam.eml"); rc=$?
	check "spamc $where -c: spam prints 90.0/50.0 and exits 1" [ "$out" = "90.0/50.0" -a "$rc" -eq 1 ]
	# shellcheck disable=SC2086
	out=$(spamc $where -c < "$tmp/ham.eml"); rc=$?
	check "spamc $where -c: ham prints 5.0/50.0 and exits 0" [ "$out" = "5.0/50.0" -a "$rc" -eq 0 ]
done
out=$(spamc -d 127.0.0.1 -p "$port" -R < "$tmp/spam.eml"); rc=$?
check "spamc -R: score line then the report" [ "$(printf '%s\n' "$out" | head -1)" = "90.0/50.0" ]
check "spamc -R: the report names the category and the analysis" \
	sh -c 'printf "%s" "$1" | grep -q "category:  spam/undefined" && printf "%s" "$1" | grep -q "analysis:  echo; rule=x-test-spam"' _ "$out"
out=$(spamc -d 127.0.0.1 -p "$port" -y < "$tmp/spam.eml"); rc=$?
check "spamc -y: the symbols (category for the echo cartridge)" [ "$out" = "WHORL_SPAM" ]
out=$(spamc -d 127.0.0.1 -p "$port" -y < "$tmp/ham.eml")
check "spamc -y: no symbols for ham" [ -z "$out" ]
out=$(spamc -d 127.0.0.1 -p "$port" -K); rc=$?
check "spamc -K: PONG, exit 0" [ "$out" = "SPAMD/1.5 0" -a "$rc" -eq 0 ]
out=$(spamc -d 127.0.0.1 -p "$port" -E < "$tmp/spam.eml"); rc=$?
check "spamc (PROCESS) -E: headers added, exit 1 for spam" \
	[ "$(printf '%s\n' "$out" | head -2 | tr '\n' '|')" = "X-Spam-Flag: YES|X-Spam-Status: Yes, score=90.0 required=50.0 tests=WHORL_SPAM|" -a "$rc" -eq 1 ]
check "spamc (PROCESS): the message follows unchanged" \
	[ "$(printf '%s\n' "$out" | tail -4 | tr '\n' '|')" = "Subject: buy|X-Test-Spam: yes||now|" ]
# A PROCESS reply far larger than the socket buffers, to a client that
# starts reading only after a pause: whorld waits for room (within the
# client timeout) and the whole message comes back.
{ printf 'Subject: big\n\n'; head -c 2000000 /dev/zero | tr '\0' x | fold -w 76; } > "$tmp/big.eml"
n=$(spamc -d 127.0.0.1 -p "$port" -s 4000000 < "$tmp/big.eml" | (sleep 1; wc -c))
check "PROCESS of 2 MB read after a 1 s pause: all of it back ($n bytes)" \
	[ "$n" -gt "$(wc -c < "$tmp/big.eml")" ]
{ printf 'HEADERS SPAMC/1.5\r\nContent-length: %d\r\n\r\n' "$(wc -c < "$tmp/spam.eml")"; cat "$tmp/spam.eml"; } > "$tmp/headers.req"
$raw send "127.0.0.1:$port" "$tmp/headers.req" > "$tmp/headers.out"
check "HEADERS: the new header block only, body left out" \
	python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); sys.exit(0 if b.endswith(b"X-Test-Spam: yes\n\n") and b"X-Spam-Flag: YES\n" in b else 1)' "$tmp/headers.out"
out=$(spamc -d 127.0.0.1 -p "$port" --headers < "$tmp/spam.eml"); rc=$?
check "spamc --headers: spamc puts the body back under the new headers" \
	[ "$(printf '%s\n' "$out" | sed -n '1p;$p' | tr '\n' '|')" = "X-Spam-Flag: YES|now|" ]
out=$(spamc -d 127.0.0.1 -p "$port" -L spam < "$tmp/spam.eml"); rc=$?
check "spamc -L spam: learned, exit 0" [ "$out" = "Message successfully un/learned" -a "$rc" -eq 0 ]
f=$(ls "$tmp/spool/new" 2>/dev/null | head -1)
check "TELL: one report in the spool's new/" [ "$(ls "$tmp/spool/new" | wc -l)" -eq 1 ]
check "TELL: the report has class, action, length and the message" \
	sh -c 'grep -q "^X-Whorl-Feedback-Class: spam$" "$1" && grep -q "^X-Whorl-Feedback-Action: set-local$" "$1" && grep -q "^X-Whorl-Feedback-Source: spamd$" "$1" && grep -q "^X-Whorl-Feedback-Length: 35$" "$1" && tail -c 35 "$1" | cmp -s - "$2"' _ "$tmp/spool/new/$f" "$tmp/spam.eml"

# 3. Exim's requests, answered in the framing Exim parses.
len=$(wc -c < "$tmp/spam.eml")
{ printf 'REPORT SPAMC/1.2\r\nUser: nobody\r\nContent-length: %d\r\n\r\n' "$len"; cat "$tmp/spam.eml"; } > "$tmp/exim.req"
$raw send "127.0.0.1:$port" "$tmp/exim.req" > "$tmp/exim.out"
check "Exim REPORT SPAMC/1.2: Exim's fallback format parses it (90/50)" python3 - "$tmp/exim.out" <<'PY'
import re, sys
b = open(sys.argv[1], "rb").read()
m = re.match(rb"SPAMD/(\S{1,7}) 0 EX_OK\r\nSpam: \S+ ; ([0-9.]+) / ([0-9.]+)\r\n\r\n", b)
sys.exit(0 if m and float(m.group(2)) == 90 and float(m.group(3)) == 50 and b"Content-length" not in b else 1)
PY
{ printf 'CHECK RSPAMC/1.3\r\nContent-length: %d\r\nQueue-Id: 1abcde-000001-XY\r\nFrom: <a@example.org>\r\nRecipient-Number: 2\r\nRcpt: <b@example.net>\r\nRcpt: <c@example.net>\r\nHelo: mx.example.org\r\nIP: 192.0.2.7\r\nUser: nobody\r\n\r\n' "$len"; cat "$tmp/spam.eml"; } > "$tmp/rspamc.req"
$raw send "127.0.0.1:$port" "$tmp/rspamc.req" > "$tmp/rspamc.out"
check "Exim variant=rspamd CHECK RSPAMC/1.3: Metric and Action as Exim parses them" python3 - "$tmp/rspamc.out" <<'PY'
import re, sys
b = open(sys.argv[1], "rb").read()
m = re.match(rb"RSPAMD/(\S{1,7}) 0 EX_OK\r\nMetric: default; (\S{1,7}) ([0-9.]+) / ([0-9.]+) / ([0-9.]+)\r\nAction: reject\r\n", b)
sys.exit(0 if m and m.group(2) == b"True;" and float(m.group(3)) == 90 and float(m.group(4)) == 50 else 1)
PY
$raw zlib "127.0.0.1:$port" CHECK "$tmp/spam.eml" > "$tmp/zlib.out"
check "Compress: zlib is inflated and scanned" grep -q "^Spam: True ; 90.0 / 50.0" "$tmp/zlib.out"

# 4. SIGHUP: a connection open across the reload is answered; the new
# minimum score applies to the next request.
printf 'CHECK SPAMC/1.5\r\nContent-length: %d\r\n\r\n' "$len" > "$tmp/half.req"
python3 - "127.0.0.1:$port" "$tmp/half.req" "$tmp/spam.eml" "$wpid" "$tmp/whorld.cfg" > "$tmp/hup.out" <<'PY'
import os, signal, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), 10)
s.sendall(open(sys.argv[2], "rb").read())
with open(sys.argv[5], "a") as f:
    f.write("minimum score = 95\n")
os.kill(int(sys.argv[4]), signal.SIGHUP)
time.sleep(0.5)
s.sendall(open(sys.argv[3], "rb").read())
s.shutdown(socket.SHUT_WR)
print(s.recv(4096).decode())
PY
check "SIGHUP: the connection open across the reload is answered (new minimum 95)" grep -q "^Spam: False ; 90.0 / 95.0" "$tmp/hup.out"
out=$(spamc -d 127.0.0.1 -p "$port" -c < "$tmp/spam.eml"); rc=$?
check "SIGHUP: the new minimum score applies (90.0/95.0, exit 0)" [ "$out" = "90.0/95.0" -a "$rc" -eq 0 ]
check "SIGHUP: logged" grep -q "CONFIG: reloaded" "$tmp/whorld.log"
# cmae headers = yes (another SIGHUP): PROCESS and HEADERS add X-CMAE-*
# beside whorl's own headers.
echo "cmae headers = yes" >> "$tmp/whorld.cfg"
kill -HUP "$wpid"
n=0
while [ "$(grep -c 'CONFIG: reloaded' "$tmp/whorld.log")" -lt 2 ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
out=$(spamc -d 127.0.0.1 -p "$port" -E < "$tmp/spam.eml")
check "cmae headers: PROCESS adds X-CMAE-Score and X-CMAE-Analysis after whorl's" \
	sh -c 'printf "%s\n" "$1" | grep -q "^X-Spam-Status: No, score=90.0 required=95.0" && printf "%s\n" "$1" | grep -q "^X-Whorl-Analysis: " && printf "%s\n" "$1" | grep -q "^X-CMAE-Score: 90$" && printf "%s\n" "$1" | grep -q "^X-CMAE-Analysis: echo; rule=x-test-spam; score=90$"' _ "$out"
$raw send "127.0.0.1:$port" "$tmp/headers.req" > "$tmp/headers2.out"
check "cmae headers: HEADERS too, body still left out" \
	python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); sys.exit(0 if b.endswith(b"X-Test-Spam: yes\n\n") and b"\nX-CMAE-Score: 90\n" in b else 1)' "$tmp/headers2.out"
# TELL with Set: local, remote (spamc -C report): recorded with both
# actions, DidSet claims local only, the log says why.
n_before=$(ls "$tmp/spool/new" | wc -l)
{ printf 'TELL SPAMC/1.5\r\nMessage-class: spam\r\nSet: local, remote\r\nContent-length: %d\r\n\r\n' "$len"; cat "$tmp/spam.eml"; } > "$tmp/tell_remote.req"
$raw send "127.0.0.1:$port" "$tmp/tell_remote.req" > "$tmp/tell_remote.out"
check "TELL Set: local, remote: EX_OK, DidSet: local (remote not claimed)" \
	sh -c 'head -1 "$1" | grep -q "^SPAMD/1.1 0 EX_OK" && grep -q "^DidSet: local.$" "$1" && ! grep -q remote "$1"' _ "$tmp/tell_remote.out"
f=$(ls -t "$tmp/spool/new" | head -1)
check "TELL Set: local, remote: recorded as set-local set-remote" \
	sh -c '[ "$(ls "$1" | wc -l)" -eq $(($2 + 1)) ] && grep -q "^X-Whorl-Feedback-Action: set-local set-remote$" "$1/$3"' _ "$tmp/spool/new" "$n_before" "$f"
check "TELL Set: remote: the log says it was not forwarded" \
	grep -q "FEEDBACK: TELL from 127.0.0.1 asked for remote: recorded in the feedback spool only" "$tmp/whorld.log"

# 5. SIGTERM stops it cleanly and removes the unix socket; spamc then fails.
stop_whorld
check "SIGTERM: exit 0" [ "$rc_stop" -eq 0 ]
check "SIGTERM: unix socket removed" [ ! -e "$sock" ]
out=$(spamc -d 127.0.0.1 -p "$port" -c < "$tmp/spam.eml" 2>/dev/null); rc=$?
check "whorld down: spamc -c falls back safely (0/0, exit 0)" [ "$out" = "0/0" -a "$rc" -eq 0 ]
out=$(spamc -x -d 127.0.0.1 -p "$port" -c < "$tmp/spam.eml" 2>/dev/null); rc=$?
check "whorld down: spamc -x -c exits 69 (EX_UNAVAILABLE)" [ "$rc" -eq 69 ]
check "log lines carry level and module (cartridge's too)" \
	sh -c 'grep -q " INFO ECHO: opened on" "$1" && grep -q " INFO SPAMD: CHECK SPAMC from 127.0.0.1: Y 90/50 WHORL_SPAM" "$1"' _ "$tmp/whorld.log"

# 6. Socket activation: systemd-socket-activate passes the listening socket.
if command -v systemd-socket-activate >/dev/null; then
	aport=$(free_port)
	write_cfg "spamd listen = 127.0.0.1:1"
	systemd-socket-activate -l "127.0.0.1:$aport" "$whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/act.log" &
	wpid=$!
	wait_port "$aport"
	out=$(spamc -d 127.0.0.1 -p "$aport" -c < "$tmp/spam.eml"); rc=$?
	check "socket activation: whorld answers on systemd's socket" [ "$out" = "90.0/50.0" ]
	check "socket activation: logged as such" grep -q "listening on systemd socket 0 (socket activation)" "$tmp/act.log"
	stop_whorld
else
	fail "systemd-socket-activate missing"
fi

# 7. The systemd units, with the prefix this build would be installed under.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$tmp/units"
	for u in whorld.service whorld.socket; do
		sed -e "s|@PREFIX@|$top/$build|g" "$top/etc/systemd/$u.in" > "$tmp/units/$u"
	done
	systemd-analyze verify --man=no "$tmp/units/whorld.socket" "$tmp/units/whorld.service" > "$tmp/verify.log" 2>&1; rc=$?
	check "systemd-analyze verify whorld.service whorld.socket (man page not installed here: --man=no)" [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || sed 's/^/  verify: /' "$tmp/verify.log"
else
	fail "systemd-analyze missing"
fi

echo "whorld_spamd: $fails failed"
[ "$fails" -eq 0 ]
