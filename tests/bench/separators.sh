#!/usr/bin/env bash
# separators.sh - separator lines hide nothing (issue 9 point 3): whether
# adding or removing lines of dashes, equals signs, underscores or asterisks
# changes whorl's verdict on a message.
#
#   tests/bench/separators.sh          (from the repository root)
#
# Publishes spam-1 as spam (easy-ham-2 as legitimate mail, as accuracy.sh
# does). For every single-part text/plain message of spam-1, and of
# easy-ham-1 + hard-ham-1, writes variants whose decoded text is re-emitted
# as 8bit in its charset:
#   control      the text unchanged (the reference every kind is compared with)
#   top          one separator line added at the top
#   before-last  one added before the last paragraph
#   between      one added between every two paragraphs
#   stripped     every separator line of the message removed
# (separator: 20-70 of one of "-=_*", the character rotating per message).
# Prints per kind and group: flagged (is_spam), and verdicts changed against
# control (score or is_spam differ), with the changed spam listed.
# It prints numbers; it never passes or fails (exit non-zero only when it
# could not run). Environment: BUILD (default build), JOBS (default 2).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
jobs=${JOBS:-2}

die() { echo "separators.sh: $*" >&2; exit 2; }

# shellcheck source=tests/integration/lib/corpus.sh
. "$root/tests/integration/lib/corpus.sh"
corpus_need spam-1 easy-ham-1 easy-ham-2 hard-ham-1
build_need "" bin/whorl-keygen bin/whorl-publish bin/whorl-scan

work=$(mktemp -d "${TMPDIR:-/tmp}/whorl-separators.XXXXXX")
trap 'rm -rf "$work"' EXIT

corpus_gateway "$work" spam-1 easy-ham-2

python3 - "$corpus" "$work" <<'PY' || die "making the variants failed"
import email, os, re, sys
corpus, work = sys.argv[1], sys.argv[2]
RULE = re.compile(r'^[ \t]*[-=_*~]{4,}[ \t]*$')
KINDS = ('control', 'top', 'before-last', 'between', 'stripped')

def paragraphs(text):
    return re.split(r'(\n[ \t]*\n)', text)

def variants(text, rule):
    paras = paragraphs(text)
    body = [p for i, p in enumerate(paras) if i % 2 == 0]
    seps = [p for i, p in enumerate(paras) if i % 2 == 1]
    out = {'control': text, 'top': rule + '\n' + text}
    last = max((i for i, p in enumerate(body) if p.strip()), default=0)
    def join(bs):
        r = bs[0]
        for s, b in zip(seps, bs[1:]):
            r += s + b
        return r
    out['before-last'] = join([(rule + '\n' + b if i == last else b) for i, b in enumerate(body)])
    out['between'] = join([(rule + '\n' + b if i > 0 else b) for i, b in enumerate(body)])
    out['stripped'] = '\n'.join(l for l in text.split('\n') if not RULE.match(l))
    return out

n = 0
for group in ('spam-1', 'easy-ham-1', 'hard-ham-1'):
    d = os.path.join(corpus, group)
    for name in sorted(os.listdir(d)):
        raw = open(os.path.join(d, name), 'rb').read()
        m = email.message_from_bytes(raw)
        if m.is_multipart() or m.get_content_type() != 'text/plain':
            continue
        cs = m.get_content_charset() or 'latin-1'
        try:
            text = (m.get_payload(decode=True) or b'').decode(cs)
        except (LookupError, UnicodeDecodeError):
            cs, text = 'latin-1', (m.get_payload(decode=True) or b'').decode('latin-1')
        head = raw.replace(b'\r\n', b'\n').split(b'\n\n', 1)[0].decode('latin-1').split('\n')
        keep, skip = [], False
        for l in head:
            if l[:1] in (' ', '\t'):
                if not skip:
                    keep.append(l)
                continue
            skip = l.lower().startswith(('content-transfer-encoding', 'content-type'))
            if not skip:
                keep.append(l)
        rule = '-=_*'[n % 4] * (20 + n * 7 % 51)
        n += 1
        for kind, t in variants(text, rule).items():
            out = os.path.join(work, 'v', group, kind)
            os.makedirs(out, exist_ok=True)
            hdr = '\n'.join(keep) + '\nContent-Type: text/plain; charset=%s\n' \
                'Content-Transfer-Encoding: 8bit\n\n' % cs
            with open(os.path.join(out, name), 'wb') as f:
                f.write(hdr.encode('latin-1', 'replace') + t.encode(cs, 'replace'))
PY

"$build/bin/whorl-scan" --config-dir "$work/etc" --json -j "$jobs" "$work/v" \
	>"$work/scan.jsonl" 2>"$work/scan.err" || { tail -n 5 "$work/scan.err" >&2; die "whorl-scan failed"; }

python3 - "$work" <<'PY'
import json, os, re, sys
work = sys.argv[1]
res = {}
for line in open(os.path.join(work, 'scan.jsonl')):
    r = json.loads(line)
    p = re.sub(r':\d+$', '', r['path']) if not os.path.exists(r['path']) else r['path']
    if r['path'].endswith(':1') or os.path.exists(r['path']):
        res[os.path.relpath(p, os.path.join(work, 'v'))] = r
KINDS = ('control', 'top', 'before-last', 'between', 'stripped')
print('# whorl separator-line benchmark')
print('%-12s %-12s %8s %8s %8s' % ('group', 'kind', 'messages', 'flagged', 'changed'))
changed_list = []
for group in ('spam-1', 'easy-ham-1', 'hard-ham-1'):
    names = sorted(os.listdir(os.path.join(work, 'v', group, 'control')))
    for kind in KINDS:
        flagged = changed = 0
        for n in names:
            r, c = res.get('%s/%s/%s' % (group, kind, n)), res.get('%s/control/%s' % (group, n))
            if r is None or c is None:
                print('separators.sh: no verdict for %s/%s/%s' % (group, kind, n), file=sys.stderr)
                sys.exit(2)
            flagged += bool(r['is_spam'])
            if r['score'] != c['score'] or r['is_spam'] != c['is_spam']:
                changed += 1
                changed_list.append((group, kind, n, c['score'], r['score'], r['analysis']))
        print('%-12s %-12s %8d %8d %8d' % (group, kind, len(names), flagged, changed))
        if group == 'spam-1':
            print('separators_%s_flagged = %d of %d' % (kind, flagged, len(names)))
total = sum(1 for c in changed_list)
print('verdicts_changed = %d' % total)
for g, k, n, a, b, an in changed_list[:40]:
    print('  CHANGED %s/%s/%s control=%s now=%s %s' % (g, k, n, a, b, an))
PY
