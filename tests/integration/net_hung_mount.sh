#!/bin/sh
# net_hung_mount.sh - a file:// mirror on a filesystem that stops answering
# never turns into an outage (issue 12, point 2). A FUSE filesystem
# (tests/integration/hung_fs.py) serves the mirror and, like a hard-mounted
# NFS mount whose server died, never answers the calls chosen: read() of the
# manifest, lookup/open of every file, or read() of the complete sigs file.
# A gateway with 1.1 in its cache:
#  A. whorl-update --once, read() of the manifest hangs: ends, ERROR naming
#     the mirror and the cycle's limit, 1.1 kept
#  B. the same when lookup/open of every file hangs
#  C. an empty gateway whose complete sigs file hangs (streamed to disk)
#  D. whorl-scan with the default timeout (cycle limit 120 s): starts from the
#     cache within the open wait, scores with 1.1, and its close (which joins
#     the update thread) ends at once
#  E. whorld with the default timeout: starts, scans go on while the mirror
#     hangs, and SIGTERM ends it within 10 s
# After each program, at most one reader process (CHILD_READ_MAX_STUCK) is
# left asleep in the kernel, and none once the filesystem is gone. FUSE must
# work (/dev/fuse, fuse3, python3-fusepy, root): without it the test FAILS.
set -u
. "$(pwd)/tests/integration/lib/common.sh"
need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-update" "$bin/whorl-scan" \
	"$top/$build/sbin/whorld" "$cart"
need_commands fusermount3 curl
PY=/usr/bin/python3 # Debian's python, where python3-fusepy is installed

tmp=$(mktemp -d /tmp/whorl_hung_mount.XXXXXX) || exit 1
chmod 755 "$tmp"
pids="" fspid=""
unmount() {
	[ -n "$fspid" ] && kill -9 "$fspid" 2>/dev/null && wait "$fspid" 2>/dev/null
	fspid=""
	fusermount3 -u -z "$tmp/mnt" 2>/dev/null || umount -l "$tmp/mnt" 2>/dev/null
	return 0
}
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; unmount; wait 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
has() { printf '%s\n' "$1" | grep -q -- "$2"; }
now() { date +%s; }

# mount_hung RULE: $tmp/mirror through FUSE at $tmp/mnt, hanging as RULE says
mount_hung() {
	unmount
	echo "$1" > "$tmp/control"
	mkdir -p "$tmp/mnt"
	"$PY" "$top/tests/integration/hung_fs.py" "$tmp/mirror" "$tmp/mnt" "$tmp/control" \
		>>"$tmp/fs.log" 2>&1 &
	fspid=$!
	for _ in $(seq 100); do
		grep -q " $tmp/mnt fuse" /proc/mounts && return 0
		kill -0 "$fspid" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL: cannot mount a FUSE filesystem at $tmp/mnt: this test needs /dev/fuse," \
		"root, fuse3 and python3-fusepy (scripts/deps.sh installs them):"
	cat "$tmp/fs.log"
	exit 1
}

# Reader processes left asleep (whorl programs whose command line names
# $tmp, zombies not counted): their count.
stuck_readers() {
	ps -eo stat=,args= | grep -F -- "$tmp/" | grep -v -e hung_fs.py -e grep | grep -c -v '^Z'
}
# check_leftovers NAME: at most one left while the mount hangs, none once
# the filesystem is gone (killing the server fails every call in flight).
check_leftovers() {
	n=$(stuck_readers)
	check "$1: at most 1 reader left asleep in the kernel ($n)" [ "$n" -le 1 ]
	unmount
	for _ in $(seq 100); do [ "$(stuck_readers)" -eq 0 ] && break; sleep 0.1; done
	check "$1: no reader left once the filesystem is gone" [ "$(stuck_readers)" -eq 0 ]
}

"$bin/whorl-keygen" "$tmp/keys" >/dev/null
publish_demo >/dev/null
msg="$demo/publish/spam/spam-pharma.eml"

# gateway DIR [TIMEOUT]: 1.1 in DIR's cache, the mirror then at $tmp/mnt
gateway() {
	mkdir -p "$1"; cp "$top/etc/categories" "$1/"; cp "$tmp/keys/publisher.pub" "$1/"
	echo "micro-update url = file://$tmp/mirror" > "$1/cartridge.cfg"
	"$bin/whorl-update" --config-dir "$1" --cartridge "$cart" --once >/dev/null 2>&1 ||
		{ echo "FAIL: could not prepare $1"; exit 1; }
	echo "micro-update url = file://$tmp/mnt" > "$1/cartridge.cfg"
	[ -n "${2:-}" ] && echo "micro-update timeout = $2" >> "$1/cartridge.cfg"
	return 0
}
limit_line() { # limit_line FILE SECONDS
	echo "ERROR:MICROUPDATE: Could not update signatures from disk (micro-update cycle stopped at $1 after [0-9]* s: the limit for this cycle is $2 s, the mirror file://$tmp/mnt does not answer)."
}
update_once() { # update_once DIR: whorl-update --once at most 60 s; $out, $rc, $t
	t0=$(now)
	out=$(timeout -s KILL 60 "$bin/whorl-update" --config-dir "$1" --cartridge "$cart" --once -v 2>&1)
	rc=$? t=$(($(now) - t0))
	[ -n "${NET_DEBUG:-}" ] && printf '%s\n' "$out"
	return 0
}

