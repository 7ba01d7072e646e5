#!/bin/sh
# milter_sendmail.sh - whorl-milter behind a real Sendmail 8.17 (Debian's
# sendmail-bin, unpacked by scripts/deps.sh because it conflicts with
# Postfix) with its own sendmail.cf built by m4 from sendmail-cf: the
# daemon on a free port of 127.0.0.1, a private queue, relaying everything
# to smtp-sink, and integrations/sendmail/whorl-milter.mc (the
# INPUT_MAIL_FILTER line docs/INTEGRATION.md prints; checked here) with
# the test's port. swaks sends a demo ham (delivered with the X-Whorl
# headers) and a demo spam (rejected 550 5.7.1); with the milter stopped
# F=T makes Sendmail answer 451. Sendmail runs in a private UTS namespace
# named mx.whorl.test (an unqualified host name makes it sleep a minute)
# with RefuseLA raised (a loaded test machine's load average would make it
# refuse connections). Everything is stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
milter="$top/$build/sbin/whorl-milter"
need_files "$milter" "$bin/whorl-keygen" "$bin/whorl-publish" "$cart"
sm_root=${XDG_CACHE_HOME:-$HOME/.cache}/whorl-sendmail/root
sm="$sm_root/usr/libexec/sendmail/sendmail"
[ -x "$sm" ] && [ -f "$sm_root/usr/share/sendmail/cf/m4/cf.m4" ] ||
	{ echo "FAIL: $sm missing (scripts/deps.sh unpacks sendmail-bin and sendmail-cf)"; exit 1; }
need_commands m4 smtp-sink swaks unshare
[ "$(id -u)" -eq 0 ] || { echo "FAIL: sendmail -bD with a private queue needs root"; exit 1; }
export LD_LIBRARY_PATH="$sm_root/usr/lib/x86_64-linux-gnu"

. "$top/tests/integration/lib/postfix.sh" # demo_gateway, delivered, with_marker
tmp=$(mktemp -d /tmp/whorl_milter_sendmail.XXXXXX) || exit 1
chmod 755 "$tmp"
smpid="" mpid="" spid=""
trap 'for p in $smpid $mpid $spid; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
demo_gateway "$tmp/etc"
sm_port=$(free_port) milter_port=$(free_port) sink_port=$(free_port)

mkdir -p "$tmp/sink" "$tmp/mqueue"
chmod 777 "$tmp/sink"
chmod 700 "$tmp/mqueue"
smtp-sink -u nobody -d "$tmp/sink/%H%M%S." "127.0.0.1:$sink_port" 64 2>"$tmp/sink.log" &
spid=$!

start_milter() {
	sed "s|inet:8890@127.0.0.1|inet:$milter_port@127.0.0.1|; /^control socket/d" \
		"$top/integrations/postfix/whorl-milter.cfg" > "$tmp/whorl-milter.cfg"
	printf 'cartridge = %s\ncartridge config dir = %s\n' "$cart" "$tmp/etc" >> "$tmp/whorl-milter.cfg"
	"$milter" -c "$tmp/whorl-milter.cfg" 2>>"$tmp/milter.log" &
	mpid=$!
	wait_port "$milter_port" || { echo "FAIL: whorl-milter did not start"; cat "$tmp/milter.log"; exit 1; }
}
start_milter

printf 'hosts files\naliases files\n' > "$tmp/service.switch"
touch "$tmp/statistics"
{
	cat <<MC
divert(-1)
divert(0)dnl
include(\`$sm_root/usr/share/sendmail/cf/m4/cf.m4')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mx.whorl.test')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confPID_FILE', \`$tmp/sendmail.pid')dnl
define(\`QUEUE_DIR', \`$tmp/mqueue')dnl
define(\`STATUS_FILE', \`$tmp/statistics')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`$tmp/service.switch')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confREFUSE_LA', \`999')dnl
define(\`confQUEUE_LA', \`999')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $sink_port')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Port=$sm_port, Addr=127.0.0.1, Name=MTA')dnl
MC
	sed "s|inet:8890@127.0.0.1|inet:$milter_port@127.0.0.1|" "$top/integrations/sendmail/whorl-milter.mc"
	echo "MAILER(\`smtp')dnl"
} > "$tmp/sendmail.mc"
m4 "$tmp/sendmail.mc" > "$tmp/sendmail.cf" 2>"$tmp/m4.log" || { echo "FAIL: m4"; cat "$tmp/m4.log"; exit 1; }
check "sendmail.cf has the milter (Xwhorl, InputMailFilters)" \
	sh -c 'grep -q "^Xwhorl, S=inet:$1@127.0.0.1, F=T" "$2" && grep -q "^O InputMailFilters=whorl" "$2"' _ "$milter_port" "$tmp/sendmail.cf"
unshare --uts sh -c 'hostname mx.whorl.test && exec "$1" -C "$2" -bD' _ "$sm" "$tmp/sendmail.cf" \
	>"$tmp/sendmail.out" 2>&1 &
smpid=$!
up=0
for _ in 1 2 3 4 5 6; do wait_port "$sm_port" && { up=1; break; }; done
[ "$up" -eq 1 ] || { echo "FAIL: sendmail did not listen"; cat "$tmp/sendmail.out"; exit 1; }

send() {
	out=$(swaks --server "127.0.0.1:$sm_port" --from sender@example.net --to user@example.org \
		--helo client.example --data "$1" --timeout 30 2>&1); rc=$?
}

send "$(with_marker "$demo/scan/legit-new-meeting.eml" ham-1)"
check "ham: swaks exit 0 (250 accepted)" [ "$rc" -eq 0 ]
f=$(delivered "X-Whorl-Test: ham-1")
check "ham: delivered to smtp-sink with X-Whorl-Score, -Category, -Rescan, -Analysis" \
	sh -c '[ -n "$1" ] && grep -q "^X-Whorl-Score: [0-9]" "$1" && grep -q "^X-Whorl-Category: legit/" "$1" &&
	       grep -q "^X-Whorl-Rescan: 0" "$1" && grep -q "^X-Whorl-Analysis: " "$1"' _ "${f:-}"
send "$(with_marker "$demo/scan/spam-pharma-v1.eml" spam-1)"
check "spam: 550 5.7.1 naming the category" \
	sh -c 'printf "%s" "$1" | grep -q "<\*\* *550 5.7.1 Message rejected as spam by whorl"' _ "$out"
check "spam: not delivered" sh -c '! grep -lq "X-Whorl-Test: spam-1" "$1"/sink/* 2>/dev/null' _ "$tmp"

kill "$mpid"; wait "$mpid"; mpid=""
send "$(with_marker "$demo/scan/legit-new-family.eml" down-1)"
check "milter down, F=T: 451 temporary failure" sh -c 'printf "%s" "$1" | grep -q "<\*\* *451"' _ "$out"

check "docs/INTEGRATION.md has integrations/sendmail/whorl-milter.mc verbatim" \
	python3 -c 'import sys; sys.exit(0 if open(sys.argv[1]).read() in open(sys.argv[2]).read() else 1)' \
	"$top/integrations/sendmail/whorl-milter.mc" "$top/docs/INTEGRATION.md"

echo "milter_sendmail: $fails failed"
[ "$fails" -eq 0 ] || { echo "--- swaks"; printf '%s\n' "$out" | tail -12; echo "--- milter"; tail -5 "$tmp/milter.log"; exit 1; }
