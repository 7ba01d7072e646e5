#!/usr/bin/env bash
# speed.sh - the speed benchmark: builds a large signed update set, points a
# gateway configuration at it and runs build/bench/speed over the whole
# corpus (every group, held in memory).  Prints figures "name = value unit";
# never passes or fails.  Targets are in docs/BENCHMARKS.md.
#
#   tests/bench/speed.sh            (from the repository root)
#
# The update set: whorl-publish publishes the corpus (spam-1 + spam-2 as
# spam, easy-ham-2 as legit), then build/bench/gen_sigs adds N_EXACT random
# exact fingerprints and N_SKETCH random fuzzy sketches (defaults 1000000
# and 100000) to that set and rewrites it as one complete file.  With
# N_EXACT=0 N_SKETCH=0 the set is only the corpus, and the output says so.
#
# Environment: WHORL_CORPUS, BUILD (default build), N_EXACT, N_SKETCH,
# SECONDS_PER_RUN (default 3), KEEP=1 keeps the work folder.
#
# SPEED_BEFORE=DIR (the build folder of an older tree, with bin/whorl-keygen,
# bin/whorl-publish and lib/cartridge.so) measures only old beside new:
# that tree's publisher publishes the corpus set (so both cartridges read
# it; an older cartridge may not read today's files), then this build's
# build/bench/speed --one-thread scores the corpus with the older cartridge
# and this one alternately, ROUNDS times (default 7), each in its own cache
# folder. Prints every run, the medians and the median of the per-round
# ratios (single-thread messages per CPU second: the load of a shared
# machine moves between runs, so one run per build says little).
#
# SPEED_CONFIG="key = value" (with SPEED_BEFORE) adds that line to both
# sides' cartridge.cfg, e.g. "image processing depth = none" to compare the
# two cartridges on the work they both do (an older cartridge lacks the newer
# image engines).
#
# Not for: accuracy (accuracy.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
n_exact=${N_EXACT:-1000000}
n_sketch=${N_SKETCH:-100000}

die() { echo "speed.sh: $*" >&2; exit 2; }

# shellcheck source=tests/integration/lib/corpus.sh
. "$root/tests/integration/lib/corpus.sh"
corpus_need
build_need bench bin/whorl-keygen bin/whorl-publish bench/speed

