#!/bin/sh
# stats_acf_interval.sh - the statistics interval comes from the publisher:
# whorl-publish --statistics-interval 2 puts "statistics interval = 2" in
# the acf source; a long-running gateway (whorl-update) with `statistics
# interval = auto` downloads it from the file:// mirror, logs the new
# interval, ends its hour-long first period and then reports every period
# to whorl-collect. A second gateway whose cartridge.cfg sets `statistics
# interval = 3600` keeps its own interval and sends no period report.
# Waits are polls with bounds (no assertion on how long anything took).
# Not for: the report contents (stats_collect.sh) or the acf parser (unit tests).
set -u
. "$(pwd)/tests/integration/lib/common.sh"
. "$(pwd)/tests/integration/lib/collect.sh"

need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-update" "$bin/whorl-collect" "$cart"
net_tmp stats_acf

"$bin/whorl-keygen" "$tmp/keys" >/dev/null && publish_demo --statistics-interval 2 >/dev/null ||
	{ echo "FAIL: publishing the demo set"; exit 1; }
"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/bad" --statistics-interval 0 \
	--category spam="$demo/publish/spam" >/dev/null 2>&1
check "publisher: --statistics-interval 0 refused" [ $? -ne 0 ]
collect_start "sqlite:$tmp/collect.db" "reports per minute per address = 0"

# reports NAME: the reports the collector stored from customer NAME
reports() {
	"$bin/whorl-collect" -c "$tmp/collect.cfg" summary 2>/dev/null | awk -v c="$1" '$1 == c {print $6}'
}

gateway_cfg gw-auto acfauto
gateway_cfg gw-own acfown "statistics interval = 3600"
for g in gw-auto gw-own; do
	"$bin/whorl-update" -v --config-dir "$tmp/$g" --cartridge "$cart" >/dev/null 2>"$tmp/$g.log" &
	pids="$pids $!"
	eval "pid_$(echo $g | tr - _)=\$!"
done

# at most 60 s for four reports from the auto gateway (one hour each without the acf)
n=0
for i in $(seq 120); do
	n=$(reports acfauto)
	[ "${n:-0}" -ge 4 ] && break
	sleep 0.5
done
check "auto gateway: took the publisher's interval from the acf (logged)" grep -q "^INFO:STATS: Statistics interval from the publisher: 2 s" "$tmp/gw-auto.log"
check "auto gateway: reports arrive at the acf's interval (${n:-0} reports, want >= 4)" [ "${n:-0}" -ge 4 ]
check "auto gateway: no statistics ERROR" sh -c "! grep -q '^ERROR:STATS' '$tmp/gw-auto.log'"
check "own-interval gateway: keeps its cartridge.cfg interval (no acf line)" sh -c "! grep -q 'Statistics interval from the publisher' '$tmp/gw-own.log'"
check "own-interval gateway: no period report yet" [ -z "$(reports acfown)" ]
kill -TERM $pid_gw_auto $pid_gw_own
wait $pid_gw_auto $pid_gw_own 2>/dev/null
check "own-interval gateway: its shutdown report arrives" sh -c "[ \"\$(\"$bin/whorl-collect\" -c '$tmp/collect.cfg' summary | awk '\$1 == \"acfown\" {print \$6}')\" = 1 ]"
out=$("$bin/whorl-collect" -c "$tmp/collect.cfg" check); rc=$?
check "database consistent" [ "$rc" -eq 0 ]

echo "stats_acf_interval: $fails failed"
[ "$fails" -eq 0 ]
