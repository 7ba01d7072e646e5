#!/usr/bin/env bash
# whorld.sh - the daemon benchmark (issue 11, point 6): whorld holding a
# snapshot of 1,000,000 fingerprints, loaded by build/bench/whorld_load over
# HTTP keep-alive (POST /v1/score) and over the spamd protocol (CHECK
# SPAMC/1.5, a connection per request as spamc makes them), beside, in the
# same run and on the same messages, the in-memory engine bench
# (build/bench/speed, two threads: speed.sh's figure) and rspamd 3.4 with
# only fuzzy_check enabled (its normal worker over HTTP /checkv2, a
# redis-backed fuzzy storage worker, the corpus's spam learned into it with
# rspamc fuzzy_add). Prints "name = value unit" figures, then a table with
# the ratios the issue targets. Never passes or fails on timing (exit status
# is non-zero only when it could not run or a server answered nothing).
#
#   nice tests/bench/whorld.sh              the bench (a few minutes)
#   nice tests/bench/whorld.sh --soak       the soak: whorld under load for
#                                           SOAK_SECONDS (default 600), RSS
#                                           sampled every SOAK_EVERY seconds
#
# The update set is speed.sh's: the corpus (spam-1 + spam-2 as spam,
# easy-ham-2 legit) plus N_EXACT random exact fingerprints and N_SKETCH
# random sketches from gen_sigs (defaults 1000000 and 100000). The messages
# scanned are the whole corpus (6,046), held in memory by each program.
# whorld runs with threads = 2 (the machine's cores); rspamd with two normal
# workers (its own default on 2 cores would be one: MIN(4, MAX(1, cores -
# 2)) in rspamd's worker configuration; two let it use both cores). CPU
# figures are the servers' processes only (whorld; rspamd's main, workers
# and redis), never the load generator's. Half-rate pass: the HTTP and spamd loads again, paced at half of
# the rate just measured, for p99 at half the maximum rate. Transport
# floor: the same loads against whorld hosting the echo test cartridge,
# for what serving a request costs beside its scan, and from it the
# highest ratio to the in-memory bench these cores allow (step 4b).
#
# Environment: WHORL_CORPUS, BUILD (default build), N_EXACT, N_SKETCH,
# CLIENTS (default 4), SECONDS_PER_RUN (default 10), SOAK_SECONDS,
# SOAK_EVERY (default 5), NO_RSPAMD=1 (skip rspamd), KEEP=1 (keep the work
# folder), WHORLD_BEFORE=DIR (another build folder, e.g. a copy of build/
# made before a change: its whorld and this one, both with this build's
# cartridge, run the two full-rate loads alternately, ROUNDS times (default
# 3), first, in the same run, each round followed by an rspamd run;
# "before:", "after:" and "rspamd:" rows are the medians, and the rspamd
# ratios are given from the medians and round by round; each side also
# runs both loads paced at half its rate of that round, for p99 at half
# rate, unless HALF_ROUNDS=0).
# Every server is started on 127.0.0.1 at a free port and stopped
# by PID. Not for: pass/fail tests (tests/integration/whorld_*.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
n_exact=${N_EXACT:-1000000}
n_sketch=${N_SKETCH:-100000}
clients=${CLIENTS:-4}
secs=${SECONDS_PER_RUN:-10}
soak=0
[[ ${1:-} == --soak ]] && soak=1
soak_secs=${SOAK_SECONDS:-600}
soak_every=${SOAK_EVERY:-5}

die() { echo "whorld.sh: $*" >&2; exit 2; }

# shellcheck source=tests/integration/lib/corpus.sh
. "$root/tests/integration/lib/corpus.sh"
corpus_need easy-ham-1 easy-ham-2 hard-ham-1 spam-1 spam-2
groups=("$corpus/easy-ham-1" "$corpus/easy-ham-2" "$corpus/hard-ham-1" "$corpus/spam-1" "$corpus/spam-2")
build_need bench bin/whorl-keygen bin/whorl-publish sbin/whorld bench/speed bench/gen_sigs bench/whorld_load \
	tests/cartridges/good_echo.so
