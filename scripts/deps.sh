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
  libmilter-dev miltertest postfix m4 \
  spamc spamassassin spamd rspamd redis-server chromium swaks clang-format systemd curl \
  python3-pil python3-qrcode fonts-dejavu-core strace \
  libnss-wrapper libmariadb3 libidn12 libspf2-2 procmail fuse3 python3-fusepy"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# npm only fetches the benchmark corpus; any npm will do (Debian's or nodesource's).
command -v npm >/dev/null 2>&1 || missing="$missing npm"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
	echo "deps: installing$missing" >&2
	# Postfix is only for tests (tests/integration/milter_postfix.sh starts its
	# own instance with postfix -c): installed unconfigured, so no system MTA runs.
	echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
	$SUDO apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Exim 4.96 for tests/integration/whorld_exim.sh. exim4-daemon-heavy cannot be
# installed beside Postfix (both provide mail-transport-agent), so its .deb is
# downloaded and unpacked into a cache; the test runs that binary with its own
# configuration. Its libraries (libmariadb3, libidn12, libspf2-2) and
# libnss-wrapper (the test's stand-in for the Debian-exim user) are in PKGS.
exim_cache=${XDG_CACHE_HOME:-$HOME/.cache}/whorl-exim
if [ ! -x "$exim_cache/root/usr/sbin/exim4" ]; then
	echo "deps: unpacking exim4-daemon-heavy into $exim_cache" >&2
	mkdir -p "$exim_cache"
	(cd "$exim_cache" && { apt-get download -qq exim4-daemon-heavy 2>/dev/null ||
		{ $SUDO apt-get update -qq >/dev/null && apt-get download -qq exim4-daemon-heavy; }; })
	dpkg-deb -x "$(ls "$exim_cache"/exim4-daemon-heavy_*.deb | tail -1)" "$exim_cache/root"
fi

# Sendmail 8.17 for tests/integration/milter_sendmail.sh. sendmail-bin
# conflicts with Postfix too, so sendmail-bin, sendmail-cf (the m4 files
# the test builds its sendmail.cf with) and libwrap0 (a library of
# sendmail's not otherwise installed) are unpacked into a cache; the
# unpacked sendmail loses its setgid bit so the loader honours
# LD_LIBRARY_PATH. m4 is in PKGS.
sm_cache=${XDG_CACHE_HOME:-$HOME/.cache}/whorl-sendmail
if [ ! -x "$sm_cache/root/usr/libexec/sendmail/sendmail" ]; then
	echo "deps: unpacking sendmail-bin, sendmail-cf and libwrap0 into $sm_cache" >&2
	mkdir -p "$sm_cache"
	(cd "$sm_cache" && { apt-get download -qq sendmail-bin sendmail-cf libwrap0 2>/dev/null ||
		{ $SUDO apt-get update -qq >/dev/null &&
			apt-get download -qq sendmail-bin sendmail-cf libwrap0; }; })
	for deb in sendmail-bin sendmail-cf libwrap0; do
		dpkg-deb -x "$(ls "$sm_cache"/${deb}_*.deb | tail -1)" "$sm_cache/root"
	done
	chmod g-s "$sm_cache/root/usr/libexec/sendmail/sendmail"
fi
