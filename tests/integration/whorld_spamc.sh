#!/bin/sh
# whorld_spamc.sh - spamc (Debian's 4.0.1) in the two places postmasters
# usually put it, with the snippets of integrations/spamc/ that
# docs/INTEGRATION.md prints, against a real whorld on the demo set:
# 0. the command line with spamc.conf: -c and -y;
# 1. procmail (procmailrc): a demo spam is filed in spam/ with X-Spam-Flag:
#    YES, a demo ham in the inbox with X-Spam-Status: No; whorld down: the
#    message is delivered unchanged.
# 2. Postfix's content_filter pipe (master.cf) in a private Postfix
#    (lib/postfix.sh): swaks -> smtpd -> pipe -> spamc -> whorld -> spamc -e
#    COMMAND. The one change to the snippet: COMMAND is this test's
#    $tmp/reinject, which stores what sendmail would get, because a
#    set-gid postdrop refuses a private Postfix's queue
#    (alternate_config_directories in the system's main.cf) and the test
#    must not edit /etc/postfix.
# Servers on 127.0.0.1, everything in a temp dir and stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
snip="$top/integrations/spamc"
need_files "$top/$build/sbin/whorld" "$cart" "$bin/whorl-keygen" "$bin/whorl-publish"
need_commands spamc procmail postfix swaks
[ "$(id -u)" -eq 0 ] || { echo "FAIL: postfix start needs root"; exit 1; }

. "$top/tests/integration/lib/postfix.sh"
net_tmp whorld_spamc
wpid=""
trap 'postfix_stop; for p in $pids $wpid; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
demo_whorld
spam="$demo/scan/spam-pharma-v2.eml"
ham="$demo/scan/legit-new-family.eml"
# one_file DIR: the name of the only file in DIR (fails when not one).
one_file() { [ "$(ls "$1" 2>/dev/null | wc -l)" -eq 1 ] && echo "$1/$(ls "$1")"; }

# 0. The command line, with the options from spamc.conf.
sed "s/^-p 10783$/-p $sport/" "$snip/spamc.conf" > "$tmp/spamc.conf"
out=$(spamc -F "$tmp/spamc.conf" -c < "$spam"); rc=$?
check "spamc -c, the demo spam: score/threshold ($out), exit 1" \
	sh -c 'printf "%s" "$1" | grep -Eq "^[5-9][0-9]\.0/50\.0$" && [ "$2" -eq 1 ]' _ "$out" "$rc"
out=$(spamc -F "$tmp/spamc.conf" -c < "$ham"); rc=$?
check "spamc -c, the demo ham: $out, exit 0" sh -c '[ "$1" = 0.0/50.0 ] && [ "$2" -eq 0 ]' _ "$out" "$rc"
out=$(spamc -F "$tmp/spamc.conf" -y < "$spam")
check "spamc -y, the demo spam: the engines that hit ($out)" \
	sh -c 'printf "%s" "$1" | grep -Eq "^(WHORL_[A-Z_]+,)+WHORL_SPAM$"' _ "$out"

# 1. procmail
m="$tmp/mail"
mkdir -p "$m"
{
	printf 'MAILDIR=%s\nDEFAULT=%s/inbox/\nLOGFILE=%s/procmail.log\n' "$m" "$m" "$tmp"
	sed "s/ -p 10783/ -p $sport/" "$snip/procmailrc"
} > "$tmp/procmailrc"
procmail -m "$tmp/procmailrc" < "$spam"
f=$(one_file "$m/spam/new")
check "procmail: the demo spam filed in spam/ with X-Spam-Flag: YES" \
	sh -c '[ -n "$1" ] && grep -q "^X-Spam-Flag: YES" "$1" && grep -q "^X-Spam-Status: Yes, score=" "$1"' _ "$f"
procmail -m "$tmp/procmailrc" < "$ham"
f=$(one_file "$m/inbox/new")
check "procmail: the demo ham in the inbox with X-Spam-Status: No" \
	sh -c '[ -n "$1" ] && grep -q "^X-Spam-Status: No, score=" "$1" && ! grep -q "^X-Spam-Flag" "$1"' _ "$f"

