#!/bin/sh
# net_hostile.sh - a misbehaving mirror (hostile_server.py on 127.0.0.1)
# gets nowhere: a slow drip, an endless body, a body longer than declared,
# 401/429/500 and wrong content, each on a complete file and on a delta,
# is refused with a log line naming why, and the serial in use stays the
# last good one (loaded from the cache).
set -u
build=${WHORL_TEST_BUILD:-build}
top=$(pwd)
bin="$top/$build/bin"
cart="$top/$build/lib/cartridge.so"
fails=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }
has() { printf '%s' "$1" | grep -q -- "$2"; }
for f in "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-update" "$cart"; do
	[ -e "$f" ] || { echo "FAIL: $f missing (make all)"; exit 1; }
done
tmp=$(mktemp -d /tmp/whorl_net_hostile.XXXXXX) || exit 1
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
demo="$top/etc/demo"
publish() {
	"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" \
		--config-dir "$top/etc" --cartridge "$cart" \
		--category spam="$demo/publish/spam" --category phishing="$demo/publish/phishing" \
		--category virus="$demo/publish/virus" --legit "$demo/publish/legit" "$@" >/dev/null
}
"$bin/whorl-keygen" "$tmp/keys" >/dev/null
publish
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "ok x" > "$tmp/mode"
python3 "$top/tests/integration/hostile_server.py" "$port" "$tmp/mirror" "$tmp/mode" &
pid=$!
sleep 0.5
mkdir -p "$tmp/etc"
printf '4242\ns3cret\n' > "$tmp/etc/license.cfg"
cat > "$tmp/etc/cartridge.cfg" <<CFG
micro-update url = http://127.0.0.1:$port/
publisher key = $tmp/keys/publisher.pub
micro-update timeout = 2
CFG
update() { "$bin/whorl-update" --config-dir "$tmp/etc" --cartridge "$cart" --once -v 2>&1; }
out=$(update)
if has "$out" "mu sigs serial = 1.1"; then pass "good mirror: 1.1 loaded"; else fail "good mirror: 1.1 loaded"; fi

# a second set: the mirror now offers complete 1 + delta 1->2
mkdir -p "$tmp/more"; cp "$top/tests/data/engine/spam-watch.eml" "$tmp/more/"
publish --category spam="$tmp/more"

# case MODE TARGET WHY: refused with WHY, serial stays 1.1
case_run() {
	echo "$1 $2" > "$tmp/mode"
	out=$(timeout 60 "$bin/whorl-update" --config-dir "$tmp/etc" --cartridge "$cart" --once -v 2>&1)
	if has "$out" "$3" && has "$out" "mu sigs serial = 1.1"; then
		pass "$1 on $2: refused ($3), 1.1 kept"
	else
		fail "$1 on $2: refused ($3), 1.1 kept"; printf '%s\n' "$out" | grep MICROUPDATE | head -5
	fi
}
case_run drip "sigs.1-2" "transfer slower than"
case_run endless "sigs.1-2" "is larger than declared"
case_run liar "sigs.1-2" "is larger than declared"
case_run wrong "sigs.1-2" "failed the integrity check"
case_run wrong "sigs.1-2.z.enc.cksum" "failed the integrity check"
case_run status:401 "cksum" "invalid license \[HTTP error: 401\]"
case_run status:429 "manifest" "http_code:429"
case_run status:500 "sigs.1-2" "http_code:500"
# complete files: a fresh gateway (no cache) gets nothing from a lying mirror
rm -rf "$tmp/etc/micro_updates"
echo "liar sigs.1.z" > "$tmp/mode"
out=$(timeout 60 "$bin/whorl-update" --config-dir "$tmp/etc" --cartridge "$cart" --once -v 2>&1); rc=$?
if has "$out" "is larger than declared" && [ "$rc" -eq 2 ]; then
	pass "liar on a complete file: refused, nothing loaded (exit 2)"
else
	fail "liar on a complete file: refused, nothing loaded (exit 2)"
fi
echo "ok x" > "$tmp/mode"
out=$(update)
if has "$out" "mu sigs serial = 1.2"; then pass "mirror behaves again: 1.2 loaded"; else fail "mirror behaves again: 1.2 loaded"; fi
echo "net_hostile: $fails failed"
[ "$fails" -eq 0 ]
