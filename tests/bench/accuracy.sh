#!/usr/bin/env bash
# accuracy.sh - the accuracy benchmark: how many permuted variants of known
# spam whorl still catches, and how much legitimate mail it flags.
#
#   tests/bench/accuracy.sh            (from the repository root)
#
# Publishes spam-1 as known spam (easy-ham-2 as known legitimate mail),
# makes variants of every spam-1 message with build/bench/mutate (every kind,
# two seeds) and the second and third mutators (mutate_alt.py, mutate_unseen.py),
# scans them and easy-ham-1 + hard-ham-1 with whorl-scan, and
# prints figures: recall per kind and overall, recall of the unmodified
# spam-1 messages, false positives (count and list), and how often each
# fingerprint engine appears in the analysis of caught variants.
# It prints numbers; it never passes or fails (exit status is non-zero only
# when it could not run).  Targets are in docs/BENCHMARKS.md.
#
# Environment: WHORL_CORPUS (corpus folder), BUILD (default build),
# SEEDS (default "1 2"), JOBS (whorl-scan -j, default 2), MIN_SCORE (writes
# "minimum score = N"; default: the cartridge's default), KEEP=1 keeps the
# work folder and prints its path.
#
# Not for: speed figures (tests/bench/speed.sh), pass/fail tests.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
seeds=${SEEDS:-1 2}
jobs=${JOBS:-2}

die() { echo "accuracy.sh: $*" >&2; exit 2; }

# shellcheck source=tests/integration/lib/corpus.sh
. "$root/tests/integration/lib/corpus.sh"
corpus=$(corpus_path) || die "no corpus"
for g in spam-1 easy-ham-1 easy-ham-2 hard-ham-1; do
	[[ -d $corpus/$g ]] || die "corpus group $corpus/$g missing"
done

[[ -x $build/bench/mutate ]] || make -C "$root" --no-print-directory "${build#$root/}/bench/mutate" >/dev/null \
	|| die "cannot build $build/bench/mutate"
for p in whorl-keygen whorl-publish whorl-scan; do
	[[ -x $build/bin/$p ]] || make -C "$root" --no-print-directory all >/dev/null 2>&1 || true
	[[ -x $build/bin/$p ]] || die "$build/bin/$p missing (run make first)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/whorl-accuracy.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
	echo "work folder: $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi

# 1. A publisher key and a signed update set: spam-1 known bad, easy-ham-2 known good.
"$build/bin/whorl-keygen" "$work/keys" >/dev/null
"$build/bin/whorl-publish" --key "$work/keys/publisher.key" --out "$work/mirror" \
	--category "spam=$corpus/spam-1" --legit "$corpus/easy-ham-2" >"$work/publish.log" 2>&1 \
	|| { cat "$work/publish.log" >&2; die "whorl-publish failed"; }

# 2. A gateway configuration that loads that set before the first scan.
mkdir -p "$work/etc" "$work/cache"
{
	echo "micro-update url = file://$work/mirror"
	echo "publisher key = $work/keys/publisher.pub"
	echo "enable micro-updates = yes"
	echo "download micro-updates before init = yes"
	echo "micro-update cache path = $work/cache"
	echo "favor analysis over speed = yes"
	[[ -n ${MIN_SCORE:-} ]] && echo "minimum score = $MIN_SCORE"
} >"$work/etc/cartridge.cfg"
[[ -f $root/etc/categories && ! -f $work/etc/categories ]] && cp "$root/etc/categories" "$work/etc/"

