#!/bin/sh
# milter_activefilter.sh - whorl-milter's ActiveFilter (Momentum's score_af
# and its modes) driven by Debian's miltertest: a local decision header
# (X-Spam-Flag) that disagrees with the verdict past "activefilter score"
# records a report in the feedback spool through libwhorl (class, reason,
# score, reporter = the recipient, the message), and by mode: keep
# delivers as is, move writes X-Whorl-Folder (Spam, or Inbox for a local
# false positive, replacing a forged one), discard drops the missed spam;
# agreement, and mode off, record nothing; a mode without a spool is a
# configuration error; "whorlctl report" reaches the milter's control
# socket and the same spool. Uses the slow_on_marker test cartridge (the echo
# rules: "X-Test-Spam: yes" scores 90, else 5). The milter runs on a unix
# socket in a temp dir and is stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
. "$top/tests/integration/lib/milter.sh"
milter_setup milter_af
spool="$tmp/spool"
nreports() { ls "$spool/new" 2>/dev/null | wc -l; }
newest() { echo "$spool/new/$(ls "$spool/new" | sort | tail -1)"; }

# 1. A mode needs a spool; the keys are checked.
printf 'milter socket = %s\ncartridge = %s\ncartridge config dir = %s\nactivefilter mode = keep\n' \
	"$MILTER_SOCK" "$slow_so" "$tmp/etc" > "$tmp/check.cfg"
"$milter" -t -c "$tmp/check.cfg" > "$tmp/check.out" 2>&1; rc=$?
check "-t: activefilter mode without a feedback spool exits 1, saying so" \
	sh -c '[ "$1" -eq 1 ] && grep -q "activefilter mode = keep needs a feedback spool" "$2"' _ "$rc" "$tmp/check.out"
printf 'feedback spool = %s\nactivefilter mode = sideways\nactivefilter score = 101\n' "$spool" >> "$tmp/check.cfg"
"$milter" -t -c "$tmp/check.cfg" > "$tmp/check.out" 2>&1; rc=$?
check "-t: a bad mode and a bad score are named" \
	sh -c '[ "$1" -eq 1 ] && grep -q "activefilter mode = .sideways." "$2" && grep -q "activefilter score = .101." "$2"' _ "$rc" "$tmp/check.out"

# 2. keep: a missed spam is reported, delivered as it is.
common="spam action = headers
feedback spool = $spool
activefilter score = 80"
start_milter "$common
activefilter mode = keep
control socket = $tmp/control"
lua "activefilter mode = keep" <<'LUA'
local conn = send{ headers = { { "Subject", "buy" }, { "X-Spam-Flag", "NO" },
	{ "X-Test-Spam", "yes" } }, rcpt = "<joe@example.org>", body = "cheap pills\r\n" }
expect("local not spam, verdict 90: delivered with headers",
	mt.getreply(conn) == SMFIR_ACCEPT and mt.eom_check(conn, MT_HDRADD, "X-Whorl-Score", "90"))
expect("keep: no X-Whorl-Folder", not mt.eom_check(conn, MT_HDRCHANGE, "X-Whorl-Folder"))
mt.disconnect(conn)
conn = send{ headers = { { "Subject", "buy" }, { "X-Spam-Flag", "YES" }, { "X-Test-Spam", "yes" } } }
expect("local spam, verdict 90: agreement, delivered", mt.getreply(conn) == SMFIR_ACCEPT)
mt.disconnect(conn)
conn = send{ headers = { { "Subject", "hi" }, { "X-Spam-Flag", "YES" } } }
expect("local spam, verdict 5: keep has nothing to undo", mt.getreply(conn) == SMFIR_ACCEPT)
mt.disconnect(conn)
conn = send{ headers = { { "Subject", "hi" } } }
expect("no local header, verdict 5: agreement", mt.getreply(conn) == SMFIR_ACCEPT)
mt.disconnect(conn)
LUA
f=$(newest)
check "keep: exactly one report, for the missed spam" [ "$(nreports)" -eq 1 ]
check "keep: class spam, source milter, score 90, reporter the recipient, the reason" \
	sh -c 'grep -q "^X-Whorl-Feedback-Class: spam$" "$1" && grep -q "^X-Whorl-Feedback-Source: milter$" "$1" && grep -q "^X-Whorl-Feedback-Score: 90$" "$1" && grep -q "^X-Whorl-Feedback-User: <joe@example.org>$" "$1" && grep -q "^X-Whorl-Feedback-Client: 192.0.2.10$" "$1" && grep -q "^X-Whorl-Feedback-Reason: activefilter keep: local decision not spam, verdict 90 >= score_af 80$" "$1"' _ "$f"
check "keep: the report holds the message as the milter received it" \
	sh -c 'grep -q "^X-Test-Spam: yes" "$1" && tail -c 13 "$1" | grep -q "cheap pills"' _ "$f"
