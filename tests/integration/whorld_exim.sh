#!/bin/sh
# whorld_exim.sh - Exim 4.96 (Debian's exim4-daemon-heavy, unpacked by
# scripts/deps.sh because it cannot be installed beside Postfix) asking a
# real whorld through its "spam =" ACL condition, with the snippets of
# integrations/exim/ that docs/INTEGRATION.md prints: spamd_address in the
# default form (REPORT SPAMC/1.2) and in the variant=rspamd form (CHECK
# RSPAMC/1.3), and the default form over whorld's unix socket (reached
# through its group, as Debian-exim would). swaks sends a demo spam (550,
# nothing queued) and a demo ham (250, queued with X-Whorl-Score); with
# whorld stopped, the defer (451).
# Each Exim daemon runs in the foreground on 127.0.0.1 and a free port with
# its own configuration, spool and logs in a temp dir; libnss_wrapper gives
# it the "Debian-exim" user it was built for. Everything stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
whorld="$top/$build/sbin/whorld"
exim_root=${WHORL_EXIM_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/whorl-exim/root}
exim="$exim_root/usr/sbin/exim4"
snip="$top/integrations/exim"
need_files "$whorld" "$cart" "$bin/whorl-keygen" "$bin/whorl-publish"
[ -x "$exim" ] || { echo "FAIL: $exim missing (scripts/deps.sh unpacks exim4-daemon-heavy)"; exit 1; }
command -v swaks >/dev/null || { echo "FAIL: swaks missing (scripts/deps.sh)"; exit 1; }
nss_wrapper=/usr/lib/x86_64-linux-gnu/libnss_wrapper.so
[ -e "$nss_wrapper" ] || nss_wrapper=$(find /usr/lib* -name libnss_wrapper.so 2>/dev/null | head -1)
[ -n "$nss_wrapper" ] || { echo "FAIL: libnss_wrapper.so missing (scripts/deps.sh: libnss-wrapper)"; exit 1; }

net_tmp whorld_exim
wpid=""
trap 'for p in $pids $wpid; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

# The real cartridge on the demo set, behind whorld's spamd listener.
# Exim's user reaches the unix socket through its group (as Debian-exim would).
egroup=$(getent group "$( [ "$(id -u)" -eq 0 ] && echo 65534 || id -g)" | cut -d: -f1)
demo_spamd_more=", unix:$tmp/whorld.sock"
demo_whorld "unix socket group = $egroup
unix socket mode = 0660"

# Exim was built to run as Debian-exim and refuses uid 0 for it: as root,
# nobody's uid stands in; otherwise the caller's own uid.
euid=$(id -u)
egid=$(id -g)
[ "$euid" -eq 0 ] && euid=65534 egid=65534
printf 'root:x:0:0:root:/root:/bin/sh\nDebian-exim:x:%s:%s:Exim:%s:/bin/false\n' \
	"$euid" "$egid" "$tmp" > "$tmp/passwd"
printf 'root:x:0:\nDebian-exim:x:%s:\n' "$egid" > "$tmp/group"