# 3. Variants: every kind, each seed.
for s in $seeds; do
	"$build/bench/mutate" --all --seed "$s" --out "$work/variants/s$s" "$corpus"/spam-1/*.eml \
		2>"$work/mutate-s$s.err" || die "mutate failed (see $work/mutate-s$s.err)"
	# The second, independent mutator (kinds alt-*), reported on its own.
	python3 "$root/tests/bench/mutate_alt.py" --seed "$s" --out "$work/variants/s$s" \
		"$corpus"/spam-1/*.eml 2>>"$work/mutate-s$s.err" \
		|| die "mutate_alt failed (see $work/mutate-s$s.err)"
	# The third mutator (kinds u-*: edits written before their results were seen).
	python3 "$root/tests/bench/mutate_unseen.py" --seed "$s" --out "$work/variants/s$s" \
		"$corpus"/spam-1/*.eml 2>>"$work/mutate-s$s.err" \
		|| die "mutate_unseen failed (see $work/mutate-s$s.err)"
done

# 4. Scan everything in one run.
"$build/bin/whorl-scan" --config-dir "$work/etc" --json -j "$jobs" \
	"$work/variants" "$corpus/spam-1" "$corpus/easy-ham-1" "$corpus/hard-ham-1" \
	>"$work/scan.jsonl" 2>"$work/scan.err" || {
	tail -n 20 "$work/scan.err" >&2
	die "whorl-scan failed"
}

# 5. Figures.
python3 - "$work" "$corpus" "$seeds" <<'PY'
import json, os, re, sys
from collections import Counter, defaultdict

work, corpus, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split()
ENGINES = ['body', 'fuzzy', 'url', 'ip', 'attach', 'image', 'struct']
ENGINE_RE = re.compile(r'(?<![a-z0-9_])(%s)(?![a-z0-9_])' % '|'.join(ENGINES))

fallback = set()   # (seed, kind, file) the mutator could not change
for s in seeds:
    with open(os.path.join(work, 'mutate-s%s.err' % s)) as f:
        for m in re.finditer(r'mutate: (\S+)/(\S+): nothing to change', f.read()):
            fallback.add((s, m.group(1), m.group(2)))

results, bad_lines = {}, 0
with open(os.path.join(work, 'scan.jsonl')) as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        try:
            r = json.loads(line)
            path = r['path']
            # A file that starts with "From " is read as an mbox; a mutated
            # body with a line starting "From " splits it (path:1, path:2,
            # ...): the file's verdict is its first message's.
            m = re.match(r'^(.*):(\d+)$', path)
            if m and not os.path.exists(path):
                if m.group(2) != '1':
                    continue
                path = m.group(1)
            results[os.path.realpath(path)] = r
        except (ValueError, KeyError):
            bad_lines += 1

def listing(d):
    return sorted(os.path.join(d, n) for n in os.listdir(d)) if os.path.isdir(d) else []

def engines_of(r):
    return set(ENGINE_RE.findall(str(r.get('analysis', '')).lower()))

def is_spam(r):
    return bool(r.get('is_spam'))

missing = 0
def lookup(path):
    global missing
    r = results.get(os.path.realpath(path))
    if r is None:
        missing += 1
    return r

# Variants, per kind.
kinds = sorted({k for s in seeds for k in os.listdir(os.path.join(work, 'variants', 's' + s))})
per_kind = {}
eng_all, eng_kind, sole = Counter(), defaultdict(Counter), Counter()
n_fb = Counter()
for kind in kinds:
    caught = total = 0
    for s in seeds:
        for path in listing(os.path.join(work, 'variants', 's' + s, kind)):
            if (s, kind, os.path.basename(path)) in fallback:
                n_fb[kind] += 1
                continue
            r = lookup(path)
            total += 1
            if r is not None and is_spam(r):
                caught += 1
                e = engines_of(r)
                eng_all.update(e)
                eng_kind[kind].update(e)
                if len(e) == 1:
                    sole.update(e)
    per_kind[kind] = (caught, total)

def pct(a, b):
    return '%.2f' % (100.0 * a / b) if b else 'n/a'

print('# whorl accuracy benchmark')
print('corpus = %s' % corpus)
print('seeds = %s' % ' '.join(seeds))
print()
print('## variant recall at the default minimum score (is_spam)')
print('%-12s %8s %8s %8s %10s' % ('kind', 'caught', 'variants', 'recall%', 'unchanged*'))
def recall_table(names, label):
    tc = tt = 0
    for kind in names:
        c, t = per_kind[kind]
        tc += c
        tt += t
        print('%-12s %8d %8d %8s %10d' % (kind, c, t, pct(c, t), n_fb[kind]))
    print('%-12s %8d %8d %8s %10d' % (label, tc, tt, pct(tc, tt), sum(n_fb[k] for k in names)))
    return tc, tt

main_kinds = [k for k in kinds if not k.startswith(('alt-', 'u-'))]
alt_kinds = [k for k in kinds if k.startswith('alt-')]
unseen_kinds = [k for k in kinds if k.startswith('u-')]
tc, tt = recall_table(main_kinds, 'overall')
print('* variants where the kind found nothing to change (only a new Message-ID);'
      ' left out of recall')
print('variant_recall = %s %%' % pct(tc, tt))
if alt_kinds:
    print()
    print('## the second mutator (tests/bench/mutate_alt.py: tricks the engines were not tuned on)')
    ac, at = recall_table(alt_kinds, 'overall-alt')
    print('variant_recall_alt = %s %%' % pct(ac, at))
if unseen_kinds:
    print()
    print('## the third mutator (tests/bench/mutate_unseen.py: attachments, separators,'
          ' filler, short editions, charsets)')
    uc, ut = recall_table(unseen_kinds, 'overall-u')
    print('variant_recall_unseen = %s %%' % pct(uc, ut))

orig = listing(os.path.join(corpus, 'spam-1'))
oc = sum(1 for p in orig if (lambda r: r is not None and is_spam(r))(lookup(p)))
print()
print('## unmodified spam-1 (the published messages themselves)')
print('spam1_recall = %s %% (%d of %d)' % (pct(oc, len(orig)), oc, len(orig)))

print()
print('## false positives over easy-ham-1 + hard-ham-1')
fps, n_ham = [], 0
for g in ('easy-ham-1', 'hard-ham-1'):
    for p in listing(os.path.join(corpus, g)):
        n_ham += 1
        r = lookup(p)
        if r is not None and is_spam(r):
            fps.append((g, p, r))
print('false_positives = %d of %d (%s %%)' % (len(fps), n_ham, pct(len(fps), n_ham)))
for g, p, r in fps:
    print('  FP %s score=%s category=%s analysis=%s' % (p, r.get('score'), r.get('category'),
                                                      r.get('analysis')))

print()
print('## engine contribution: caught variants whose analysis names the engine')
print('%-12s' % 'kind' + ''.join('%8s' % e for e in ENGINES))
for kind in kinds:
    print('%-12s' % kind + ''.join('%8d' % eng_kind[kind][e] for e in ENGINES))
print('%-12s' % 'all' + ''.join('%8d' % eng_all[e] for e in ENGINES))
print('%-12s' % 'sole' + ''.join('%8d' % sole[e] for e in ENGINES))
print('(sole: caught variants where that engine was the only one named)')

print()
print('scan_results_missing = %d' % missing)
print('scan_output_unparsable_lines = %d' % bad_lines)
PY
