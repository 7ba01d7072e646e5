#!/bin/sh
# whorld_limits.sh - whorld's limits and bad input on the spamd protocol
# (and, in 7, HTTP's connection limit and whole-request timeout):
# garbage request lines, a lying Content-length (short body then EOF), a
# body over max message size (refused before it is read, never scanned in
# part), an idle client, a slowloris client, the connection limit, a full
# queue answered EX_TEMPFAIL at once, the request deadline, 2,000 idle
# connections while spamc is still served with bounded memory, and SIGTERM
# draining a scan in flight. Uses the slow_on_marker test cartridge
# (X-Whorl-Sleep-Ms: N makes a scan take N ms). All on 127.0.0.1.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
whorld="$top/$build/sbin/whorld"
slow_so="$top/$build/tests/cartridges/slow_on_marker.so"
raw="python3 $top/tests/integration/lib/spamd_raw.py"
need_files "$whorld" "$slow_so"

whorld_tmp whorld_limits
port=$(free_port)
addr="127.0.0.1:$port"

start_whorld() { # start_whorld [EXTRA CONFIG LINES]
	cat > "$tmp/whorld.cfg" <<CFG
spamd listen = $addr
cartridge = $slow_so
cartridge config dir = $tmp/etc
max message size = 64K
idle timeout = 1s
client timeout = 3s
$1
CFG
	"$whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/whorld.log" &
	wpid=$!
	wait_port "$port" || { echo "FAIL: whorld did not start"; cat "$tmp/whorld.log"; exit 1; }
}
stop_whorld() { kill "$wpid"; wait "$wpid"; rc_stop=$?; wpid=""; }
# request FILE CMD BODYFILE [CONTENT-LENGTH]: a spamd request into FILE.
request() {
	len=${4:-$(wc -c < "$3")}
	{ printf '%s SPAMC/1.5\r\nContent-length: %s\r\n\r\n' "$2" "$len"; cat "$3"; } > "$1"
}
first_line() { head -1 "$1" | tr -d '\r'; }
spamc_ok() { [ "$(spamc -d 127.0.0.1 -p "$port" -c < "$tmp/spam.eml")" = "90.0/50.0" ]; }

start_whorld "threads = 1
queue size = 2
max connections = 40
request deadline = 2s"

# 1. Garbage and lies.
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' > "$tmp/g1"
$raw send "$addr" "$tmp/g1" > "$tmp/o1"
check "garbage request line: 76 Bad header line" \
	[ "$(first_line "$tmp/o1")" = "SPAMD/1.0 76 Bad header line: (request line not 'COMMAND SPAMC/x.y')" ]
printf 'CHECK SPAMC/1.5\r\nno colon here\r\n\r\n' > "$tmp/g2"
$raw send "$addr" "$tmp/g2" > "$tmp/o2"
check "header without a colon: 76" grep -q "^SPAMD/1.0 76 Bad header line: (header not in 'Name: value' format)" "$tmp/o2"
head -c 1000 /dev/urandom > "$tmp/g3"
$raw send "$addr" "$tmp/g3" > "$tmp/o3"
check "random bytes: a 76 line or a closed connection, nothing else" \
	sh -c '[ ! -s "$1" ] || grep -q "^SPAMD/1.0 76 " "$1"' _ "$tmp/o3"
request "$tmp/l1" CHECK "$tmp/spam.eml" 500
$raw send "$addr" "$tmp/l1" > "$tmp/o4"
check "Content-length larger than the body, then EOF: 76 mismatch" \
	[ "$(first_line "$tmp/o4")" = "SPAMD/1.0 76 Bad header line: (Content-Length mismatch: Expected 500 bytes, got 35 bytes)" ]
request "$tmp/l2" CHECK "$tmp/spam.eml" 10
$raw send "$addr" "$tmp/l2" > "$tmp/o5"
check "Content-length shorter than the body: only that many bytes are the message" \
	grep -q "^Spam: False ; 5.0 / 50.0" "$tmp/o5"
head -c 70000 /dev/zero | tr '\0' 'a' > "$tmp/big"
request "$tmp/l3" CHECK "$tmp/big"
$raw send "$addr" "$tmp/l3" > "$tmp/o6"
check "body over max message size: 65 at once, no scan" \
	[ "$(first_line "$tmp/o6")" = "SPAMD/1.0 65 Message too large: Content-length 70000 exceeds max message size 65536" ]
{ printf 'CHECK SPAMC/1.5\r\n\r\n'; cat "$tmp/big"; } > "$tmp/l4"
$raw send "$addr" "$tmp/l4" > "$tmp/o7"
check "body over max message size without Content-length: 65" \
	grep -q "^SPAMD/1.0 65 Message too large" "$tmp/o7"
check "no scan was logged for any of them" [ "$(grep -c ' SPAMD: CHECK ' "$tmp/whorld.log")" -eq 1 ]

