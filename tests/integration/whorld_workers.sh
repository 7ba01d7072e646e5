#!/bin/sh
# whorld_workers.sh - crash containment with `workers = 2`: the master owns
# the listeners (TCP and a unix socket) and supervises two workers. Each
# worker's rollback record knows good_echo as the last viable cartridge
# (whorl-scan ran it cleanly in STATE/worker-K); whorlctl swaps both to the
# crash_on_marker cartridge. Then, while 2 spamc loops and 2 curl loops
# send ham without pause, messages carrying the marker crash workers until
# each worker's fourth start has rolled back to good_echo. Checks: every
# crash restarts the worker (logged), exactly 3 crashes per worker before
# its rollback (logged), a ham request fails only when it was in flight in
# a crashing worker (at most 4 per crash: 4 clients, one request each),
# ham is answered throughout, the marker is answered after the rollback,
# /metrics sums every worker, SIGHUP and whorlctl reload reach the workers,
# and SIGTERM stops all with status 0 and removes the unix socket. Then
# under systemd-socket-activate: the master adopts the socket, a worker
# killed with SIGKILL is replaced, the socket keeps answering.
# Servers on 127.0.0.1 and in a temp dir, stopped by PID; bounded waits.
set -u
. "${WHORL_SRCDIR:-.}/tests/integration/lib/common.sh"
whorld="$top/$build/sbin/whorld"
ctl="$top/$build/bin/whorlctl"
scan="$top/$build/bin/whorl-scan"
carts="$top/$build/tests/cartridges"
need_files "$whorld" "$ctl" "$scan" "$carts/good_echo.so" "$carts/crash_on_marker.so"
command -v spamc >/dev/null && command -v curl >/dev/null \
	|| { echo "FAIL: spamc and curl are needed (scripts/deps.sh)"; exit 1; }

tmp=$(mktemp -d /tmp/whorl_workers.XXXXXX) || exit 1
wpid=""
trap 'touch "$tmp/stop"; [ -n "$wpid" ] && kill "$wpid" 2>/dev/null; sleep 0.2; rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/etc" "$tmp/state/worker-1" "$tmp/state/worker-2" "$tmp/many"
printf 'Subject: hello\n\nhi there\n' > "$tmp/ham.eml"
printf 'Subject: boom\nX-Whorl-Crash: now\n\nbody\n' > "$tmp/crash.eml"

# good_echo becomes the last viable cartridge of each worker's record.
i=0
while [ $i -lt 300 ]; do cp "$tmp/ham.eml" "$tmp/many/$i.eml"; i=$((i + 1)); done
for k in 1 2; do
	"$scan" -j 1 --config-dir / --state-dir "$tmp/state/worker-$k" --trial-ms 1 \
		--cartridge "$carts/good_echo.so" "$tmp/many" > /dev/null 2>&1
	check "worker-$k record: good_echo is the last viable" \
		grep -q 'viable_hash [0-9a-f]' "$tmp/state/worker-$k/rollback"
done

port=$(free_port)
hport=$(free_port)
sock="$tmp/control"
cat > "$tmp/whorld.cfg" <<CFG
spamd listen = 127.0.0.1:$port, unix:$tmp/spamd.sock
http listen = 127.0.0.1:$hport
cartridge = $carts/good_echo.so
cartridge config dir = $tmp/etc
control socket = $sock
state dir = $tmp/state
cartridge trial = 1h
workers = 2
threads = 2
CFG
check "whorld -t: names the workers" \
	sh -c '"$1" -t -c "$2" | grep -q "^whorld: 2 worker processes of 2 threads each, rollback records in <state dir>/worker-K$"' _ "$whorld" "$tmp/whorld.cfg"
"$whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/whorld.log" &
wpid=$!
wait_port "$port" || { echo "FAIL: whorld did not start"; cat "$tmp/whorld.log"; exit 1; }
n=0
while ! grep -q "MASTER: whorld .* ready: 2 workers" "$tmp/whorld.log" && [ $n -lt 100 ]; do
	sleep 0.1; n=$((n + 1))
done
check "the master is ready with 2 workers" grep -q "ready: 2 workers" "$tmp/whorld.log"
check "spamc on the master's unix socket" \
	sh -c 'spamc -x -c -U "$1" < "$2" | grep -q "^5.0/50.0$"' _ "$tmp/spamd.sock" "$tmp/ham.eml"

