#!/usr/bin/env bash
# whole_process.sh - whorl-scan as a user runs it (one process: load, walk,
# read, scan, print JSON) beside the in-memory engine bench (build/bench/speed,
# messages held in memory), in the same run on the same set and files, so the
# ratio holds on any machine. Prints "name = value unit"; never fails.
#
#   tests/bench/whole_process.sh        (from the repository root)
#
# The set is the corpus published as speed.sh publishes it (spam-1 + spam-2,
# easy-ham-2 legit; no synthetic million: its load time would swamp a
# 6,000-message run). Rates are given per wall second and per CPU second
# (user + system): on a busy machine only the second is comparable. ROUNDS
# rounds each run the in-memory bench and then the whole process, so each
# round's ratio is taken on the machine as it was then; the medians of the
# rounds are printed, and every round's ratio. The in-memory bench scores the
# messages whorl-scan reads, as whorl-scan scores them (speed --as-whorl-scan).
# Its rate is after a first pass; beside its first pass (one-time costs paid,
# as whorl-scan's one pass pays them) the ratio is printed as _first_pass.
# Target (issue 10.6): whole_process_ratio_cpu >= 0.8.
# Start-up: the same command on one message (the first of spam-1), STARTUP_RUNS
# times: best and median wall and CPU milliseconds (wait4's rusage, not
# time(1)'s 10 ms steps) and the best CPU as a share of the whole run's.
#
# Environment: WHORL_CORPUS, BUILD (default build), ROUNDS (default 7; RUNS
# is the old name), ROUND_SECONDS (the in-memory bench's length, default 2),
# STARTUP_RUNS (default 20), REF_SCAN (a second whorl-scan binary, e.g. an
# older build, run alternating with this one: ref_* figures beside the
# others, the same run), REF_CARTRIDGE (the cartridge REF_SCAN loads;
# default this build's: set both to compare two builds).
# Not for: engine-only speed (speed.sh), accuracy.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
rounds=${ROUNDS:-${RUNS:-7}}
round_seconds=${ROUND_SECONDS:-2}
startup_runs=${STARTUP_RUNS:-20}
die() { echo "whole_process.sh: $*" >&2; exit 2; }

# shellcheck source=tests/integration/lib/corpus.sh
. "$root/tests/integration/lib/corpus.sh"
corpus_need easy-ham-1 easy-ham-2 hard-ham-1 spam-1 spam-2
build_need bench bin/whorl-keygen bin/whorl-publish bin/whorl-scan bench/speed
work=$(mktemp -d "${TMPDIR:-/tmp}/whorl-whole.XXXXXX")
trap 'rm -rf "$work"' EXIT

corpus_gateway "$work" "spam-1 spam-2" easy-ham-2 "report statistics = no"
groups=("$corpus/easy-ham-1" "$corpus/easy-ham-2" "$corpus/hard-ham-1" "$corpus/spam-1" "$corpus/spam-2")
find "${groups[@]}" -type f -exec cat {} + >/dev/null   # page cache warm, as the issue measures it

ref_cart=${REF_CARTRIDGE:-$build/lib/cartridge.so}

# The in-memory reference, one thread, ROUND_SECONDS long (at least one pass),
# on the messages whorl-scan reads, read by the same reader and scored without
# an envelope as whorl-scan scores them (--as-whorl-scan): the same engine
# work, so the ratio is what the process adds. Sets mem_wall, mem_cpu (msgs/s).
memory_once() {
	"$build/bench/speed" --config-dir "$work/etc" --cartridge "$build/lib/cartridge.so" \
		--seconds "$round_seconds" --one-thread --as-whorl-scan "${groups[@]}" \
		>"$work/speed.out" 2>/dev/null \
		|| die "bench/speed failed"
	mem_wall=$(sed -n 's/^threads1_msgs_per_s = \([0-9.]*\).*/\1/p' "$work/speed.out")
	mem_cpu=$(sed -n 's/^threads1_msgs_per_cpu_s = \([0-9.]*\).*/\1/p' "$work/speed.out")
	mem_first=$(sed -n 's/^first_pass_msgs_per_cpu_s = \([0-9.]*\).*/\1/p' "$work/speed.out")
}