work=$(mktemp -d "${TMPDIR:-/tmp}/whorl-speed.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
	echo "work folder: $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi

"$build/bin/whorl-keygen" "$work/keys" >/dev/null
key=$work/keys/publisher.key

# A gateway configuration reading mirror $1, written to folder $2.
write_config() {
	mkdir -p "$2/cache"
	{
		echo "micro-update url = file://$1"
		echo "publisher key = $work/keys/publisher.pub"
		echo "enable micro-updates = yes"
		echo "download micro-updates before init = yes"
		echo "micro-update cache path = $2/cache"
		echo "favor analysis over speed = yes"
	} >"$2/cartridge.cfg"
	[[ -f $root/etc/categories ]] && cp "$root/etc/categories" "$2/"
	return 0
}

# The value of figure $1 in speed output file $2.
figure() { sed -n "s/^$1 = \([0-9.]*\).*/\1/p" "$2"; }

cart=()
[[ -f $build/lib/cartridge.so ]] && cart=(--cartridge "$build/lib/cartridge.so")

# SPEED_BEFORE: the older tree's cartridge beside this one, alternating.
if [[ -n ${SPEED_BEFORE:-} ]]; then
	before=$(cd "$SPEED_BEFORE" && pwd) || die "SPEED_BEFORE: no folder $SPEED_BEFORE"
	for f in bin/whorl-keygen bin/whorl-publish lib/cartridge.so; do
		[[ -e $before/$f ]] || die "SPEED_BEFORE: no $before/$f"
	done
	[[ -f $build/lib/cartridge.so ]] || die "no $build/lib/cartridge.so"
	"$before/bin/whorl-keygen" "$work/keys-before" >/dev/null
	"$before/bin/whorl-publish" --key "$work/keys-before/publisher.key" --out "$work/mirror" \
		--category "spam=$corpus/spam-1" --category "spam=$corpus/spam-2" \
		--legit "$corpus/easy-ham-2" >"$work/publish.log" 2>&1 \
		|| { cat "$work/publish.log" >&2; die "the older whorl-publish failed"; }
	echo "update_set = corpus only, published by $before/bin/whorl-publish"
	[[ -z ${SPEED_CONFIG:-} ]] || echo "config_added = $SPEED_CONFIG (both sides)"
	cp "$before/lib/cartridge.so" "$work/before.so"
	cp "$build/lib/cartridge.so" "$work/after.so"
	for side in before after; do
		write_config "$work/mirror" "$work/etc-$side"
		sed -i "s#^publisher key = .*#publisher key = $work/keys-before/publisher.pub#" \
			"$work/etc-$side/cartridge.cfg"
		if [[ -n ${SPEED_CONFIG:-} ]]; then
			echo "$SPEED_CONFIG" >>"$work/etc-$side/cartridge.cfg"
		fi
	done
	for ((round = 1; round <= ${ROUNDS:-7}; round++)); do
		for side in before after; do
			"$build/bench/speed" --config-dir "$work/etc-$side" --cartridge "$work/$side.so" \
				--seconds "${SECONDS_PER_RUN:-3}" --one-thread \
				"$corpus/easy-ham-1" "$corpus/easy-ham-2" "$corpus/hard-ham-1" \
				"$corpus/spam-1" "$corpus/spam-2" >"$work/$side.out" 2>"$work/$side.err" \
				|| { cat "$work/$side.err" >&2; die "speed failed with the $side cartridge"; }
			v=$(figure threads1_msgs_per_cpu_s "$work/$side.out")
			[[ -n $v ]] || die "no threads1_msgs_per_cpu_s from the $side cartridge"
			echo "$round $side $v" >>"$work/rounds"
		done
	done
	python3 - "$work/rounds" "$before" <<'PY'
import statistics, sys
runs = {"before": [], "after": []}
for line in open(sys.argv[1]):
    _, side, v = line.split()
    runs[side].append(float(v))
for side, label in (("before", "before (%s)" % sys.argv[2]), ("after", "after (this build)")):
    print("%s_threads1_msgs_per_cpu_s = %s (runs, %s)" % (side, " ".join("%.0f" % v for v in runs[side]), label))
    print("%s_threads1_msgs_per_cpu_s_median = %.0f msgs/s" % (side, statistics.median(runs[side])))
ratios = [a / b for a, b in zip(runs["after"], runs["before"])]
print("after_over_before_per_round = %s" % " ".join("%.2f" % r for r in ratios))
print("after_over_before_median = %.2f x" % statistics.median(ratios))
PY
	exit 0
fi

# 1. The corpus: spam-1 + spam-2 as spam, easy-ham-2 as legit (so that real
#    matches happen).  2. gen_sigs reads that set back from the mirror, adds
#    the synthetic records and writes one complete sigs file: a single set,
#    no delta, as a gateway would load it after a full download.
"$build/bin/whorl-publish" --key "$key" --out "$work/mirror" \
	--category "spam=$corpus/spam-1" --category "spam=$corpus/spam-2" \
	--legit "$corpus/easy-ham-2" >"$work/publish.log" 2>&1 \
	|| { cat "$work/publish.log" >&2; die "whorl-publish failed"; }
echo "corpus_publish = $(head -n 1 "$work/publish.log")"
synthetic=0
if [[ -x $build/bench/gen_sigs && $n_exact$n_sketch != 00 ]]; then
	synthetic=1
	# Two smaller sets for the per-record sizes: the corpus alone, and the
	# corpus plus the sketches only.
	cp -r "$work/mirror" "$work/mirror-corpus"
	cp -r "$work/mirror" "$work/mirror-sketches"
	"$build/bench/gen_sigs" --key "$key" --out "$work/mirror-sketches" \
		--exact 0 --sketches "$n_sketch" --seed 2 >"$work/gen2.log" 2>&1 \
		|| { cat "$work/gen2.log" >&2; die "gen_sigs failed"; }
	t0=$(date +%s.%N)
	"$build/bench/gen_sigs" --key "$key" --out "$work/mirror" \
		--exact "$n_exact" --sketches "$n_sketch" --seed 1 >"$work/gen.log" 2>&1 \
		|| { cat "$work/gen.log" >&2; die "gen_sigs failed"; }
	t1=$(date +%s.%N)
	echo "update_set = corpus + synthetic ($n_exact exact, $n_sketch sketches)"
	echo "gen_sigs = $(head -n 1 "$work/gen.log")"
	echo "update_set_generation_time = $(python3 -c "print(round($t1 - $t0, 2))") s"
else
	echo "update_set = corpus only (no gen_sigs run: not the 1M-fingerprint figures)"
fi
echo "update_set_disk_bytes = $(du -sb "$work/mirror" | cut -f1) B"

write_config "$work/mirror" "$work/etc"
"$build/bench/speed" --config-dir "$work/etc" "${cart[@]}" \
	--seconds "${SECONDS_PER_RUN:-3}" \
	"$corpus/easy-ham-1" "$corpus/easy-ham-2" "$corpus/hard-ham-1" \
	"$corpus/spam-1" "$corpus/spam-2" | tee "$work/speed.out"

# Snapshot bytes per exact fingerprint and per sketch, from the cartridge's
# stats: (full - corpus+sketches) / exact fingerprints added, and
# (corpus+sketches - corpus) / sketches added.
if [[ $synthetic == 1 ]]; then
	write_config "$work/mirror-corpus" "$work/etc-corpus"
	write_config "$work/mirror-sketches" "$work/etc-sketches"
	"$build/bench/speed" --config-dir "$work/etc-corpus" "${cart[@]}" --stats-only \
		>"$work/corpus.out" || die "speed --stats-only failed"
	"$build/bench/speed" --config-dir "$work/etc-sketches" "${cart[@]}" --stats-only \
		>"$work/sketches.out" || die "speed --stats-only failed"
	python3 - "$work/speed.out" "$work/sketches.out" "$work/corpus.out" <<'PY'
import re, sys
def stats(path):
    d = {}
    for line in open(path):
        m = re.match(r"(\w+) = ([0-9.]+)", line)
        if m:
            d[m.group(1)] = float(m.group(2))
    return d
full, sk, co = (stats(p) for p in sys.argv[1:4])
dfp = full["known_fingerprints"] - sk["known_fingerprints"]
dsk = sk["known_sketches"] - co["known_sketches"]
if dfp > 0:
    print("snapshot_bytes_per_exact_fp = %.1f B" % ((full["snapshot_bytes"] - sk["snapshot_bytes"]) / dfp))
if dsk > 0:
    print("snapshot_bytes_per_sketch = %.1f B" % ((sk["snapshot_bytes"] - co["snapshot_bytes"]) / dsk))
print("snapshot_bytes_corpus_only = %d B" % co["snapshot_bytes"])
PY
fi
