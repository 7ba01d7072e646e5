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
# 4.7.1, then delivered unscanned with "on fail = accept"). Postfix's
# milter lines and the milter's configuration are the snippets of
# integrations/postfix/ that docs/INTEGRATION.md prints (checked here), and
# whorlctl -c reaches the milter's control socket. Everything runs
# on 127.0.0.1 and in a temp dir and is stopped by PID (postfix -c DIR stop).
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
milter="$top/$build/sbin/whorl-milter"
slow_so="$top/$build/tests/cartridges/slow_on_marker.so"
need_files "$milter" "$slow_so" "$bin/whorl-keygen" "$bin/whorl-publish" "$cart"
need_commands postfix smtp-sink swaks
[ "$(id -u)" -eq 0 ] || { echo "FAIL: postfix start needs root"; exit 1; }

. "$top/tests/integration/lib/postfix.sh"
tmp=$(mktemp -d /tmp/whorl_milter_postfix.XXXXXX) || exit 1
chmod 755 "$tmp"
mpid=""
trap 'postfix_stop; [ -n "$mpid" ] && kill "$mpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
milter_port=$(free_port)
mkdir -p "$tmp/slow"
demo_gateway "$tmp/etc"

# start_milter CARTRIDGE CONFIG_DIR [EXTRA LINES]
# integrations/postfix/whorl-milter.cfg (printed by docs/INTEGRATION.md)
# with the test's port and paths, then the cartridge and EXTRA LINES (a
# key given again overrides the snippet's).
start_milter() {
	sed -e "s|inet:8890@127.0.0.1|inet:$milter_port@127.0.0.1|" \
		-e "s|/run/whorl/whorl-milter.ctl|$tmp/control|" \
		"$top/integrations/postfix/whorl-milter.cfg" > "$tmp/whorl-milter.cfg"
	printf 'cartridge = %s\ncartridge config dir = %s\n%s\n' "$1" "$2" "${3:-}" >> "$tmp/whorl-milter.cfg"
	"$milter" -c "$tmp/whorl-milter.cfg" 2>>"$tmp/milter.log" &
	mpid=$!
	wait_port "$milter_port" || { echo "FAIL: whorl-milter did not start"; cat "$tmp/milter.log"; exit 1; }
}
stop_milter() { kill "$mpid"; wait "$mpid"; mpid=""; }

start_milter "$cart" "$tmp/etc"
postfix_start "inet:127.0.0.1:$milter_port"

# send FILE: swaks through Postfix; its transcript in $out, exit in $rc.
send() {
	out=$(swaks --server "127.0.0.1:$smtp_port" --from sender@example.net --to user@example.org \
		--helo client.example --data "$1" --timeout 30 2>&1); rc=$?
}

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
postfix_set milter_default_action=accept
send "$(with_marker "$demo/scan/spam-pharma-v1.eml" down-2)"
f=$(delivered "X-Whorl-Test: down-2")
check "milter down, milter_default_action = accept: delivered unscanned" \
	sh -c '[ -n "$1" ] && ! grep -q "^X-Whorl-Score" "$1"' _ "$f"

# Engine forced past its deadline: whorl-milter's "on fail".
postfix_set milter_default_action=tempfail
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

# whorlctl reaches this milter through the snippet's control socket.
start_milter "$cart" "$tmp/etc"
out=$("$bin/whorlctl" -c "$tmp/whorl-milter.cfg" status); rc=$?
check "whorlctl -c whorl-milter.cfg status: the snippet's control socket answers" \
	sh -c '[ "$2" -eq 0 ] && printf "%s" "$1" | grep -q "^whorl-milter = "' _ "$out" "$rc"
stop_milter

# docs/INTEGRATION.md prints the snippets these runs used, as they are.
for f in "$top"/integrations/postfix/main.cf "$top"/integrations/postfix/whorl-milter.cfg; do
	check "docs/INTEGRATION.md has ${f#"$top"/} verbatim" \
		python3 -c 'import sys; sys.exit(0 if open(sys.argv[1]).read() in open(sys.argv[2]).read() else 1)' \
		"$f" "$top/docs/INTEGRATION.md"
done

[ "$fails" -eq 0 ] || { echo "--- swaks"; printf '%s\n' "$out" | tail -15; echo "--- maillog";
	tail -20 "$tmp/pf/maillog"; echo "--- milter"; grep -E "MILTER|ERROR" "$tmp/milter.log" | tail; exit 1; }