# timed_run OUT SCAN CART PATH...: runs whorl-scan SCAN with cartridge CART
# on PATHs, stdout to OUT, as the bench runs it (--json -j 1), and prints
# "WALL_S CPU_S" (CPU from wait4's rusage, not time(1)'s 10 ms steps).
timed_run() {
	python3 - "$work/etc" "$@" <<'PY'
import os, subprocess, sys, time
etc, out, scan, cart, paths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
with open(out, "wb") as f:
    t0 = time.monotonic()
    p = subprocess.Popen([scan, "--config-dir", etc, "--cartridge", cart, "--json", "-j", "1"]
                         + paths, stdout=f, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
if status != 0:
    sys.exit("%s exited with %d" % (scan, status))
print("%.6f %.6f" % (time.monotonic() - t0, ru.ru_utime + ru.ru_stime))
PY
}

# One whole-process run of the whorl-scan at $1 with the cartridge at $2:
# sets n, run_wall, run_cpu (msgs/s).
scan_once() {
	local wall cpu
	read -r wall cpu < <(timed_run "$work/scan.jsonl" "$1" "$2" "${groups[@]}") || true
	[[ -n ${cpu:-} ]] || die "whorl-scan ($1) failed"
	n=$(wc -l <"$work/scan.jsonl")
	read -r run_wall run_cpu < <(python3 -c "print(round($n / max($wall, 1e-9)), round($n / max($cpu, 1e-9)))")
}

# ROUNDS rounds, each the in-memory bench then the whole process (then
# REF_SCAN's): every round's ratio compares two figures taken seconds apart,
# so a machine that slows down between rounds moves both. Medians printed.
declare -a r_mem_wall r_mem_cpu r_mem_first r_wall r_cpu r_ref_wall r_ref_cpu
for ((r = 0; r < rounds; r++)); do
	memory_once
	r_mem_wall+=("$mem_wall") r_mem_cpu+=("$mem_cpu") r_mem_first+=("$mem_first")
	scan_once "$build/bin/whorl-scan" "$build/lib/cartridge.so"
	r_wall+=("$run_wall") r_cpu+=("$run_cpu")
	if [[ -n ${REF_SCAN:-} ]]; then
		scan_once "$REF_SCAN" "$ref_cart"
		r_ref_wall+=("$run_wall") r_ref_cpu+=("$run_cpu")
	fi
done
# median FORMAT VALUE...: the median, printed with printf's FORMAT.
median() {
	local fmt=$1
	shift
	printf '%s\n' "$@" | sort -g | awk -v f="$fmt" '{ v[NR] = $1 }
		END { printf f "\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# ratios A B: the per-round ratios A[i] / B[i], two decimals, space-separated.
ratios() { python3 -c 'import sys; a, b = sys.argv[1].split(), sys.argv[2].split(); print(" ".join("%.2f" % (float(x) / float(y)) for x, y in zip(a, b)))' "$1" "$2"; }
whole_cpu=$(median %.0f "${r_cpu[@]}")
echo "messages = $n msgs"
echo "rounds = $rounds"
echo "in_memory_threads1_msgs_per_s = $(median %.0f "${r_mem_wall[@]}") msgs/s"
echo "in_memory_threads1_msgs_per_cpu_s = $(median %.0f "${r_mem_cpu[@]}") msgs/s"
echo "whole_process_msgs_per_s = $(median %.0f "${r_wall[@]}") msgs/s"
echo "whole_process_msgs_per_cpu_s = $whole_cpu msgs/s"
echo "in_memory_threads1_msgs_per_cpu_s_per_round = ${r_mem_cpu[*]}"
echo "whole_process_msgs_per_cpu_s_per_round = ${r_cpu[*]}"
wall_ratios=$(ratios "${r_wall[*]}" "${r_mem_wall[*]}")
cpu_ratios=$(ratios "${r_cpu[*]}" "${r_mem_cpu[*]}")
echo "whole_process_ratio_wall_per_round = $wall_ratios"
echo "whole_process_ratio_cpu_per_round = $cpu_ratios"
# shellcheck disable=SC2086
echo "whole_process_ratio_wall = $(median %.2f $wall_ratios) x"
# shellcheck disable=SC2086
echo "whole_process_ratio_cpu = $(median %.2f $cpu_ratios) x"
# Beside the in-memory bench's first pass (its warm-up), which pays the
# one-time costs a one-pass process pays too: what is left is reading,
# output and start-up.
first_ratios=$(ratios "${r_cpu[*]}" "${r_mem_first[*]}")
echo "in_memory_first_pass_msgs_per_cpu_s = $(median %.0f "${r_mem_first[@]}") msgs/s"
echo "whole_process_ratio_cpu_first_pass_per_round = $first_ratios"
# shellcheck disable=SC2086
echo "whole_process_ratio_cpu_first_pass = $(median %.2f $first_ratios) x"
ref_cpu=0
if [[ -n ${REF_SCAN:-} ]]; then
	ref_cpu=$(median %.0f "${r_ref_cpu[@]}")
	ref_ratios=$(ratios "${r_ref_cpu[*]}" "${r_mem_cpu[*]}")
	echo "ref_whole_process_msgs_per_s = $(median %.0f "${r_ref_wall[@]}") msgs/s"
	echo "ref_whole_process_msgs_per_cpu_s = $ref_cpu msgs/s"
	echo "ref_whole_process_msgs_per_cpu_s_per_round = ${r_ref_cpu[*]}"
	echo "ref_whole_process_ratio_cpu_per_round = $ref_ratios"
	# shellcheck disable=SC2086
	echo "ref_whole_process_ratio_cpu = $(median %.2f $ref_ratios) x"
fi

# Start-up: one message, STARTUP_RUNS runs of each binary, alternating.
one=$(find "$corpus/spam-1" -type f | LC_ALL=C sort | head -n 1)
bins=("$build/bin/whorl-scan") carts=("$build/lib/cartridge.so") names=(startup) rates=("$whole_cpu")
if [[ -n ${REF_SCAN:-} ]]; then
	bins+=("$REF_SCAN") carts+=("$ref_cart") names+=(ref_startup) rates+=("$ref_cpu")
fi
for ((r = 0; r < startup_runs; r++)); do
	for i in "${!bins[@]}"; do
		timed_run /dev/null "${bins[i]}" "${carts[i]}" "$one" >>"$work/startup.${names[i]}" \
			|| die "start-up runs failed"
	done
done
for i in "${!bins[@]}"; do
	python3 - "${names[i]}" "$n" "${rates[i]}" "$work/startup.${names[i]}" <<'PY'
import statistics, sys
nm, n, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
runs = [tuple(float(x) * 1e3 for x in line.split()) for line in open(sys.argv[4]) if line.strip()]
walls, cpus = [w for w, _ in runs], [c for _, c in runs]
print("%s_wall_ms_best = %.1f ms" % (nm, min(walls)))
print("%s_wall_ms_median = %.1f ms" % (nm, statistics.median(walls)))
print("%s_cpu_ms_best = %.1f ms" % (nm, min(cpus)))
print("%s_cpu_ms_median = %.1f ms" % (nm, statistics.median(cpus)))
whole_ms = n / max(rate, 1e-9) * 1e3
print("%s_share_of_whole_run_cpu = %.1f %%" % (nm, 100 * min(cpus) / whole_ms))
PY
done
