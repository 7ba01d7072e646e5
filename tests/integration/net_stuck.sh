#!/bin/sh
# net_stuck.sh - stuck I/O never turns into an outage (issue 12, point 2).
# A gateway with a good set (1.1) in its cache meets:
#  A. a file:// mirror whose manifest is a FIFO (blocks like a hung mount),
#     with and without a writer holding it open: open, scan and close end
#  B. an HTTP mirror that accepts and never answers, with the default
#     `micro-update timeout` (60 s, longer than libwhorl's 30 s open deadline)
#     and `download micro-updates before init = yes`
#  C. an HTTP mirror that trickles a 64 KiB manifest at ~1,200 bytes/s (well
#     above the per-transfer low-speed limit: about 55 s for one file)
#  D. a cartridge.cfg that is a FIFO
# Each time the engine starts on the set on disk within a bounded time, and
# whorl-update --once ends within the cycle's time limit, saying so in the
# log. Every command runs under `timeout` so a regression fails, never hangs.
set -u
. "$(pwd)/tests/integration/lib/common.sh"
need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-update" "$bin/whorl-scan" "$cart"
net_tmp net_stuck
has() { printf '%s\n' "$1" | grep -q -- "$2"; }
field() { printf '%s\n' "$1" | sed -n "s/^$2 = //p"; }
now() { date +%s; }

"$bin/whorl-keygen" "$tmp/keys" >/dev/null
publish_demo >/dev/null
msg="$demo/publish/spam/spam-pharma.eml"

# gateway DIR URL [EXTRA LINES]: a configuration directory whose cache holds 1.1
gateway() {
	d=$1 url=$2; shift 2
	mkdir -p "$d"; cp "$top/etc/categories" "$d/"; cp "$tmp/keys/publisher.pub" "$d/"
	{ echo "micro-update url = file://$tmp/mirror"; } > "$d/cartridge.cfg"
	"$bin/whorl-update" --config-dir "$d" --cartridge "$cart" --once >/dev/null 2>&1 ||
		{ echo "FAIL: could not prepare $d"; exit 1; }
	{ echo "micro-update url = $url"; for l in "$@"; do echo "$l"; done; } > "$d/cartridge.cfg"
}
scan() { # scan DIR: whorl-scan of one spam message, at most 60 s
	timeout 60 "$bin/whorl-scan" --config-dir "$1" --cartridge "$cart" -j 1 -v "$msg" 2>"$tmp/scan.err"
}

# A. file:// manifest is a FIFO
cp -r "$tmp/mirror" "$tmp/fifo_mirror"; rm "$tmp/fifo_mirror/manifest"; mkfifo "$tmp/fifo_mirror/manifest"
gateway "$tmp/a" "file://$tmp/fifo_mirror"
t0=$(now); out=$(timeout 60 "$bin/whorl-update" --config-dir "$tmp/a" --cartridge "$cart" --once -v 2>&1); rc=$?; t=$(( $(now) - t0 ))
[ -n "${NET_DEBUG:-}" ] && printf '%s\n' "$out"
check "A fifo manifest: whorl-update ends (rc $rc, $t s)" [ "$rc" -eq 0 -a "$t" -lt 20 ]
check "A fifo manifest: 1.1 from disk" has "$out" 'mu sigs serial = 1.1'
check "A fifo manifest: the refusal is logged" has "$out" 'Could not update signatures from disk (.*/manifest'
t0=$(now); v=$(scan "$tmp/a"); rc=$?; t=$(( $(now) - t0 ))
check "A fifo manifest: whorl-scan starts and scores with 1.1 (rc $rc, $t s)" sh -c 'printf "%s" "$1" | grep -q "d=sigs:1.1"' _ "$v"
# open, scan and close (quiesce joins the update thread) all end in bounded
# time, also with a writer holding the FIFO open and never writing (where a
# blocking open or read would wait forever)
check "A fifo manifest: whorl-scan open + scan + close within 30 s (rc $rc, $t s)" [ "$rc" -eq 0 -a "$t" -lt 30 ]
sleep 300 > "$tmp/fifo_mirror/manifest" &
writer=$!
pids="$pids $writer"
t0=$(now); v=$(scan "$tmp/a"); rc=$?; t=$(( $(now) - t0 ))
check "A fifo manifest with an idle writer: whorl-scan open + scan + close within 30 s (rc $rc, $t s)" [ "$rc" -eq 0 -a "$t" -lt 30 ]
check "A fifo manifest with an idle writer: scores with 1.1" sh -c 'printf "%s" "$1" | grep -q "d=sigs:1.1"' _ "$v"
t0=$(now); out=$(timeout 60 "$bin/whorl-update" --config-dir "$tmp/a" --cartridge "$cart" --once -v 2>&1); rc=$?; t=$(( $(now) - t0 ))
check "A fifo manifest with an idle writer: whorl-update --once ends (rc $rc, $t s)" [ "$rc" -eq 0 -a "$t" -lt 20 ]
kill "$writer" 2>/dev/null

