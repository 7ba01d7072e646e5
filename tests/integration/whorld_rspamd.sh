#!/bin/sh
# whorld_rspamd.sh - Debian's rspamd 3.4 asking a real whorld through its
# cloudmark external service, configured with integrations/rspamd/
# external_services.conf (the snippet docs/INTEGRATION.md prints): rspamd
# reads GET /score/v2/max-message-size at start; rspamc on a demo spam
# shows CLOUDMARK_SPAM with whorld's score and the X-CMAE headers to add,
# on a demo ham neither; with whorld stopped, CLOUDMARK_FAIL. rspamd runs
# from Debian's /etc/rspamd with its local directory, database, run and
# log directories in a temp dir (--var), one normal worker on 127.0.0.1
# and a free port, no controller or proxy, no redis (the modules needing
# it turn themselves off), hyperscan off and a short public-suffix list
# so that it starts in seconds. Everything stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
whorld="$top/$build/sbin/whorld"
snippet="$top/integrations/rspamd/external_services.conf"
need_files "$whorld" "$cart" "$bin/whorl-keygen" "$bin/whorl-publish"
need_commands rspamd rspamc

net_tmp whorld_rspamd
wpid=""
trap 'for p in $pids $wpid; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

# The real cartridge on the demo set, behind whorld's HTTP listener.
hport=$(free_port)
demo_whorld "http listen = 127.0.0.1:$hport"
wait_port "$hport" || { echo "FAIL: whorld's HTTP listener"; cat "$tmp/whorld.log"; exit 1; }

# rspamd: Debian's configuration, this test's local directory.
r="$tmp/rspamd"
mkdir -p "$r/local/local.d" "$r/local/override.d" "$r/db" "$r/run" "$r/log"
sed "s/127\.0\.0\.1:8783/127.0.0.1:$hport/" "$snippet" > "$r/local/local.d/external_services.conf"
rport=$(free_port)
printf 'bind_socket = "127.0.0.1:%s";\ncount = 1;\n' "$rport" > "$r/local/override.d/worker-normal.inc"
echo 'enabled = false;' > "$r/local/override.d/worker-controller.inc"
echo 'enabled = false;' > "$r/local/override.d/worker-proxy.inc"
# Test-only speed-ups: no hyperscan compile, and a short public-suffix list
# (compiling Debian's 9,628 suffixes takes rspamd ~35 s on a loaded 2-core
# machine, against ~3 s for these; the demo messages use only these).
printf 'com\norg\nnet\nedu\ngov\nexample\ntest\n' > "$r/tld.dat"
printf 'disable_hyperscan = true;\nurl_tld = "%s";\n' "$r/tld.dat" > "$r/local/local.d/options.inc"
echo 'debug_modules = ["cloudmark"];' > "$r/local/local.d/logging.inc"
as=""
if [ "$(id -u)" -eq 0 ]; then # rspamd will not run its workers as root
	as="-u _rspamd -g _rspamd"
	chown -R _rspamd:_rspamd "$r/db" "$r/run" "$r/log"
fi
# shellcheck disable=SC2086
rspamd -f $as -c /etc/rspamd/rspamd.conf --var "LOCAL_CONFDIR=$r/local" --var "DBDIR=$r/db" \
	--var "RUNDIR=$r/run" --var "LOGDIR=$r/log" > "$r/stdout" 2>&1 &
rpid=$!
pids="$pids $rpid"
# Loading its rules takes rspamd 2-10 s on a loaded machine: 60 s at most.
wait_alive "$rport" "$rpid" 12 || {
	echo "FAIL: rspamd did not start"
	tail -20 "$r/stdout" "$r/log/rspamd.log"
	exit 1
}

# scan NAME MESSAGE: rspamc's symbols (and, for NAME.json, its JSON reply).
scan() {
	rspamc -h "127.0.0.1:$rport" -t 30 -i 192.0.2.7 --helo mx.example.org \
		-F sender@example.org -r user@example.net symbols < "$2" > "$tmp/$1.txt" 2>&1
	rspamc -h "127.0.0.1:$rport" -t 30 -i 192.0.2.7 -j symbols < "$2" > "$tmp/$1.json" 2>&1
}
scan spam "$demo/scan/spam-pharma-v2.eml"
check "rspamc, a demo spam: CLOUDMARK_SPAM with whorld's score" \
	grep -Eq '^Symbol: CLOUDMARK_SPAM \(5\.00\)\[[5-9][0-9]\]$' "$tmp/spam.txt"
check "rspamc -j, a demo spam: whorld's X-CMAE-Score header to add" python3 - "$tmp/spam.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
add = r.get("milter", {}).get("add_headers", {})
v = add.get("X-CMAE-Score", {})
v = v.get("value") if isinstance(v, dict) else v
sys.exit(0 if v and 50 <= int(v) <= 100 and "X-CMAE-Analysis" in add else 1)
PY
check "rspamd logged whorld's analysis" grep -q 'cloudmark report string: .*d=sigs:1.1' "$r/log/rspamd.log"
scan ham "$demo/scan/legit-new-family.eml"
check "rspamc, a demo ham: scanned (rspamd's answer)" grep -q '^Action: ' "$tmp/ham.txt"
check "rspamc, a demo ham: no CLOUDMARK_SPAM, no CLOUDMARK_FAIL" \
	sh -c '! grep -q "CLOUDMARK_SPAM\|CLOUDMARK_FAIL" "$1"' _ "$tmp/ham.txt"
check "rspamd read whorld's max message size at start (its first request)" \
	grep -q 'set maximum message size set to 10485760 bytes' "$r/log/rspamd.log"
check "whorld answered both on /score/v2/message" \
	[ "$(grep -c '/score/v2/message: ' "$tmp/whorld.log")" -ge 2 ]

stop_pid "$wpid"
wpid=""
scan down "$demo/scan/spam-pharma-v2.eml"
check "rspamc, whorld down: CLOUDMARK_FAIL, no CLOUDMARK_SPAM" \
	sh -c 'grep -q "^Symbol: CLOUDMARK_FAIL" "$1" && ! grep -q CLOUDMARK_SPAM "$1"' _ "$tmp/down.txt"

check "docs/INTEGRATION.md has integrations/rspamd/external_services.conf verbatim" \
	python3 -c 'import sys; sys.exit(0 if open(sys.argv[1]).read() in open(sys.argv[2]).read() else 1)' \
	"$snippet" "$top/docs/INTEGRATION.md"

check "rspamd stopped on SIGTERM (20 s at most)" stop_pid "$rpid"
if [ "$fails" -ne 0 ]; then
	cat "$tmp"/spam.txt "$tmp"/ham.txt "$tmp"/down.txt "$tmp/whorld.log"
	grep -i 'cloudmark\|error' "$r/log/rspamd.log" | tail -20
fi
echo "whorld_rspamd: $fails failed"
[ "$fails" -eq 0 ]