# start_exim NAME PORT SNIPPET: an Exim daemon in $tmp/NAME on PORT
# whose spamd_address is the SNIPPET file with the
# documented port replaced by whorld's.
start_exim() {
	d="$tmp/$1"
	mkdir -p "$d/spool" "$d/log"
	{
		cat <<CONF
# test-only settings: where Exim keeps its files, where it listens
primary_hostname = mx.whorl.test
spool_directory = $d/spool
log_file_path = $d/log/%slog
pid_file_path = $d/exim.pid
daemon_smtp_ports = $2
local_interfaces = 127.0.0.1
keep_environment =
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
queue_only = true
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data
CONF
		sed -e "s/ 10783 / $sport /" -e "s| /run/whorld/whorld.sock | $tmp/whorld.sock |" "$3"
		printf 'begin acl\nacl_check_rcpt:\n  accept\n'
		cat "$snip/acl_check_data.conf"
	} > "$d/exim.conf"
	[ "$(id -u)" -eq 0 ] && chown -R "$euid:$egid" "$d/spool" "$d/log"
	NSS_WRAPPER_PASSWD="$tmp/passwd" NSS_WRAPPER_GROUP="$tmp/group" LD_PRELOAD="$nss_wrapper" \
		"$exim" -C "$d/exim.conf" -bdf 2>>"$d/stderr" &
	pids="$pids $!"
	wait_alive "$2" "$!" 4 || { echo "FAIL: exim ($1) did not start"; cat "$d/stderr" "$d"/log/* 2>/dev/null; exit 1; }
}
# send NAME PORT MESSAGE: swaks's transcript in $tmp/NAME.swaks.
send() {
	swaks --server "127.0.0.1:$2" --helo client.example.org --from sender@example.org \
		--to user@example.net --data "$3" --timeout 60 > "$tmp/$1.swaks" 2>&1
}
# replied NAME PATTERN: the server's answer to the message (after DATA's 354).
replied() { sed -n '/^<- *354 /,$p' "$tmp/$1.swaks" | grep -Eq "$2"; }
queued() { find "$tmp/$1/spool/input" -name '*-H' 2>/dev/null | wc -l; }

port_default=$(free_port)
start_exim default "$port_default" "$snip/spamd_address.conf"
port_rspamd=$(free_port)
start_exim rspamd "$port_rspamd" "$snip/spamd_address_rspamd.conf"
port_unix=$(free_port)
start_exim unix "$port_unix" "$snip/spamd_address_unix.conf"
spam="$demo/scan/spam-pharma-v2.eml"
ham="$demo/scan/legit-new-family.eml"

for v in default rspamd unix; do
	eval "p=\$port_$v"
	send "$v-spam" "$p" "$spam"
	check "exim $v: spam rejected with 550 5.7.1 and whorl's score" \
		replied "$v-spam" '^<\*\* *550 5\.7\.1 Rejected as abuse by whorl \(score [0-9]+\.[0-9]\)'
	check "exim $v: nothing queued for the spam" [ "$(queued "$v")" -eq 0 ]
	send "$v-ham" "$p" "$ham"
	check "exim $v: ham accepted with 250" replied "$v-ham" '^<- *250 OK id='
	check "exim $v: the queued ham carries X-Whorl-Score" \
		sh -c 'test "$(find "$1/spool/input" -name "*-H" | wc -l)" -eq 1 && grep -q "X-Whorl-Score: [0-9]" "$1"/spool/input/*-H' _ "$tmp/$v"
done
check "whorld saw Exim's REPORT SPAMC/1.2" grep -q 'REPORT SPAMC' "$tmp/whorld.log"
check "whorld saw Exim's CHECK RSPAMC/1.3" grep -q 'CHECK RSPAMC' "$tmp/whorld.log"
check "whorld saw Exim on its unix socket" grep -q 'REPORT SPAMC from unix: Y' "$tmp/whorld.log"

# whorld down: the spam condition defers, the sender keeps the message.
stop_pid "$wpid"
wpid=""
for v in default rspamd unix; do
	eval "p=\$port_$v"
	send "$v-down" "$p" "$ham"
	check "exim $v, whorld down: 451 temporary failure" \
		replied "$v-down" '^<\*\* *451 Temporary local problem'
	check "exim $v, whorld down: logged as all spamd servers failed" \
		grep -q 'spam acl condition: all spamd servers failed' "$tmp/$v/log/mainlog"
	check "exim $v, whorld down: nothing more queued" [ "$(queued "$v")" -eq 1 ]
done

# docs/INTEGRATION.md prints these snippets as they are.
for f in "$snip"/*.conf; do
	check "docs/INTEGRATION.md has ${f#"$top"/} verbatim" \
		python3 -c 'import sys; sys.exit(0 if open(sys.argv[1]).read() in open(sys.argv[2]).read() else 1)' \
		"$f" "$top/docs/INTEGRATION.md"
done

if [ "$fails" -ne 0 ]; then
	for f in "$tmp"/*.swaks; do echo "== $f"; sed -n '/^ -> DATA/,$p' "$f" | grep -v '^ -> [^.Q]' ; done
	cat "$tmp/whorld.log" "$tmp"/*/log/mainlog "$tmp"/*/stderr 2>/dev/null | tail -40
fi
echo "whorld_exim: $fails failed"
[ "$fails" -eq 0 ]
