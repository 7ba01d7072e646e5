#!/bin/sh
# whorlctl.sh - whorlctl against whorld's control socket: version (Momentum's
# "cloudmark version" lines plus whorl's names), status, stats, reload,
# update-now, a refused swap (the running cartridge stays), access by file
# permissions (mode 0600; another user is refused), and 100 hot swaps
# between two echo cartridges while 4 clients scan without pause: no
# request may fail. Servers on 127.0.0.1 and in a temp dir, stopped by PID.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
whorld="$top/$build/sbin/whorld"
ctl="$top/$build/bin/whorlctl"
carts="$top/$build/tests/cartridges"
need_files "$whorld" "$ctl" "$carts/good_echo.so" "$carts/good_echo2.so" "$carts/bad_major.so"

whorld_tmp whorlctl
port=$(free_port)
sock="$tmp/control"
cat > "$tmp/whorld.cfg" <<CFG
spamd listen = 127.0.0.1:$port
cartridge = $carts/good_echo.so
cartridge config dir = $tmp/etc
control socket = $sock
threads = 2
queue size = 256
CFG
"$whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/whorld.log" &
wpid=$!
wait_port "$port" || { echo "FAIL: whorld did not start"; cat "$tmp/whorld.log"; exit 1; }

out=$("$ctl" -c "$tmp/whorld.cfg" version); rc=$?
check "version: exit 0" [ "$rc" -eq 0 ]
check "version: CmaeVersion and CmaeCartridgeVersion lines first" \
	[ "$(printf '%s\n' "$out" | head -2 | tr '\n' '|')" = 'CmaeVersion = "0.1.0"|CmaeCartridgeVersion = "whorl-test-echo 1.0"|' ]
check "version: whorl's names (whorld, cartridge path and hash)" \
	sh -c 'printf "%s" "$1" | grep -q "^cartridge hash = \"[0-9a-f]\{64\}\"$"' _ "$out"
out=$("$ctl" -s "$sock" status); rc=$?
check "status: uptime, requests, queue depth" \
	sh -c '[ "$2" -eq 0 ] && printf "%s" "$1" | grep -q "^queue depth = 0$" && printf "%s" "$1" | grep -q "^uptime seconds = "' _ "$out" "$rc"
out=$("$ctl" -s "$sock" stats); rc=$?
check "stats: the cartridge's snapshot" sh -c '[ "$2" -eq 0 ] && printf "%s" "$1" | grep -q "^messages scored = "' _ "$out" "$rc"
"$ctl" -s "$sock" reload; rc=$?
check "reload: exit 0 and logged" sh -c '[ "$1" -eq 0 ] && grep -q "CONFIG: reloaded" "$2"' _ "$rc" "$tmp/whorld.log"
check "socket is mode 0600" [ "$(stat -c %a "$sock")" = 600 ]
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl" -s "$sock" version > /dev/null 2> "$tmp/nobody.err"; rc=$?
	check "another user is refused (exit $rc: $(cat "$tmp/nobody.err"))" [ "$rc" -eq 2 ]
fi
"$ctl" -s "$sock" swap "$carts/bad_major.so" 2> "$tmp/bad.err"; rc=$?
check "swap to an incompatible cartridge: refused, exit 1" [ "$rc" -eq 1 ]
check "swap refused: the reason names the ABI" grep -q "ABI major" "$tmp/bad.err"
check "swap refused: the running cartridge stays" \
	sh -c '"$1" -s "$2" version | grep -q "^CmaeCartridgeVersion = \"whorl-test-echo 1.0\"$"' _ "$ctl" "$sock"

# 100 swaps under load: 4 clients scan the whole time; every answer must be OK.
python3 - "127.0.0.1:$port" "$tmp/load.out" <<'PY' &
import os, socket, sys, threading, time
host, port = sys.argv[1].rsplit(":", 1)
msg = b"Subject: x\nX-Test-Spam: yes\n\nbody\n"
req = b"CHECK SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(msg) + msg
stop = time.time() + 60  # a bound; the driver stops it after the swaps
counts = {"ok": 0, "bad": 0}
lock = threading.Lock()
def run():
    while time.time() < stop:
        try:
            s = socket.create_connection((host, int(port)), 10)
            s.sendall(req); s.shutdown(socket.SHUT_WR)
            r = b""
            while True:
                c = s.recv(4096)
                if not c: break
                r += c
            s.close()
            ok = r.startswith(b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 90.0 / 50.0")
        except OSError:
            ok = False
        with lock:
            counts["ok" if ok else "bad"] += 1
        if os.path.exists(sys.argv[2] + ".stop"):
            break
t = [threading.Thread(target=run) for _ in range(4)]
for x in t: x.start()
for x in t: x.join()
open(sys.argv[2], "w").write("ok=%d bad=%d\n" % (counts["ok"], counts["bad"]))
PY
lpid=$!
sleep 0.5
swap_fail=0
for i in $(seq 1 50); do
	"$ctl" -s "$sock" swap "$carts/good_echo2.so" > /dev/null || swap_fail=$((swap_fail + 1))
	"$ctl" -s "$sock" swap "$carts/good_echo.so" > /dev/null || swap_fail=$((swap_fail + 1))
done
echo stop > "$tmp/load.out.stop"
wait "$lpid"
check "100 swaps under load: every swap succeeded ($swap_fail failed)" [ "$swap_fail" -eq 0 ]
check "100 swaps under load: no failed request ($(cat "$tmp/load.out"))" \
	sh -c 'grep -q " bad=0$" "$1" && ! grep -q "^ok=0 " "$1"' _ "$tmp/load.out"
out=$("$ctl" -s "$sock" status)
check "status counts the swaps" sh -c 'printf "%s" "$1" | grep -q "^swaps = 100$"' _ "$out"
kill "$wpid"; wait "$wpid"; rc=$?; wpid=""
check "SIGTERM: exit 0, control socket removed" [ "$rc" -eq 0 -a ! -e "$sock" ]
"$ctl" -s "$sock" version 2>/dev/null; rc=$?
check "whorld down: whorlctl exits 2" [ "$rc" -eq 2 ]

echo "whorlctl: $fails failed"
[ "$fails" -eq 0 ]
