#!/bin/sh
# publish_sources.sh - whorl-publish never publishes nothing silently
# (issue 10.2): a --category DIR of symbolic links to mail files is read
# like the files themselves (as whorl-scan reads it), an mbox behind a link
# or over 256 KiB in the directory is split, a source that gives no message is an error naming it with
# nothing published, and unreadable entries are named and counted.
# Prints PASS/FAIL per check; exits non-zero when any check failed.
set -u
. "$(dirname "$0")/lib/common.sh"
need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$cart"
tmp=$(mktemp -d /tmp/whorl_publish_sources.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
"$bin/whorl-keygen" "$tmp/keys" >/dev/null || { echo "FAIL: whorl-keygen"; exit 1; }
spam="$demo/publish/spam"
n_spam=$(ls "$spam" | wc -l)

# pub OUT SOURCE...: publishes into $tmp/OUT; output in $tmp/OUT.log, rc set.
pub() {
	out=$1; shift
	"$bin/whorl-publish" --key "$tmp/keys/publisher.key" --out "$tmp/$out" \
		--config-dir "$top/etc" --cartridge "$cart" "$@" > "$tmp/$out.log" 2>&1; rc=$?
}
first() { head -n 1 "$tmp/$1.log" | cut -d, -f1; }

# 1. the real directory, then a directory of links to the same files
pub real --category spam="$spam"
check "real files: exit 0" [ "$rc" -eq 0 ]
mkdir -p "$tmp/links"
for f in "$spam"/*; do ln -s "$f" "$tmp/links/$(basename "$f")"; done
pub links --category spam="$tmp/links"
check "links: exit 0 (rc $rc)" [ "$rc" -eq 0 ]
check "links: every linked message published ($(first links))" \
	grep -q "^$n_spam messages (0 not fingerprinted, 0 unreadable)" "$tmp/links.log"
check "links: the same records as the files themselves" \
	[ "$(cut -d';' -f1 "$tmp/links.log")" = "$(cut -d';' -f1 "$tmp/real.log")" ]

# 2. a link to an mbox holding the same messages
mkdir -p "$tmp/boxdir"
for f in "$spam"/*; do printf 'From x@example.org Mon Jan  1 00:00:00 2024\n'; cat "$f"; printf '\n'; done \
	> "$tmp/box.mbox"
ln -s "$tmp/box.mbox" "$tmp/boxdir/inbox"
pub box --category spam="$tmp/boxdir"
check "mbox behind a link: split into its $n_spam messages" \
	grep -q "^$n_spam messages" "$tmp/box.log"
# ... and copies of it, over 256 KiB, as a file in a directory (listed by the
# walk without a stat, split when it is read)
mkdir -p "$tmp/bigdir"
k=0
while [ "$(cat "$tmp/bigdir/inbox" 2>/dev/null | wc -c)" -le 262144 ]; do
	cat "$tmp/box.mbox" >> "$tmp/bigdir/inbox"; k=$((k + 1))
done
pub big --category spam="$tmp/bigdir"
check "mbox over 256 KiB in a directory: split into its $((k * n_spam)) messages" \
	grep -q "^$((k * n_spam)) messages (0 not fingerprinted, 0 unreadable)" "$tmp/big.log"

# 3. an empty source: an error naming it, nothing published
mkdir -p "$tmp/empty"
pub none --category spam="$spam" --legit "$tmp/empty"
check "empty --legit: exit non-zero" [ "$rc" -ne 0 ]
check "empty --legit: named" grep -q -- "--legit $tmp/empty: no message could be read" "$tmp/none.log"
check "empty --legit: nothing published" [ ! -e "$tmp/none/manifest" ]
pub none2 --category spam="$tmp/missing"
check "missing --category: exit non-zero, both named" sh -c \
	"[ $rc -ne 0 ] && grep -q '$tmp/missing: No such file' '$tmp/none2.log' &&
	 grep -q -- '--category spam=$tmp/missing: no message' '$tmp/none2.log'"

# 4. only unreadable entries: each named, then the source is an error
mkdir -p "$tmp/bad"
mkfifo "$tmp/bad/fifo"
ln -s "$tmp/nowhere" "$tmp/bad/dangling"
pub bad --category spam="$tmp/bad"
check "unreadable only: exit non-zero" [ "$rc" -ne 0 ]
check "unreadable only: the FIFO named" grep -q "bad/fifo: not a regular file" "$tmp/bad.log"
check "unreadable only: the dangling link named" grep -q "bad/dangling: dangling symbolic link" "$tmp/bad.log"

# 5. readable and unreadable mixed: published, the unreadable counted
cp "$spam"/* "$tmp/bad/"
pub mixed --category spam="$tmp/bad"
check "mixed: exit 0" [ "$rc" -eq 0 ]
check "mixed: 2 unreadable counted in the summary" \
	grep -q "^$n_spam messages (0 not fingerprinted, 2 unreadable)" "$tmp/mixed.log"

if [ "$fails" -ne 0 ]; then
	echo "publish_sources: $fails check(s) failed"
	exit 1
fi
echo "publish_sources: all checks passed"
