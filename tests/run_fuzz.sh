#!/bin/sh
# Builds each tests/fuzz/fuzz_*.c as a libFuzzer binary and runs it for
# SECONDS, seeded from tests/fuzz/corpus/<name>/ when that exists.
set -eu
build=${1:-build-fuzz}
seconds=${2:-60}
cc=${FUZZ_CC:-clang}
flags="-std=c11 -D_GNU_SOURCE -O1 -g -I. -Iabi -Ihost -fsanitize=fuzzer,address,undefined $(pkg-config --cflags libsodium libcurl libpcre2-8 zlib libpng)"
libs="$build/lib/libwhorl_publish.a $build/lib/libwhorl.a $build/lib/libcartridge_internal.a $(pkg-config --libs libsodium libcurl libpcre2-8 zlib libpng) -lgif -ljpeg -lpthread -lm -ldl"
mkdir -p "$build/fuzz"
total=0 failed=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	total=$((total + 1))
	# shellcheck disable=SC2086
	$cc $flags -o "$build/fuzz/$name" "$src" $libs
	work="$build/fuzz/$name.corpus"
	mkdir -p "$work"
	seeds=""
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	echo "== $name for ${seconds}s"
	log="$build/fuzz/$name.log"
	# shellcheck disable=SC2086
	if "$build/fuzz/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$build/fuzz/$name-" -print_final_stats=1 "$work" $seeds >"$log" 2>&1; then
		tail -n 3 "$log"
	else
		tail -n 60 "$log"
		echo "FAILED: $name (crash input saved under $build/fuzz/)"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
