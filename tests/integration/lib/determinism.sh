#!/usr/bin/env bash
# determinism.sh - the same bytes always get the same verdict (issue 9):
# scores corpus messages forward, reversed and shuffled, on 1 and 2 threads,
# and a sample of them alone, one message per whorl-scan process, and
# compares every verdict (score, category, rescan, analysis: the whole
# --json line) across all runs, byte for byte.
#
#   bash tests/integration/lib/determinism.sh    (from the repository root)
#
# Besides the corpus it scans re-encodings of some of its plain-text
# messages (UTF-16 with either byte order mark or none, UTF-32, UTF-7,
# ISO-2022-JP, KOI8-R, and UTF-16 under a label only iconv reads as such):
# the charset converters are where state once outlived its message.
# The data is spam-1 published as spam with easy-ham-2 as legitimate mail
# (as tests/bench/accuracy.sh does), so the fingerprint engines, lookups and
# scoring all take part.
#
# Environment: STRIDE (scan every STRIDE-th corpus message, default 1),
# PROC_STRIDE (scan every PROC_STRIDE-th of those alone in its own process,
# default 10), SEED (shuffle seed, default 1), BUILD (default build).
# Prints "messages_compared = N" and "differences = N" (and the first
# differences). Exit: 0 no difference, 1 differences, 2 could not run (no
# corpus, no build, a scan failed): never a silent pass.
#
# Run by tests/integration/determinism.sh (a subset) and
# tests/bench/determinism.sh (the whole corpus). Not for: timing.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${BUILD:-${WHORL_TEST_BUILD:-build}}
case $build in /*) ;; *) build=$root/$build ;; esac
stride=${STRIDE:-1}
proc_stride=${PROC_STRIDE:-10}
seed=${SEED:-1}

die() { echo "determinism: $*" >&2; exit 2; }

# shellcheck source=tests/integration/lib/corpus.sh
. "$root/tests/integration/lib/corpus.sh"
corpus_need spam-1 easy-ham-2
build_need "" bin/whorl-keygen bin/whorl-publish bin/whorl-scan

work=$(mktemp -d "${TMPDIR:-/tmp}/whorl-determinism.XXXXXX")
trap 'rm -rf "$work"' EXIT

corpus_gateway "$work" spam-1 easy-ham-2

# The messages: every STRIDE-th corpus file, and re-encodings of some.
python3 - "$corpus" "$work" "$stride" <<'PY' || die "listing or re-encoding the corpus failed"
import base64, codecs, email, os, sys
corpus, work, stride = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = []
for g in sorted(os.listdir(corpus)):
    d = os.path.join(corpus, g)
    if os.path.isdir(d):
        files += [os.path.join(d, n) for n in sorted(os.listdir(d))]
files = files[::stride]
ENC = [('utf16be', 'utf-16', codecs.BOM_UTF16_BE, 'utf-16-be'),
       ('utf16le', 'utf-16', codecs.BOM_UTF16_LE, 'utf-16-le'),
       ('utf16nobom', 'utf-16', b'', 'utf-16-le'),
       ('utf32le', 'utf-32', codecs.BOM_UTF32_LE, 'utf-32-le'),
       ('utf7', 'utf-7', b'', 'utf-7'),
       ('iso2022jp', 'iso-2022-jp', b'', 'iso-2022-jp'),
       ('koi8r', 'koi8-r', b'', 'koi8-r'),
       # one label iconv_open folds into a byte-order-sniffing converter,
       # with each byte order mark (the first one read must not decide)
       ('folded16be', 'ut+f-16', codecs.BOM_UTF16_BE, 'utf-16-be'),
       ('folded16le', 'ut+f-16', codecs.BOM_UTF16_LE, 'utf-16-le')]
made = 0
for path in files[::7]:
    raw = open(path, 'rb').read()
    m = email.message_from_bytes(raw)
    if m.is_multipart() or m.get_content_type() != 'text/plain':
        continue
    body = m.get_payload(decode=True) or b''
    text = body.decode(m.get_content_charset() or 'latin-1', 'replace')
    head = b'Subject: ' + (m.get('Subject') or '').encode('utf-8', 'replace') + \
        b'\nFrom: ' + (m.get('From') or '').encode('utf-8', 'replace') + b'\nMIME-Version: 1.0\n'
    for name, label, bom, enc in ENC:
        data = bom + text.encode(enc, 'replace')
        out = os.path.join(work, 'recoded', name)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, os.path.basename(path)), 'wb') as f:
            f.write(head + b'Content-Type: text/plain; charset=' + label.encode() +
                    b'\nContent-Transfer-Encoding: base64\n\n' + base64.encodebytes(data))
    made += 1
    if made >= 60:
        break
for name, *_ in ENC:
    d = os.path.join(work, 'recoded', name)
    if os.path.isdir(d):
        files += [os.path.join(d, n) for n in sorted(os.listdir(d))]
with open(os.path.join(work, 'forward.list'), 'w') as f:
    f.write('\n'.join(files) + '\n')
PY

python3 - "$work" "$seed" <<'PY'
import os, random, sys
work, seed = sys.argv[1], int(sys.argv[2])
files = open(os.path.join(work, 'forward.list')).read().split()
open(os.path.join(work, 'reversed.list'), 'w').write('\n'.join(reversed(files)) + '\n')
random.Random(seed).shuffle(files)
open(os.path.join(work, 'shuffled.list'), 'w').write('\n'.join(files) + '\n')
PY

scan() { # scan NAME LIST JOBS: one whorl-scan over the files in LIST
	local name=$1 list=$2 jobs=$3
	mapfile -t paths <"$work/$list.list"
	"$build/bin/whorl-scan" --config-dir "$work/etc" --json -j "$jobs" "${paths[@]}" \
		>"$work/$name.jsonl" 2>"$work/$name.err" \
		|| { tail -n 5 "$work/$name.err" >&2; die "whorl-scan failed in run $name"; }
}
scan forward-j1 forward 1
scan reversed-j1 reversed 1
scan shuffled-j1 shuffled 1
scan forward-j2 forward 2
scan reversed-j2 reversed 2
scan shuffled-j2 shuffled 2

# A sample alone, one whorl-scan process per message.
n=0
while IFS= read -r path; do
	if (( n % proc_stride == 0 )); then
		"$build/bin/whorl-scan" --config-dir "$work/etc" --json -j 1 "$path" \
			>>"$work/alone.jsonl" 2>>"$work/alone.err" \
			|| { tail -n 5 "$work/alone.err" >&2; die "whorl-scan failed on $path alone"; }
	fi
	n=$((n + 1))
done <"$work/shuffled.list"

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
runs = ['forward-j1', 'reversed-j1', 'shuffled-j1', 'forward-j2', 'reversed-j2', 'shuffled-j2',
        'alone']
verdicts = {}
for run in runs:
    seen = {}
    with open(os.path.join(work, run + '.jsonl')) as f:
        for line in f:
            line = line.rstrip('\n')
            if line:
                seen[json.loads(line)['path']] = line
    verdicts[run] = seen
ref = verdicts['forward-j1']
expected = len(open(os.path.join(work, 'forward.list')).read().split())
if len(ref) < expected:
    print('determinism: run forward-j1 has %d verdicts for %d files' % (len(ref), expected),
          file=sys.stderr)
    sys.exit(2)
compared = differing = 0
shown = 0
for path, want in sorted(ref.items()):
    bad = []
    for run in runs[1:]:
        got = verdicts[run].get(path)
        if got is None:
            if run != 'alone':
                bad.append((run, '(no verdict)'))
            continue
        compared += 1
        if got != want:
            bad.append((run, got))
    if bad:
        differing += 1
        if shown < 10:
            shown += 1
            print('DIFF forward-j1: %s' % want)
            for run, got in bad:
                print('     %s: %s' % (run, got))
print('runs = %s' % ' '.join(runs))
print('messages = %d' % len(ref))
print('alone_sample = %d' % len(verdicts['alone']))
print('messages_compared = %d (verdict pairs against forward-j1)' % compared)
print('differences = %d' % differing)
sys.exit(1 if differing else 0)
PY