check "keep: the milter logged the report" grep -q "TESTQID: reported spam (activefilter keep" "$tmp/milter.log"
# whorlctl report, to the milter's control socket: the same spool.
printf 'Subject: minutes\n\nsee you at ten\n' > "$tmp/ham.eml"
out=$("$top/$build/bin/whorlctl" -c "$tmp/whorl-milter.cfg" -u postmaster report ham "$tmp/ham.eml" 2>&1); rc=$?
f=$(newest)
check "whorlctl report ham to whorl-milter: exit 0 ($out), class ham, source control, reporter postmaster" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^X-Whorl-Feedback-Class: ham$" "$2" && grep -q "^X-Whorl-Feedback-Source: control$" "$2" && grep -q "^X-Whorl-Feedback-User: postmaster$" "$2" && tail -c 15 "$2" | grep -q "see you at ten"' _ "$rc" "$f"
stop_milter

# 3. move: X-Whorl-Folder says where the message belongs.
start_milter "$common
activefilter mode = move
activefilter spam folder = Junk
activefilter inbox folder = INBOX"
lua "activefilter mode = move" <<'LUA'
local conn = send{ headers = { { "Subject", "buy" }, { "X-Test-Spam", "yes" } } }
expect("missed spam: X-Whorl-Folder: Junk", mt.getreply(conn) == SMFIR_ACCEPT and
	mt.eom_check(conn, MT_HDRCHANGE, "X-Whorl-Folder", "Junk"))
mt.disconnect(conn)
conn = send{ headers = { { "Subject", "hi" }, { "X-Spam-Flag", "yes" },
	{ "X-Whorl-Folder", "Junk" }, { "X-Whorl-Folder", "Trash" } } }
expect("local false positive: X-Whorl-Folder: INBOX", mt.getreply(conn) == SMFIR_ACCEPT and
	mt.eom_check(conn, MT_HDRCHANGE, "X-Whorl-Folder", "INBOX"))
expect("the forged second X-Whorl-Folder deleted", mt.eom_check(conn, MT_HDRDELETE, "X-Whorl-Folder"))
mt.disconnect(conn)
conn = send{ headers = { { "Subject", "hi" } } }
expect("agreement: no X-Whorl-Folder", mt.getreply(conn) == SMFIR_ACCEPT and
	not mt.eom_check(conn, MT_HDRCHANGE, "X-Whorl-Folder"))
mt.disconnect(conn)
LUA
check "move: two more reports, a spam and a ham" [ "$(nreports)" -eq 4 ]
f=$(newest)
check "move: the false positive reported as ham with its reason" \
	sh -c 'grep -q "^X-Whorl-Feedback-Class: ham$" "$1" && grep -q "^X-Whorl-Feedback-Score: 5$" "$1" && grep -q "^X-Whorl-Feedback-Reason: activefilter move: local decision spam, verdict 5 < minimum score 50$" "$1"' _ "$f"
stop_milter

# 4. discard: the missed spam is reported and dropped.
start_milter "$common
activefilter mode = discard
feedback content = fingerprints"
lua "activefilter mode = discard" <<'LUA'
local conn = send{ headers = { { "Subject", "buy" }, { "X-Test-Spam", "yes" } } }
expect("missed spam discarded", mt.getreply(conn) == SMFIR_DISCARD)
mt.disconnect(conn)
conn = send{ headers = { { "Subject", "hi" }, { "X-Spam-Flag", "YES" } } }
expect("local false positive: delivered, nothing to do", mt.getreply(conn) == SMFIR_ACCEPT)
mt.disconnect(conn)
LUA
f=$(newest)
check "discard: one more report, of fingerprints only (feedback content)" \
	sh -c '[ "$(ls "$1" | wc -l)" -eq 5 ] && grep -q "^X-Whorl-Feedback-Content: fingerprints$" "$2" && grep -q "^X-Whorl-Feedback-Fingerprint: body v1 " "$2" && grep -q "^X-Whorl-Feedback-Length: 0$" "$2"' _ "$spool/new" "$f"
stop_milter

# 5. off (the default): nothing is reported.
start_milter "$common"
lua "activefilter mode = off" <<'LUA'
local conn = send{ headers = { { "Subject", "buy" }, { "X-Test-Spam", "yes" } } }
expect("missed spam delivered, no folder", mt.getreply(conn) == SMFIR_ACCEPT and
	not mt.eom_check(conn, MT_HDRCHANGE, "X-Whorl-Folder"))
mt.disconnect(conn)
LUA
check "off: no report" [ "$(nreports)" -eq 5 ]
stop_milter

[ "$fails" -eq 0 ] || { echo "--- milter log"; tail -40 "$tmp/milter.log"; exit 1; }
echo "milter_activefilter: 0 failed"
