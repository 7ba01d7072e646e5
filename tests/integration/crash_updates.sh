#!/bin/sh
# crash_updates.sh - kill -9 at random points of the update cycle.
# A publisher keeps changing a file:// mirror (update_apply publish-loop);
# a process runs update cycles on it (update_apply cycle: download into the
# cache as .part, verify, rename, state files, snapshot swap) and is killed
# with SIGKILL after a random delay, CRASH_ROUNDS times (default 100). After
# each kill a start-up on the cache alone (update_apply check, no mirror)
# must load one whole verified set and leave no .part file.
# The trial period is 1 s (micro-update trial period) so sets are promoted
# to safe during the run.
# Prints PASS/FAIL; exits non-zero when any round failed.
set -u
build=${WHORL_TEST_BUILD:-build}
top=$(pwd)
app="$top/$build/bench/update_apply"
rounds=${CRASH_ROUNDS:-100}
[ -x "$app" ] || make -s "$build/bench/update_apply" >/dev/null || { echo "FAIL: $app"; exit 1; }
[ -x "$top/$build/bin/whorl-keygen" ] || { echo "FAIL: whorl-keygen missing (make all)"; exit 1; }

tmp=$(mktemp -d /tmp/whorl_crash.XXXXXX) || exit 1
pub_pid=
cleanup() { [ -n "$pub_pid" ] && kill "$pub_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
"$top/$build/bin/whorl-keygen" "$tmp/keys" >/dev/null || exit 1
mkdir -p "$tmp/mirror"
"$app" config "$tmp/gw" "$tmp/mirror" "$tmp/keys/publisher.pub" "$tmp/cache" || exit 1
"$app" config "$tmp/check" "$tmp/none" "$tmp/keys/publisher.pub" "$tmp/cache" || exit 1
"$app" publish-loop "$tmp/mirror" "$tmp/keys/publisher.key" & pub_pid=$!
sleep 0.3
echo "micro-update trial period = 1" >> "$tmp/gw/cartridge.cfg"

fails=0 loaded=0 fell=0
i=0
while [ "$i" -lt "$rounds" ]; do
	i=$((i + 1))
	"$app" cycle "$tmp/gw" 2>/dev/null & pid=$!
	sleep "0.$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%03d", int(rand() * 400) + 20 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	out=$("$app" check "$tmp/check" "$tmp/cache/micro_updates" 2>"$tmp/err"); rc=$?
	case $rc in
	0) loaded=$((loaded + 1)); echo "$out" >> "$tmp/seen" ;;
	4) ;;   # nothing in the cache yet (killed before the first set was saved)
	*) fails=$((fails + 1)); echo "FAIL: round $i: rc $rc $(head -c 300 "$tmp/err")" ;;
	esac
done
[ "$loaded" -ge $((rounds / 2)) ] || { fails=$((fails + 1)); echo "FAIL: only $loaded rounds loaded a set"; }
[ -f "$tmp/cache/micro_updates/states/srl_set.safe" ] ||
	{ fails=$((fails + 1)); echo "FAIL: no set was promoted to safe (micro-update trial period = 1)"; }
distinct=$(sort -u "$tmp/seen" 2>/dev/null | wc -l)
[ "$distinct" -ge 2 ] || { fails=$((fails + 1)); echo "FAIL: the cycles never changed the set ($distinct distinct)"; }
echo "crash_updates: $rounds kills, $loaded restarts loaded a whole verified set ($distinct distinct sets), $fails failures"
[ "$fails" -eq 0 ] && echo "PASS: crash_updates" && exit 0
exit 1