# 2. Slow and silent clients.
$raw send "$addr" "$tmp/l1" --no-halfclose > "$tmp/o8"
check "truncated body, socket left open: 79 after the idle timeout" \
	[ "$(first_line "$tmp/o8")" = "SPAMD/1.0 79 Timeout: (no data from the client for 1000 ms)" ]
$raw trickle "$addr" 300 1000 > "$tmp/o9"
check "slowloris (a byte every 300 ms): 79 after the client timeout" \
	grep -q "^SPAMD/1.0 79 Timeout: (request not received within 3000 ms)" "$tmp/o9"
check "slowloris: cut off after about 3 s" \
	python3 -c 'import re,sys; s=float(re.search(r"seconds=([0-9.]+)", open(sys.argv[1]).read()).group(1)); sys.exit(0 if 2.5 <= s <= 6 else 1)' "$tmp/o9"
check "still serving after all that" spamc_ok

# 3. The queue: 1 thread, queue of 2. Six slow scans at once: one running,
# two queued, three answered EX_TEMPFAIL at once.
printf 'Subject: slow\nX-Whorl-Sleep-Ms: 700\n\nx\n' > "$tmp/slow.eml"
request "$tmp/slow.req" CHECK "$tmp/slow.eml"
# 50 ms apart, so the thread has taken the first before the next arrives.
$raw parallel "$addr" "$tmp/slow.req" 6 50 > "$tmp/par.out"
check "queue full: 3 scanned" [ "$(grep -c '^SPAMD/1.1 0 EX_OK$' "$tmp/par.out")" -eq 3 ]
check "queue full: 3 answered 75 EX_TEMPFAIL" [ "$(grep -c '^SPAMD/1.0 75 EX_TEMPFAIL Busy, try later$' "$tmp/par.out")" -eq 3 ]
# The deadline (2 s): with one thread, the third of three 1400 ms scans
# would start 2.8 s after it arrived, the second 1.4 s after (margins of
# 0.6 s and more either side, so a loaded machine's late sends or slow
# wake-ups cannot move a request across the deadline; 1100 ms did once).
printf 'Subject: slow\nX-Whorl-Sleep-Ms: 1400\n\nx\n' > "$tmp/slower.eml"
request "$tmp/slower.req" CHECK "$tmp/slower.eml"
$raw parallel "$addr" "$tmp/slower.req" 3 50 > "$tmp/dl.out"
check "request deadline: the request that waited 2.8 s is answered 79, not scanned" \
	[ "$(grep -c '^SPAMD/1.0 79 Timeout: (request deadline of 2000 ms passed before the scan)$' "$tmp/dl.out")" -eq 1 ]

# 4. The connection limit (40): 40 idle connections, then one more.
python3 - "$addr" > "$tmp/limit.out" <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
held = [socket.create_connection((host, int(port)), 5) for _ in range(40)]
time.sleep(0.2)
extra = socket.create_connection((host, int(port)), 5)
print(extra.recv(200).decode().strip())
PY
check "connection 41 of 40: 75 Too many connections" \
	[ "$(cat "$tmp/limit.out")" = "SPAMD/1.0 75 EX_TEMPFAIL Too many connections" ]
sleep 1.2   # the idle timeout closes the 40
check "served again once the idle ones were closed" spamc_ok
stop_whorld

# 5. 2,000 idle connections: still serving, memory bounded.
start_whorld "max connections = 3000
idle timeout = 20s
client timeout = 30s"
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$wpid/status")
python3 - "$addr" "$port" "$wpid" "$tmp/spam.eml" > "$tmp/idle.out" <<'PY'
import socket, subprocess, sys, time
host, port = sys.argv[1].rsplit(":", 1)
held = [socket.create_connection((host, int(port)), 5) for _ in range(2000)]
time.sleep(0.5)
out = subprocess.run(["spamc", "-d", "127.0.0.1", "-p", sys.argv[2], "-c"],
                     stdin=open(sys.argv[4], "rb"), capture_output=True)
