#!/bin/sh
# publish_scan.sh - the main job with the real programs and the real
# cartridge.so: whorl-keygen, whorl-publish from etc/demo/publish/ into a
# file:// mirror, whorl-scan --json over etc/demo/scan/ (every spam-*,
# phish-*, virus-* at or above 50 with the right category, every legit-*
# below), a second publish that writes a delta the next scan loads (serial
# 1.2), a tampered delta that a gateway still on 1.1 refuses in favour of
# its cached good set (one that verified 1.2 keeps its persisted copy),
# and --fingerprints output per engine.
# Prints PASS/FAIL per check; exits non-zero when any check failed.
# Not for: whorl-scan's input handling (scan_cli.sh) or the format (unit tests).
set -u
. "$(pwd)/tests/integration/lib/common.sh"

need_files "$bin/whorl-keygen" "$bin/whorl-publish" "$bin/whorl-scan" "$cart"

tmp=$(mktemp -d /tmp/whorl_publish_scan.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/etc" "$tmp/more"
cp "$top/tests/data/engine/spam-watch.eml" "$tmp/more/"

scan() { # scan [OPTIONS...] PATH...: whorl-scan on the gateway configuration
	"$bin/whorl-scan" --config-dir "$tmp/etc" --cartridge "$cart" "$@"
}

# 1. a key and a first, complete set
"$bin/whorl-keygen" "$tmp/keys" >/dev/null; rc=$?
check "keygen: exit 0" [ "$rc" -eq 0 ]
check "keygen: secret key is 0600" [ "$(stat -c %a "$tmp/keys/publisher.key")" = 600 ]
out=$(publish_demo); rc=$?
check "publish: exit 0" [ "$rc" -eq 0 ]
check "publish: a complete set, serial 1.1" sh -c "printf '%s' '$out' | grep -q 'sigs 1.1 (complete'"
check "publish: manifest and sigs.1 in the mirror" \
	test -s "$tmp/mirror/manifest" -a -s "$tmp/mirror/sigs.1.z.enc"

# 2. a gateway on the mirror scores the next wave
demo_gateway_cfg "$tmp/etc"
scan --json "$demo/scan" > "$tmp/wave.json" 2>"$tmp/wave.log"; rc=$?
check "scan --json: exit 0" [ "$rc" -eq 0 ]
check "scan --json: every message right (abuse >= 50 with its category, legit < 50)" \
	python3 - "$tmp/wave.json" <<'PY'
import json, os, sys
want = {"spam": "spam", "phish": "phishing", "virus": "virus"}
rows = [json.loads(l) for l in open(sys.argv[1])]
bad = []
for r in rows:
    kind = os.path.basename(r["path"]).split("-")[0]
    if kind == "legit":
        ok = r["score"] < 50 and not r["is_spam"] and r["category"] == 0
    else:
        ok = r["score"] >= 50 and r["is_spam"] and r["category_desc"] == want[kind]
    ok = ok and "d=sigs:1.1;" in r["analysis"] and not r["rescan"]
    if not ok:
        bad.append(r)
for r in bad:
    print("  wrong:", r["path"], r["score"], r["category_desc"], r["analysis"])
sys.exit(1 if bad or len(rows) != 13 else 0)
PY
scan "$demo/scan" "$tmp/more/spam-watch.eml" > "$tmp/before.txt" 2>/dev/null
check "spam-watch not yet known" \
	sh -c "awk -F'\t' '/spam-watch/ && \$2 < 50' '$tmp/before.txt' | grep -q ."
# A second gateway that stops here: it has verified set 1.1 only (its cache
# is its configuration directory, the default).
cp -a "$tmp/etc" "$tmp/etc-behind"

# 3. one more message: a delta, which the next run of the gateway loads
out=$(publish_demo --category spam="$tmp/more"); rc=$?
check "publish again: exit 0" [ "$rc" -eq 0 ]
check "publish again: a delta to serial 1.2" sh -c "printf '%s' '$out' | grep -q 'sigs 1.2 (delta'"
check "publish again: sigs.1-2.z.enc in the mirror" test -s "$tmp/mirror/sigs.1-2.z.enc"
line=$(scan "$tmp/more/spam-watch.eml" 2>/dev/null)
check "reload: the new message is spam" \
	sh -c "printf '%s\n' '$line' | awk -F'\t' '\$2 >= 50 && \$3 == \"spam/undefined\"' | grep -q ."
check "reload: analysis shows serial 1.2" sh -c "printf '%s' '$line' | grep -q 'd=sigs:1.2;'"

# 4. a flipped byte in the newest data file: the gateway that has not yet
#    verified it refuses it and its cached good set serves; the one that
#    verified it before the flip keeps the copy it persisted.
python3 -c '
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
d[len(d) // 2] ^= 1
open(p, "wb").write(d)' "$tmp/mirror/sigs.1-2.z.enc"
line=$(scan "$tmp/more/spam-watch.eml" 2>/dev/null)
check "tampered mirror: the gateway that verified 1.2 still loads it from disk" \
	sh -c "printf '%s' '$line' | grep -q 'd=sigs:1.2;'"
"$bin/whorl-scan" --config-dir "$tmp/etc-behind" --cartridge "$cart" -v \
	"$demo/scan" "$tmp/more/spam-watch.eml" > "$tmp/after.txt" 2> "$tmp/after.log"; rc=$?
check "tampered: exit 0 (scanning still works)" [ "$rc" -eq 0 ]
check "tampered: refusal logged" \
	grep -q '^ERROR:MICROUPDATE: .*sigs.1-2.z.enc failed the integrity check' "$tmp/after.log"
check "tampered: verdicts are those of the cached set 1.1" cmp -s "$tmp/before.txt" "$tmp/after.txt"
[ "$fails" -eq 0 ] || sed 's/^/  log: /' "$tmp/after.log"

# 5. --fingerprints: one line per fingerprint, named by engine
scan --fingerprints "$demo/scan" > "$tmp/fps.txt" 2>/dev/null; rc=$?
check "fingerprints: exit 0" [ "$rc" -eq 0 ]
check "fingerprints: every message has body, fuzzy and ip lines" python3 - "$tmp/fps.txt" <<'PY'
import re, sys
engines = {}
for line in open(sys.argv[1]):
    path, engine, version, key = line.rstrip("\n").split("\t")
    assert re.fullmatch(r"v\d+", version), line
    assert re.fullmatch(r"[0-9a-f]{16}|sketch:[0-9a-f]+", key), line
    engines.setdefault(path, set()).add(engine)
assert len(engines) == 13, len(engines)
for path, seen in engines.items():
    assert {"body", "fuzzy", "ip"} <= seen, (path, seen)
    if "virus-" in path:
        assert "attach" in seen, (path, seen)
PY
a=$(scan --fingerprints "$demo/publish/virus/virus-invoice.eml" 2>/dev/null | awk -F'\t' '$2 == "attach" {print $4}')
b=$(awk -F'\t' '/virus-invoice-v1/ && $2 == "attach" {print $4}' "$tmp/fps.txt")
check "fingerprints: the same zip gives the same attach key in both invoices" \
	sh -c "[ -n '$a' ] && [ '$a' = '$b' ]"

if [ "$fails" -ne 0 ]; then
	echo "publish_scan: $fails check(s) failed"
	exit 1
fi
echo "publish_scan: all checks passed"
