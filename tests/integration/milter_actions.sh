#!/bin/sh
# milter_actions.sh - whorl-milter driven by Debian's miltertest (Lua) for
# every action: headers on ham (and replaced, not duplicated, when the
# message already has them), reject with the default and a configured
# SMTP reply, quarantine, discard, a score band and a category action,
# Cloudmark's header names, authenticated senders and local networks
# skipped, Max_Body_Length (rescan=1), smfi_progress keeping a slow scan
# alive, and "on fail" (tempfail, accept) when a scan misses its deadline;
# whorl-milter -t on a good and a broken file. Uses the slow_on_marker test
# cartridge (the echo rules: "X-Test-Spam: yes" scores 90 as spam, else 5;
# "X-Whorl-Sleep-Ms: N" sleeps first). Each milter runs on a unix socket in
# a temp dir and is stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
. "$top/tests/integration/lib/milter.sh"
milter_setup milter_actions

# 1. -t
start_cfg_check() {
	printf 'milter socket = %s\ncartridge = %s\ncartridge config dir = %s\n%s\n' \
		"$MILTER_SOCK" "$slow_so" "$tmp/etc" "$1" > "$tmp/check.cfg"
	"$milter" -t -c "$tmp/check.cfg" > "$tmp/check.out" 2>&1
}
start_cfg_check ""; rc=$?
check "-t: a good configuration exits 0" [ "$rc" -eq 0 ]
start_cfg_check "spam action = bounce
threads = 4
score band = 101 reject"; rc=$?
check "-t: a broken configuration exits 1" [ "$rc" -eq 1 ]
check "-t: names the bad action, the whorld-only key and the bad band" \
	sh -c 'grep -q "check.cfg:4: spam action = .bounce." "$1" &&
	       grep -q "check.cfg:5: unknown key .threads." "$1" &&
	       grep -q "check.cfg:6: score band = .101 reject." "$1"' _ "$tmp/check.out"

# The sample (every key commented out) is a valid file; every key the
# milter reads is in docs/WHORL-MILTER.md, the man page and the sample.
start_cfg_check "$(cat "$top/etc/whorl-milter.cfg.sample")"; rc=$?
check "-t: etc/whorl-milter.cfg.sample is valid" [ "$rc" -eq 0 ]
keys=$(sed -n 's/.*strcmp(key, "\([a-z ]*\)").*/\1/p' "$top/host/whorl-milter/cfg.c")
for doc in docs/WHORL-MILTER.md docs/whorl-milter.cfg.5 etc/whorl-milter.cfg.sample; do
	printf '%s\n' "$keys" | while IFS= read -r k; do
		grep -q "$k" "$top/$doc" || echo "$doc lacks '$k'"
	done
done > "$tmp/undocumented"
check "every key is documented (docs, man page, sample)" [ ! -s "$tmp/undocumented" ]
[ -s "$tmp/undocumented" ] && cat "$tmp/undocumented"
check "the key list was read from cfg.c" [ "$(printf '%s\n' "$keys" | wc -l)" -ge 15 ]

# 2. defaults: ham gets headers, spam is rejected 550 5.7.1 naming the category
start_milter "local networks = 10.0.0.0/8, 2001:db8::/32"
lua "default actions: headers on ham, 550 5.7.1 on spam, replaced headers, skips" <<'LUA'
local conn, early = send{ headers = ham }
expect("ham accepted", mt.getreply(conn) == SMFIR_ACCEPT)
expect("ham: X-Whorl-Score: 5 added", mt.eom_check(conn, MT_HDRADD, "X-Whorl-Score", "5"))
expect("ham: X-Whorl-Category: clean/undefined added",
	mt.eom_check(conn, MT_HDRADD, "X-Whorl-Category", "clean/undefined"))
expect("ham: X-Whorl-Rescan: 0 added", mt.eom_check(conn, MT_HDRADD, "X-Whorl-Rescan", "0"))
expect("ham: X-Whorl-Analysis added",
	mt.eom_check(conn, MT_HDRADD, "X-Whorl-Analysis", "echo; rule=none; score=5"))
