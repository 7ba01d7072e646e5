#!/usr/bin/env bash
# accuracy.sh - the accuracy benchmark: how many permuted variants of known
# spam whorl still catches, and how much legitimate mail it flags.
#
#   tests/bench/accuracy.sh            (from the repository root)
#
# Publishes spam-1 as known spam in two configurations of known legitimate
# mail (issue 9, point 5):
#   usual       --legit easy-ham-2; false positives over easy-ham-1 + hard-ham-1
#   near-empty  --legit one unrelated message (tests/data/engine/ham-allotment.eml);
#               false positives over all the ham, easy-ham-1 + easy-ham-2 +
#               hard-ham-1 (4,150): what a publisher whose legitimate mail does
#               not cover the gateway's users gets
# makes variants of every spam-1 message with build/bench/mutate (every kind,
# two seeds) and the second and third mutators (mutate_alt.py, mutate_unseen.py),
# scans them and the ham with whorl-scan against each configuration, and
# prints figures for the usual one: recall per kind and overall, recall of
# the unmodified spam-1 messages, false positives (count and list), and how
# often each fingerprint engine appears in the analysis of caught variants;
# then both configurations side by side (recall per kind, false positives,
# and the near-empty configuration's false positives listed).
# It prints numbers; it never passes or fails (exit status is non-zero only
# when it could not run).  Targets are in docs/BENCHMARKS.md.
#
# Environment: WHORL_CORPUS (corpus folder), BUILD (default build),
# SEEDS (default "1 2"), JOBS (whorl-scan -j, default 2), MIN_SCORE (writes
# "minimum score = N"; default: the cartridge's default), INFRA_CAMPAIGNS
# (whorl-publish --infra-campaigns N; default: whorl-publish's default, 0
# publishes shared infrastructure too), KEEP=1 keeps the work folder and
# prints its path.
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
corpus_need spam-1 easy-ham-1 easy-ham-2 hard-ham-1

[[ -x $build/bench/mutate ]] || make -C "$root" --no-print-directory "${build#$root/}/bench/mutate" >/dev/null \
	|| die "cannot build $build/bench/mutate"
build_need all bin/whorl-keygen bin/whorl-publish bin/whorl-scan

