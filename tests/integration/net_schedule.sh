#!/bin/sh
# net_schedule.sh - complete files on the publisher's schedule, over real
# HTTP (Debian's nginx on 127.0.0.1). whorl-publish --keep-deltas keeps the
# delta chain across complete files, so a gateway one delta behind stays on
# deltas: with the chain intact and a full download not due it logs an
# incremental download and nginx shows no complete file fetched. Once the
# manifest's full interval (whorl-publish --full-interval) has passed in a
# running whorl-update, or on every cycle with a number of hours, it fetches
# the newer complete file, and its data equals a gateway's that got there
# otherwise (digest of a fresh gateway at the same serial; scan verdicts of
# a gateway that took deltas only, whose digest differs by its serials).
# Skips (exit 0) only when nginx is not installed.
set -u
. "$(pwd)/tests/integration/lib/common.sh"
has() { printf '%s' "$1" | grep -q -- "$2"; }
digest() { printf '%s\n' "$1" | sed -n 's/^snapshot digest = //p'; }

NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
[ -n "$NGINX" ] || { echo "SKIP: nginx not installed (scripts/deps.sh installs it)"; exit 0; }
need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-update" "$bin/whorl-scan" "$cart"
net_tmp net_schedule

"$bin/whorl-keygen" "$tmp/keys" >/dev/null
mkdir -p "$tmp/more" "$tmp/more2"
cp "$top/tests/data/engine/spam-watch.eml" "$tmp/more/"
cp "$top/tests/data/engine/spam-loan.eml" "$tmp/more2/"
# publish N EXTRA...: the demo labels plus extra spam, chain kept, full
# interval 3 s, check interval 1 s
publish() {
	publish_demo --keep-deltas --check-interval 1 --full-interval 3 "$@" >/dev/null &&
		chmod -R a+rX "$tmp/mirror"
}
publish

nginx_start

# gateway DIR [EXTRA CFG LINE]: a config directory for one gateway
gateway() {
	mkdir -p "$1"
	printf '4242\ns3cret\n' > "$1/license.cfg"
	cp "$top/etc/categories" "$1/"
	printf 'micro-update url = http://127.0.0.1:%s/\npublisher key = %s\nmicro-update timeout = 5\n%s\n' \
		"$port" "$tmp/keys/publisher.pub" "${2:-}" > "$1/cartridge.cfg"
}
once() { timeout 60 "$bin/whorl-update" --config-dir "$1" --cartridge "$cart" --once -v 2>&1; }
fetched() { grep -c "GET /sigs\.$1\.z\.enc HTTP" "$tmp/nginx/logs/access.log"; }

gateway "$tmp/a"                       # auto: the schedule of the manifest
gateway "$tmp/d"                       # deltas only
gateway "$tmp/h" "micro-update interval = 1"   # a number of hours
for g in a d h; do
	out=$(once "$tmp/$g")
	has "$out" "mu sigs serial = 1.1" || fail "$g: starts on 1.1"
done

# 1. complete 2 published (chain kept: delta 1->2 too); full not due
publish --category spam="$tmp/more" --full
out=$(once "$tmp/a")
check "chain intact, full not due: incremental download logged (1.2)" \
	has "$out" "Successful sigs incremental download from network (new serial 1.2)"
check "chain intact, full not due: no complete file fetched" [ "$(fetched 2)" -eq 0 ]
check "chain intact, full not due: delta 1->2 fetched" [ "$(grep -c 'GET /sigs.1-2.z.enc HTTP' "$tmp/nginx/logs/access.log")" -ge 1 ]

# 2. a number of hours: every cycle takes the newer complete file
out=$(once "$tmp/h")
check "hours: complete file fetched (2.2)" \
	has "$out" "Successful sigs download from network (new serial 2.2)"
check "hours: nginx served sigs.2.z.enc" [ "$(fetched 2)" -ge 1 ]

# 3. auto in a running gateway (on 1.2): its first cycle starts the clock;
# once 3 s have passed, the next new manifest (2.3: delta 2->3) brings the
# complete file 2 and the delta after it, though delta 2->3 would do
"$bin/whorl-update" --config-dir "$tmp/a" --cartridge "$cart" -v > "$tmp/a.out" 2> "$tmp/a.log" &
apid=$!; pids="$pids $apid"
sleep 4
n2=$(fetched 2)
publish --category spam="$tmp/more" --category spam="$tmp/more2"    # 2.3: delta 2->3
sleep 3
kill "$apid"; wait "$apid" 2>/dev/null
check "auto: running gateway took the complete file once due" \
	grep -q "Successful sigs download from network (new serial 2.3)" "$tmp/a.log"
check "auto: nginx served sigs.2.z.enc after the full interval" [ "$(fetched 2)" -gt "$n2" ]
if ! grep -q "Successful sigs download from network (new serial 2.3)" "$tmp/a.log"; then
	grep MICROUPDATE "$tmp/a.log" | head -8
fi
# its data: a restart loads the complete file it cached, and delta 2->3
out=$(once "$tmp/a"); da=$(digest "$out")
check "auto: restart on 2.3" has "$out" "mu sigs serial = 2.3"
gateway "$tmp/fresh"
out=$(once "$tmp/fresh"); dfresh=$(digest "$out")
check "auto: digest equals a fresh gateway's at 2.3" [ -n "$da" -a "$da" = "$dfresh" ]
out=$(once "$tmp/d")
check "deltas only: 1.3" has "$out" "mu sigs serial = 1.3"
# whorl-scan loads before it scans: each gateway on its latest data
echo "download micro-updates before init = yes" >> "$tmp/a/cartridge.cfg"
echo "download micro-updates before init = yes" >> "$tmp/d/cartridge.cfg"
scan() { "$bin/whorl-scan" --config-dir "$1" --cartridge "$cart" "$demo/publish" "$tmp/more" "$tmp/more2" 2>/dev/null | cut -f2-3 | sort; }
va=$(scan "$tmp/a"); vd=$(scan "$tmp/d")
check "auto: verdicts equal those of the deltas-only gateway" [ -n "$va" -a "$va" = "$vd" ]

echo "net_schedule: $fails failed"
[ "$fails" -eq 0 ]
