#!/usr/bin/env bash
# speed.sh - the speed benchmark: builds a large signed update set, points a
# gateway configuration at it and runs build/bench/speed over the whole
# corpus (every group, held in memory).  Prints figures "name = value unit";
# never passes or fails.  Targets are in docs/BENCHMARKS.md.
#
#   tests/bench/speed.sh            (from the repository root)
#
# The update set: build/bench/gen_sigs (from tests/bench/gen_sigs.c, which
# needs the publisher library's API and is not written yet - see
# docs/BENCHMARKS.md) writes N_EXACT exact fingerprints and N_SKETCH fuzzy
# sketches (defaults 1000000 and 100000).  Without gen_sigs the set is only
# the corpus (spam-1 + spam-2 published with whorl-publish), and the output
# says so: load time and bytes per fingerprint are then not the 1M figures.
#
# Environment: WHORL_CORPUS, BUILD (default build), N_EXACT, N_SKETCH,
# SECONDS_PER_RUN (default 3), KEEP=1 keeps the work folder.
#
# Not for: accuracy (accuracy.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
n_exact=${N_EXACT:-1000000}
n_sketch=${N_SKETCH:-100000}

die() { echo "speed.sh: $*" >&2; exit 2; }

fetch=
for c in "$root/../shared/corpus/fetch.sh" "$root/../../shared/corpus/fetch.sh" \
	/work/shared/corpus/fetch.sh; do
	[[ -f $c ]] && { fetch=$c; break; }
done
[[ -n $fetch ]] || die "corpus/fetch.sh not found (looked in ../shared/corpus and /work/shared/corpus)"
corpus=$(bash "$fetch" | tail -n 1)

for p in bin/whorl-keygen bin/whorl-publish bench/speed; do
	[[ -x $build/$p ]] || make -C "$root" --no-print-directory bench >/dev/null 2>&1 || true
	[[ -x $build/$p ]] || die "$build/$p missing (run make bench first)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/whorl-speed.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
	echo "work folder: $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi

"$build/bin/whorl-keygen" "$work/keys" >/dev/null
fp_args=()
if [[ -x $build/bench/gen_sigs ]]; then
	t0=$(date +%s.%N)
	"$build/bench/gen_sigs" --key "$work/keys/publisher.key" --out "$work/mirror" \
		--exact "$n_exact" --sketches "$n_sketch" --seed 1 >"$work/gen.log" 2>&1 \
		|| { cat "$work/gen.log" >&2; die "gen_sigs failed"; }
	t1=$(date +%s.%N)
	echo "update_set = synthetic"
	echo "known_exact_fingerprints = $n_exact fps"
	echo "known_fuzzy_sketches = $n_sketch sketches"
	echo "update_set_generation_time = $(python3 -c "print(round($t1 - $t0, 2))") s"
	fp_args=(--fingerprints "$((n_exact + n_sketch))")
else
	"$build/bin/whorl-publish" --key "$work/keys/publisher.key" --out "$work/mirror" \
		--category "spam=$corpus/spam-1" --category "spam=$corpus/spam-2" \
		--legit "$corpus/easy-ham-2" >"$work/publish.log" 2>&1 \
		|| { cat "$work/publish.log" >&2; die "whorl-publish failed"; }
	echo "update_set = corpus only (build/bench/gen_sigs missing: not the 1M-fingerprint figures)"
fi
echo "update_set_disk_bytes = $(du -sb "$work/mirror" | cut -f1) B"

mkdir -p "$work/etc" "$work/cache"
{
	echo "micro-update url = file://$work/mirror"
	echo "publisher key = $work/keys/publisher.pub"
	echo "enable micro-updates = yes"
	echo "download micro-updates before init = yes"
	echo "micro-update cache path = $work/cache"
	echo "favor analysis over speed = yes"
} >"$work/etc/cartridge.cfg"
[[ -f $root/etc/categories ]] && cp "$root/etc/categories" "$work/etc/"

cart=()
[[ -f $build/lib/cartridge.so ]] && cart=(--cartridge "$build/lib/cartridge.so")
"$build/bench/speed" --config-dir "$work/etc" "${cart[@]}" "${fp_args[@]}" \
	--seconds "${SECONDS_PER_RUN:-3}" \
	"$corpus/easy-ham-1" "$corpus/easy-ham-2" "$corpus/hard-ham-1" \
	"$corpus/spam-1" "$corpus/spam-2"