work=$(mktemp -d "${TMPDIR:-/tmp}/whorl-accuracy.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
	echo "work folder: $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi

# 1. A publisher key; per configuration (folder DIR, legitimate mail LEGIT) a
#    signed update set with spam-1 known bad, and a gateway configuration
#    that loads it before the first scan.
"$build/bin/whorl-keygen" "$work/keys" >/dev/null
mkdir -p "$work/legit-one"
cp "$root/tests/data/engine/ham-allotment.eml" "$work/legit-one/"

publish_config() {   # DIR LEGIT
	local dir=$1 legit=$2
	mkdir -p "$dir/etc" "$dir/cache"
	"$build/bin/whorl-publish" --key "$work/keys/publisher.key" --out "$dir/mirror" \
		--category "spam=$corpus/spam-1" --legit "$legit" \
		${INFRA_CAMPAIGNS:+--infra-campaigns "$INFRA_CAMPAIGNS"} >"$dir/publish.log" 2>&1 \
		|| { cat "$dir/publish.log" >&2; die "whorl-publish failed ($dir)"; }
	{
		echo "micro-update url = file://$dir/mirror"
		echo "publisher key = $work/keys/publisher.pub"
		echo "enable micro-updates = yes"
		echo "download micro-updates before init = yes"
		echo "micro-update cache path = $dir/cache"
		echo "favor analysis over speed = yes"
		[[ -n ${MIN_SCORE:-} ]] && echo "minimum score = $MIN_SCORE"
	} >"$dir/etc/cartridge.cfg"
	[[ -f $root/etc/categories ]] && cp "$root/etc/categories" "$dir/etc/"
	return 0
}
publish_config "$work" "$corpus/easy-ham-2"
publish_config "$work/near-empty" "$work/legit-one"

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

# 4. Scan everything in one run per configuration.
scan_config() {   # DIR HAM-GROUP...
	local dir=$1
	shift
	"$build/bin/whorl-scan" --config-dir "$dir/etc" --json -j "$jobs" \
		"$work/variants" "$corpus/spam-1" "${@/#/$corpus/}" \
		>"$dir/scan.jsonl" 2>"$dir/scan.err" || {
		tail -n 20 "$dir/scan.err" >&2
		die "whorl-scan failed ($dir)"
	}
}
scan_config "$work" easy-ham-1 hard-ham-1
scan_config "$work/near-empty" easy-ham-1 easy-ham-2 hard-ham-1

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

def load(scan_jsonl):
    """Verdicts by real path, and the number of unparsable lines."""
    res, bad = {}, 0
    with open(scan_jsonl) as f:
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
                res[os.path.realpath(path)] = r
            except (ValueError, KeyError):
                bad += 1
    return res, bad

results, bad_lines = load(os.path.join(work, 'scan.jsonl'))

def listing(d):
    return sorted(os.path.join(d, n) for n in os.listdir(d)) if os.path.isdir(d) else []

def engines_of(r):
    return set(ENGINE_RE.findall(str(r.get('analysis', '')).lower()))

def is_spam(r):
    return bool(r.get('is_spam'))

missing = 0
def lookup(path, res=None):
    global missing
    r = (results if res is None else res).get(os.path.realpath(path))
    if r is None:
        missing += 1
    return r

# Variants, per kind.
kinds = sorted({k for s in seeds for k in os.listdir(os.path.join(work, 'variants', 's' + s))})
eng_all, eng_kind, sole = Counter(), defaultdict(Counter), Counter()
n_fb = Counter()

def recall_per_kind(res, count_engines):
    """(caught, variants) per kind against the verdicts res."""
    out = {}
    for kind in kinds:
        caught = total = 0
        for s in seeds:
            for path in listing(os.path.join(work, 'variants', 's' + s, kind)):
                if (s, kind, os.path.basename(path)) in fallback:
                    n_fb[kind] += count_engines
                    continue
                r = lookup(path, res)
                total += 1
                if r is not None and is_spam(r):
                    caught += 1
                    if not count_engines:
                        continue
                    e = engines_of(r)
                    eng_all.update(e)
                    eng_kind[kind].update(e)
                    if len(e) == 1:
                        sole.update(e)
        out[kind] = (caught, total)
    return out

per_kind = recall_per_kind(results, 1)

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
def spam1_caught(res):
    return sum(1 for p in orig if (lambda r: r is not None and is_spam(r))(lookup(p, res)))
oc = spam1_caught(results)
print()
print('## unmodified spam-1 (the published messages themselves)')
print('spam1_recall = %s %% (%d of %d)' % (pct(oc, len(orig)), oc, len(orig)))

def false_positives(res, groups):
    """([(group, path, verdict)] flagged, messages) over the ham groups."""
    fp, n = [], 0
    for g in groups:
        for p in listing(os.path.join(corpus, g)):
            n += 1
            r = lookup(p, res)
            if r is not None and is_spam(r):
                fp.append((g, p, r))
    return fp, n

def list_fps(fp):
    for g, p, r in fp:
        print('  FP %s score=%s category=%s analysis=%s' % (p, r.get('score'), r.get('category'),
                                                          r.get('analysis')))

print()
print('## false positives over easy-ham-1 + hard-ham-1')
fps, n_ham = false_positives(results, ('easy-ham-1', 'hard-ham-1'))
print('false_positives = %d of %d (%s %%)' % (len(fps), n_ham, pct(len(fps), n_ham)))
list_fps(fps)

print()
print('## engine contribution: caught variants whose analysis names the engine')
print('%-12s' % 'kind' + ''.join('%8s' % e for e in ENGINES))
for kind in kinds:
    print('%-12s' % kind + ''.join('%8d' % eng_kind[kind][e] for e in ENGINES))
print('%-12s' % 'all' + ''.join('%8d' % eng_all[e] for e in ENGINES))
print('%-12s' % 'sole' + ''.join('%8d' % sole[e] for e in ENGINES))
print('(sole: caught variants where that engine was the only one named)')

# Both configurations side by side (issue 9, point 5).
ne_results, ne_bad = load(os.path.join(work, 'near-empty', 'scan.jsonl'))
bad_lines += ne_bad
ne_kind = recall_per_kind(ne_results, 0)
ne_fps, ne_ham = false_positives(ne_results, ('easy-ham-1', 'easy-ham-2', 'hard-ham-1'))
print()
print('## configurations side by side: --legit easy-ham-2 (usual) and one unrelated'
      ' message (near-empty)')
print('%-22s %10s %12s' % ('kind', 'usual%', 'near-empty%'))
def side_rows(names, label):
    for kind in names:
        print('%-22s %10s %12s' % (kind, pct(*per_kind[kind]), pct(*ne_kind[kind])))
    sums = [tuple(sum(x[k][i] for k in names) for i in (0, 1)) for x in (per_kind, ne_kind)]
    print('%-22s %10s %12s' % (label, pct(*sums[0]), pct(*sums[1])))
    return sums
groups = [(main_kinds, 'variant_recall'), (alt_kinds, 'variant_recall_alt'),
          (unseen_kinds, 'variant_recall_unseen')]
summary = [(label, side_rows(names, label)) for names, label in groups if names]
print('%-22s %10s %12s' % ('spam1_recall', pct(oc, len(orig)), pct(spam1_caught(ne_results), len(orig))))
print()
for label, (u, ne) in summary:
    print('%s: usual = %s %%, near_empty = %s %%' % (label, pct(*u), pct(*ne)))
print('false_positives: usual = %d of %d (easy-ham-1 + hard-ham-1), near_empty = %d of %d'
      ' (easy-ham-1 + easy-ham-2 + hard-ham-1)' % (len(fps), n_ham, len(ne_fps), ne_ham))
list_fps(ne_fps)

print()
print('scan_results_missing = %d' % missing)
print('scan_output_unparsable_lines = %d' % bad_lines)
PY
