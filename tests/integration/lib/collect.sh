# collect.sh - what the statistics drivers share (stats_collect.sh,
# stats_collect_pg.sh); sourced after common.sh, with $tmp set.
# collect_start DATABASE [EXTRA LINES]: whorl-collect on a free port ($cport)
#   with $tmp/ckeys/collector.key, reading the published set from $tmp/mirror
#   (verified with $tmp/keys/publisher.pub), its log in $tmp/collect.log.
# gateway NAME CUSTOMER FILES...: a gateway configuration in $tmp/NAME on the
#   demo mirror, reporting to the collector; whorl-scan --json of FILES into
#   $tmp/NAME.json, its log in $tmp/NAME.log. The report is sent when
#   whorl-scan closes its engine (the period's last report).
# expect_counts NAME...: $messages and $abuse (category > 0) over those gateways.
# capture_report NAME FILES...: a gateway reporting to a recorder instead of
#   the collector (a report captured on its way) in $tmp/captured.
# post FILE: POSTs FILE to the collector, prints the HTTP status.

collect_start() {
	cport=$(free_port)
	mkdir -p "$tmp/ckeys"
	[ -f "$tmp/ckeys/collector.key" ] || "$bin/whorl-collect" keygen "$tmp/ckeys" || return 1
	{
		echo "listen = 127.0.0.1:$cport"
		echo "key = $tmp/ckeys/collector.key"
		echo "database = $1"
		echo "mirror = $tmp/mirror"
		echo "publisher key = $tmp/keys/publisher.pub"
		shift
		for line in "$@"; do echo "$line"; done
	} > "$tmp/collect.cfg"
	"$bin/whorl-collect" -c "$tmp/collect.cfg" serve 2>>"$tmp/collect.log" &
	cpid=$!
	pids="$pids $cpid"
	wait_port "$cport" || { echo "FAIL: whorl-collect did not start"; cat "$tmp/collect.log"; exit 1; }
}

collect_stop() {
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
}

gateway_cfg() { # gateway_cfg NAME CUSTOMER [EXTRA LINES...]
	name=$1 customer=$2
	shift 2
	mkdir -p "$tmp/$name"
	cp "$top/etc/categories" "$tmp/$name/categories"
	[ -f "$tmp/$name/collector.pub" ] || cp "$tmp/ckeys/collector.pub" "$tmp/$name/collector.pub"
	{
		echo "micro-update url = file://$tmp/mirror"
		echo "publisher key = $tmp/keys/publisher.pub"
		echo "customer id = $customer"
		echo "statistics url = http://127.0.0.1:$cport/cmstats"
		echo "record sigs seen = yes"
		for line in "$@"; do echo "$line"; done
	} > "$tmp/$name/cartridge.cfg"
}

gateway() { # gateway NAME CUSTOMER FILES...
	gname=$1
	gateway_cfg "$1" "$2"
	shift 2
	"$bin/whorl-scan" -v --json --config-dir "$tmp/$gname" --cartridge "$cart" "$@" \
		>"$tmp/$gname.json" 2>"$tmp/$gname.log"
}

expect_counts() {
	messages=0 abuse=0
	for g in "$@"; do
		messages=$((messages + $(wc -l < "$tmp/$g.json")))
		abuse=$((abuse + $(grep -c '"category":[1-9]' "$tmp/$g.json")))
	done
}

capture_report() {
	rport=$(free_port)
	python3 - "$rport" "$tmp/captured" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        open(sys.argv[2], "wb").write(body)
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok\n")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
	rpid=$!
	pids="$pids $rpid"
	wait_port "$rport"
	rname=$1
	shift
	gateway_cfg "$rname" replay "statistics url = http://127.0.0.1:$rport/cmstats"
	"$bin/whorl-scan" --config-dir "$tmp/$rname" --cartridge "$cart" "$@" >/dev/null 2>&1
	kill "$rpid" 2>/dev/null
}

post() {
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary "@$1" \
		"http://127.0.0.1:$cport/cmstats"
}
