# common.sh - what the integration drivers share; sourced, never run alone
# (tests/run_integration.sh runs tests/integration/*.sh, not this folder).
# Sets build, top, bin, cart and a failure count; gives PASS/FAIL helpers,
# free ports on 127.0.0.1, and publishing the demo labels into $tmp/mirror.
build=${WHORL_TEST_BUILD:-build}
top=$(pwd)
bin="$top/$build/bin"
cart="$top/$build/lib/cartridge.so"
demo="$top/etc/demo"
fails=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }
check() { name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_port PORT: returns once something listens on it (5 s at most; 1 then).
wait_port() {
	python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# publish_demo [EXTRA OPTIONS...]: the etc/demo labels into $tmp/mirror,
# signed with $tmp/keys/publisher.key.
publish_demo() {
	"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" \
		--config-dir "$top/etc" --cartridge "$cart" \
		--category spam="$demo/publish/spam" --category phishing="$demo/publish/phishing" \
		--category virus="$demo/publish/virus" --legit "$demo/publish/legit" "$@"
}
