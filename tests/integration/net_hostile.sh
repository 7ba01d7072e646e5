#!/bin/sh
# net_hostile.sh - a misbehaving mirror (hostile_server.py on 127.0.0.1)
# gets nowhere: a slow drip, an endless body, a body longer than declared,
# 401/429/500 and wrong content, each on a complete file and on a delta,
# is refused with a log line naming why, and the serial in use stays the
# last good one (loaded from the cache).
set -u
. "$(pwd)/tests/integration/lib/common.sh"
has() { printf '%s' "$1" | grep -q -- "$2"; }
for f in "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-update" "$cart"; do
	[ -e "$f" ] || { echo "FAIL: $f missing (make all)"; exit 1; }
done
tmp=$(mktemp -d /tmp/whorl_net_hostile.XXXXXX) || exit 1
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
"$bin/whorl-keygen" "$tmp/keys" >/dev/null
publish_demo >/dev/null
port=$(free_port)
echo "ok x" > "$tmp/mode"
python3 "$top/tests/integration/hostile_server.py" "$port" "$tmp/mirror" "$tmp/mode" &
pid=$!
wait_port "$port" || { echo "FAIL: the hostile server did not start"; exit 1; }
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
digest() { printf '%s\n' "$1" | sed -n 's/^snapshot digest = //p'; }
d11=$(digest "$out")
[ -n "$d11" ] && pass "snapshot digest printed ($d11)" || fail "snapshot digest printed"
cp -r "$tmp/mirror" "$tmp/mirror11"
# another history with the same key (mix-and-match) and a mirror signed by another key
cp -r "$tmp/mirror" "$tmp/other"
"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/other" --config-dir "$top/etc" \
	--cartridge "$cart" --category spam="$demo/publish/phishing" >/dev/null
"$bin/whorl-keygen" "$tmp/keys2" >/dev/null
"$bin/whorl-publish" --key "$tmp/keys2/publisher.key" --out "$tmp/rogue" --config-dir "$top/etc" \
	--cartridge "$cart" --category spam="$demo/publish/spam" >/dev/null

# a second set: the mirror now offers complete 1 + delta 1->2
mkdir -p "$tmp/more"; cp "$top/tests/data/engine/spam-watch.eml" "$tmp/more/"
publish_demo --category spam="$tmp/more" >/dev/null

# case MODE TARGET WHY: refused with WHY, serial stays 1.1
case_run() {
	echo "$1 $2" > "$tmp/mode"
	out=$(timeout 60 "$bin/whorl-update" --config-dir "$tmp/etc" --cartridge "$cart" --once -v 2>&1)
	if has "$out" "$3" && has "$out" "mu sigs serial = 1.1" && [ "$(digest "$out")" = "$d11" ]; then
		pass "$1 on $2: refused ($3), 1.1 kept, digest unchanged"
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
case_run flip "=sigs.1-2.z.enc" "sigs.1-2.z.enc failed the integrity check"
case_run flip "sigs.1-2.z.enc.cksum" "sigs.1-2.z.enc.cksum failed the integrity check"
case_run flip "manifest" "from network (microupdate file manifest failed the integrity check)"
case_run truncate "=sigs.1-2.z.enc" "sigs.1-2.z.enc failed the integrity check"
case_run truncate "manifest" "manifest failed the integrity check"
case_run status:404 "sigs.1-2.z.enc.cksum" "http_code:404"
case_run "from:$tmp/other" "sigs.1-2" "failed the integrity check"
case_run "from:$tmp/rogue" "manifest" "manifest failed the integrity check"
# complete files: a fresh gateway (no cache) gets nothing from a lying mirror
rm -rf "$tmp/etc/micro_updates"
echo "liar sigs.1.z" > "$tmp/mode"
out=$(timeout 60 "$bin/whorl-update" --config-dir "$tmp/etc" --cartridge "$cart" --once -v 2>&1); rc=$?
if has "$out" "is larger than declared" && [ "$rc" -eq 2 ]; then
	pass "liar on a complete file: refused, nothing loaded (exit 2)"
else
	fail "liar on a complete file: refused, nothing loaded (exit 2)"
fi
for m in flip truncate; do
	echo "$m =sigs.1.z.enc" > "$tmp/mode"
	out=$(timeout 60 "$bin/whorl-update" --config-dir "$tmp/etc" --cartridge "$cart" --once -v 2>&1); rc=$?
	if has "$out" "sigs.1.z.enc failed the integrity check" && [ "$rc" -eq 2 ]; then
		pass "$m on a complete file: refused, nothing loaded (exit 2)"
	else
		fail "$m on a complete file: refused, nothing loaded (exit 2)"
	fi
done
echo "ok x" > "$tmp/mode"
out=$(update)
if has "$out" "mu sigs serial = 1.2"; then pass "mirror behaves again: 1.2 loaded"; else fail "mirror behaves again: 1.2 loaded"; fi
# rollback: the mirror replays the older manifest (1.1); what a restart
# loads (the cache holds complete files only) must stay exactly as it is
echo "status:500 manifest" > "$tmp/mode"
base=$(update); dbase=$(digest "$base")
echo "from:$tmp/mirror11 manifest" > "$tmp/mode"
out=$(update)
if [ -n "$dbase" ] && [ "$(digest "$out")" = "$dbase" ] &&
   { has "$out" "is older than" ; }; then
	pass "replayed older manifest: refused, digest unchanged"
else
	fail "replayed older manifest: refused, digest unchanged"; printf '%s\n' "$out" | grep -v INFO | head -5
fi
echo "ok x" > "$tmp/mode"

# Appendix A network lines: an unresolvable mirror and proxy, a refusal, a connect timeout
netcase() {   # cfg-line expected-text name
	mkdir -p "$tmp/n"; cp "$tmp/etc/license.cfg" "$tmp/n/"
	printf '%s\npublisher key = %s\nmicro-update timeout = 2\n' "$1" "$tmp/keys/publisher.pub" > "$tmp/n/cartridge.cfg"
	out=$(timeout 60 "$bin/whorl-update" --config-dir "$tmp/n" --cartridge "$cart" --once -v 2>&1)
	if has "$out" "$2"; then pass "$3"; else fail "$3"; printf '%s\n' "$out" | grep MICROUPDATE | head -3; fi
}
netcase "micro-update url = http://whorl-no-such-host.invalid/" \
	"Can not resolve micro-update hostname whorl-no-such-host.invalid (Couldn't resolve host name), expect micro-update downloads to fail." "unresolvable mirror"
netcase "micro-update url = http://127.0.0.1:$port/
http proxy = whorl-no-such-proxy.invalid:3128" \
	"Can not resolve http proxy hostname whorl-no-such-proxy.invalid (Couldn't resolve proxy name), expect micro-update downloads to fail." "unresolvable proxy"
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
netcase "micro-update url = http://127.0.0.1:$closed/" \
	"Could not connect to host 127.0.0.1:$closed (addr 127.0.0.1)--Connection refused." "refused connection"
echo "net_hostile: $fails failed"
[ "$fails" -eq 0 ]