"$ctl" -s "$sock" swap "$carts/crash_on_marker.so" > "$tmp/swap.out" 2>&1; rc=$?
check "whorlctl swap reaches both workers (exit $rc)" [ "$rc" -eq 0 ]
"$ctl" -s "$sock" status > "$tmp/status1" 2>&1
check "status: both workers run crash_on_marker" \
	[ "$(grep -c '^worker [12]: CmaeCartridgeVersion = "whorl-test-crash-on-marker"$' "$tmp/status1")" -eq 2 ]

# The ham load: real clients in loops until $tmp/stop (90 s at most).
spamc_loop() {
	end=$(($(date +%s) + 90))
	while [ ! -e "$tmp/stop" ] && [ "$(date +%s)" -lt "$end" ]; do
		out=$(spamc -x -c -d 127.0.0.1 -p "$port" < "$tmp/ham.eml" 2>/dev/null)
		[ "$out" = "5.0/50.0" ] && echo ok || echo "fail $out"
	done > "$1"
}
curl_loop() {
	end=$(($(date +%s) + 90))
	while [ ! -e "$tmp/stop" ] && [ "$(date +%s)" -lt "$end" ]; do
		out=$(curl -s -f -m 20 --data-binary @"$tmp/ham.eml" "http://127.0.0.1:$hport/v1/score")
		case $out in *'"score":5'*) echo ok ;; *) echo "fail $out" ;; esac
	done > "$1"
}
spamc_loop "$tmp/load.s1" & l1=$!
spamc_loop "$tmp/load.s2" & l2=$!
curl_loop "$tmp/load.c1" & l3=$!
curl_loop "$tmp/load.c2" & l4=$!
ham_ok() { cat "$tmp"/load.* 2>/dev/null | grep -c '^ok$'; }
n=0
while [ "$(ham_ok)" -lt 20 ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done

# Markers until both workers rolled back (at most 60).
rollbacks() { grep -c 'unclean starts; starting the last viable cartridge' "$tmp/whorld.log"; }
markers=0
ok_before=$(ham_ok)
while [ "$(rollbacks)" -lt 2 ] && [ $markers -lt 60 ]; do
	spamc -x -c -d 127.0.0.1 -p "$port" < "$tmp/crash.eml" > /dev/null 2>&1
	markers=$((markers + 1))
	sleep 0.2
done
# Ham answered since the crashes began (a bounded wait on a slow machine).
n=0
while [ "$(ham_ok)" -le "$ok_before" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
ok_during=$(($(ham_ok) - ok_before))
answered=0
for i in 1 2 3 4 5 6; do
	out=$(spamc -x -c -d 127.0.0.1 -p "$port" < "$tmp/crash.eml" 2>/dev/null)
	[ "$out" = "5.0/50.0" ] && answered=$((answered + 1))
done
touch "$tmp/stop"
wait $l1 $l2 $l3 $l4
crashes=$(grep -c 'was killed by signal 11 .*starting it again' "$tmp/whorld.log")
ham_total=$(cat "$tmp"/load.* | wc -l)
ham_failed=$(cat "$tmp"/load.* | grep -c '^fail')
echo "markers sent $markers, crashes $crashes, rollbacks $(rollbacks); ham: $ham_total sent, $ham_failed failed, $ok_during answered since the crashes began"
check "each worker rolled back to good_echo once (logged)" [ "$(rollbacks)" -eq 2 ]
check "3 crashes per worker before its rollback, each restarted (logged)" [ "$crashes" -eq 6 ]
check "ham answered since the crashes began" [ "$ok_during" -gt 0 ]
check "ham lost only in flight in a crashing worker ($ham_failed <= 4 x $crashes)" \
	[ "$ham_failed" -le $((4 * crashes)) ]
check "the marker is answered after the rollback (6 of 6)" [ "$answered" -eq 6 ]
for k in 1 2; do
	check "worker-$k record: crash_on_marker refused, unclean counter reset" \
		sh -c 'grep -q "^refused_hash [0-9a-f]" "$1" && grep -q "^unclean [01]$" "$1"' _ \
		"$tmp/state/worker-$k/rollback"
done
"$ctl" -s "$sock" status > "$tmp/status2" 2>&1
check "status: both workers back on good_echo" \
	[ "$(grep -c '^worker [12]: CmaeCartridgeVersion = "whorl-test-echo 1.0"$' "$tmp/status2")" -eq 2 ]
check "status: worker restarts = 6" grep -q '^worker restarts = 6$' "$tmp/status2"
curl -s "http://127.0.0.1:$hport/metrics" > "$tmp/metrics"
check "/metrics: whorld_worker_restarts_total 6" grep -q '^whorld_worker_restarts_total 6$' "$tmp/metrics"
spamd_total=$(sed -n 's/^whorld_requests_total{protocol="spamd"} //p' "$tmp/metrics")
check "/metrics sums the workers' spamd requests ($spamd_total)" [ "${spamd_total:-0}" -gt 12 ]

kill -HUP "$wpid"
n=0
while [ "$(grep -c 'CONFIG: reloaded' "$tmp/whorld.log")" -lt 3 ] && [ $n -lt 100 ]; do
	sleep 0.1; n=$((n + 1))
done
check "SIGHUP: the master and both workers reload" \
	[ "$(grep -c 'CONFIG: reloaded' "$tmp/whorld.log")" -ge 3 ]
"$ctl" -s "$sock" reload; rc=$?
check "whorlctl reload: exit 0 (every worker reloaded)" [ "$rc" -eq 0 ]
check "whorlctl stats: one snapshot per worker" \
	sh -c '"$1" -s "$2" stats | grep -c "^# worker [12]$" | grep -qx 2' _ "$ctl" "$sock"

kill "$wpid"
n=0
while kill -0 "$wpid" 2>/dev/null && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
wait "$wpid"; rc=$?
wpid=""
check "SIGTERM: master and workers stop, exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "SIGTERM: both workers exited cleanly" \
	[ "$(grep -c 'MASTER: worker [12] (pid [0-9]*) exited with status 0' "$tmp/whorld.log")" -eq 2 ]
check "the unix socket is removed" [ ! -e "$tmp/spamd.sock" ]
# Socket activation: the master adopts systemd's socket and the workers
# serve on it; a worker killed outright is replaced and the socket keeps
# answering.
if command -v systemd-socket-activate >/dev/null; then
	aport=$(free_port)
	sed -i "s/^spamd listen = .*/spamd listen = 127.0.0.1:1/; /^http listen/d; /^state dir/d" "$tmp/whorld.cfg"
	systemd-socket-activate -l "127.0.0.1:$aport" "$whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/act.log" &
	wpid=$!
	wait_port "$aport"
	# systemd-socket-activate starts whorld at the first connection.
	check "socket activation with workers: spamc answered" \
		sh -c '[ "$(spamc -x -c -d 127.0.0.1 -p "$1" < "$2")" = "5.0/50.0" ]' _ "$aport" "$tmp/ham.eml"
	check "socket activation with workers: the master adopts systemd's socket" \
		grep -q "listening on systemd socket 0 (socket activation)" "$tmp/act.log"
	victim=$(sed -n 's/.*MASTER: worker 1 started (pid \([0-9]*\)).*/\1/p' "$tmp/act.log" | tail -1)
	[ -n "$victim" ] && kill -KILL "$victim"
	n=0
	while [ "$(grep -c 'MASTER: worker 1 started' "$tmp/act.log")" -lt 2 ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	check "socket activation with workers: a worker killed by SIGKILL is replaced (logged)" \
		grep -q "worker 1 (pid $victim) was killed by signal 9" "$tmp/act.log"
	ok=0
	for i in 1 2 3 4 5 6; do
		[ "$(spamc -x -c -d 127.0.0.1 -p "$aport" < "$tmp/ham.eml")" = "5.0/50.0" ] && ok=$((ok + 1))
	done
	check "socket activation with workers: still answering after the kill ($ok of 6)" [ "$ok" -eq 6 ]
	kill "$wpid"; wait "$wpid"; rc=$?; wpid=""
	check "socket activation with workers: SIGTERM, exit 0 (got $rc)" [ "$rc" -eq 0 ]
else
	fail "systemd-socket-activate missing"
fi

[ "$fails" -eq 0 ] || { echo "--- whorld.log"; tail -40 "$tmp/whorld.log"; }
echo "whorld_workers: $fails failed"
[ "$fails" -eq 0 ]
