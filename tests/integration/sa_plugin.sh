#!/bin/sh
# sa_plugin.sh - the SpamAssassin plugin (integrations/spamassassin) with
# Debian's real spamassassin 4.0.1 and a real whorld on the real
# cartridge.so, scoring the demo set published into a file:// mirror:
# --lint clean with the plugin loaded; -t on a demo spam and a demo
# phish hits WHORL_SPAM / WHORL_PHISH and a score band, a ham hits no
# WHORL rule; the unix socket works as well as TCP; with whorld stopped
# the scan still completes, quietly, without the rules, and a whorld that
# never answers is cut off by whorl_timeout; the request goes out at
# check_start, before the rules run (asynchronous); spamassassin -r
# and -k reach whorld's feedback spool through plugin_report /
# plugin_revoke; spamd --allow-tell + spamc -C report reaches plugin_report
# (spamd's TELL with Set: remote) and so whorld's spool; with whorl_learn,
# sa-learn --spam reaches it via learn_message, and so does spamd +
# spamc -L spam|ham (spamd learns, which calls learn_message).
# Everything on 127.0.0.1 or in a temp dir (never /etc/spamassassin),
# servers stopped by PID. Prints PASS/FAIL per check.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
whorld="$top/$build/sbin/whorld"
need_files "$whorld" "$cart" "$bin/whorl-keygen" "$bin/whorl-publish"
need_commands spamassassin spamd spamc

tmp=$(mktemp -d /tmp/whorl_sa_plugin.XXXXXX) || exit 1
chmod 755 "$tmp"   # spamd started as root reads its configuration as nobody
wpid=""; spid=""
trap '[ -n "$wpid" ] && kill "$wpid" 2>/dev/null; [ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/etc" "$tmp/sa" "$tmp/prefs"
port=$(free_port)
sock="$tmp/whorld.sock"

# A published demo set and a gateway configuration that reads it.
"$bin/whorl-keygen" "$tmp/keys" >/dev/null || { echo "FAIL: whorl-keygen"; exit 1; }
publish_demo >/dev/null || { echo "FAIL: whorl-publish"; exit 1; }
cp "$top/etc/categories" "$tmp/etc/categories"
cat > "$tmp/etc/cartridge.cfg" <<CFG
micro-update url = file://$tmp/mirror
publisher key = $tmp/keys/publisher.pub
minimum score = 50
CFG
cat > "$tmp/whorld.cfg" <<CFG
spamd listen = 127.0.0.1:$port, unix:$sock
unix socket mode = 0600
cartridge = $cart
cartridge config dir = $tmp/etc
feedback spool = $tmp/spool
feedback content = both
CFG
start_whorld() {
	"$whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/whorld.log" &
	wpid=$!
	wait_port "$port" || { echo "FAIL: whorld did not start"; cat "$tmp/whorld.log"; exit 1; }
}
stop_whorld() { kill "$wpid"; wait "$wpid" 2>/dev/null; wpid=""; }

# SpamAssassin: its own site rules plus the plugin, in a temp directory.
# whorl.cf is used as installed, with whorl_server set in local.cf.
cp "$top/integrations/spamassassin/Whorl.pm" "$top/integrations/spamassassin/whorl.cf" \
	"$top/integrations/spamassassin/whorl.pre" "$tmp/sa/"
