#!/bin/sh
# install.sh - `make install PREFIX=/usr DESTDIR=<tmp>` of the current BUILD,
# then use the installation as a user would: every file the README lists is
# there, whorl.pc names the prefix, a small C program compiles against the
# installed headers with the flags pkg-config gives (statically against
# libwhorl.a, and dynamically against libwhorl.so) and scores a message with
# the installed cartridge.so, and the installed programs find their
# cartridge relative to themselves.
# Prints PASS/FAIL per check; exits non-zero when any check failed.
# Not for: what the programs do (publish_scan.sh, scan_cli.sh).
set -u
build=${WHORL_TEST_BUILD:-build}
top=$(pwd)
prefix=/usr
fails=0
cc=${CC:-cc}

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }
check() { # check NAME COMMAND...: PASS when the command succeeds
	name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
# xfail NAME WHY COMMAND...: a known bug owned elsewhere. XFAIL while the
# command fails; once it succeeds the check fails (XPASS) so that the
# marker is turned back into `check`.
xfail() {
	name=$1; why=$2; shift 2
	if "$@"; then fail "XPASS $name (fixed: make this a plain check)"; else echo "XFAIL: $name - $why"; fi
}

tmp=$(mktemp -d /tmp/whorl_install.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
root="$tmp/root"
inst="$root$prefix"

# 1. install into a staging root
make --no-print-directory -s install BUILD="$build" PREFIX="$prefix" DESTDIR="$root" \
	> "$tmp/make.log" 2>&1; rc=$?
check "make install: exit 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || { sed 's/^/  make: /' "$tmp/make.log" | tail -20; exit 1; }

# 2. the files the README lists
for f in bin/whorl-scan bin/whorl-keygen bin/whorl-publish lib/whorl/cartridge.so \
	lib/libwhorl.so lib/libwhorl.so.1 lib/libwhorl.a include/whorl/whorl.h \
	include/whorl/whorl_cartridge.h lib/pkgconfig/whorl.pc etc/whorl/categories \
	etc/whorl/cartridge.cfg.sample etc/whorl/whorld.cfg.sample sbin/whorld \
	lib/systemd/system/whorld.service lib/systemd/system/whorld.socket \
	share/man/man5/whorld.cfg.5 sbin/whorl-milter etc/whorl/whorl-milter.cfg.sample \
	lib/systemd/system/whorl-milter.service share/man/man5/whorl-milter.cfg.5; do
	check "installed: $f" test -e "$inst/$f"
done
for f in Whorl.pm whorl.pre whorl.cf; do
	check "installed: SpamAssassin plugin file /etc/spamassassin/$f" test -e "$root/etc/spamassassin/$f"
done
for f in bin/whorl-scan bin/whorl-keygen bin/whorl-publish; do
	check "installed: $f is executable" test -x "$inst/$f"
done
check "installed: sbin/whorld is executable" test -x "$inst/sbin/whorld"
check "installed: whorld.service runs $prefix/sbin/whorld" \
	grep -q "^ExecStart=$prefix/sbin/whorld -f$" "$inst/lib/systemd/system/whorld.service"
check "installed: whorl-milter.service runs $prefix/sbin/whorl-milter" \
	grep -q "^ExecStart=$prefix/sbin/whorl-milter$" "$inst/lib/systemd/system/whorl-milter.service"
check "installed: libwhorl.so points at libwhorl.so.1" \
	[ "$(readlink "$inst/lib/libwhorl.so")" = libwhorl.so.1 ]
check "installed: cartridge.so exports only whorl_cartridge_entry" \
	[ "$(nm -D --defined-only "$inst/lib/whorl/cartridge.so" | awk '{print $3}')" = whorl_cartridge_entry ]

# 3. whorl.pc: the prefix it was installed under
export PKG_CONFIG_PATH="$inst/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
export PKG_CONFIG_LIBDIR="$inst/lib/pkgconfig"   # nothing from the build machine
pc_prefix=$(PKG_CONFIG_SYSROOT_DIR= pkg-config --variable=prefix whorl)
check "whorl.pc: prefix=$prefix (it says $pc_prefix)" [ "$pc_prefix" = "$prefix" ]
check "whorl.pc: version 0.1.0" [ "$(pkg-config --modversion whorl)" = 0.1.0 ]
# The rest of the .pc is checked on its own even when the prefix is wrong.
pc="pkg-config --define-variable=prefix=$prefix"
cflags=$($pc --cflags whorl)
static_libs=$($pc --libs --static whorl | sed 's/-lwhorl/-l:libwhorl.a/')
shared_libs=$($pc --libs whorl)

# 4. a user's program, built against the installation
cat > "$tmp/score_one.c" <<'C'
/* Scores one message file with a cartridge and a configuration directory. */
#include <stdio.h>
#include <whorl/whorl.h>
int main(int argc, char **argv)
{
	static char msg[1 << 20];
	char err[512];
	whorl_host *h = NULL;
	struct whorl_verdict *v = NULL;
	FILE *f = argc == 4 ? fopen(argv[3], "rb") : NULL;
	size_t len = f ? fread(msg, 1, sizeof msg, f) : 0;
	struct whorl_host_options o = { .size = sizeof o, .cartridge_path = argv[1],
	                                .config_dir = argv[2] };
	if (!f || whorl_host_open(&o, &h, err, sizeof err) != 0)
		return fprintf(stderr, "score_one: %s\n", f ? err : "usage"), 1;
	if (whorl_host_score(h, NULL, msg, len, &v) != 0)
		return fprintf(stderr, "score_one: score failed\n"), 1;
	printf("%u\t%s\t%d\t%s\n", v->score, v->category_desc, v->rescan, v->analysis);
	whorl_host_verdict_free(h, v);
	whorl_host_close(h);
	return fclose(f) != 0;
}
C
# The .pc's Cflags name $prefix/include (the sysroot maps it into $inst).
# shellcheck disable=SC2086
$cc -std=c11 -Wall -Werror $cflags -o "$tmp/score_static" "$tmp/score_one.c" \
	$static_libs > "$tmp/cc.log" 2>&1; rc=$?
check "compile against libwhorl.a with pkg-config --static flags" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || sed 's/^/  cc: /' "$tmp/cc.log"
check "the static program does not need libwhorl.so" \
	sh -c "! ldd '$tmp/score_static' | grep -q libwhorl"
# shellcheck disable=SC2086
$cc -std=c11 -Wall -Werror $cflags -o "$tmp/score_shared" "$tmp/score_one.c" \
	$shared_libs > "$tmp/cc.log" 2>&1; rc=$?
check "compile against libwhorl.so with pkg-config flags" [ "$rc" -eq 0 ]

# 5. a publisher and a gateway with the installed programs: keygen, then
# publish with no --cartridge (found as ../lib/whorl/cartridge.so)
bin="$inst/bin"
"$bin/whorl-keygen" "$tmp/keys" > /dev/null 2>&1
"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/mirror" \
	--category spam="$top/tests/data/engine/spam-loan.eml" \
	--legit "$top/tests/data/engine/ham-allotment.eml" > "$tmp/pub.log" 2>&1; rc=$?
check "installed whorl-publish finds its cartridge and configuration" [ "$rc" -eq 0 ]
mkdir "$tmp/etc"
cp "$inst/etc/whorl/categories" "$tmp/etc/"
printf 'micro-update url = file://%s\npublisher key = %s\n' "$tmp/mirror" \
	"$tmp/keys/publisher.pub" > "$tmp/etc/cartridge.cfg"
cart="$inst/lib/whorl/cartridge.so"
spam="$top/tests/data/engine/spam-loan.eml"
out=$("$tmp/score_static" "$cart" "$tmp/etc" "$spam" 2>&1); rc=$?
check "static program scores the published spam >= 50 as spam ($out)" \
	sh -c "[ $rc -eq 0 ] && printf '%s\n' '$out' | awk -F'\t' '\$1 >= 50 && \$2 == \"spam\" && \$3 == 0' | grep -q ."
out=$(LD_LIBRARY_PATH="$inst/lib" "$tmp/score_shared" "$cart" "$tmp/etc" \
	"$top/tests/data/engine/spam-watch.eml" 2>&1); rc=$?
check "shared program scores an unknown message < 50 ($out)" \
	sh -c "[ $rc -eq 0 ] && printf '%s\n' '$out' | awk -F'\t' '\$1 < 50' | grep -q ."
check "shared program really uses the installed libwhorl.so.1" \
	sh -c "LD_LIBRARY_PATH='$inst/lib' ldd '$tmp/score_shared' | grep -q '$inst/lib/libwhorl.so.1'"
out=$("$bin/whorl-scan" --config-dir "$tmp/etc" "$spam" 2>/dev/null | cut -f2,3)
check "installed whorl-scan finds ../lib/whorl/cartridge.so" \
	sh -c "printf '%s\n' '$out' | awk -F'\t' '\$1 >= 50 && \$2 == \"spam/undefined\"' | grep -q ."
out=$("$bin/whorl-scan" "$spam" 2>/dev/null); rc=$?
check "installed whorl-scan runs on its own ../etc/whorl (no data: rescan)" \
	sh -c "[ $rc -eq 0 ] && printf '%s\n' '$out' | awk -F'\t' '\$4 == 1' | grep -q ."

if [ "$fails" -ne 0 ]; then
	echo "install: $fails check(s) failed"
	exit 1
fi
echo "install: all checks passed"
