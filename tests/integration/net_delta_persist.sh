#!/bin/sh
# net_delta_persist.sh - an applied delta is on disk (issue 10, point 1).
# Debian's nginx on 127.0.0.1 serves a mirror; whorl-update --once loads
# 20 spam messages (1.1); 20 more are published (a delta) and loaded (1.2).
# Then, with no network at all, a new process (whorl-update, whorl-scan)
# loads the same serial and snapshot digest from the cache and scores the
# new messages with d=sigs:1.2. Then kill -9 at every rename and every
# fsync of persisting the delta (strace -e inject): each restart from the
# cache alone loads 1.1 or 1.2 whole, with its digest, and names no serial
# it cannot load; the next network cycle reaches 1.2 again.
# Skips (exit 0) only when nginx or strace is not installed.
set -u
. "$(pwd)/tests/integration/lib/common.sh"

NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
STRACE=$(command -v strace)
if [ -z "$NGINX" ] || [ -z "$STRACE" ]; then
	echo "SKIP: nginx or strace not installed (scripts/deps.sh installs them)"
	exit 0
fi
need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-update" "$bin/whorl-scan" "$cart"
net_tmp delta_persist

# gen DIR FIRST: 20 distinct spam messages numbered FIRST..FIRST+19
gen() {
	mkdir -p "$1"
	for n in $(seq "$2" $(($2 + 19))); do
		printf 'From: offers%s@example.net\nTo: you@example.org\nSubject: Offer %s\n\nOffer number %s: cheap watches, pills and loans, click http://spam%s.example.net/buy now. Reference %s.\n' \
			"$n" "$n" "$n" "$n" "$(echo "$n" | sha256sum | cut -c1-32)" > "$1/msg$n.eml"
	done
}
publish() {
	"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" \
		--config-dir "$top/etc" --cartridge "$cart" "$@" >/dev/null && chmod -R a+rX "$tmp/mirror"
}
"$bin/whorl-keygen" "$tmp/keys" >/dev/null
gen "$tmp/spam1" 1
gen "$tmp/spam2" 101
publish --category spam="$tmp/spam1"
nginx_start ''

mkdir -p "$tmp/etc"
cp "$top/etc/categories" "$tmp/etc/categories"
write_cfg() { # write_cfg DIR [EXTRA LINES]
	d=$1; shift
	{
		echo "micro-update url = http://127.0.0.1:$port/"
		echo "publisher key = $tmp/keys/publisher.pub"
		echo "micro-update timeout = 5"
		for l in "$@"; do echo "$l"; done
	} > "$d/cartridge.cfg"
}
write_cfg "$tmp/etc"
# the same cache, read with no network at all
mkdir -p "$tmp/off"; cp "$tmp/etc/categories" "$tmp/off/"
write_cfg "$tmp/off" "enable micro-updates = no" "micro-update cache path = $tmp/etc"
update() { "$bin/whorl-update" --config-dir "$1" --cartridge "$cart" --once -v 2>&1; }
has() { printf '%s\n' "$1" | grep -q -- "$2"; }
field() { printf '%s\n' "$1" | sed -n "s/^$2 = //p"; }

