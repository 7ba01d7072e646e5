#!/bin/sh
# net_nginx.sh - micro-updates over real HTTP: Debian's nginx on 127.0.0.1
# serves a mirror written by whorl-publish, with auth_basic (the licence)
# on the *.cksum files only; whorl-update --once loads it directly and
# through tinyproxy with BasicAuth; a second publish arrives as an
# incremental download; an unchanged manifest is a 304; a wrong licence
# gives the guide's 401 line and keeps the cached set; a closed port gives
# "Could not connect to host".
# Skips (exit 0) only when nginx or tinyproxy is not installed.
set -u
. "$(pwd)/tests/integration/lib/common.sh"

NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
TINYPROXY=$(command -v tinyproxy || ls /usr/bin/tinyproxy /usr/sbin/tinyproxy 2>/dev/null | head -1)
if [ -z "$NGINX" ] || [ -z "$TINYPROXY" ]; then
	echo "SKIP: nginx or tinyproxy not installed (scripts/deps.sh installs them)"
	exit 0
fi
need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-update" "$cart"
net_tmp net_nginx


"$bin/whorl-keygen" "$tmp/keys" >/dev/null
publish_demo >/dev/null
chmod -R a+rX "$tmp/mirror"

# nginx: licence 4242 / s3cret on the checksum files
printf '4242:%s\n' "$(openssl passwd -apr1 s3cret)" > "$tmp/htpasswd"
nginx_start 'location ~ \.cksum$ { auth_basic "whorl licence"; auth_basic_user_file '"$tmp/htpasswd"'; }'

mkdir -p "$tmp/etc"
printf '4242\ns3cret\n' > "$tmp/etc/license.cfg"
cp "$top/etc/categories" "$tmp/etc/categories"
write_cfg() { # write_cfg URL [EXTRA LINES]
	{
		echo "micro-update url = $1"
		echo "publisher key = $tmp/keys/publisher.pub"
		echo "micro-update timeout = 5"
		shift
		for l in "$@"; do echo "$l"; done
	} > "$tmp/etc/cartridge.cfg"
}
update() { "$bin/whorl-update" --config-dir "$tmp/etc" --cartridge "$cart" --once -v; }