mt.disconnect(conn)

conn = send{ headers = spam }
expect("spam: a reply code", mt.getreply(conn) == SMFIR_REPLYCODE)
expect("spam: 550 5.7.1 naming the category and score", mt.eom_check(conn, MT_SMTPREPLY,
	"550", "5.7.1", "Message rejected as spam by whorl (score 90)"))
expect("spam: no headers added", not mt.eom_check(conn, MT_HDRADD))
mt.disconnect(conn)

-- A forged score already in the message is replaced, copies deleted.
conn = send{ headers = { { "Subject", "hi" }, { "X-Whorl-Score", "0" },
	{ "X-Whorl-Score", "1" } } }
expect("forged: first X-Whorl-Score changed to 5",
	mt.eom_check(conn, MT_HDRCHANGE, "X-Whorl-Score", "5"))
expect("forged: the second copy deleted", mt.eom_check(conn, MT_HDRDELETE, "X-Whorl-Score"))
expect("forged: X-Whorl-Score not added a third time",
	not mt.eom_check(conn, MT_HDRADD, "X-Whorl-Score"))
mt.disconnect(conn)

conn, early = send{ headers = spam, auth = "joe" }
expect("authenticated sender accepted at MAIL FROM, unscanned", early == SMFIR_ACCEPT)
mt.disconnect(conn)
conn, early = send{ headers = spam, ip = "10.20.30.40" }
expect("local network 10.0.0.0/8 accepted unscanned", early == SMFIR_ACCEPT)
mt.disconnect(conn)
conn, early = send{ headers = spam, ip = "2001:db8::5" }
expect("local network 2001:db8::/32 accepted unscanned", early == SMFIR_ACCEPT)
mt.disconnect(conn)
conn, early = send{ headers = spam, ip = "11.0.0.1" }
expect("11.0.0.1 is not local: scanned and rejected", early == nil and
	mt.getreply(conn) == SMFIR_REPLYCODE)
mt.disconnect(conn)
LUA
check "log: one line per message with score and action" \
	grep -q "TESTQID: from=<sender@example.net> ip=192.0.2.10 score=90 category=spam action=reject" "$tmp/milter.log"
check "log: the skipped authenticated sender" grep -q "authenticated sender, not scanned" "$tmp/milter.log"
stop_milter
check "SIGTERM: exit 0" [ "$rc_stop" -eq 0 ]

# 3. quarantine, discard, bands, category actions, Cloudmark names, reply
start_milter "spam action = quarantine
quarantine reason = held by whorl: %c %s"
lua "spam action = quarantine" <<'LUA'
local conn = send{ headers = spam }
expect("quarantined with the reason", mt.eom_check(conn, MT_QUARANTINE, "held by whorl: spam 90"))
expect("quarantined and accepted", mt.getreply(conn) == SMFIR_ACCEPT)
expect("quarantined with X-Whorl-Score: 90", mt.eom_check(conn, MT_HDRADD, "X-Whorl-Score", "90"))
mt.disconnect(conn)
LUA
stop_milter
start_milter "category action = spam discard
score band = 0 accept"
lua "category action = spam discard; score band = 0 accept" <<'LUA'
local conn = send{ headers = spam }
expect("spam discarded", mt.getreply(conn) == SMFIR_DISCARD)
mt.disconnect(conn)
conn = send{ headers = ham }
expect("band 0 accept: ham accepted without headers",
	mt.getreply(conn) == SMFIR_ACCEPT and not mt.eom_check(conn, MT_HDRADD))
