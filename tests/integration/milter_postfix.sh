#!/bin/sh
# milter_postfix.sh - whorl-milter behind a real Postfix 3.7 (Debian's
# postfix) started with its own configuration directory (postfix -c DIR,
# inet_interfaces = 127.0.0.1, smtpd on a free high port in master.cf,
# chroot off) relaying to smtp-sink, with swaks as the client. The milter
# listens on inet:PORT@127.0.0.1 and uses the real cartridge with the demo
# set published by whorl-publish. Proves: a demo ham is delivered with the
# X-Whorl headers; a demo spam is rejected 550 5.7.1 at end of DATA; with
# the milter stopped Postfix's milter_default_action decides (tempfail,
# then accept after "postfix reload"); with the engine forced past its
# deadline (the slow_on_marker test cartridge) "on fail" decides (451
# 4.7.1, then delivered unscanned with "on fail = accept"). Everything runs
# on 127.0.0.1 and in a temp dir and is stopped by PID (postfix -c DIR stop).
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
milter="$top/$build/sbin/whorl-milter"
slow_so="$top/$build/tests/cartridges/slow_on_marker.so"
need_files "$milter" "$slow_so" "$bin/whorl-keygen" "$bin/whorl-publish" "$cart"
for c in postfix smtp-sink swaks; do
	command -v "$c" >/dev/null || { echo "FAIL: $c missing (scripts/deps.sh)"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL: postfix start needs root"; exit 1; }

tmp=$(mktemp -d /tmp/whorl_milter_postfix.XXXXXX) || exit 1
chmod 755 "$tmp"
mpid="" spid="" pf_up=""
cleanup() {
	[ -n "$pf_up" ] && postfix -c "$tmp/pf/etc" stop >/dev/null 2>&1
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
smtp_port=$(free_port) sink_port=$(free_port) milter_port=$(free_port)

# The gateway's cartridge configuration on the published demo set.
mkdir -p "$tmp/etc" "$tmp/slow" "$tmp/sink" "$tmp/pf/etc"
"$bin/whorl-keygen" "$tmp/keys" >/dev/null || { echo "FAIL: whorl-keygen"; exit 1; }
publish_demo >/dev/null 2>"$tmp/publish.log" || { echo "FAIL: publish"; cat "$tmp/publish.log"; exit 1; }
cp "$top/etc/categories" "$tmp/etc/categories"
cat > "$tmp/etc/cartridge.cfg" <<CFG
micro-update url = file://$tmp/mirror
publisher key = $tmp/keys/publisher.pub
favor analysis over speed = yes
minimum score = 50
CFG

# start_milter CARTRIDGE CONFIG_DIR [EXTRA LINES]
start_milter() {
	printf 'milter socket = inet:%s@127.0.0.1\ncartridge = %s\ncartridge config dir = %s\n%s\n' \
		"$milter_port" "$1" "$2" "${3:-}" > "$tmp/whorl-milter.cfg"
	"$milter" -c "$tmp/whorl-milter.cfg" 2>>"$tmp/milter.log" &
	mpid=$!
	wait_port "$milter_port" || { echo "FAIL: whorl-milter did not start"; cat "$tmp/milter.log"; exit 1; }
}
stop_milter() { kill "$mpid"; wait "$mpid"; mpid=""; }

# smtp-sink keeps each delivered message in $tmp/sink/.
chmod 777 "$tmp/sink"
smtp-sink -u nobody -d "$tmp/sink/%H%M%S." "127.0.0.1:$sink_port" 16 2>"$tmp/sink.log" &
spid=$!
wait_port "$sink_port" || { echo "FAIL: smtp-sink did not start"; exit 1; }

# Postfix: its own config dir, queue and log, chroot off, nothing but the
# relay to smtp-sink.
cat > "$tmp/pf/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $tmp/pf/queue
data_directory = $tmp/pf/data
maillog_file = $tmp/pf/maillog
maillog_file_prefixes = $tmp
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.whorl.test
mydomain = whorl.test
myorigin = whorl.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = example.org
relayhost = [127.0.0.1]:$sink_port
smtpd_recipient_restrictions = permit_mynetworks, reject
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtp_dns_support_level = disabled
smtpd_milters = inet:127.0.0.1:$milter_port
milter_default_action = tempfail
CF
cat > "$tmp/pf/etc/master.cf" <<CF
127.0.0.1:$smtp_port inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
CF
mkdir -p "$tmp/pf/queue" "$tmp/pf/data"
chown postfix "$tmp/pf/data"
start_milter "$cart" "$tmp/etc"
postfix -c "$tmp/pf/etc" start >"$tmp/pf.start" 2>&1 || {
	# Before postlogd runs, the postfix command's own errors reach only
	# maillog_file = /dev/stdout.
	postconf -c "$tmp/pf/etc" -e maillog_file=/dev/stdout
	echo "FAIL: postfix start"; postfix -c "$tmp/pf/etc" start 2>&1 | tail -5; exit 1; }
pf_up=1
wait_port "$smtp_port" || { echo "FAIL: postfix smtpd did not listen"; cat "$tmp/pf/maillog"; exit 1; }

# send FILE: swaks through Postfix; its transcript in $out, exit in $rc.
send() {
	out=$(swaks --server "127.0.0.1:$smtp_port" --from sender@example.net --to user@example.org \
		--helo client.example --data "$1" --timeout 30 2>&1); rc=$?
}
# delivered WORD: waits (10 s at most) for a message containing WORD in
# smtp-sink's dumps and prints its file name.
delivered() {
	for _ in $(seq 100); do
		f=$(grep -l -- "$1" "$tmp"/sink/* 2>/dev/null | head -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}
# with_marker FILE WORD: a copy of FILE with "X-Whorl-Test: WORD" on top.
with_marker() { { printf 'X-Whorl-Test: %s\n' "$2"; cat "$1"; } > "$tmp/$2.eml"; echo "$tmp/$2.eml"; }

ham=$(with_marker "$demo/scan/legit-new-meeting.eml" ham-1)
send "$ham"
check "ham: swaks exit 0 (250 queued)" [ "$rc" -eq 0 ]
f=$(delivered "X-Whorl-Test: ham-1")
check "ham: delivered to smtp-sink" [ -n "$f" ]
check "ham: delivered with X-Whorl-Score, -Category, -Rescan, -Analysis" \
	sh -c 'grep -q "^X-Whorl-Score: [0-9]" "$1" && grep -q "^X-Whorl-Category: legit/" "$1" &&
	       grep -q "^X-Whorl-Rescan: 0" "$1" && grep -q "^X-Whorl-Analysis: " "$1"' _ "${f:-/nonexistent}"

spam=$(with_marker "$demo/scan/spam-pharma-v1.eml" spam-1)
send "$spam"
check "spam: swaks sees 550 5.7.1 naming the category" \
	sh -c 'printf "%s" "$1" | grep -q "<\*\* *550 5.7.1 Message rejected as spam by whorl"' _ "$out"
check "spam: not delivered" sh -c '! grep -lq "X-Whorl-Test: spam-1" "$1"/sink/* 2>/dev/null' _ "$tmp"

# Milter stopped: Postfix's milter_default_action.
stop_milter
send "$(with_marker "$demo/scan/legit-new-family.eml" down-1)"
check "milter down, milter_default_action = tempfail: 451 4.7.1" \
	sh -c 'printf "%s" "$1" | grep -q "<\*\* *451 4.7.1"' _ "$out"
postconf -c "$tmp/pf/etc" -e milter_default_action=accept
postfix -c "$tmp/pf/etc" reload >/dev/null 2>&1
sleep 1
send "$(with_marker "$demo/scan/spam-pharma-v1.eml" down-2)"
f=$(delivered "X-Whorl-Test: down-2")
check "milter down, milter_default_action = accept: delivered unscanned" \
	sh -c '[ -n "$1" ] && ! grep -q "^X-Whorl-Score" "$1"' _ "$f"

# Engine forced past its deadline: whorl-milter's "on fail".
postconf -c "$tmp/pf/etc" -e milter_default_action=tempfail
postfix -c "$tmp/pf/etc" reload >/dev/null 2>&1
printf 'Subject: slow\nX-Whorl-Sleep-Ms: 3000\n\nslow\n' > "$tmp/slow.eml"
start_milter "$slow_so" "$tmp/slow" "scan deadline = 500ms"
sleep 1
send "$(with_marker "$tmp/slow.eml" fail-1)"
check "engine past its deadline, on fail = tempfail: 451 4.7.1 from the milter" \
	sh -c 'printf "%s" "$1" | grep -q "<\*\* *451 4.7.1 whorl: message could not be scanned"' _ "$out"
stop_milter
start_milter "$slow_so" "$tmp/slow" "scan deadline = 500ms
on fail = accept"
send "$(with_marker "$tmp/slow.eml" fail-2)"
check "engine past its deadline, on fail = accept: 250" [ "$rc" -eq 0 ]
f=$(delivered "X-Whorl-Test: fail-2")
check "engine past its deadline, on fail = accept: delivered without headers" \
	sh -c '[ -n "$1" ] && ! grep -q "^X-Whorl-Score" "$1"' _ "$f"
stop_milter

[ "$fails" -eq 0 ] || { echo "--- swaks"; printf '%s\n' "$out" | tail -15; echo "--- maillog";
	tail -20 "$tmp/pf/maillog"; echo "--- milter"; grep -E "MILTER|ERROR" "$tmp/milter.log" | tail; exit 1; }
