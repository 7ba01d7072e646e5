#!/bin/sh
# Installs the Debian packages whorl needs to build, test and run its demo.
# Used by `make demo`, `make check` and .ci/run; does nothing when all are present.
# Not for: installing whorl itself (that is `make install`).
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev check libsubunit-dev \
  libsodium-dev libcurl4-openssl-dev libssl-dev libpcre2-dev zlib1g-dev \
  libgif-dev libpng-dev libjpeg62-turbo-dev \
  nginx tinyproxy \
  libmicrohttpd-dev libzbar-dev libsqlite3-dev sqlite3 libpq-dev postgresql-15 \
  libmilter-dev miltertest postfix \
  spamc spamassassin spamd rspamd redis-server chromium swaks clang-format systemd curl \
  python3-pil python3-qrcode fonts-dejavu-core strace"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# npm only fetches the benchmark corpus; any npm will do (Debian's or nodesource's).
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Postfix is only for tests (tests/integration/milter_postfix.sh starts its
# own instance with postfix -c): installed unconfigured, so no system MTA runs.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
