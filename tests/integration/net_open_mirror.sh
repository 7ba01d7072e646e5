#!/bin/sh
# net_open_mirror.sh - an open mirror needs no licence: Debian's nginx on
# 127.0.0.1 serves a set with no authentication at all; a gateway without
# license.cfg fetches it without credentials and says so in one INFO line.
# Skips (exit 0) only when nginx is not installed.
set -u
. "$(pwd)/tests/integration/lib/common.sh"

NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
if [ -z "$NGINX" ]; then
	echo "SKIP: nginx not installed (scripts/deps.sh installs it)"
	exit 0
fi
need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-update" "$cart"
net_tmp net_open

"$bin/whorl-keygen" "$tmp/keys" >/dev/null
publish_demo >/dev/null
chmod -R a+rX "$tmp/mirror"
nginx_start ''

mkdir -p "$tmp/etc"
cp "$top/etc/categories" "$tmp/etc/categories"
{
	echo "micro-update url = http://127.0.0.1:$port/"
	echo "publisher key = $tmp/keys/publisher.pub"
	echo "micro-update timeout = 5"
} > "$tmp/etc/cartridge.cfg"

out=$("$bin/whorl-update" --config-dir "$tmp/etc" --cartridge "$cart" --once -v 2>&1); rc=$?
[ -n "${NET_DEBUG:-}" ] && printf "%s\n" "$out"
check "open mirror: whorl-update exits 0" [ "$rc" -eq 0 ]
check "open mirror: serial 1.1 in use" sh -c "printf '%s' \"\$1\" | grep -q 'mu sigs serial = 1.1'" _ "$out"
n_info=$(printf '%s\n' "$out" | grep -c 'INFO:MICROUPDATE: No license file .*/license.cfg: fetching micro-updates from http://127.0.0.1:'"$port"'/ without authentication (open mirror).')
check "open mirror: exactly one INFO line says so" [ "$n_info" -eq 1 ]
check "open mirror: no licence error" sh -c "! printf '%s' \"\$1\" | grep -q 'license'" _ "$(printf '%s\n' "$out" | grep ERROR)"
check "open mirror: checksum file fetched without credentials" grep -q '127.0.0.1 - - .*GET /sigs.1.z.enc.cksum HTTP/1.1" 200' "$tmp/nginx/logs/access.log"
check "open mirror: no Authorization was sent" sh -c "! grep -q '127.0.0.1 - [^-]' \"\$1\"" _ "$tmp/nginx/logs/access.log"

echo "net_open_mirror: $fails failed"
[ "$fails" -eq 0 ]
