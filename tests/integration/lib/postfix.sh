# postfix.sh - a private Postfix 3.7 for the milter and spamc
# drivers and bench (demo_gateway is in common.sh); sourced after
# common.sh, never run alone. postfix_start MILTERS starts smtp-sink (each
# delivered message a file in $tmp/sink/) and Debian's Postfix with its own
# configuration directory $tmp/pf/etc (postfix -c: inet_interfaces =
# 127.0.0.1, smtpd on the free port $smtp_port, chroot off, relaying
# example.org to smtp-sink on $sink_port, the milter lines of
# integrations/postfix/main.cf with smtpd_milters = MILTERS). Needs
# root (postfix start) and $tmp readable by the postfix user. postfix_stop
# stops both; call it from the driver's exit trap.

postfix_start() {
	smtp_port=$(free_port) sink_port=$(free_port)
	mkdir -p "$tmp/sink" "$tmp/pf/etc" "$tmp/pf/queue" "$tmp/pf/data"
	chmod 777 "$tmp/sink"
	chown postfix "$tmp/pf/data"
	smtp-sink -u nobody -d "$tmp/sink/%H%M%S." "127.0.0.1:$sink_port" 64 2>"$tmp/sink.log" &
	sink_pid=$!
	wait_port "$sink_port" || { echo "FAIL: smtp-sink did not start"; exit 1; }
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
CF
	# The milter lines are integrations/postfix/main.cf, which
	# docs/INTEGRATION.md prints, with the milter's address put in.
	sed "s|inet:127.0.0.1:8890|$1|" "$top/integrations/postfix/main.cf" >> "$tmp/pf/etc/main.cf"
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
	if ! postfix -c "$tmp/pf/etc" start >/dev/null 2>&1; then
		# Before postlogd runs, the postfix command's own errors
		# reach only maillog_file = /dev/stdout.
		postconf -c "$tmp/pf/etc" -e maillog_file=/dev/stdout
		echo "FAIL: postfix start"; postfix -c "$tmp/pf/etc" start 2>&1 | tail -5; exit 1
	fi
	pf_up=1
	wait_port "$smtp_port" || { echo "FAIL: postfix smtpd did not listen"; tail "$tmp/pf/maillog"; exit 1; }
}

# postfix_set KEY=VALUE: changes main.cf and reloads Postfix.
postfix_set() {
	postconf -c "$tmp/pf/etc" -e "$1" && postfix -c "$tmp/pf/etc" reload >/dev/null 2>&1
	sleep 1
}

# postfix_no_tarpit: rejected messages count as SMTP errors; Postfix's
# tarpit after 10 of them (1 s per reply) would slow a load or be timed
# instead of the milter. Reloads Postfix.
postfix_no_tarpit() {
	postconf -c "$tmp/pf/etc" -e smtpd_error_sleep_time=0 smtpd_soft_error_limit=100000 \
		smtpd_hard_error_limit=100000
	postfix_set "smtpd_junk_command_limit=100000"
}

postfix_stop() {
	[ -n "${pf_up:-}" ] && postfix -c "$tmp/pf/etc" stop >/dev/null 2>&1
	[ -n "${sink_pid:-}" ] && kill "$sink_pid" 2>/dev/null
	pf_up="" sink_pid=""
}

# delivered WORD: waits (15 s at most) for a message containing WORD in
# smtp-sink's dumps ($tmp/sink) and prints its file name.
delivered() {
	for _ in $(seq 150); do
		f=$(grep -l -- "$1" "$tmp"/sink/* 2>/dev/null | head -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}

# with_marker FILE WORD: a copy of FILE with "X-Whorl-Test: WORD" on top.
with_marker() { { printf 'X-Whorl-Test: %s\n' "$2"; cat "$1"; } > "$tmp/$2.eml"; echo "$tmp/$2.eml"; }
