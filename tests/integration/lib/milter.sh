# milter.sh - what the miltertest drivers (tests/integration/milter_*.sh)
# share; sourced after common.sh, never run alone.

# milter_setup NAME: $milter, $slow_so (the cartridge the milter runs: the
# echo rules, "X-Whorl-Sleep-Ms: N" sleeps first), a temp dir $tmp removed
# at exit (with the milter, $mpid, killed) and $MILTER_SOCK in it.
milter_setup() {
	milter="$top/$build/sbin/whorl-milter"
	slow_so="$top/$build/tests/cartridges/slow_on_marker.so"
	need_files "$milter" "$slow_so"
	command -v miltertest >/dev/null ||
		{ echo "FAIL: miltertest missing (scripts/deps.sh)"; exit 1; }
	tmp=$(mktemp -d "/tmp/whorl_$1.XXXXXX") || exit 1
	mpid=""
	trap '[ -n "$mpid" ] && kill "$mpid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
	mkdir -p "$tmp/etc"
	export MILTER_SOCK="unix:$tmp/milter.sock"
}

# start_milter [EXTRA LINES]: a fresh whorl-milter.cfg and the milter on it.
start_milter() {
	cat > "$tmp/whorl-milter.cfg" <<CFG
milter socket = $MILTER_SOCK
cartridge = $slow_so
cartridge config dir = $tmp/etc
log level = debug
$1
CFG
	rm -f "$tmp/milter.sock"
	"$milter" -c "$tmp/whorl-milter.cfg" 2>>"$tmp/milter.log" &
	mpid=$!
	for _ in $(seq 100); do [ -S "$tmp/milter.sock" ] && return 0; sleep 0.05; done
	echo "FAIL: whorl-milter did not start"; cat "$tmp/milter.log"; exit 1
}
stop_milter() { kill "$mpid"; wait "$mpid"; rc_stop=$?; mpid=""; }

# lua NAME: runs the Lua on stdin (after lib/milter.lua) with miltertest;
# its PASS lines are printed, a failure counts once.
lua() {
	{ printf 'dofile("%s")\n' "$top/tests/integration/lib/milter.lua"; cat; } > "$tmp/t.lua"
	if out=$(timeout 30 miltertest -s "$tmp/t.lua" 2>&1); then
		printf '%s\n' "$out" | grep '^PASS' ; pass "$1"
	else
		printf '%s\n' "$out" | sed 's/^/  /'; fail "$1"
	fi
}