mt.disconnect(conn)
LUA
stop_milter
start_milter "score band = 80 headers
score band = 95 reject
header names = cloudmark"
lua "score band = 80 headers under 95 reject; header names = cloudmark" <<'LUA'
local conn = send{ headers = spam }
expect("90 in band 80: accepted with headers", mt.getreply(conn) == SMFIR_ACCEPT)
expect("X-CMAE-Score: 90", mt.eom_check(conn, MT_HDRADD, "X-CMAE-Score", "90"))
expect("X-CMAE-Analysis", mt.eom_check(conn, MT_HDRADD, "X-CMAE-Analysis",
	"echo; rule=x-test-spam; score=90"))
expect("no X-Whorl-Score", not mt.eom_check(conn, MT_HDRADD, "X-Whorl-Score"))
mt.disconnect(conn)
LUA
stop_milter
start_milter "reject reply = 554 5.7.0 No %c here, 100%% sure (%s)
minimum score = 95"
lua "reject reply and minimum score" <<'LUA'
local conn = send{ headers = spam }
expect("90 under minimum score 95: ham action (headers)", mt.getreply(conn) == SMFIR_ACCEPT)
mt.disconnect(conn)
LUA
stop_milter
start_milter "reject reply = 554 5.7.0 No %c here, 100%% sure (%s)"
lua "reject reply = 554 5.7.0 ..." <<'LUA'
local conn = send{ headers = spam }
expect("554 5.7.0 with the text", mt.eom_check(conn, MT_SMTPREPLY, "554", "5.7.0",
	"No spam here, 100%% sure (90)"))
mt.disconnect(conn)
LUA
stop_milter

# 4. Max_Body_Length, progress, deadline and on fail
start_milter "max body length = 1K
scan deadline = 6s
progress interval = 200ms"
lua "max body length 1K; smfi_progress during a 2.5 s scan" <<'LUA'
mt.set_timeout(1)
local conn = send{ headers = spam, body = string.rep("0123456789abcde\r\n", 200) }
expect("long spam still rejected from its first 1K", mt.getreply(conn) == SMFIR_REPLYCODE)
mt.disconnect(conn)
conn = send{ headers = ham, body = string.rep("0123456789abcde\r\n", 200) }
expect("long ham: X-Whorl-Rescan: 1", mt.eom_check(conn, MT_HDRADD, "X-Whorl-Rescan", "1"))
mt.disconnect(conn)
conn = send{ headers = { { "Subject", "slow" }, { "X-Whorl-Sleep-Ms", "2500" } } }
expect("a 2.5 s scan with a 1 s MTA read timeout completes (progress sent)",
	mt.getreply(conn) == SMFIR_ACCEPT and mt.eom_check(conn, MT_HDRADD, "X-Whorl-Score", "5"))
mt.disconnect(conn)
LUA
stop_milter
start_milter "scan deadline = 300ms"
lua "scan deadline passed: on fail = tempfail (default)" <<'LUA'
local conn = send{ headers = { { "Subject", "slow" }, { "X-Whorl-Sleep-Ms", "1500" } } }
expect("451 4.7.1 temporary failure", mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1",
	"whorl: message could not be scanned, try again later"))
mt.disconnect(conn)
conn = send{ headers = ham }
expect("the next message is scanned normally", mt.getreply(conn) == SMFIR_ACCEPT and
	mt.eom_check(conn, MT_HDRADD, "X-Whorl-Score", "5"))
mt.disconnect(conn)
LUA
check "log: the deadline is named" grep -q "scan failed (deadline passed); temporary failure" "$tmp/milter.log"
stop_milter
check "SIGTERM with an abandoned scan finished: exit 0" [ "$rc_stop" -eq 0 ]
start_milter "scan deadline = 300ms
on fail = accept"
lua "on fail = accept" <<'LUA'
local conn = send{ headers = { { "X-Test-Spam", "yes" }, { "X-Whorl-Sleep-Ms", "1500" } } }
expect("accepted unscanned, no headers", mt.getreply(conn) == SMFIR_ACCEPT and
	not mt.eom_check(conn, MT_HDRADD))
mt.disconnect(conn)
LUA
stop_milter

[ "$fails" -eq 0 ] || { echo "--- milter log"; tail -40 "$tmp/milter.log"; exit 1; }