# 2. Postfix content_filter pipe
mkdir -p "$tmp/out"
chmod 777 "$tmp/out"
cat > "$tmp/reinject" <<SH
#!/bin/sh
# stands in for /usr/sbin/sendmail: the arguments, then the message
# (written aside, then renamed: the test sees only whole files)
{ echo "ARGS: \$*"; cat; } > "$tmp/out/.\$\$" && mv "$tmp/out/.\$\$" "$tmp/out/\$\$.eml"
SH
chmod 755 "$tmp/reinject"
postfix_start ""
{
	grep -v "^127.0.0.1:$smtp_port " "$tmp/pf/etc/master.cf"
	sed -e "s/^smtp      inet  n       -       y /127.0.0.1:$smtp_port inet n - n /" \
		-e "s/ -p 10783 / -p $sport /" -e "s| -e /usr/sbin/sendmail | -e $tmp/reinject |" \
		"$snip/master.cf"
} > "$tmp/master.cf"
cp "$tmp/master.cf" "$tmp/pf/etc/master.cf"
postfix -c "$tmp/pf/etc" reload >/dev/null 2>&1
# The master rereads master.cf when it logs the reload (10 s at most); its
# idle smtpd from before then exits at once (a second, as postfix_set).
for _ in $(seq 100); do grep -q 'postfix/master.*: reload' "$tmp/pf/maillog" && break; sleep 0.1; done
sleep 1
# relayed FILE NAME: swaks sends FILE through Postfix; waits (20 s at most)
# for what the pipe hands on and prints its file name.
relayed() {
	before=$(ls "$tmp/out")
	swaks --server "127.0.0.1:$smtp_port" --from sender@example.net --to user@example.org \
		--helo client.example --data "$1" --timeout 30 > "$tmp/$2.swaks" 2>&1 ||
		{ echo "swaks failed" >&2; return 1; }
	for _ in $(seq 200); do
		new=$(ls "$tmp/out" | grep -vxF "$before")
		[ -n "$new" ] && { echo "$tmp/out/$new"; return 0; }
		sleep 0.1
	done
	return 1
}
f=$(relayed "$spam" spam)
check "postfix pipe: the demo spam handed on with X-Spam-Flag: YES" \
	sh -c '[ -n "$1" ] && grep -q "^X-Spam-Flag: YES" "$1"' _ "$f"
check "postfix pipe: sendmail gets -oi -f sender recipient" \
	sh -c '[ -n "$1" ] && head -1 "$1" | grep -q "^ARGS: -oi -f sender@example.net user@example.org$"' _ "$f"
f=$(relayed "$ham" ham)
check "postfix pipe: the demo ham handed on with X-Spam-Status: No" \
	sh -c '[ -n "$1" ] && grep -q "^X-Spam-Status: No, score=" "$1"' _ "$f"

# whorld down: spamc's safe fallback passes the message on unscanned.
stop_pid "$wpid"
wpid=""
before=$(ls "$m/inbox/new")
procmail -m "$tmp/procmailrc" < "$spam"
new=$(ls "$m/inbox/new" | grep -vxF "$before")
check "procmail, whorld down: the message delivered unscanned to the inbox" \
	sh -c '[ -n "$2" ] && ! grep -q "^X-Spam-" "$1/inbox/new/$2"' _ "$m" "$new"
f=$(relayed "$spam" down)
check "postfix pipe, whorld down: handed on unscanned" \
	sh -c '[ -n "$1" ] && ! grep -q "^X-Spam-" "$1"' _ "$f"

for f in "$snip"/*; do
	check "docs/INTEGRATION.md has ${f#"$top"/} verbatim" \
		python3 -c 'import sys; sys.exit(0 if open(sys.argv[1]).read() in open(sys.argv[2]).read() else 1)' \
		"$f" "$top/docs/INTEGRATION.md"
done
[ "$fails" -eq 0 ] || { tail -20 "$tmp/pf/maillog"; cat "$tmp/procmail.log"; tail "$tmp/whorld.log"; }
echo "whorld_spamc: $fails failed"
[ "$fails" -eq 0 ]
