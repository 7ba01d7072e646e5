#!/usr/bin/env bash
# images.sh - the image-campaign benchmark: re-rendered image spam and
# redrawn QR-phishing codes whorl still catches, and image-heavy legitimate
# mail it must not flag.
#
#   tests/bench/images.sh            (from the repository root)
#
# Generates the messages with tests/bench/gen_images.py (kinds listed there),
# publishes the original image campaigns as known spam (easy-ham-2 as known
# legitimate mail) with "image processing depth = DEPTH" (default high), scans the variants,
# the legitimate image set and easy-ham-1 + hard-ham-1, and prints recall per
# kind at the minimum score and the false positives (count and list).
# With SPEED=1 it then times whorl-scan over the corpus (all five groups) and
# over the bench's own messages at each image processing depth.
# It prints numbers; it never passes or fails (exit status is non-zero only
# when it could not run).
#
# Environment: WHORL_CORPUS (corpus folder), BUILD (default build), SEED
# (default 1), GEN (reuse a folder gen_images.py already filled), JOBS
# (whorl-scan -j, default 2), DEPTH (the image processing depth of the
# publisher and of the recall/false-positive scan, default high: medium shows
# what matches by picture alone when no QR code is read), SPEED=1, KEEP=1
# keeps the work folder.
#
# Not for: the text-mutation accuracy figures (accuracy.sh), pass/fail tests.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
jobs=${JOBS:-2}
py=/usr/bin/python3

die() { echo "images.sh: $*" >&2; exit 2; }

# shellcheck source=tests/integration/lib/corpus.sh
. "$root/tests/integration/lib/corpus.sh"
corpus_need spam-1 easy-ham-1 easy-ham-2 hard-ham-1
$py -c 'import PIL, qrcode' 2>/dev/null || die "python3-pil and python3-qrcode are needed (scripts/deps.sh)"
build_need "" bin/whorl-keygen bin/whorl-publish bin/whorl-scan

work=$(mktemp -d "${TMPDIR:-/tmp}/whorl-images.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
	echo "work folder: $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi

gen=${GEN:-$work/gen}
if [[ ! -d $gen/published ]]; then
	$py "$root/tests/bench/gen_images.py" --corpus "$corpus" --out "$gen" --seed "${SEED:-1}" >&2 \
		|| die "gen_images.py failed"
fi

"$build/bin/whorl-keygen" "$work/keys" >/dev/null
mkdir -p "$work/etc" "$work/cache"
depth=${DEPTH:-high}
case $depth in low | medium | high) ;; *) die "DEPTH must be low, medium or high" ;; esac
echo "image processing depth = $depth" >"$work/etc/publish.cfg"
cp "$work/etc/publish.cfg" "$work/etc/cartridge.cfg"
"$build/bin/whorl-publish" --key "$work/keys/publisher.key" --out "$work/mirror" --config-dir "$work/etc" \
	--category "spam=$gen/published" --legit "$corpus/easy-ham-2" >"$work/publish.log" 2>&1 \
	|| { cat "$work/publish.log" >&2; die "whorl-publish failed"; }

config() {  # $1: image processing depth
	mkdir -p "$work/etc-$1"
	{
		echo "micro-update url = file://$work/mirror"
		echo "publisher key = $work/keys/publisher.pub"
		echo "enable micro-updates = yes"
		echo "download micro-updates before init = yes"
		echo "micro-update cache path = $work/cache"
		echo "favor analysis over speed = yes"
		echo "image processing depth = $1"
	} >"$work/etc-$1/cartridge.cfg"
	[[ -f $root/etc/categories ]] && cp "$root/etc/categories" "$work/etc-$1/"
	return 0
}
config "$depth"

"$build/bin/whorl-scan" --config-dir "$work/etc-$depth" --json -j "$jobs" \
	"$gen/published" "$gen/variants" "$gen/legit" "$corpus/easy-ham-1" "$corpus/hard-ham-1" \
	>"$work/scan.jsonl" 2>"$work/scan.err" || { tail -n 20 "$work/scan.err" >&2; die "whorl-scan failed"; }