# A. read() of the manifest never returns; micro-update timeout 1: 2 s a cycle
gateway "$tmp/a" 1
mount_hung "read manifest"
update_once "$tmp/a"
check "A manifest read hangs: whorl-update --once ends (rc $rc, $t s)" [ "$rc" -eq 0 -a "$t" -lt 30 ]
check "A manifest read hangs: ERROR names the mirror and the limit" has "$out" "$(limit_line manifest 2)"
check "A manifest read hangs: 1.1 from disk" has "$out" 'mu sigs serial = 1.1'
check_leftovers "A"

# B. lookup and open of every file never return
gateway "$tmp/b" 1
mount_hung "open *"
update_once "$tmp/b"
check "B open hangs: whorl-update --once ends (rc $rc, $t s)" [ "$rc" -eq 0 -a "$t" -lt 30 ]
check "B open hangs: ERROR names the mirror and the limit" has "$out" "$(limit_line manifest 2)"
check "B open hangs: 1.1 from disk" has "$out" 'mu sigs serial = 1.1'
check_leftovers "B"

# C. an empty gateway: the complete sigs file (streamed into the cache) hangs
mkdir -p "$tmp/c"; cp "$top/etc/categories" "$tmp/c/"; cp "$tmp/keys/publisher.pub" "$tmp/c/"
printf 'micro-update url = file://%s/mnt\nmicro-update timeout = 1\n' "$tmp" > "$tmp/c/cartridge.cfg"
mount_hung "read sigs.*.enc"
update_once "$tmp/c"
check "C sigs file hangs: whorl-update --once ends ($t s)" [ "$t" -lt 30 ]
check "C sigs file hangs: ERROR names the file, the mirror and the limit" \
	has "$out" "$(limit_line 'sigs\.[0-9]*\.z\.enc' '[0-9]*')"
check "C sigs file hangs: nothing loaded, said so" has "$out" 'update cycle failed'
check_leftovers "C"

# D. whorl-scan, default timeout: the first cycle is still hanging at close
gateway "$tmp/d"
mount_hung "read manifest"
t0=$(now)
v=$(timeout -s KILL 60 "$bin/whorl-scan" --config-dir "$tmp/d" --cartridge "$cart" -j 1 -v "$msg" 2>"$tmp/scan.err")
rc=$? t=$(($(now) - t0))
[ -n "${NET_DEBUG:-}" ] && cat "$tmp/scan.err"
check "D whorl-scan: open + scan + close end (rc $rc, $t s; open waits 15 s)" [ "$rc" -eq 0 -a "$t" -lt 30 ]
check "D whorl-scan: scores with 1.1 from the cache" has "$v" 'd=sigs:1.1'
check "D whorl-scan: the open wait is logged" \
	grep -q "WARN:MICROUPDATE: Micro-update mirror file://$tmp/mnt did not finish within 15 s; starting with sigs serial 1.1 from disk" "$tmp/scan.err"
check "D whorl-scan: close stopped the hung read" \
	grep -q "INFO:MICROUPDATE: Reading manifest from file://$tmp/mnt stopped (shutting down)." "$tmp/scan.err"
check_leftovers "D"

# E. whorld, default timeout: scans go on while the mirror hangs; SIGTERM ends it
gateway "$tmp/e"
mount_hung "read manifest"
hport=$(free_port)
cat > "$tmp/whorld.cfg" <<CFG
http listen = 127.0.0.1:$hport
cartridge = $cart
cartridge config dir = $tmp/e
threads = 2
CFG
t0=$(now)
"$top/$build/sbin/whorld" -f -c "$tmp/whorld.cfg" 2>>"$tmp/whorld.log" &
wpid=$!
pids="$pids $wpid"
wait_alive "$hport" "$wpid" 6
t=$(($(now) - t0))
check "E whorld: listens while the mirror hangs ($t s)" kill -0 "$wpid"
ok=0
for _ in 1 2 3; do
	curl -s -m 20 --data-binary @"$msg" "http://127.0.0.1:$hport/v1/score" > "$tmp/score.json" &&
		grep -q '"is_spam": *true' "$tmp/score.json" && ok=$((ok + 1))
done
check "E whorld: 3 of 3 scans answered as spam while the mirror hangs ($ok)" [ "$ok" -eq 3 ]
t0=$(now)
stop_pid "$wpid"
stopped=$? t=$(($(now) - t0))
check "E whorld: SIGTERM ends it within 10 s ($t s)" [ "$stopped" -eq 0 -a "$t" -le 10 ]
check "E whorld: the hung read was stopped" grep -q "Reading manifest from file://$tmp/mnt stopped" "$tmp/whorld.log"
check_leftovers "E"

echo "net_hung_mount: $fails failed"
[ "$fails" -eq 0 ]
