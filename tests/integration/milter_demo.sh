#!/bin/sh
# milter_demo.sh - whorl-milter on the real cartridge.so with the demo set
# published by whorl-publish into a file:// mirror (as publish_scan.sh does):
# through miltertest, every demo spam, phish and virus of etc/demo/scan/ is
# rejected with 550 5.7.1 naming its category, every demo ham is accepted
# with X-Whorl-Score, X-Whorl-Category and X-Whorl-Analysis; the envelope
# reaches the engine, so a "host" whitelist entry on the client address and
# an "envelope" entry on MAIL FROM let a demo spam through with score 0.
# The milter runs on a unix socket in a temp dir and is stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
. "$top/tests/integration/lib/postfix.sh"
milter="$top/$build/sbin/whorl-milter"
need_files "$milter" "$bin/whorl-keygen" "$bin/whorl-publish" "$cart"
command -v miltertest >/dev/null || { echo "FAIL: miltertest missing (scripts/deps.sh)"; exit 1; }

tmp=$(mktemp -d /tmp/whorl_milter_demo.XXXXXX) || exit 1
mpid=""
trap '[ -n "$mpid" ] && kill "$mpid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
export MILTER_SOCK="unix:$tmp/milter.sock"
demo_gateway "$tmp/etc"
cat > "$tmp/etc/whitelist.cfg" <<'WL'
type = host; address = [198.51.100.0/24]
type = envelope; command = [mail from]; value = [^<boss@trusted\.example>$]
WL
cat > "$tmp/whorl-milter.cfg" <<CFG
milter socket = $MILTER_SOCK
cartridge = $cart
cartridge config dir = $tmp/etc
reject reply = 550 5.7.1 Rejected as %c by whorl
CFG
"$milter" -c "$tmp/whorl-milter.cfg" 2>"$tmp/milter.log" &
mpid=$!
for _ in $(seq 200); do [ -S "$tmp/milter.sock" ] && break; sleep 0.05; done
[ -S "$tmp/milter.sock" ] || { echo "FAIL: whorl-milter did not start"; cat "$tmp/milter.log"; exit 1; }

want() { case "$1" in spam-*) echo spam ;; phish-*) echo phishing ;; virus-*) echo virus ;; *) echo ham ;; esac; }
{
	printf 'dofile("%s")\n' "$top/tests/integration/lib/milter.lua"
	for f in "$demo"/scan/*.eml; do
		n=$(basename "$f")
		printf 'do local h, b = read_eml("%s")\nlocal conn = send{ headers = h, body = b }\n' "$f"
		if [ "$(want "$n")" = ham ]; then
			printf 'expect("%s: accepted", mt.getreply(conn) == SMFIR_ACCEPT)\n' "$n"
			printf 'expect("%s: X-Whorl-Score added", mt.eom_check(conn, MT_HDRADD, "X-Whorl-Score"))\n' "$n"
			printf 'expect("%s: X-Whorl-Category added", mt.eom_check(conn, MT_HDRADD, "X-Whorl-Category"))\n' "$n"
			printf 'expect("%s: X-Whorl-Analysis added", mt.eom_check(conn, MT_HDRADD, "X-Whorl-Analysis"))\n' "$n"
		else
			printf 'expect("%s: rejected 550 5.7.1 as %s", mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", "Rejected as %s by whorl"))\n' "$n" "$(want "$n")" "$(want "$n")"
		fi
		printf 'mt.disconnect(conn) end\n'
	done
	cat <<'LUA'
local h, b = read_eml(os.getenv("DEMO_SPAM"))
local conn = send{ headers = h, body = b, ip = "198.51.100.7" }
expect("whitelisted client 198.51.100.7: spam accepted with score 0",
	mt.getreply(conn) == SMFIR_ACCEPT and mt.eom_check(conn, MT_HDRADD, "X-Whorl-Score", "0"))
mt.disconnect(conn)
conn = send{ headers = h, body = b, from = "<boss@trusted.example>" }
expect("whitelisted MAIL FROM: spam accepted with score 0",
	mt.getreply(conn) == SMFIR_ACCEPT and mt.eom_check(conn, MT_HDRADD, "X-Whorl-Score", "0"))
mt.disconnect(conn)
conn = send{ headers = h, body = b, from = "<boss@untrusted.example>" }
expect("other MAIL FROM: the same spam rejected", mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
	"Rejected as spam by whorl"))
mt.disconnect(conn)
LUA
} > "$tmp/t.lua"
export DEMO_SPAM="$demo/scan/spam-pharma-v1.eml"
if out=$(timeout 60 miltertest -s "$tmp/t.lua" 2>&1); then
	printf '%s\n' "$out" | grep '^PASS'; pass "miltertest: the demo wave through the milter"
else
	printf '%s\n' "$out" | sed 's/^/  /'; fail "miltertest: the demo wave through the milter"
fi
check "log: the three demo hams scored below 50 and marked" \
	[ "$(grep -cE "from=<sender@example.net> ip=192.0.2.10 score=([0-9]|[1-4][0-9]) category=legit action=headers" "$tmp/milter.log")" -eq 3 ]
check "log: a reject names the category" grep -q "category=phishing action=reject" "$tmp/milter.log"
check "log: the whitelist hit has score 0" grep -q "ip=198.51.100.7 score=0" "$tmp/milter.log"
kill "$mpid"; wait "$mpid"; rc=$?; mpid=""
check "SIGTERM: exit 0" [ "$rc" -eq 0 ]
[ "$fails" -eq 0 ] || { echo "--- milter log"; grep -E "MILTER|ERROR|MAIN" "$tmp/milter.log" | tail -30; exit 1; }