$py - "$work" "$gen" "$corpus" "$depth" <<'PY'
import json, os, sys
work, gen, corpus, depth = sys.argv[1:5]
res = {}
for line in open(os.path.join(work, 'scan.jsonl')):
    if line.strip():
        r = json.loads(line)
        res[os.path.realpath(r['path'])] = r
def listing(d):
    return sorted(os.path.join(d, n) for n in os.listdir(d))
missing = 0
def spam(p):
    global missing
    r = res.get(os.path.realpath(p))
    if r is None:
        missing += 1
        return False
    return bool(r.get('is_spam'))
def pct(a, b):
    return '%.1f' % (100.0 * a / b) if b else 'n/a'
print('# whorl image-campaign benchmark (image processing depth = %s)' % depth)
pub = listing(os.path.join(gen, 'published'))
print('published_recall = %s %% (%d of %d)' % (pct(sum(map(spam, pub)), len(pub)),
                                              sum(map(spam, pub)), len(pub)))
print()
print('%-12s %7s %7s %8s' % ('kind', 'caught', 'total', 'recall%'))
order = ['scale', 'crop', 'crop-corner', 'crop-mixed', 'banner', 'recolour', 'invert', 'noise', 'border', 'jpeg', 'gif',
         'qr-version', 'qr-ecc', 'qr-module', 'qr-tracking', 'qr-document']
for k in order:
    d = os.path.join(gen, 'variants', k)
    if not os.path.isdir(d):
        continue
    ps = listing(d)
    c = sum(map(spam, ps))
    print('%-12s %7d %7d %8s' % (k, c, len(ps), pct(c, len(ps))))
print()
def fp_block(title, dirs):
    fps, n = [], 0
    for d in dirs:
        for p in listing(d):
            n += 1
            if spam(p):
                fps.append(p)
    print('%s: %d of %d' % (title, len(fps), n))
    for p in fps:
        r = res[os.path.realpath(p)]
        print('  FP %s score=%s analysis=%s' % (os.path.relpath(p, gen) if p.startswith(gen) else p,
                                                r.get('score'), r.get('analysis')))
leg = os.path.join(gen, 'legit')
for k in sorted(os.listdir(leg)):
    fp_block('false_positives legit/%s' % k, [os.path.join(leg, k)])
fp_block('false_positives legit image set', [os.path.join(leg, k) for k in os.listdir(leg)])
fp_block('false_positives easy-ham-1 + hard-ham-1',
         [os.path.join(corpus, 'easy-ham-1'), os.path.join(corpus, 'hard-ham-1')])
print('scan_results_missing = %d' % missing)
PY

[[ ${SPEED:-0} == 1 ]] || exit 0
echo
echo "## speed: whorl-scan -j $jobs, messages per second by image processing depth"
printf '%-8s %14s %14s\n' depth corpus_msg/s images_msg/s
n_corpus=$(find "$corpus"/spam-1 "$corpus"/spam-2 "$corpus"/easy-ham-1 "$corpus"/easy-ham-2 "$corpus"/hard-ham-1 -type f | wc -l)
n_img=$(find "$gen/variants" "$gen/legit" -type f | wc -l)
rate() {  # $1 depth, $2 count, rest: paths
	local d=$1 n=$2 t0 t1
	shift 2
	t0=$(date +%s.%N)
	"$build/bin/whorl-scan" --config-dir "$work/etc-$d" -j "$jobs" "$@" >/dev/null 2>>"$work/speed.err" \
		|| die "whorl-scan failed at depth $d"
	t1=$(date +%s.%N)
	echo "$n $t0 $t1" | awk '{ printf "%.0f", $1 / ($3 - $2) }'
}
for d in none low medium high; do
	config "$d"
	c=$(rate "$d" "$n_corpus" "$corpus"/spam-1 "$corpus"/spam-2 "$corpus"/easy-ham-1 "$corpus"/easy-ham-2 "$corpus"/hard-ham-1)
	i=$(rate "$d" "$n_img" "$gen/variants" "$gen/legit")
	printf '%-8s %14s %14s\n' "$d" "$c" "$i"
done
echo "(corpus: $n_corpus messages; images: $n_img bench messages, one image each)"