if [[ $soak == 0 && ${NO_RSPAMD:-0} != 1 ]]; then
	for p in rspamd rspamc redis-server redis-cli; do
		command -v $p >/dev/null || die "$p missing (scripts/deps.sh installs it)"
	done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/whorl-whorld-bench.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [[ ${KEEP:-0} == 1 ]]; then echo "work folder: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
figure() { sed -n "s/^$1 = \([0-9.]*\).*/\1/p" "$2" | head -n 1; }
# Resident memory of the processes $@ together, in MiB (0 when gone).
rss_mib() {
	local kb=0 p v
	for p in "$@"; do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
		kb=$((kb + ${v:-0}))
	done
	python3 -c "print('%.1f' % ($kb / 1024))"
}
# Waits until HTTP URL $1 answers 200 (up to $2 seconds).
wait_http() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}
# CPU time (user + system, clock ticks) of the processes $@ together.
cpu_ticks() {
	local t=0 p v
	for p in "$@"; do
		v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
# run_load LABEL OUT WHORLD_LOAD-OPTIONS...: one load run over the corpus;
# its figures go to OUT and stdout, with the CPU time the servers
# ($server_pids) spent meanwhile and their messages per CPU second (the
# figure other jobs on the machine disturb least).
run_load() {
	local label=$1 out=$2 c0 c1
	shift 2
	c0=$(cpu_ticks $server_pids)
	"$build/bench/whorld_load" --label "$label" --warmup 0 "$@" "${groups[@]}" >"$out" \
		|| { cat "$out" >&2; die "$label: the load generator failed"; }
	c1=$(cpu_ticks $server_pids)
	python3 - "$label" "$(figure "${label}_requests" "$out")" "$((c1 - c0))" \
		"$(getconf CLK_TCK)" >>"$out" <<'PY'
import sys
label, n, ticks, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cpu = ticks / hz
print("%s_server_cpu_s = %.2f s" % (label, cpu))
print("%s_msgs_per_server_cpu_s = %.0f msgs/s" % (label, n / cpu if cpu > 0 else 0))
PY
	cat "$out"
}

# 1. The update set and a gateway configuration loading it before init.
corpus_gateway "$work" "spam-1 spam-2" easy-ham-2 "report statistics = no"
if [[ $n_exact$n_sketch != 00 ]]; then
	"$build/bench/gen_sigs" --key "$work/keys/publisher.key" --out "$work/mirror" \
		--exact "$n_exact" --sketches "$n_sketch" --seed 1 >"$work/gen.log" 2>&1 \
		|| { cat "$work/gen.log" >&2; die "gen_sigs failed"; }
fi
echo "update_set = corpus + $n_exact exact fingerprints + $n_sketch sketches"
find "${groups[@]}" -type f -exec cat {} + >/dev/null # page cache warm

# 2. The in-memory reference (and the snapshot's size), same set, same run:
#    speed.sh's program, run before whorld and again after it (the machine's
#    load moves; the higher two-thread rate is the reference).
in_memory() { # OUT
	"$build/bench/speed" --config-dir "$work/etc" --cartridge "$build/lib/cartridge.so" \
		--seconds 3 "${groups[@]}" >"$1" 2>"$work/speed.err" \
		|| { cat "$work/speed.err" >&2; die "bench/speed failed"; }
	grep -E '^(known_fingerprints|known_sketches|snapshot_bytes|threads[12]_msgs_per_s|messages) ' \
		"$1" | sed 's/^/in_memory_/'
}
in_memory "$work/speed.out"
snap_mib=$(python3 -c "print('%.1f' % ($(figure snapshot_bytes "$work/speed.out") / 1048576))")

# 3. whorld, two scanning threads. whorld_start BUILD_DIR LOG: starts
#    BUILD_DIR's whorld (wpid, sport, hport), always with this build's
#    cartridge (a drop-in: an older whorld runs it), so a WHORLD_BEFORE
#    comparison measures whorld alone; CARTRIDGE, a third argument, replaces
#    it (the transport floor's echo cartridge, step 4b).
whorld_start() {
	sport=$(free_port)
	hport=$(free_port)
	cat >"$work/whorld.cfg" <<CFG
spamd listen = 127.0.0.1:$sport
http listen = 127.0.0.1:$hport
cartridge = ${3:-$build/lib/cartridge.so}
cartridge config dir = $work/etc
threads = 2
queue size = 256
log level = warn
CFG
	"$1/sbin/whorld" -f -c "$work/whorld.cfg" 2>"$2" &
	wpid=$!
	pids+=("$wpid")
	wait_http "http://127.0.0.1:$hport/ping" 300 || { cat "$2" >&2; die "whorld did not start"; }
	server_pids=$wpid
}
whorld_stop() {
	kill "$wpid"
	wait "$wpid" || die "whorld did not stop cleanly (see $work/whorld.log)"
	pids=()
}
hload() { # LABEL OUT OPTIONS...
	run_load "$1" "$2" --proto http --target "127.0.0.1:$hport" --path /v1/score \
		--expect '"cmae-score"' --spam-marker '"is_spam":true' "${@:3}"
}
sload() { run_load "$1" "$2" --proto spamd --target "127.0.0.1:$sport" "${@:3}"; }
# rspamd 3.4, fuzzy_check only, redis-backed fuzzy storage: started and fed
# once (before the WHORLD_BEFORE rounds when there are any, which run it
# between whorld's runs; else after whorld's passes, step 5).
rspamd_up=0
rspamd_run() { # OUT
	local sp=$server_pids
	server_pids="$(rspamd_fuzzy_pids) $rspamd_redis_pid"
	run_load rspamd_http "$1" --proto http --target "127.0.0.1:$rspamd_normal_port" \
		--path /checkv2 --expect '"action"' --spam-marker LOCAL_FUZZY_DENIED \
		--clients "$clients" --seconds "$secs"
	server_pids=$sp
}
rspamd_up() {
	[[ $rspamd_up == 1 ]] && return 0
	. "$root/tests/bench/rspamd_fuzzy.sh"
	rspamd_fuzzy_start "$work/rspamd"
	rspamd_fuzzy_learn "$corpus/spam-1" "$corpus/spam-2"
	redis-cli -p "$rspamd_redis_port" config resetstat >/dev/null
	rspamd_up=1
}
# WHORLD_BEFORE=DIR: an older build's whorld and this one, full rate, in
# ROUNDS alternations, each round ending with an rspamd run (the machine's
# load moves between runs; the medians of the alternated runs, and the
# round-by-round ratios, are what compares them).
if [[ -n ${WHORLD_BEFORE:-} && $soak == 0 ]]; then
	[[ -x $WHORLD_BEFORE/sbin/whorld ]] || die "WHORLD_BEFORE: $WHORLD_BEFORE/sbin/whorld missing"
	[[ ${NO_RSPAMD:-0} != 1 ]] && rspamd_up
	for ((round = 1; round <= ${ROUNDS:-3}; round++)); do
		for side in before after; do
			[[ $side == before ]] && dir=$WHORLD_BEFORE || dir=$build
			whorld_start "$dir" "$work/whorld_$side.log"
			hload "${side}_http" "$work/${side}_http.$round.out" --clients "$clients" --seconds "$secs"
			sload "${side}_spamd" "$work/${side}_spamd.$round.out" --clients "$clients" --seconds "$secs"
			if [[ ${HALF_ROUNDS:-1} == 1 ]]; then # p99 at half of this round's rate
				hload "${side}_http_half" "$work/${side}_http_half.$round.out" --clients "$clients" \
					--seconds "$secs" --rate "$(($(figure "${side}_http_msgs_per_s" "$work/${side}_http.$round.out") / 2))"
				sload "${side}_spamd_half" "$work/${side}_spamd_half.$round.out" --clients "$clients" \
					--seconds "$secs" --rate "$(($(figure "${side}_spamd_msgs_per_s" "$work/${side}_spamd.$round.out") / 2))"
			fi
			whorld_stop
		done
		[[ $rspamd_up == 1 ]] && rspamd_run "$work/rspamd_round.$round.out"
	done
fi
whorld_start "$build" "$work/whorld.log"
echo "whorld_rss_idle = $(rss_mib "$wpid") MiB"
echo "snapshot_size = $snap_mib MiB"

# The soak: HTTP and spamd clients together for soak_secs, RSS every soak_every s.
if [[ $soak == 1 ]]; then
	# Both loads at once, so their CPU figure is one for the two.
	c0=$(cpu_ticks "$wpid")
	"$build/bench/whorld_load" --label soak_http --warmup 0 --proto http \
		--target "127.0.0.1:$hport" --path /v1/score --expect '"cmae-score"' \
		--spam-marker '"is_spam":true' --clients 2 --seconds "$soak_secs" "${groups[@]}" \
		>"$work/soak_http.out" &
	lp1=$!
	"$build/bench/whorld_load" --label soak_spamd --warmup 0 --proto spamd \
		--target "127.0.0.1:$sport" --clients 2 --seconds "$soak_secs" "${groups[@]}" \
		>"$work/soak_spamd.out" &
	lp2=$!
	pids+=("$lp1" "$lp2")
	echo "# t_s rss_mib"
	t0=$(date +%s)
	while kill -0 "$lp1" 2>/dev/null; do
		echo "$(($(date +%s) - t0)) $(rss_mib "$wpid")" | tee -a "$work/rss.txt"
		sleep "$soak_every"
	done
	wait "$lp1" || die "the soak's HTTP load failed"
	wait "$lp2" || die "the soak's spamd load failed"
	c1=$(cpu_ticks "$wpid")
	cat "$work/soak_http.out" "$work/soak_spamd.out"
	python3 - "$work/rss.txt" "$snap_mib" "$soak_secs" "$((c1 - c0))" "$(getconf CLK_TCK)" \
		"$(figure soak_http_requests "$work/soak_http.out")" \
		"$(figure soak_spamd_requests "$work/soak_spamd.out")" <<'PY'
import sys
ticks, hz, n_http, n_spamd = (int(x) for x in sys.argv[4:8])
cpu = ticks / hz
print("soak_server_cpu_s = %.1f s" % cpu)
print("soak_msgs_per_server_cpu_s = %.0f msgs/s (HTTP and spamd together)"
      % ((n_http + n_spamd) / cpu if cpu > 0 else 0))
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
snap, secs = float(sys.argv[2]), sys.argv[3]
rss = [r for _, r in rows]
# Growth: the last minute's mean against the mean of the minute after the
# first (warm-up) minute, so a single sample's noise does not count.
def mean(xs): return sum(xs) / len(xs)
first = [r for t, r in rows if 60 <= t < 120] or rss[: max(1, len(rss) // 10)]
last = [r for t, r in rows if t >= rows[-1][0] - 60] or rss[-max(1, len(rss) // 10):]
print("soak_seconds = %s s" % secs)
print("soak_rss_samples = %d" % len(rss))
print("soak_rss_first = %.1f MiB" % rss[0])
print("soak_rss_min = %.1f MiB" % min(rss))
print("soak_rss_max = %.1f MiB" % max(rss))
print("soak_rss_last = %.1f MiB" % rss[-1])
print("soak_rss_growth = %.1f MiB (mean of the last minute - mean of the second minute)"
      % (mean(last) - mean(first)))
print("soak_rss_max_over_snapshot = %.1f MiB (target <= 64)" % (max(rss) - snap))
PY
	exit 0
fi

# 4. whorld at full rate, then paced at half of it.
hload whorld_http "$work/http.out" --clients "$clients" --seconds "$secs"
echo "whorld_rss_after_http = $(rss_mib "$wpid") MiB"
sload whorld_spamd "$work/spamd.out" --clients "$clients" --seconds "$secs"
echo "whorld_rss_after_spamd = $(rss_mib "$wpid") MiB" | tee "$work/rss_whorld"
http_rate=$(figure whorld_http_msgs_per_s "$work/http.out")
spamd_rate=$(figure whorld_spamd_msgs_per_s "$work/spamd.out")
hload whorld_http_half "$work/http_half.out" --clients "$clients" --seconds "$secs" \
	--rate "$((http_rate / 2))"
sload whorld_spamd_half "$work/spamd_half.out" --clients "$clients" --seconds "$secs" \
	--rate "$((spamd_rate / 2))"
whorld_rss=$(rss_mib "$wpid")
whorld_stop

# 4b. The transport floor: the same whorld and loads with the echo test
#     cartridge (tests/cartridges/good_echo.c: a hash of the message, no
#     engine), and the echo cartridge in the in-memory bench. whorld's CPU
#     a request less echo's CPU a message is what serving a request costs
#     beside the scan (kernel, libmicrohttpd, whorld's own code). From it,
#     step 6 gives the highest ratio to the in-memory bench these cores
#     allow whatever whorld's code does.
whorld_start "$build" "$work/whorld_floor.log" "$build/tests/cartridges/good_echo.so"
hload floor_http "$work/floor_http.out" --clients "$clients" --seconds "$secs" >/dev/null
sload floor_spamd "$work/floor_spamd.out" --clients "$clients" --seconds "$secs" >/dev/null
whorld_stop
"$build/bench/speed" --config-dir "$work/etc" --cartridge "$build/tests/cartridges/good_echo.so" \
	--seconds 2 "${groups[@]}" >"$work/speed_echo.out" 2>"$work/speed.err" \
	|| { cat "$work/speed.err" >&2; die "bench/speed with the echo cartridge failed"; }
in_memory "$work/speed2.out"
mem2=$(python3 -c "print(max($(figure threads2_msgs_per_s "$work/speed.out"), $(figure threads2_msgs_per_s "$work/speed2.out")))")
echo "in_memory_threads2_reference = $mem2 msgs/s (the higher of the two runs)"

# 5. rspamd 3.4, fuzzy_check only, redis-backed fuzzy storage.
rspamd_rss=0 redis_rss=0
if [[ ${NO_RSPAMD:-0} != 1 ]]; then
	rspamd_up
	rspamd_run "$work/rspamd.out"
	# What rspamd asked of redis per message (fuzzy lookups only: it shows
	# the run did the work it is meant to and nothing else).
	redis-cli -p "$rspamd_redis_port" info commandstats >"$work/redis_stats.txt"
	python3 - "$work/redis_stats.txt" "$work"/rspamd*.out <<'PY2'
import re, sys
calls = {m.group(1): int(m.group(2))
         for m in re.finditer(r"cmdstat_(\w+):calls=(\d+)", open(sys.argv[1]).read())}
n = sum(int(m.group(1)) for f in sys.argv[2:]
        for m in re.finditer(r"^rspamd_http_requests = (\d+)", open(f).read(), re.M))
print("rspamd_redis_commands = %s" % (", ".join("%s %d" % kv for kv in sorted(calls.items())) or "none"))
print("rspamd_redis_commands_per_request = %.2f (%d requests)" % (sum(calls.values()) / n if n else 0, n))
PY2
	rspamd_rss=$(rss_mib $(rspamd_fuzzy_pids))
	redis_rss=$(rss_mib "$rspamd_redis_pid")
	echo "rspamd_rss = $rspamd_rss MiB (main + workers)"
	echo "rspamd_redis_rss = $redis_rss MiB"
	rspamd_fuzzy_stop
fi

# 6. The table and the ratios.
python3 - "$work" "$mem2" "$snap_mib" "$whorld_rss" "$rspamd_rss" "$redis_rss" <<'PY'
import os, re, sys
work, mem2, snap, wrss, rrss, redis = sys.argv[1:]
mem2 = float(mem2)
def figs(name):
    d = {}
    path = os.path.join(work, name)
    if not os.path.exists(path):
        return None
    for line in open(path):
        m = re.match(r"\w+?_(msgs_per_s|msgs_per_server_cpu_s|latency_p50|latency_p99|errors|client_cores) = ([0-9.]+)", line)
        if m:
            d[m.group(1)] = float(m.group(2))
    return d
def speed_cpu(name):
    m = re.search(r"^threads2_msgs_per_cpu_s = ([0-9.]+)", open(os.path.join(work, name)).read(), re.M)
    return float(m.group(1))
mem_cpu = max(speed_cpu(n) for n in ("speed.out", "speed2.out"))
h, s, hh, sh, r = (figs(n) for n in ("http.out", "spamd.out", "http_half.out", "spamd_half.out", "rspamd.out"))
def median_figs(prefix):
    runs = [figs(n) for n in sorted(os.listdir(work)) if n.startswith(prefix + ".") and n.endswith(".out")]
    if not runs:
        return None
    d = {}
    for k in runs[0]:
        xs = sorted(x[k] for x in runs)
        d[k] = xs[len(xs) // 2]
    d["n"] = len(runs)
    d["cpu_runs"] = " ".join("%.0f" % x["msgs_per_server_cpu_s"] for x in runs)
    d["p99_runs"] = " ".join("%.2f" % x["latency_p99"] for x in runs)
    return d
bh, bs, ah, as_, rr = (median_figs(n) for n in ("before_http", "before_spamd", "after_http", "after_spamd", "rspamd_round"))
def round_ratios(prefix):
    # whorld's msgs/CPU-s over rspamd's, round by round (the same minutes' load)
    out = []
    for i in range(1, 100):
        w, r = figs("%s.%d.out" % (prefix, i)), figs("rspamd_round.%d.out" % i)
        if w is None or r is None:
            break
        out.append(w["msgs_per_server_cpu_s"] / r["msgs_per_server_cpu_s"])
    return out
print()
print("%-36s %8s %10s %8s %8s %11s %6s" % ("", "msgs/s", "msgs/CPU-s", "p50 ms", "p99 ms", "RSS MiB", "errors"))
print("%-36s %8.0f %10.0f" % ("in-memory bench (speed), 2 threads", mem2, mem_cpu))
def row(name, d, rss):
    print("%-36s %8.0f %10.0f %8.3f %8.3f %11s %6.0f" % (name, d["msgs_per_s"], d["msgs_per_server_cpu_s"],
          d["latency_p50"], d["latency_p99"], rss, d["errors"]))
if bh:
    row("before: HTTP, median of %d" % bh["n"], bh, "")
    row("after: HTTP, median of %d" % ah["n"], ah, "")
    row("before: spamd, median of %d" % bs["n"], bs, "")
    row("after: spamd, median of %d" % as_["n"], as_, "")
    print("(msgs/CPU-s of each alternated run -- before HTTP: %s; after HTTP: %s;" % (bh["cpu_runs"], ah["cpu_runs"]))
    print(" before spamd: %s; after spamd: %s)" % (bs["cpu_runs"], as_["cpu_runs"]))
    if rr:
        row("rspamd: /checkv2, median of %d" % rr["n"], rr, "")
        print("(rspamd msgs/CPU-s of each round: %s)" % rr["cpu_runs"])
    halves = [(n, median_figs(n)) for n in ("before_http_half", "after_http_half", "before_spamd_half", "after_spamd_half")]
    for n, hd in halves:
        if hd:
            row("%s: %s at half rate, median of %d" % tuple(n.split("_")[:2] + [hd["n"]]), hd, "")
    for n, hd in halves:
        if hd:
            print("(%s p99 of each round: %s ms)" % (n, hd["p99_runs"]))
row("whorld HTTP keep-alive /v1/score", h, wrss)
row("whorld spamd CHECK, conn per request", s, wrss)
row("whorld HTTP, paced at half its max", hh, "")
row("whorld spamd, paced at half its max", sh, "")
if r:
    row("rspamd 3.4 fuzzy_check /checkv2", r, "%s+%s" % (rrss, redis))
print("(msgs/CPU-s: messages per CPU second of the server's processes -- whorld; rspamd's")
print(" main, workers and redis; speed's own. Snapshot %s MiB. whorld's RSS after all its" % snap)
print(" runs; rspamd's processes + redis'.)")
if "client_cores" in h and "client_cores" in s:
    # The wall ratios below share the two cores with the load generator.
    print("(the load generator's own CPU, on the same cores: %.2f cores during the HTTP run, %.2f during"
          % (h["client_cores"], s["client_cores"]))
    print(" the spamd run; the in-memory bench had both cores to itself)")
print()
def ratio(name, value, target, fmt="%.2f"):
    print("%s = %s (target %s)" % (name, fmt % value, target))
if bh:
    for side, hd, sd in (("before", bh, bs), ("after", ah, as_)):
        ratio("%s_ratio_http_to_in_memory_cpu" % side, hd["msgs_per_server_cpu_s"] / mem_cpu, "(per CPU second, median)")
        ratio("%s_ratio_spamd_to_in_memory_cpu" % side, sd["msgs_per_server_cpu_s"] / mem_cpu, "(per CPU second, median)")
        if rr:
            ratio("%s_ratio_http_to_rspamd_cpu" % side, hd["msgs_per_server_cpu_s"] / rr["msgs_per_server_cpu_s"], "(per CPU second, medians of the rounds)", "%.1f")
            rs = round_ratios(side + "_http")
            ratio("%s_ratio_http_to_rspamd_cpu_by_round" % side, sorted(rs)[len(rs) // 2],
                  "(per CPU second, median of %s)" % " ".join("%.1f" % x for x in rs), "%.1f")
            ratio("%s_ratio_spamd_to_rspamd_cpu" % side, sd["msgs_per_server_cpu_s"] / rr["msgs_per_server_cpu_s"], "(per CPU second, medians of the rounds)", "%.1f")
ratio("ratio_http_to_in_memory_2t", h["msgs_per_s"] / mem2, ">= 0.75")
ratio("ratio_http_to_in_memory_cpu", h["msgs_per_server_cpu_s"] / mem_cpu, "(per CPU second)")
ratio("ratio_spamd_to_in_memory_2t", s["msgs_per_s"] / mem2, ">= 0.50")
ratio("ratio_spamd_to_in_memory_cpu", s["msgs_per_server_cpu_s"] / mem_cpu, "(per CPU second)")
if r:
    ratio("ratio_http_to_rspamd", h["msgs_per_s"] / r["msgs_per_s"], ">= 10", "%.1f")
    ratio("ratio_http_to_rspamd_cpu", h["msgs_per_server_cpu_s"] / r["msgs_per_server_cpu_s"], "(per CPU second)", "%.1f")
    ratio("ratio_spamd_to_rspamd", s["msgs_per_s"] / r["msgs_per_s"], ">= 10", "%.1f")
# The transport floor (step 4b): serving a request beside its scan, and
# the highest wall ratio the cores allow with it. On the shared cores each
# request costs the in-memory bench's CPU a message, the floor, and the
# load generator's own CPU a request (measured in the same run: its cores
# over the rate); the in-memory bench had every core to itself.
fh, fs = figs("floor_http.out"), figs("floor_spamd.out")
echo_cpu = float(re.search(r"^threads2_msgs_per_cpu_s = ([0-9.]+)",
                           open(os.path.join(work, "speed_echo.out")).read(), re.M).group(1))
cores = os.cpu_count()
for proto, f, d in (("http", fh, h), ("spamd", fs, s)):
    floor = 1 / f["msgs_per_server_cpu_s"] - 1 / echo_cpu
    print("floor_%s_us_per_request = %.1f us (whorld's CPU a request with the echo cartridge, %.1f us,"
          " less echo's scan, %.1f us)" % (proto, floor * 1e6, 1e6 / f["msgs_per_server_cpu_s"], 1e6 / echo_cpu))
    print("bound_%s_to_in_memory_cpu = %.2f (the highest per-CPU ratio with that floor)"
          % (proto, (1 / mem_cpu) / (1 / mem_cpu + floor)))
    client = d.get("client_cores", 0) / d["msgs_per_s"]
    print("bound_%s_to_in_memory_2t = %.2f (the highest wall ratio on these %d cores, with the load"
          " generator's %.1f us a request)" % (proto, cores / (1 / mem_cpu + floor + client) / mem2,
                                              cores, client * 1e6))
ratio("p99_http_at_half_rate_ms", hh["latency_p99"], "<= 5", "%.3f")
ratio("p99_spamd_at_half_rate_ms", sh["latency_p99"], "<= 5", "%.3f")
ratio("rss_over_snapshot_mib", float(wrss) - float(snap), "<= 64", "%.1f")
PY