out=$(update "$tmp/etc"); [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "1.1: complete download" has "$out" 'Successful sigs download from network (new serial 1.1)'
d1=$(field "$out" "snapshot digest")
cp -a "$tmp/etc/micro_updates" "$tmp/cache-1.1"

publish --category spam="$tmp/spam1" --category spam="$tmp/spam2"
out=$(update "$tmp/etc"); [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "1.2: incremental download" has "$out" 'Successful sigs incremental download from network (new serial 1.2)'
d2=$(field "$out" "snapshot digest")
check "1.2: the state names 1.2" grep -q '^sigs 1 2$' "$tmp/etc/micro_updates/states/srl_set.current"
check "1.2: the delta is kept in the cache" test -s "$tmp/etc/micro_updates/sigs.1-2.z.enc" -a -s "$tmp/etc/micro_updates/sigs.1-2.z.enc.cksum"
check "digests differ between 1.1 and 1.2" [ -n "$d1" -a -n "$d2" -a "$d1" != "$d2" ]

# a process started after the update, without network
kill $pids 2>/dev/null; wait 2>/dev/null; pids=""
out=$(update "$tmp/off"); [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "restart: guide's from-disk line" has "$out" 'INFO:MICROUPDATE: Successfully updated sigs from disk (new serial 1.2).'
check "restart: serial 1.2 without network" has "$out" 'mu sigs serial = 1.2'
check "restart: same snapshot digest" [ "$(field "$out" "snapshot digest")" = "$d2" ]
scan=$("$bin/whorl-scan" --config-dir "$tmp/off" --cartridge "$cart" -j 1 "$tmp/spam2" 2>/dev/null)
n_hit=$(printf '%s\n' "$scan" | grep -c 'd=sigs:1.2')
n_spam=$(printf '%s\n' "$scan" | awk -F'\t' '$2 >= 50' | wc -l)
check "whorl-scan: the 20 new messages scored against 1.2 ($n_hit)" [ "$n_hit" -eq 20 ]
check "whorl-scan: the 20 new messages are spam ($n_spam)" [ "$n_spam" -eq 20 ]

# a state naming a serial whose delta is gone: WARN naming both serials
cp -a "$tmp/etc/micro_updates" "$tmp/cache-1.2"
rm "$tmp/etc/micro_updates/sigs.1-2.z.enc"
out=$(update "$tmp/off"); [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "missing delta: WARN names both serials" has "$out" 'WARN:MICROUPDATE: srl_set.current names sigs serial 1.2, which cannot be loaded from disk; loaded serial 1.1 instead.'
check "missing delta: 1.1 loaded, digest of 1.1" [ "$(field "$out" "snapshot digest")" = "$d1" ]
check "missing delta: the state no longer names 1.2" grep -q '^sigs 1 1$' "$tmp/etc/micro_updates/states/srl_set.current"

# kill -9 at each step of persisting the delta: strace kills the process
# at the first write, fsync and rename of each file (checksum file, data
# file, srl_set.current) and at each fsync of the cache directory
nginx_start ''
write_cfg "$tmp/etc"
mu="$tmp/etc/micro_updates"
steps="write:1:$mu/sigs.1-2.z.enc.cksum.part fsync:1:$mu/sigs.1-2.z.enc.cksum.part
rename:1:$mu/sigs.1-2.z.enc.cksum.part fsync:1:$mu
write:1:$mu/sigs.1-2.z.enc.part fsync:1:$mu/sigs.1-2.z.enc.part rename:1:$mu/sigs.1-2.z.enc.part
fsync:2:$mu write:1:$mu/states/srl_set.current.tmp fsync:1:$mu/states/srl_set.current.tmp
rename:1:$mu/states/srl_set.current.tmp"
kills=0 bad=0 seen11=0 seen12=0
for step in $steps; do
	sc=${step%%:*}; rest=${step#*:}; when=${rest%%:*}; path=${rest#*:}
	rm -rf "$mu"; cp -a "$tmp/cache-1.1" "$mu"
	"$STRACE" -f -o /dev/null -P "$path" -e trace=$sc -e inject=$sc:signal=SIGKILL:when=$when \
		"$bin/whorl-update" --config-dir "$tmp/etc" --cartridge "$cart" --once >/dev/null 2>&1
	if [ $? -ne 137 ]; then
		bad=$((bad + 1)); echo "step $sc #$when ${path#$tmp/}: never reached (not killed)"; continue
	fi
	kills=$((kills + 1))
	out=$(update "$tmp/off")
	dg=$(field "$out" "snapshot digest")
	if has "$out" 'mu sigs serial = 1.1' && [ "$dg" = "$d1" ]; then
		seen11=$((seen11 + 1))
	elif has "$out" 'mu sigs serial = 1.2' && [ "$dg" = "$d2" ]; then
		seen12=$((seen12 + 1))
	else
		bad=$((bad + 1)); echo "kill at $sc #$when ${path#$tmp/}: $(printf '%s\n' "$out" | tail -3)"
	fi
	if has "$out" 'cannot be loaded' || ls "$mu" | grep -q '\.part$'; then
		bad=$((bad + 1)); echo "kill at $sc #$when ${path#$tmp/}: $(printf '%s\n' "$out" | grep -m1 'cannot be loaded')"
	fi
	out=$(update "$tmp/etc")
	if ! has "$out" 'mu sigs serial = 1.2' || [ "$(field "$out" "snapshot digest")" != "$d2" ]; then
		bad=$((bad + 1)); echo "kill at $sc #$when ${path#$tmp/}: the next network cycle did not reach 1.2"
	fi
done
check "kill -9 at $kills steps of persisting the delta: each restart loads 1.1 ($seen11) or 1.2 ($seen12) whole" [ "$bad" -eq 0 -a "$kills" -eq 11 ]

echo "net_delta_persist: $fails failed"
[ "$fails" -eq 0 ]
