#!/bin/sh
# milter_latency.sh - the time whorl-milter adds to an SMTP transaction
# through a real Postfix 3.7 (tests/integration/lib/postfix.sh): N demo
# messages (hams and spams of etc/demo/scan/, in turn) sent by one Python
# smtplib client over one connection, MAIL FROM to the reply after DATA
# timed per message, first with the milter (real cartridge, demo set),
# then with smtpd_milters emptied and Postfix reloaded, in the same run.
# Prints p50/p99/max for both; a figure, not a pass/fail test.
#   sh tests/bench/milter_latency.sh [N]     (default 200; run as root)
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
. "$top/tests/integration/lib/postfix.sh"
n=${1:-200}
milter="$top/$build/sbin/whorl-milter"
need_files "$milter" "$bin/whorl-keygen" "$bin/whorl-publish" "$cart"
tmp=$(mktemp -d /tmp/whorl_milter_latency.XXXXXX) || exit 1
chmod 755 "$tmp"
mpid=""
trap 'postfix_stop; [ -n "$mpid" ] && kill $mpid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
milter_port=$(free_port)
demo_gateway "$tmp/etc"
# The milter on TCP and on a unix socket at once is not possible (one
# libmilter socket per process): two milters, the same configuration.
start_milter() { # start_milter SOCKET
	printf 'milter socket = %s\nunix socket mode = 0666\ncartridge = %s\ncartridge config dir = %s\nlog level = warn\n' \
		"$1" "$cart" "$tmp/etc" > "$tmp/m$2.cfg"
	"$milter" -c "$tmp/m$2.cfg" 2>"$tmp/milter$2.log" &
	mpid="$mpid $!"
}
start_milter "inet:$milter_port@127.0.0.1" 1
start_milter "unix:$tmp/milter.sock" 2
wait_port "$milter_port" || { echo "whorl-milter did not start"; exit 1; }
for _ in $(seq 100); do [ -S "$tmp/milter.sock" ] && break; sleep 0.05; done
postfix_start "inet:127.0.0.1:$milter_port"
postfix_no_tarpit

# run LABEL: N transactions, figures printed.
run() {
	python3 - "$1" "$smtp_port" "$n" "$demo"/scan/*.eml <<'PY'
import smtplib, sys, time
label, port, n, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
msgs = [open(f, "rb").read() for f in files]
s = smtplib.SMTP("127.0.0.1", port, timeout=60)
s.ehlo("client.example")
times, acc, rej = [], [], []
for i in range(n):
    t0 = time.perf_counter()
    try:
        s.sendmail("sender@example.net", ["user@example.org"], msgs[i % len(msgs)])
        kind = acc
    except smtplib.SMTPResponseException:
        kind = rej
    ms = (time.perf_counter() - t0) * 1000
    times.append(ms)
    kind.append(ms)
s.quit()
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] if v else 0.0
print("%-16s n=%d  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms | accepted %d p50 %.2f ms | rejected %d p50 %.2f ms" %
      (label, n, pct(times, 0.50), pct(times, 0.99), max(times), len(acc), pct(acc, 0.5),
       len(rej), pct(rej, 0.5)))
PY
}
echo "milter_latency: $n transactions each, $(ls "$demo"/scan/*.eml | wc -l) demo messages in turn"
run "milter on TCP"
postfix_set "smtpd_milters=unix:$tmp/milter.sock"
run "milter on unix"
postfix_set "smtpd_milters="
run "without milter"