cp /etc/spamassassin/*.pre "$tmp/sa/"
# No DNS, Bayes in the temp dir (-k learns ham whatever the settings, and
# dies with use_bayes 0): the test stays on this host and writes nothing in ~.
sa_server() {
	printf 'whorl_server %s\ndns_available no\nbayes_path %s\nbayes_learn_during_report 0\n' \
		"$1" "$tmp/prefs/bayes" > "$tmp/sa/local.cf"
	echo 'add_header all Whorl _WHORLSCORE_ _WHORLCATEGORY_' >> "$tmp/sa/local.cf"
}
: > "$tmp/prefs/user_prefs"
# The scans use a small default rule set (-C), the header template
# SpamAssassin's own rules would give: loading all of Debian's rules takes
# seconds a run. The lint runs once on Debian's full rules.
mkdir -p "$tmp/rules"
cat > "$tmp/rules/10_default_prefs.cf" <<'CF'
required_score 5
add_header all Status _YESNO_, score=_SCORE_ required=_REQD_ tests=_TESTS_ version=_VERSION_
CF
cp /usr/share/spamassassin/20_aux_tlds.cf "$tmp/rules/"   # the TLD list, else a warning
sa_full() { spamassassin --siteconfigpath="$tmp/sa" --prefspath="$tmp/prefs/user_prefs" -x "$@"; }
sa() { sa_full -C "$tmp/rules" "$@"; }
# hits FILE: the WHORL_ rules in the X-Spam-Status of spamassassin -t.
hits() {
	sa -t < "$1" 2>"$tmp/sa.err" | sed -n '/^X-Spam-Status:/,/^[^ \t]/p' | tr -d ' \t\n' |
		grep -o 'WHORL_[A-Z0-9_]*' | sort | tr '\n' ' '
}

start_whorld
sa_server "127.0.0.1:$port"

# 1. --lint with the plugin loaded.
sa_full --lint > "$tmp/lint.out" 2>&1; rc=$?
check "spamassassin --lint (Debian's rules and .pre files): clean with the plugin loaded (exit 0, no warning)" \
	[ "$rc" -eq 0 -a ! -s "$tmp/lint.out" ]
[ "$rc" -eq 0 ] || sed 's/^/  lint: /' "$tmp/lint.out"
sa --lint -D plugin 2>&1 | grep -q "plugin: loading Mail::SpamAssassin::Plugin::Whorl"
check "spamassassin --lint -D: the Whorl plugin is registered" [ $? -eq 0 ]

# 2. Scans over TCP.
spam="$demo/scan/spam-pharma-v2.eml"
phish="$demo/scan/phish-bank-v2.eml"
ham="$demo/scan/legit-new-meeting.eml"
h=$(hits "$spam")
check "spamassassin -t spam: WHORL_SPAM and a score band hit ($h)" \
	sh -c 'case "$1" in *WHORL_S[579]0_*WHORL_SPAM*) exit 0;; esac; exit 1' _ "$h"
sa -D whorl -t < "$spam" > "$tmp/tag.out" 2>&1
grep -E "dbg: whorl: |^X-Spam-Whorl:" "$tmp/tag.out" | sed 's/^/  /'
check "-D whorl: the request and whorld's answer are logged" \
	sh -c 'grep -q "dbg: whorl: request sent to 127.0.0.1:" "$1" && grep -Eq "dbg: whorl: score [0-9.]+/50 category spam/" "$1"' _ "$tmp/tag.out"
check "tags: X-Spam-Whorl: <score> spam/<subcategory> from _WHORLSCORE_ _WHORLCATEGORY_" \
	grep -Eq "^X-Spam-Whorl: [0-9.]+ spam/[a-z-]+$" "$tmp/tag.out"
h=$(hits "$phish")
check "spamassassin -t phish: WHORL_PHISH hits ($h)" \
	sh -c 'case "$1" in *WHORL_PHISH*) exit 0;; esac; exit 1' _ "$h"
h=$(hits "$ham")
check "spamassassin -t ham: no category rule, no band at 50+ ($h)" \
	sh -c 'case "$1" in *WHORL_SPAM*|*WHORL_PHISH*|*WHORL_VIRUS*|*WHORL_S[579]0_*) exit 1;; esac; exit 0' _ "$h"
check "whorld logged the plugin's REPORT requests" grep -q "SPAMD: REPORT SPAMC from 127.0.0.1: Y" "$tmp/whorld.log"
sa -L -t < "$spam" > "$tmp/local.out" 2>&1
check "spamassassin -L (local tests only): no WHORL rule, tflags net honoured" \
	sh -c '! grep -q WHORL_ "$1"' _ "$tmp/local.out"

# 3. The unix socket.
sa_server "$sock"
h=$(hits "$spam")
check "unix socket: WHORL_SPAM hits ($h)" sh -c 'case "$1" in *WHORL_SPAM*) exit 0;; esac; exit 1' _ "$h"

# 4. Feedback: spamassassin -r / -k reach the spool through TELL.
sa -r < "$spam" > "$tmp/report.out" 2>&1; rc=$?
f=$(ls "$tmp/spool/new" 2>/dev/null | head -1)
check "spamassassin -r: exit 0 and one report in the spool" [ "$rc" -eq 0 -a -n "$f" ]
[ -n "$f" ] && check "spamassassin -r: class spam, set-local set-remote" \
	sh -c 'grep -q "^X-Whorl-Feedback-Class: spam$" "$1" && grep -q "^X-Whorl-Feedback-Action: .*set-local set-remote" "$1"' _ "$tmp/spool/new/$f"
sa -D whorl -k < "$spam" > "$tmp/revoke.out" 2>&1; rc=$?
check "spamassassin -k: class ham, remove-remote, in the spool" \
	sh -c 'grep -l "^X-Whorl-Feedback-Class: ham$" "$1"/* | xargs grep -q "remove-remote"' _ "$tmp/spool/new"

# 5. whorld stopped: the scan completes without the rules, without a delay.
stop_whorld
sa_server "127.0.0.1:$port"
sa -t < "$spam" > "$tmp/down.out" 2>"$tmp/down.err"; rc=$?
check "whorld down: spamassassin -t completes (exit 0) with its report" \
	[ "$rc" -eq 0 -a -n "$(grep '^X-Spam-Status:' "$tmp/down.out")" ]
check "whorld down: no WHORL rule" sh -c '! grep -q "WHORL_" "$1"' _ "$tmp/down.out"
check "whorld down: quiet (nothing on stderr without -D)" [ ! -s "$tmp/down.err" ]
sed "s/^/  stderr: /" "$tmp/down.err"
sa -D whorl -r < "$spam" > "$tmp/report_down.out" 2>&1
check "whorld down: spamassassin -r says it could not report" grep -q "could not report spam to whorld" "$tmp/report_down.out"

# 5b. A whorld that accepts and never answers: whorl_timeout ends the wait,
# the scan completes without the rules and says why at info level.
hport=$(free_port)
python3 - "$hport" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); s.settimeout(1)
held = []
end = time.time() + 60
while time.time() < end:
    try:
        c, _ = s.accept(); held.append(c)   # read nothing, answer nothing
    except socket.timeout:
        pass
PY
hpid=$!
wait_port "$hport"
sa_server "127.0.0.1:$hport"
echo "whorl_timeout 2" >> "$tmp/sa/local.cf"
sa -D whorl -t < "$spam" > "$tmp/hang.out" 2>&1; rc=$?
kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null
check "whorld silent: whorl_timeout ends the wait, the scan completes (exit 0)" \
	[ "$rc" -eq 0 -a -n "$(grep '^X-Spam-Status:' "$tmp/hang.out")" ]
check "whorld silent: no WHORL rule, and the reason logged" \
	sh -c '! grep -q "WHORL_" "$1" && grep -q "whorl: whorld did not answer in time" "$1"' _ "$tmp/hang.out"

# 5c. Asynchronous: the request goes out before the first rule priority runs.
sa_server "127.0.0.1:$port"
start_whorld
sa -D whorl,check -t < "$spam" 2>&1 | grep -E "whorl: request sent|check: running tests for priority" |
	head -1 > "$tmp/order.out"
check "asynchronous: the request is sent at check_start, before the rules run" \
	grep -q "whorl: request sent" "$tmp/order.out"
stop_whorld

# 6. spamd (with --allow-tell) + spamc -C report reaches plugin_report.
# start_spamd: Debian's spamd on a free port of 127.0.0.1 with the plugin
# loaded and --allow-tell, logging -D whorl into $tmp/spamd.log.
start_spamd() {
	sport=$(free_port)
	spamd -C "$tmp/rules" --siteconfigpath="$tmp/sa" -x --allow-tell -i 127.0.0.1 -p "$sport" \
		-A 127.0.0.1 -m 1 --pidfile "$tmp/spamd.pid" -s stderr -D whorl 2>"$tmp/spamd.log" &
	spid=$!
	python3 - "$sport" <<'PY' || { echo "FAIL: spamd did not start"; sed 's/^/  spamd: /' "$tmp/spamd.log"; }
import socket, sys, time
for _ in range(400):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}
start_whorld
start_spamd
n0=$(ls "$tmp/spool/new" | wc -l)
out=$(spamc -d 127.0.0.1 -p "$sport" -C report < "$spam" 2>&1); rc=$?
n1=$(ls "$tmp/spool/new" | wc -l)
check "spamd + spamc -C report: spamd's TELL reached whorld's spool via plugin_report" \
	[ "$n1" -eq $((n0 + 1)) ]
check "spamd + spamc -C report: spamc says it reported, spamd logged the plugin's report" \
	sh -c '[ "$1" = "Message successfully reported/revoked" ] && grep -q "reporter: spam reported to whorld" "$2"' _ "$out" "$tmp/spamd.log"
out=$(spamc -d 127.0.0.1 -p "$sport" -y < "$spam" 2>&1)
check "spamd + spamc -y: spamd's scan has WHORL_SPAM ($out)" \
	sh -c 'case "$1" in *WHORL_SPAM*) exit 0;; esac; exit 1' _ "$out"
grep -q "reporter: spam reported to whorld" "$tmp/spamd.log" || sed 's/^/  spamd: /' "$tmp/spamd.log" | tail -15
kill "$spid"; wait "$spid" 2>/dev/null; spid=""

# 7. whorl_learn: what SpamAssassin learns (sa-learn --spam) reaches whorld
# through learn_message.
echo "whorl_learn 1" >> "$tmp/sa/local.cf"
n0=$(ls "$tmp/spool/new" | wc -l)
sa-learn -C "$tmp/rules" --siteconfigpath="$tmp/sa" --prefspath="$tmp/prefs/user_prefs" -D whorl --spam "$spam" > "$tmp/learn.out" 2>&1
n1=$(ls "$tmp/spool/new" | wc -l)
check "whorl_learn 1: sa-learn --spam reaches whorld's spool via learn_message" \
	sh -c '[ "$1" -eq $(($2 + 1)) ] && grep -q "learn: spam sent to whorld" "$3"' _ "$n1" "$n0" "$tmp/learn.out"

# 8. spamd + spamc -L spam: spamd's TELL with Set: local makes spamd learn
# (bayes_learn_during_report 1, SpamAssassin's default), which calls the
# plugin's learn_message (whorl_learn 1), and the report lands in whorld's
# spool; spamc -L ham likewise. (spamd calls plugin_report only for Set:
# remote, i.e. spamc -C report: section 6.)
sed -i 's/^bayes_learn_during_report 0$/bayes_learn_during_report 1/' "$tmp/sa/local.cf"
start_spamd
n0=$(ls "$tmp/spool/new" | wc -l)
out=$(spamc -d 127.0.0.1 -p "$sport" -L spam < "$spam" 2>&1); rc=$?
f=$(ls "$tmp/spool/new" | sort | tail -1)
check "spamd + spamc -L spam: '$out', one report in whorld's spool" \
	sh -c '[ "$1" -eq 0 ] && [ "$(ls "$2" | wc -l)" -eq $(($3 + 1)) ]' _ "$rc" "$tmp/spool/new" "$n0"
check "spamd + spamc -L spam: class spam, set-local, sent by the plugin (spamd logged it)" \
	sh -c 'grep -q "^X-Whorl-Feedback-Class: spam$" "$1" && grep -q "^X-Whorl-Feedback-Action: set-local$" "$1" && grep -q "learn: spam sent to whorld" "$2"' _ "$tmp/spool/new/$f" "$tmp/spamd.log"
check "spamd + spamc -L spam: the real cartridge's fingerprints are in the report (feedback content = both)" \
	sh -c 'grep -q "^X-Whorl-Feedback-Content: message fingerprints$" "$1" && grep -q "^X-Whorl-Feedback-Fingerprint: body v[0-9]* [0-9a-f]\{16\} [0-9a-f]\{4\}$" "$1" && grep -q "^X-Whorl-Feedback-Sketch: fuzzy v[0-9]* [0-9a-f]*$" "$1"' _ "$tmp/spool/new/$f"
check "spamd + spamc -L spam: the report holds the message" \
	sh -c 'tail -c "$(grep -m1 "^X-Whorl-Feedback-Length: " "$1" | cut -d" " -f2)" "$1" | cmp -s - "$2"' _ "$tmp/spool/new/$f" "$spam"
out=$(spamc -d 127.0.0.1 -p "$sport" -L ham < "$ham" 2>&1); rc=$?
f=$(ls "$tmp/spool/new" | sort | tail -1)
check "spamd + spamc -L ham: '$out', class ham in whorld's spool" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^X-Whorl-Feedback-Class: ham$" "$2" && grep -q "learn: ham sent to whorld" "$3"' _ "$rc" "$tmp/spool/new/$f" "$tmp/spamd.log"
[ "$fails" -eq 0 ] || sed 's/^/  spamd: /' "$tmp/spamd.log" | tail -15
kill "$spid"; wait "$spid" 2>/dev/null; spid=""
stop_whorld

echo "sa_plugin: $fails failed"
[ "$fails" -eq 0 ]
