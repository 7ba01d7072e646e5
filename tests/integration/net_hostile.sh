#!/bin/sh
# net_hostile.sh - a misbehaving mirror (hostile_server.py on 127.0.0.1)
# gets nowhere: a slow drip, an endless body, a body longer than declared,
# 401/429/500 and wrong content, each on a complete file and on a delta,
# is refused with a log line naming why, and the serial in use stays the
# last good one (loaded from the cache). Also, with forged contents validly
# signed by the real key (build/bench/mirror_forge): a compression bomb (a
# delta and a complete file), file names with "../" or "/", an expired
# manifest (freeze: the last good set stays, verdicts ask for a rescan);
# symlinks planted in the cache are replaced, never followed; a connect
# timeout and a refused connection give the guide's line; a mirror that
# connects and never answers is named as such, not as a connect timeout.
set -u
. "$(pwd)/tests/integration/lib/common.sh"
has() { printf '%s' "$1" | grep -q -- "$2"; }
forge="$top/$build/bench/mirror_forge"
need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-update" "$bin/whorl-scan" "$cart" "$forge"
tmp=$(mktemp -d /tmp/whorl_net_hostile.XXXXXX) || exit 1
pid=""
bhpid=""
trap 'for p in $pid $bhpid; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
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

# forged with the real key. A compression bomb: the delta 1->2 inflates to
# 64 MiB while its checksum file declares 4096 bytes.
key="$tmp/keys/publisher.key"
cp -r "$tmp/mirror" "$tmp/bombd"
"$forge" bomb "$key" "$tmp/bombd" sigs.1-2.z.enc || fail "mirror_forge bomb (delta)"
case_run "from:$tmp/bombd" "/" "sigs.1-2.z.enc inflates past its declared size"
# the same on a complete file: a mirror whose chain is broken (complete 2,
# no delta), so the gateway on 1.1 must take the complete file
cp -r "$tmp/mirror11" "$tmp/full2"
"$bin/whorl-publish" --key "$key" --out "$tmp/full2" --config-dir "$top/etc" --cartridge "$cart" \
	--category spam="$demo/publish/spam" --category spam="$tmp/more" --full --drop-deltas >/dev/null
cp -r "$tmp/full2" "$tmp/bombc"
"$forge" bomb "$key" "$tmp/bombc" sigs.2.z.enc || fail "mirror_forge bomb (complete)"
case_run "from:$tmp/bombc" "/" "sigs.2.z.enc inflates past its declared size"
# names the format forbids, in a manifest signed by the real key
for name in "../../evil.z.enc" "x/../../evil.z.enc" "/tmp/evil.z.enc"; do
	rm -rf "$tmp/names"; cp -r "$tmp/mirror" "$tmp/names"
	"$forge" rename "$key" "$tmp/names" sigs.1-2.z.enc "$name" || fail "mirror_forge rename"
	case_run "from:$tmp/names" "/" "microupdate file manifest failed the integrity check"
done
rm -rf "$tmp/names"; cp -r "$tmp/full2" "$tmp/names"
"$forge" rename "$key" "$tmp/names" sigs.2.z.enc "../sigs.2.z.enc" || fail "mirror_forge rename"
case_run "from:$tmp/names" "/" "microupdate file manifest failed the integrity check"
if [ -z "$(find "$tmp" /tmp/evil.z.enc -name 'evil*' 2>/dev/null)" ] &&
   [ ! -e "$tmp/etc/sigs.2.z.enc" ]; then
	pass "forbidden names: nothing written outside the cache directory"
else
	fail "forbidden names: nothing written outside the cache directory"
fi
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

# symlinks planted in the cache at the names the next download uses (and
# their .part names), pointing outside: replaced, never followed
mkdir -p "$tmp/s" "$tmp/outside"; cp "$tmp/etc/license.cfg" "$tmp/etc/cartridge.cfg" "$tmp/s/"
s_update() { timeout 60 "$bin/whorl-update" --config-dir "$tmp/s" --cartridge "$cart" --once -v 2>&1; }
echo "from:$tmp/mirror11 /" > "$tmp/mode"
out=$(s_update)
has "$out" "mu sigs serial = 1.1" || fail "symlinks: gateway on 1.1 first"
links=""
for n in sigs.2.z.enc sigs.2.z.enc.part sigs.2.z.enc.cksum sigs.2.z.enc.cksum.part; do
	echo untouched > "$tmp/outside/$n"
	ln -s "$tmp/outside/$n" "$tmp/s/micro_updates/$n"
	links="$links $n"
done
echo "from:$tmp/full2 /" > "$tmp/mode"
out=$(s_update)
rm -rf "$tmp/f2"; mkdir -p "$tmp/f2"; cp "$tmp/etc/license.cfg" "$tmp/etc/cartridge.cfg" "$tmp/f2/"
clean=$(timeout 60 "$bin/whorl-update" --config-dir "$tmp/f2" --cartridge "$cart" --once -v 2>&1)
ok=1
for n in $links; do
	[ "$(cat "$tmp/outside/$n")" = untouched ] || ok=0
	[ -L "$tmp/s/micro_updates/$n" ] && ok=0
