#!/bin/sh
# Builds each tests/fuzz/fuzz_*.c as a libFuzzer binary and runs it for
# SECONDS, seeded from tests/fuzz/corpus/<name>/ and from the limit-reaching
# inputs tests/fuzz/seeds.py writes. Prints, per target, the executions per
# second and the coverage reached, then "fuzz: N passed, N failed".
#
#   sh tests/run_fuzz.sh BUILD SECONDS      (make fuzz; make fuzz-long)
#
# A target may have tests/fuzz/<name>.options (OSS-Fuzz style):
#   [libfuzzer]        each "key = value" becomes -key=value (max_len, dict, ...)
#   [build]            sources = more .c files to compile in; libs = more -l flags
# Without one, max_len is FUZZ_MAX_LEN (default 65536), so inputs can pass the
# 4 KB libFuzzer would otherwise keep to and reach the named limits.
# Environment: FUZZ_CC (clang), FUZZ_LIBS (the link libraries; the Makefile
# passes its own), FUZZ_MAX_LEN, FUZZ_TARGETS (names such as "fuzz_mime
# fuzz_html": only those; default every target).
set -eu
build=${1:-build-fuzz}
seconds=${2:-60}
cc=${FUZZ_CC:-clang}
default_max_len=${FUZZ_MAX_LEN:-65536}
pkgs="libsodium libcurl libpcre2-8 zlib libpng libcrypto"
flags="-std=c11 -D_GNU_SOURCE -O1 -g -I. -Iabi -Ihost -fsanitize=fuzzer,address,undefined $(pkg-config --cflags $pkgs)"
libs=${FUZZ_LIBS:-"$(pkg-config --libs $pkgs) -lgif -ljpeg -lzbar -lpthread -lm -ldl"}
archives="$build/lib/libwhorl_publish.a $build/lib/libwhorl.a $build/lib/libcartridge_internal.a"
mkdir -p "$build/fuzz"
python3 tests/fuzz/seeds.py "$build/fuzz/seeds"

# options FILE SECTION: the "key = value" lines of one section, as key=value.
options() {
	[ -f "$1" ] || return 0
	awk -v want="[$2]" '
		/^\[/ { sect = $0; next }
		sect == want && /=/ {
			k = $0; sub(/[ \t]*=.*/, "", k)
			v = $0; sub(/^[^=]*=[ \t]*/, "", v)
			print k "=" v
		}' "$1"
}

# children_cpu FILE: CPU seconds (user + system) used so far by this shell's
# finished children. `times` must run in this shell, not in a $(...) subshell
# (which has no children of its own), so it writes to FILE first, and callers
# redirect its output instead of capturing it with $(...).
children_cpu() {
	times >"$1"
	sed -n 2p "$1" | awk '{
		t = 0
		for (i = 1; i <= 2; i++) { split($i, a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] }
		printf "%d", t }'
}

# stat LOG KEY: a number from libFuzzer's -print_final_stats lines.
stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1; }

total=0 failed=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	case " ${FUZZ_TARGETS:-$name} " in *" $name "*) ;; *) continue ;; esac
	opt="tests/fuzz/$name.options"
	total=$((total + 1))
	extra_src=$(options "$opt" build | sed -n 's/^sources=//p')
	extra_libs=$(options "$opt" build | sed -n 's/^libs=//p')
	# shellcheck disable=SC2086
	$cc $flags -o "$build/fuzz/$name" "$src" $extra_src $archives $libs $extra_libs
	fuzz_args=$(options "$opt" libfuzzer | sed 's/^/-/' | tr '\n' ' ')
	case " $fuzz_args " in *" -max_len="*) ;; *) fuzz_args="$fuzz_args -max_len=$default_max_len" ;; esac
	work="$build/fuzz/$name.corpus"
	mkdir -p "$work"
	seeds=""
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	[ -d "$build/fuzz/seeds/$name" ] && seeds="$seeds $build/fuzz/seeds/$name"
	echo "== $name for ${seconds}s ($fuzz_args)"
	log="$build/fuzz/$name.log"
	children_cpu "$build/fuzz/times" >"$build/fuzz/cpu_before"
	# shellcheck disable=SC2086
	if "$build/fuzz/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$build/fuzz/$name-" -print_final_stats=1 $fuzz_args \
		"$work" $seeds >"$log" 2>&1; then
		children_cpu "$build/fuzz/times" >"$build/fuzz/cpu_after"
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
		ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
		echo "$name: execs=$(stat "$log" number_of_executed_units)" \
			"execs_per_s=$(stat "$log" average_exec_per_sec) cov=${cov:-?} ft=${ft:-?}" \
			"corpus=$(ls "$work" | wc -l) peak_rss_mb=$(stat "$log" peak_rss_mb)" \
			"cpu_s=$(($(cat "$build/fuzz/cpu_after") - $(cat "$build/fuzz/cpu_before")))"
	else
		tail -n 60 "$log"
		echo "FAILED: $name (crash input saved under $build/fuzz/)"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
