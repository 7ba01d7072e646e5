#!/bin/sh
# milter_control.sh - whorlctl against whorl-milter's control socket (the
# same libwhorl server whorld answers with), behind a real Postfix 3.7
# (tests/integration/lib/postfix.sh) on the milter's unix socket. Proves:
# whorlctl -c whorl-milter.cfg finds the socket; version names
# whorl-milter and the cartridge; stats is the cartridge's snapshot; while
# 3 SMTP clients send hams and spams without pause (5 messages per SMTP
# session, so milter connections stay open across the changes), 20 swaps
# between two echo cartridges and 6 reloads (alternating "header names",
# whorl / cloudmark) leave 0 failed messages: every ham is accepted and
# delivered with exactly one score header, every spam is rejected 550
# 5.7.1; status counts the swaps, reloads and actions; a reloaded setting
# applies to the next message; a broken configuration or an incompatible
# cartridge is refused (exit 1) and the running one stays. Servers on
# 127.0.0.1 and in a temp dir, stopped by PID (postfix -c DIR stop).
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
milter="$top/$build/sbin/whorl-milter"
ctl="$bin/whorlctl"
carts="$top/$build/tests/cartridges"
need_files "$milter" "$ctl" "$carts/good_echo.so" "$carts/good_echo2.so" "$carts/bad_major.so"
need_commands postfix smtp-sink
[ "$(id -u)" -eq 0 ] || { echo "FAIL: postfix start needs root"; exit 1; }

. "$top/tests/integration/lib/postfix.sh"
tmp=$(mktemp -d /tmp/whorl_milter_control.XXXXXX) || exit 1
chmod 755 "$tmp"
mpid="" lpid=""
trap 'postfix_stop; for p in $mpid $lpid; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/etc"
sock="$tmp/control"