done
[ -f "$tmp/s/micro_updates/sigs.2.z.enc" ] && [ ! -L "$tmp/s/micro_updates/sigs.2.z.enc" ] || ok=0
if [ "$ok" -eq 1 ] && has "$out" "Successful sigs download from network (new serial 2.2)" &&
   [ -n "$(digest "$out")" ] && [ "$(digest "$out")" = "$(digest "$clean")" ]; then
	pass "planted symlinks: replaced, not followed, targets untouched, digest as a clean gateway's"
else
	fail "planted symlinks: replaced, not followed, targets untouched"; printf '%s\n' "$out" | grep -v INFO | head -5
	ls -la "$tmp/s/micro_updates" "$tmp/outside"
fi

# an expired manifest (freeze): refused with its line, the last good set is
# kept and the verdicts of known mail ask for a rescan
mkdir -p "$tmp/e"; cp "$tmp/etc/license.cfg" "$tmp/etc/cartridge.cfg" "$tmp/e/"
cp "$top/etc/categories" "$tmp/e/" 2>/dev/null
cp -r "$tmp/mirror11" "$tmp/exp"
"$forge" expire "$key" "$tmp/exp" 4 || fail "mirror_forge expire"
echo "from:$tmp/exp manifest" > "$tmp/mode"
e_update() { timeout 60 "$bin/whorl-update" --config-dir "$tmp/e" --cartridge "$cart" --once -v 2>&1; }
e_rescan() {
	timeout 60 "$bin/whorl-scan" --config-dir "$tmp/e" --cartridge "$cart" \
		"$demo/publish/spam/spam-pharma.eml" 2>/dev/null | cut -f4
}
out=$(e_update); dexp=$(digest "$out")
before=$(e_rescan)
sleep 5
out=$(e_update)
after=$(e_rescan)
if has "$out" "manifest serial [0-9]* expired at" && has "$out" "mu sigs serial = 1.1" &&
   [ -n "$dexp" ] && [ "$(digest "$out")" = "$dexp" ]; then
	pass "expired manifest: refused (expired), 1.1 kept, digest unchanged"
else
	fail "expired manifest: refused (expired), 1.1 kept, digest unchanged"; printf '%s\n' "$out" | grep -v INFO | head -5
fi
if [ "$before" = 0 ] && [ "$after" = 1 ]; then
	pass "expired manifest: staleness visible (rescan 0 before expiry, 1 after)"
else
	fail "expired manifest: staleness visible (rescan '$before' before expiry, '$after' after)"
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
# a connect timeout and a refused connection, on a gateway with a set: the
# guide's line, and the cached set stays (digest unchanged)
python3 "$top/tests/integration/hostile_server.py" blackhole "$tmp/bh.port" &
bhpid=$!
for _ in $(seq 50); do [ -s "$tmp/bh.port" ] && break; sleep 0.1; done
bh=$(cat "$tmp/bh.port")
cp "$tmp/etc/cartridge.cfg" "$tmp/cartridge.cfg.good"
for c in "$bh:connection timed out after 2 s" "$closed:Connection refused"; do
	p=${c%%:*}; why=${c#*:}
	sed "s|^micro-update url = .*|micro-update url = http://127.0.0.1:$p/|" "$tmp/cartridge.cfg.good" > "$tmp/etc/cartridge.cfg"
	out=$(update)
	if has "$out" "Could not connect to host 127.0.0.1:$p (addr 127.0.0.1)--$why." &&
	   [ -n "$dbase" ] && [ "$(digest "$out")" = "$dbase" ]; then
		pass "$why: guide's line, cached set kept, digest unchanged"
	else
		fail "$why: guide's line, cached set kept, digest unchanged"; printf '%s\n' "$out" | grep -v INFO | head -5
	fi
done
cp "$tmp/cartridge.cfg.good" "$tmp/etc/cartridge.cfg"
# a mirror that takes the connection and never answers: not a connect
# failure; the line says the connection was made and how long it waited
echo "hang /" > "$tmp/mode"
out=$(update)
if has "$out" "Could not update signatures from network (microupdate file [a-z.]* from host 127.0.0.1:$port (addr 127.0.0.1): connected, no answer within [0-9]* s)." &&
   ! has "$out" "Could not connect to host" && ! has "$out" "timed out" &&
   [ -n "$dbase" ] && [ "$(digest "$out")" = "$dbase" ]; then
	pass "hanging mirror: connected, no answer (not 'connection timed out'), cached set kept"
else
	fail "hanging mirror: connected, no answer (not 'connection timed out'), cached set kept"; printf '%s\n' "$out" | grep -v INFO | head -5
fi
echo "ok x" > "$tmp/mode"
echo "net_hostile: $fails failed"
[ "$fails" -eq 0 ]