# 1. a complete download over HTTP
write_cfg "http://127.0.0.1:$port/"
out=$(update 2>&1); rc=$?; [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "http: whorl-update exits 0" [ "$rc" -eq 0 ]
check "http: complete download logged" sh -c "printf '%s' \"\$1\" | grep -q 'Successful sigs download from network (new serial 1.1)'" _ "$out"
check "http: serial 1.1 in use" sh -c "printf '%s' \"\$1\" | grep -q 'mu sigs serial = 1.1'" _ "$out"
check "http: checksum files fetched with the licence" grep -q '4242 .*GET /sigs.1.z.enc.cksum HTTP/1.1" 200' "$tmp/nginx/logs/access.log"
check "http: the set is cached on disk" test -s "$tmp/etc/micro_updates/sigs.1.z.enc"
check "http: the state files name it" grep -q sigs "$tmp/etc/micro_updates/states/srl_set.current"

# 2. a second publish: a delta, fetched incrementally
mkdir -p "$tmp/more"; cp "$top/tests/data/engine/spam-watch.eml" "$tmp/more/"
publish_demo --category spam="$tmp/more" >/dev/null
chmod -R a+rX "$tmp/mirror"
out=$(update 2>&1); rc=$?; [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "delta: exit 0" [ "$rc" -eq 0 ]
check "delta: incremental download logged (1.2)" sh -c "printf '%s' \"\$1\" | grep -q 'Successful sigs incremental download from network (new serial 1.2)'" _ "$out"

# 3. a wrong licence: the guide's 401 line, the cached set stays usable
# (a third publish, so that there is a checksum file to ask for: 1.2 is on disk)
printf 'From: a@example.net\nSubject: third\n\nA third publication, one more message.\n' > "$tmp/more/third.eml"
publish_demo --category spam="$tmp/more" >/dev/null
chmod -R a+rX "$tmp/mirror"
printf '4242\nwrong\n' > "$tmp/etc/license.cfg"
out=$(update 2>&1); rc=$?; [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "401: guide's line" sh -c "printf '%s' \"\$1\" | grep -q 'invalid license \[HTTP error: 401\]'" _ "$out"
check "401: cached set still loaded, exit 0" [ "$rc" -eq 0 ]

# 3b. no license.cfg against a mirror that wants one: the 401 line and the
# guide's missing-licence line; the cached set stays
rm "$tmp/etc/license.cfg"
out=$(update 2>&1); rc=$?; [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "no licence: fetched without authentication (INFO)" sh -c "printf '%s' \"\$1\" | grep -q 'INFO:MICROUPDATE: No license file .*license.cfg: fetching micro-updates from http://127.0.0.1:$port/ without authentication (open mirror).'" _ "$out"
check "no licence, 401: guide's 401 line" sh -c "printf '%s' \"\$1\" | grep -q 'invalid license \[HTTP error: 401\]'" _ "$out"
check "no licence, 401: guide's missing-licence line" sh -c "printf '%s' \"\$1\" | grep -q 'missing license file'" _ "$out"
check "no licence, 401: cached set still loaded, exit 0" [ "$rc" -eq 0 ]

# 3c. a malformed license.cfg stays an error: nothing is fetched
printf 'not-a-number\ns3cret\n' > "$tmp/etc/license.cfg"
n_before=$(wc -l < "$tmp/nginx/logs/access.log")
out=$(update 2>&1); rc=$?; [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
n_after=$(wc -l < "$tmp/nginx/logs/access.log")
check "malformed licence: the guide's line" sh -c "printf '%s' \"\$1\" | grep -q 'ERROR:MICROUPDATE: Could not update signatures from network (malformed license id'" _ "$out"
check "malformed licence: no request reached the mirror" [ "$n_before" -eq "$n_after" ]
check "malformed licence: cached set still loaded, exit 0" [ "$rc" -eq 0 ]
printf '4242\ns3cret\n' > "$tmp/etc/license.cfg"

# 4. through tinyproxy with BasicAuth
pport=$(free_port)
cat > "$tmp/tinyproxy.conf" <<CONF
Port $pport
Listen 127.0.0.1
Timeout 30
MaxClients 8
LogLevel Info
LogFile "$tmp/tinyproxy.log"
BasicAuth proxyuser proxypass
Allow 127.0.0.1
CONF
"$TINYPROXY" -d -c "$tmp/tinyproxy.conf" &
pids="$pids $!"
wait_port "$pport" || { echo "FAIL: tinyproxy did not start"; exit 1; }
rm -rf "$tmp/etc/micro_updates"
write_cfg "http://127.0.0.1:$port/" "http proxy = 127.0.0.1:$pport" "http proxy basic auth = proxyuser:proxypass"
out=$(update 2>&1); rc=$?; [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "proxy: exit 0 through tinyproxy" [ "$rc" -eq 0 ]
check "proxy: downloaded (serial 1.3)" sh -c "printf '%s' \"\$1\" | grep -q 'mu sigs serial = 1.3'" _ "$out"
check "proxy: requests went through the proxy" grep -q "manifest" "$tmp/tinyproxy.log"
rm -rf "$tmp/etc/micro_updates"
write_cfg "http://127.0.0.1:$port/" "http proxy = 127.0.0.1:$pport" "http proxy basic auth = proxyuser:nope"
out=$(update 2>&1); rc=$?; [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "proxy: wrong proxy password refused, nothing loaded, exit 2" [ "$rc" -eq 2 ]
check "proxy: refusal logged (tinyproxy answers 401)" sh -c "printf '%s' \"\$1\" | grep -q 'HTTP error: 40[17]'" _ "$out"

# 5. nothing listening: "Could not connect to host"
dead=$(free_port)
write_cfg "http://127.0.0.1:$dead/"
rm -rf "$tmp/etc/micro_updates"
out=$(update 2>&1); rc=$?; [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "closed port: guide's connect line" sh -c "printf '%s' \"\$1\" | grep -q 'Could not connect to host 127.0.0.1:$dead (addr 127.0.0.1)--'" _ "$out"
check "closed port: nothing usable, exit 2" [ "$rc" -eq 2 ]

# 6. enable micro-updates = no: the mirror is not contacted
write_cfg "http://127.0.0.1:$port/" "enable micro-updates = no"
n_before=$(wc -l < "$tmp/nginx/logs/access.log")
out=$(update 2>&1); rc=$?; [ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
n_after=$(wc -l < "$tmp/nginx/logs/access.log")
check "disabled: no request reached the mirror" [ "$n_before" -eq "$n_after" ]

echo "net_nginx: $fails failed"
[ "$fails" -eq 0 ]