# milter_cfg HEADER_NAMES: whorl-milter.cfg with that "header names".
milter_cfg() {
	cat > "$tmp/whorl-milter.cfg" <<CFG
milter socket = unix:$tmp/milter.sock
unix socket mode = 0666
control socket = $sock
cartridge = $carts/good_echo.so
cartridge config dir = $tmp/etc
header names = $1
CFG
}
milter_cfg whorl
"$milter" -c "$tmp/whorl-milter.cfg" 2>>"$tmp/milter.log" &
mpid=$!
for _ in $(seq 100); do [ -S "$sock" ] && [ -S "$tmp/milter.sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || { echo "FAIL: whorl-milter did not start"; cat "$tmp/milter.log"; exit 1; }
postfix_start "unix:$tmp/milter.sock"
postfix_no_tarpit

out=$("$ctl" -c "$tmp/whorl-milter.cfg" version); rc=$?
check "version via -c whorl-milter.cfg: exit 0, Momentum's lines first" \
	sh -c '[ "$2" -eq 0 ] && [ "$(printf "%s\n" "$1" | head -2 | tr "\n" "|")" = "CmaeVersion = \"0.1.0\"|CmaeCartridgeVersion = \"whorl-test-echo 1.0\"|" ]' _ "$out" "$rc"
check "version names whorl-milter and the cartridge's hash" \
	sh -c 'printf "%s" "$1" | grep -q "^whorl-milter = \"0.1.0\"$" &&
	       printf "%s" "$1" | grep -q "^cartridge hash = \"[0-9a-f]\{64\}\"$"' _ "$out"
out=$("$ctl" -s "$sock" stats); rc=$?
check "stats: the cartridge's snapshot" sh -c '[ "$2" -eq 0 ] && printf "%s" "$1" | grep -q "^messages scored = "' _ "$out" "$rc"
check "control socket is mode 0600" [ "$(stat -c %a "$sock")" = 600 ]

# The load: 3 clients, 5 messages per SMTP session, ham and spam in turn,
# until $tmp/load.stop appears (90 s bound). Hams' markers go to load.ham.
python3 - "$smtp_port" "$tmp/load" <<'PY' &
import os, smtplib, sys, threading, time
port, base = int(sys.argv[1]), sys.argv[2]
stop = time.time() + 90
lock = threading.Lock()
res = {"ham": 0, "spam": 0, "bad": 0}
hams, errors = [], []
def run(t):
    i = 0
    while time.time() < stop and not os.path.exists(base + ".stop"):
        try:
            s = smtplib.SMTP("127.0.0.1", port, timeout=30)
            s.ehlo("client.example")
            for _ in range(5):
                i += 1
                mark = "t%d-%d" % (t, i)
                spam = i % 2 == 0
                msg = ("X-Whorl-Test: %s\r\nSubject: load %s\r\n%s\r\nbody %s\r\n" %
                       (mark, mark, "X-Test-Spam: yes\r\n" if spam else "", mark)).encode()
                try:
                    s.sendmail("sender@example.net", ["user@example.org"], msg)
                    kind = "bad" if spam else "ham"
                    err = "spam accepted"
                except smtplib.SMTPDataError as e:
                    ok = spam and e.smtp_code == 550 and b"5.7.1" in e.smtp_error
                    kind, err = ("spam" if ok else "bad"), "%d %r" % (e.smtp_code, e.smtp_error)
                with lock:
                    res[kind] += 1
                    if kind == "ham":
                        hams.append(mark)
                    if kind == "bad":
                        errors.append("%s: %s" % (mark, err))
            s.quit()
        except (OSError, smtplib.SMTPException) as e:
            with lock:
                res["bad"] += 1
                errors.append("session: %r" % e)
th = [threading.Thread(target=run, args=(t,)) for t in range(3)]
for x in th: x.start()
for x in th: x.join()
open(base + ".ham", "w").write("".join(m + "\n" for m in hams))
open(base + ".err", "w").write("".join(m + "\n" for m in errors))
open(base + ".out", "w").write("ham=%d spam=%d bad=%d\n" % (res["ham"], res["spam"], res["bad"]))
PY
lpid=$!
sleep 1
swap_fail=0 reload_fail=0
for i in $(seq 1 10); do
	"$ctl" -s "$sock" swap "$carts/good_echo2.so" >/dev/null || swap_fail=$((swap_fail + 1))
	sleep 0.2
	"$ctl" -s "$sock" swap "$carts/good_echo.so" >/dev/null || swap_fail=$((swap_fail + 1))
	if [ $((i % 2)) -eq 0 ]; then
		[ $((i % 4)) -eq 0 ] && milter_cfg whorl || milter_cfg cloudmark
		"$ctl" -c "$tmp/whorl-milter.cfg" reload || reload_fail=$((reload_fail + 1))
	fi
	sleep 0.2
done
milter_cfg cloudmark
"$ctl" -s "$sock" reload || reload_fail=$((reload_fail + 1))
sleep 0.5
touch "$tmp/load.stop"
wait "$lpid"; lpid=""
check "20 swaps under load: all succeeded ($swap_fail failed)" [ "$swap_fail" -eq 0 ]
check "6 reloads under load: all succeeded ($reload_fail failed)" [ "$reload_fail" -eq 0 ]
check "load: 0 failed messages ($(cat "$tmp/load.out"); $(head -3 "$tmp/load.err" | tr '\n' ' '))" \
	sh -c 'grep -q " bad=0$" "$1" && ! grep -q "ham=0 " "$1" && ! grep -q "spam=0 " "$1"' _ "$tmp/load.out"
n_ham=$(wc -l < "$tmp/load.ham")
# Every accepted ham reaches smtp-sink (30 s at most) with one score
# header; prints "missing=M badhdr=B".
res=$(python3 - "$tmp/load.ham" "$tmp/sink" <<'PY'
import glob, re, sys, time
want = set(open(sys.argv[1]).read().split())
seen = {}
for _ in range(300):
    for f in glob.glob(sys.argv[2] + "/*"):
        if f in seen:
            continue
        try:
            text = open(f, errors="replace").read()
        except OSError:
            continue
        m = re.search(r"^X-Whorl-Test: (\S+)$", text, re.M)
        if m:
            seen[f] = (m.group(1), len(re.findall(r"^X-(Whorl|CMAE)-Score: 5$", text, re.M)))
    got = {mark: n for mark, n in seen.values()}
    if want <= set(got):
        break
    time.sleep(0.1)
print("missing=%d badhdr=%d" % (len(want - set(got)), sum(1 for m in want if got.get(m, 1) != 1)))
PY
)
check "load: all $n_ham hams delivered, each with exactly one score header ($res)" \
	[ "$res" = "missing=0 badhdr=0" ]

out=$("$ctl" -s "$sock" status); rc=$?
check "status: swaps = 20, reloads = 6, failed = 0" \
	sh -c '[ "$2" -eq 0 ] && printf "%s" "$1" | grep -q "^swaps = 20$" &&
	       printf "%s" "$1" | grep -q "^reloads = 6$" && printf "%s" "$1" | grep -q "^failed = 0$"' _ "$out" "$rc"
check "status: actions counted (headers for hams, reject for spams)" \
	sh -c 'h=$(printf "%s" "$1" | sed -n "s/^action headers = //p"); r=$(printf "%s" "$1" | sed -n "s/^action reject = //p");
	       [ "${h:-0}" -ge "$2" ] && [ "${r:-0}" -ge 1 ]' _ "$out" "$n_ham"
check "reload logged with the cartridge's reload" grep -q "CONFIG: reloaded .*whitelists: " "$tmp/milter.log"

# The last reload chose Cloudmark's header names: the next ham has them.
python3 - "$smtp_port" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.sendmail("sender@example.net", ["user@example.org"], b"X-Whorl-Test: after-reload\r\nSubject: x\r\n\r\nbody\r\n")
s.quit()
PY
for _ in $(seq 100); do
	f=$(grep -l "^X-Whorl-Test: after-reload" "$tmp"/sink/* 2>/dev/null | head -1)
	[ -n "$f" ] && break
	sleep 0.1
done
check "a reloaded setting applies to the next message (X-CMAE-Score)" \
	sh -c '[ -n "$1" ] && grep -q "^X-CMAE-Score: 5$" "$1" && ! grep -q "^X-Whorl-Score" "$1"' _ "${f:-}"

echo "header names = neither" >> "$tmp/whorl-milter.cfg"
"$ctl" -s "$sock" reload 2>"$tmp/reload.err"; rc=$?
check "reload of a broken configuration: refused, exit 1" sh -c '[ "$1" -eq 1 ] && grep -q "reload refused" "$2"' _ "$rc" "$tmp/reload.err"
"$ctl" -s "$sock" swap "$carts/bad_major.so" 2>"$tmp/swap.err"; rc=$?
check "swap to an incompatible cartridge: refused, exit 1, names the ABI" \
	sh -c '[ "$1" -eq 1 ] && grep -q "ABI major" "$2"' _ "$rc" "$tmp/swap.err"
out=$("$ctl" -s "$sock" status)
check "after both refusals: same cartridge, reloads and swaps unchanged" \
	sh -c 'printf "%s" "$1" | grep -q "^CmaeCartridgeVersion = \"whorl-test-echo 1.0\"$" &&
	       printf "%s" "$1" | grep -q "^reloads = 6$" && printf "%s" "$1" | grep -q "^swaps = 20$"' _ "$out"

kill "$mpid"; wait "$mpid"; rc=$?; mpid=""
check "SIGTERM: exit 0, control socket removed" [ "$rc" -eq 0 -a ! -e "$sock" ]
"$ctl" -s "$sock" version 2>/dev/null; rc=$?
check "whorl-milter down: whorlctl exits 2" [ "$rc" -eq 2 ]

echo "milter_control: $fails failed"
[ "$fails" -eq 0 ] || { echo "--- milter"; grep -E "ERROR|WARN" "$tmp/milter.log" | tail; echo "--- maillog"; tail -10 "$tmp/pf/maillog"; exit 1; }