# B. an HTTP mirror that never answers, download before init, default timeout
port=$(free_port)
echo "hang /" > "$tmp/mode"
python3 "$top/tests/integration/hostile_server.py" "$port" "$tmp/mirror" "$tmp/mode" &
pids="$pids $!"
wait_port "$port" || { echo "FAIL: the hostile server did not start"; exit 1; }
gateway "$tmp/b" "http://127.0.0.1:$port/" "download micro-updates before init = yes"
t0=$(now); v=$(scan "$tmp/b"); rc=$?; t=$(( $(now) - t0 ))
[ -n "${NET_DEBUG:-}" ] && cat "$tmp/scan.err"
check "B hanging mirror: whorl-scan starts within the open deadline (rc $rc, $t s)" [ "$rc" -eq 0 -a "$t" -lt 30 ]
check "B hanging mirror: scores with 1.1 from disk" sh -c 'printf "%s" "$1" | grep -q "d=sigs:1.1"' _ "$v"
check "B hanging mirror: the wait is logged" grep -q "WARN:MICROUPDATE: Micro-update mirror http://127.0.0.1:$port/ did not finish within [0-9]* s; starting with sigs serial 1.1 from disk" "$tmp/scan.err"

# C. a trickling mirror: the cycle's time is bounded and logged
echo "trickle manifest" > "$tmp/mode"
gateway "$tmp/c" "http://127.0.0.1:$port/" "micro-update timeout = 5"
t0=$(now); out=$(timeout 100 "$bin/whorl-update" --config-dir "$tmp/c" --cartridge "$cart" --once -v 2>&1); rc=$?; t=$(( $(now) - t0 ))
[ -n "${NET_DEBUG:-}" ] && printf '%s\n' "$out"
check "C trickle: whorl-update --once ends within the cycle limit (rc $rc, $t s)" [ "$rc" -ne 124 -a "$t" -lt 30 ]
check "C trickle: the cycle limit is logged" has "$out" 'micro-update cycle stopped at manifest after [0-9]* s: the limit for this cycle is 10 s'
has "$out" 'cycle stopped at' || printf '%s\n' "$out" | grep 'ERROR:MICROUPDATE\|^whorl-update:'
check "C trickle: 1.1 kept" has "$out" 'mu sigs serial = 1.1'

# D. cartridge.cfg is a FIFO: the defaults (cache and key in the configuration
# directory) still find the set on disk
gateway "$tmp/d" "file://$tmp/mirror"
rm "$tmp/d/cartridge.cfg"; mkfifo "$tmp/d/cartridge.cfg"
t0=$(now); v=$(scan "$tmp/d"); rc=$?; t=$(( $(now) - t0 ))
[ -n "${NET_DEBUG:-}" ] && cat "$tmp/scan.err"
check "D fifo cartridge.cfg: whorl-scan starts within the open deadline ($t s)" [ "$rc" -ne 124 -a "$t" -lt 30 ]
check "D fifo cartridge.cfg: scores with 1.1 from disk" sh -c 'printf "%s" "$1" | grep -q "d=sigs:1.1"' _ "$v"

echo "net_stuck: $fails failed"
[ "$fails" -eq 0 ]
