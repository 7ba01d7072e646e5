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

# nginx_start [LOCATION BLOCKS]: Debian's nginx serving $tmp/mirror on a
# free port of 127.0.0.1 (set in $port), logs in $tmp/nginx/logs; extra
# server-level configuration (e.g. a location with auth_basic) as $1. Its
# pid joins $pids, which the driver's exit trap kills.
nginx_start() {
	port=$(free_port)
	mkdir -p "$tmp/nginx/logs"
	cat > "$tmp/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 64; }
http {
	access_log $tmp/nginx/logs/access.log;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	server {
		listen 127.0.0.1:$port;
		root $tmp/mirror;
		${1:-}
	}
}
CONF
	"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" &
	pids="$pids $!"
	wait_port "$port" || { echo "FAIL: nginx did not start"; cat "$tmp/nginx/logs/error.log"; exit 1; }
}

# need_files FILE...: FAIL and exit when one is missing (make all builds them).
need_files() {
	for f in "$@"; do
		[ -e "$f" ] || { echo "FAIL: $f missing (make all)"; exit 1; }
	done
}

# need_commands COMMAND...: FAIL and exit when one is not on $PATH (the
# packages scripts/deps.sh installs).
need_commands() {
	for c in "$@"; do
		command -v "$c" >/dev/null || { echo "FAIL: $c missing (scripts/deps.sh)"; exit 1; }
	done
}

# net_tmp NAME: a fresh $tmp (readable by nginx's worker) and an empty
# $pids; at exit every pid in $pids is killed and $tmp removed (kept when
# KEEP_TMP is set, to look at after a failure).
net_tmp() {
	tmp=$(mktemp -d "/tmp/whorl_$1.XXXXXX") || exit 1
	chmod 755 "$tmp"
	pids=""
	trap 'for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT INT TERM
}

# whorld_tmp NAME: for the drivers that run one whorld at a time: a fresh
# $tmp (readable by other users) with $tmp/etc and $tmp/spam.eml (a spam to the echo cartridges:
# X-Test-Spam: yes), an empty $wpid; at exit the whorld in $wpid is killed
# (not waited for) and $tmp removed (kept when KEEP_TMP is set).
whorld_tmp() {
	tmp=$(mktemp -d "/tmp/whorl_$1.XXXXXX") || exit 1
	chmod 755 "$tmp"
	wpid=""
	trap '[ -n "$wpid" ] && kill "$wpid" 2>/dev/null; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT INT TERM
	mkdir -p "$tmp/etc"
	printf 'Subject: buy\nX-Test-Spam: yes\n\nnow\n' > "$tmp/spam.eml"
}

# demo_gateway_cfg DIR: in DIR a gateway's cartridge.cfg on $tmp/mirror
# (signed by $tmp/keys) and the categories file.
demo_gateway_cfg() {
	mkdir -p "$1"
	cp "$top/etc/categories" "$1/categories"
	cat > "$1/cartridge.cfg" <<CFG
micro-update url = file://$tmp/mirror
publisher key = $tmp/keys/publisher.pub
favor analysis over speed = yes
minimum score = 50
CFG
}

# demo_gateway DIR: keys in $tmp/keys, the demo set published into
# $tmp/mirror, and in DIR a gateway on that mirror (demo_gateway_cfg).
demo_gateway() {
	"$bin/whorl-keygen" "$tmp/keys" >/dev/null || { echo "FAIL: whorl-keygen"; exit 1; }
	publish_demo >/dev/null 2>"$tmp/publish.log" || { echo "FAIL: publish"; cat "$tmp/publish.log"; exit 1; }
	demo_gateway_cfg "$1"
}

# demo_whorld [EXTRA whorld.cfg LINES]: whorld with the real cartridge on the
# demo set (demo_gateway $tmp/real), spamd protocol on a free port of
# 127.0.0.1 ($sport; more listeners after a comma in $demo_spamd_more), two
# threads; its pid in $wpid (the driver's trap kills
# it), its log in $tmp/whorld.log. Exits when it does not start.
demo_whorld() {
	demo_gateway "$tmp/real"
	sport=$(free_port)
	cat > "$tmp/whorld.cfg" <<CFG
spamd listen = 127.0.0.1:$sport${demo_spamd_more:-}
cartridge = $cart
cartridge config dir = $tmp/real
threads = 2
${1:-}
CFG
	"$top/$build/sbin/whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/whorld.log" &
	wpid=$!
	wait_alive "$sport" "$wpid" 4 || { echo "FAIL: whorld did not start"; cat "$tmp/whorld.log"; exit 1; }
}

# wait_alive PORT PID N: like wait_port, for up to N times 5 s while PID
# runs (servers that load much at start, on a loaded machine).
wait_alive() {
	i=0
	until wait_port "$1"; do
		i=$((i + 1))
		[ "$i" -lt "$3" ] && kill -0 "$2" 2>/dev/null || return 1
	done
}

# stop_pid PID: SIGTERM, then SIGKILL if PID still runs 20 s later; returns
# 0 when it stopped on SIGTERM.
stop_pid() {
	kill "$1" 2>/dev/null
	for _ in $(seq 200); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 1
}