rss = [l.split()[1] for l in open("/proc/%s/status" % sys.argv[3]) if l.startswith("VmRSS")][0]
print("held=%d rss_kb=%s spamc=%s" % (len(held), rss, out.stdout.decode().strip()))
PY
rss1=$(sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' "$tmp/idle.out")
check "2,000 idle connections accepted" grep -q "^held=2000 " "$tmp/idle.out"
check "2,000 idle connections cost under 8 MiB (RSS $rss0 -> $rss1 kB)" [ $((rss1 - rss0)) -lt 8192 ]
check "spamc served while 2,000 idle connections are open" grep -q " spamc=90.0/50.0$" "$tmp/idle.out"
stop_whorld

# 6. SIGTERM while a scan runs: it is answered, then whorld exits 0.
start_whorld "drain timeout = 5s"
printf 'Subject: slow\nX-Whorl-Sleep-Ms: 1500\n\nx\n' > "$tmp/drain.eml"
spamc -d 127.0.0.1 -p "$port" -c < "$tmp/drain.eml" > "$tmp/drain.out" &
cpid=$!
sleep 0.5
stop_whorld
wait "$cpid"
check "SIGTERM drains: the scan in flight is answered" [ "$(cat "$tmp/drain.out")" = "5.0/50.0" ]
check "SIGTERM drains: exit 0" [ "$rc_stop" -eq 0 ]
check "SIGTERM: logged the drain" grep -q "stopping: draining 1 requests" "$tmp/whorld.log"

# 7. HTTP: past max connections a request is answered 503 (not just
# closed); a client trickling its head or body is cut within the client
# timeout (408 or a closed connection) while others are served.
hport=$(free_port)
start_whorld "http listen = 127.0.0.1:$hport
max connections = 4
idle timeout = 30s
client timeout = 30s"
wait_port "$hport" || { echo "FAIL: whorld HTTP did not start"; exit 1; }
python3 - "$hport" > "$tmp/http_limit.out" <<'PY'
import socket, sys
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port), 5) for _ in range(4)]
extra = socket.create_connection(("127.0.0.1", port), 10)
extra.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
got = b""
try:
    while True:
        c = extra.recv(4096)
        if not c: break
        got += c
except OSError as e:
    got += b"<%s>" % str(e).encode()
print(got.decode("latin-1").replace("\r", ""))
PY
check "HTTP connection 5 of 4: 503" grep -q "^HTTP/1.1 503 " "$tmp/http_limit.out"
check "HTTP 503: Retry-After and Connection: close" \
	sh -c 'grep -qi "^Retry-After: 1$" "$1" && grep -qi "^Connection: close$" "$1"' _ "$tmp/http_limit.out"
n=0
until curl -s -f -m 5 "http://127.0.0.1:$hport/ping" > /dev/null || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
check "HTTP served again once the 4 closed" curl -s -f -o /dev/null -m 5 "http://127.0.0.1:$hport/ping"
check "/metrics counts the refusal" \
	sh -c 'curl -s "http://127.0.0.1:$1/metrics" | grep -q "^whorld_refused_total{protocol=\"http\",reason=\"connections\"} 1$"' _ "$hport"
stop_whorld
start_whorld "http listen = 127.0.0.1:$hport
idle timeout = 30s
client timeout = 2s"
wait_port "$hport" || { echo "FAIL: whorld HTTP did not start"; exit 1; }
# trickle HEAD BODY: sends HEAD then BODY one byte every 300 ms (60 s of
# bytes) until the server answers or closes; prints what it got and how
# many bytes it sent.
cat > "$tmp/trickle.py" <<'PY'
import select, socket, sys, time
port, head, body = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()
s = socket.create_connection(("127.0.0.1", port), 10)
s.sendall(head)
sent, got = 0, b""
for b in body:
    r, _, _ = select.select([s], [], [], 0.3)
    if r:
        try:
            got = s.recv(4096) or b"<closed>"
        except OSError:
            got = b"<reset>"
        break
    try:
        s.send(bytes([b])); sent += 1
    except OSError:
        got = b"<reset>"
        break
print("sent=%d of %d got=%s" % (sent, len(body), got.decode("latin-1").split("\r")[0]))
PY
python3 "$tmp/trickle.py" "$hport" "$(printf 'POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n')" \
	"$(head -c 200 /dev/zero | tr '\0' 'a')" > "$tmp/tr_body.out" &
tb=$!
python3 "$tmp/trickle.py" "$hport" "" \
	"$(printf 'POST /v1/score HTTP/1.1\r\nHost: x\r\nX-Pad: %0150d\r\n\r\n' 0)" > "$tmp/tr_head.out" &
th=$!
n=0
while [ $n -lt 10 ] && curl -s -f -m 5 "http://127.0.0.1:$hport/ping" > /dev/null; do n=$((n + 1)); sleep 0.1; done
wait $tb $th
check "HTTP served while two clients trickle ($n of 10 pings)" [ "$n" -eq 10 ]
for w in body head; do
	check "HTTP client trickling its $w: cut before it finished (408 or closed: $(cat "$tmp/tr_$w.out"))" \
		sh -c 'grep -Eq "^sent=([0-9]+) of ([0-9]+) got=(HTTP/1.1 408 |<closed>|<reset>)" "$1" && ! grep -Eq "^sent=([0-9]+) of \1 " "$1"' _ "$tmp/tr_$w.out"
done
check "HTTP trickles counted as timeouts" \
	sh -c 'curl -s "http://127.0.0.1:$1/metrics" | grep -q "^whorld_timeouts_total [2-9]"' _ "$hport"
stop_whorld

echo "whorld_limits: $fails failed"
[ "$fails" -eq 0 ]
