#!/bin/sh
# scan_limits.sh - limits that drop content say so, and `max body length`
# means the body (issues 10 and 12), through whorl-scan and the real
# cartridge on the etc/demo set:
#  - filler hidden by a style attribute whose display:none comes after
#    2 KB of padding is still hidden (the same score as without it, rescan
#    0), while the same filler visible does change the score;
#  - a style attribute past HTML_STYLE_MAX with CSS comments, a link longer
#    than TEXT_MAX_URL_LEN: verdict with rescan 1;
#  - max body length cuts the body only (a message whose headers alone pass
#    the limit is read whole, rescan 0) and a cut message gets rescan 1;
#  - max body length 1 .. 250 does not stop the engine from starting (the
#    self test ignores the limit).
# Prints PASS/FAIL per check; exits non-zero when any check failed.
set -u
. "$(pwd)/tests/integration/lib/common.sh"
need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-scan" "$cart"

tmp=$(mktemp -d /tmp/whorl_scan_limits.XXXXXX) || exit 1
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/etc" "$tmp/msg"
"$bin/whorl-keygen" "$tmp/keys" >/dev/null
publish_demo >/dev/null 2>&1 || { echo "FAIL: publishing the demo set"; exit 1; }
cp "$top/etc/categories" "$tmp/etc/"
base_cfg="micro-update url = file://$tmp/mirror
publisher key = $tmp/keys/publisher.pub
favor analysis over speed = yes"
printf '%s\n' "$base_cfg" > "$tmp/etc/cartridge.cfg"
t=$(printf '\t')

# field FILE COLUMN: one column of whorl-scan's line for FILE (2 score, 4 rescan)
field() { "$bin/whorl-scan" --config-dir "$tmp/etc" --cartridge "$cart" -j 1 "$1" 2>/dev/null | cut -f"$2"; }

python3 - "$demo/publish/spam/spam-lottery-fraud.eml" "$tmp/msg" <<'PY' || { echo "FAIL: making messages"; exit 1; }
import html, sys
src, out = sys.argv[1], sys.argv[2]
raw = open(src, encoding='latin-1').read()
head, body = raw.split('\n\n', 1)
head = '\n'.join(l for l in head.split('\n') if not l.lower().startswith('content-'))
# 500 distinct made-up words: the kind of filler that dilutes a campaign
filler = ' '.join(''.join('bcdfglmnprstv'[(i * 7 + k * 3) % 13] + 'aeiou'[(i + k) % 5]
                          for k in range(2 + i % 3)) + str(i) for i in range(500))
def page(extra):
    paras = ''.join('<p>%s</p>\n' % html.escape(p) for p in body.split('\n\n'))
    return (head + '\nContent-Type: text/html; charset=iso-8859-1\n\n<html><body>\n' + paras
            + extra + '</body></html>\n')
def save(name, text):
    open(out + '/' + name, 'w', encoding='latin-1').write(text)
save('plain-html.eml', page(''))
pad = 'margin:0;' * 230                      # 2,070 bytes before display:none
save('padded-hidden.eml', page('<div style="%sdisplay:none">%s</div>\n' % (pad, filler)))
save('padded-visible.eml', page('<div style="%scolor:black">%s</div>\n' % (pad, filler)))
comments = '/* padding */' * 700               # 9,100 bytes of CSS comments
save('style-comments.eml', page('<div style="%sdisplay:none">%s</div>\n' % (comments, filler)))
save('long-url.eml', page('<p><a href="http://example.org/%s">more</a></p>\n' % ('a' * 3000)))
# headers alone longer than the body limit used below, body short
save('long-headers.eml', 'X-Padding: ' + 'h' * 600 + '\n' + raw)
PY

# 1. padded style: the hidden filler stays hidden
plain=$(field "$tmp/msg/plain-html.eml" 2)
hidden=$(field "$tmp/msg/padded-hidden.eml" 2)
visible=$(field "$tmp/msg/padded-visible.eml" 2)
check "style: the campaign as HTML is flagged ($plain)" [ "${plain:-0}" -ge 50 ]
check "style: display:none after 2 KB of padding hides the filler ($hidden = $plain)" \
	[ "${hidden:-0}" -eq "${plain:-1}" ]
check "style: padded hidden filler, rescan 0" [ "$(field "$tmp/msg/padded-hidden.eml" 4)" = 0 ]
check "style: the same filler visible changes the score ($visible), so hiding it matters" \
	[ "${visible:-0}" -ne "${plain:-0}" ]

# 2. content past a limit: rescan 1
check "style: comments past HTML_STYLE_MAX give rescan 1" \
	[ "$(field "$tmp/msg/style-comments.eml" 4)" = 1 ]
check "url: a link past TEXT_MAX_URL_LEN gives rescan 1" [ "$(field "$tmp/msg/long-url.eml" 4)" = 1 ]
check "control: the plain HTML campaign has rescan 0" [ "$(field "$tmp/msg/plain-html.eml" 4)" = 0 ]

# 3. max body length counts the body only, and a cut asks for a rescan
body_len=$(python3 -c 'import sys; print(len(open(sys.argv[1],"rb").read().split(b"\n\n",1)[1]))' \
	"$demo/publish/spam/spam-lottery-fraud.eml")
printf '%s\nmax body length = %s\n' "$base_cfg" "$body_len" > "$tmp/etc/cartridge.cfg"
line=$("$bin/whorl-scan" --config-dir "$tmp/etc" --cartridge "$cart" "$tmp/msg/long-headers.eml" 2>/dev/null)
check "max body length = body size: headers past it, message read whole (rescan 0)" \
	[ "$(printf '%s' "$line" | cut -f4)" = 0 ]
check "max body length = body size: still flagged" [ "$(printf '%s' "$line" | cut -f2)" -ge 50 ]
printf '%s\nmax body length = %s\n' "$base_cfg" $((body_len / 4)) > "$tmp/etc/cartridge.cfg"
line=$("$bin/whorl-scan" --config-dir "$tmp/etc" --cartridge "$cart" "$tmp/msg/long-headers.eml" 2>/dev/null)
check "max body length = a quarter of the body: rescan 1 ($line)" \
	[ "$(printf '%s' "$line" | cut -f4)" = 1 ]

# 4. tiny limits never stop the engine from starting
for n in 1 2 17 64 100 150 200 250 251 1000; do
	printf '%s\nmax body length = %s\n' "$base_cfg" "$n" > "$tmp/etc/cartridge.cfg"
	out=$("$bin/whorl-scan" --config-dir "$tmp/etc" --cartridge "$cart" "$tmp/msg/plain-html.eml" 2>&1)
	rc=$?
	check "max body length = $n: engine starts, verdict has rescan 1" \
		sh -c '[ "$1" -eq 0 ] && [ "$(printf "%s" "$2" | grep "plain-html.eml${3}" | cut -f4)" = 1 ]' \
		- "$rc" "$out" "$t"
done

[ "$fails" -eq 0 ] && echo "scan_limits: all checks passed"
[ "$fails" -eq 0 ]
