#!/bin/sh
# The main job end to end on an embedded default: make a demo publisher key,
# publish an update set from the sample mail in etc/demo/publish/, serve it
# from a file:// mirror, load it into the cartridge and score the variants in
# etc/demo/scan/ (messages the publisher never saw). Prints the verdicts.
# Usage: scripts/demo.sh [BUILD]   (run by `make demo`)
set -eu
build=${1:-build}
top=$(pwd)
demo="$top/$build/demo"
bin="$top/$build/bin"
rm -rf "$demo"
mkdir -p "$demo/etc"

echo "== 1. a demo publisher key (never committed: made fresh each run)"
"$bin/whorl-keygen" "$demo/keys"
ls -l "$demo/keys"

echo
echo "== 2. publish an update set from etc/demo/publish/ into a mirror directory"
"$bin/whorl-publish" --key "$demo/keys/publisher.key" --out "$demo/mirror" \
	--config-dir "$top/etc" --cartridge "$top/$build/lib/cartridge.so" \
	--category spam="$top/etc/demo/publish/spam" \
	--category phishing="$top/etc/demo/publish/phishing" \
	--category virus="$top/etc/demo/publish/virus" \
	--legit "$top/etc/demo/publish/legit"
ls -l "$demo/mirror"

echo
echo "== 3. a gateway configuration that loads it from file://"
cp "$top/etc/categories" "$demo/etc/categories"
cp "$top/etc/whitelist.cfg.sample" "$demo/etc/whitelist.cfg"
cat > "$demo/etc/cartridge.cfg" <<CFG
# demo gateway: updates from a local mirror, full analysis
micro-update url = file://$demo/mirror
publisher key = $demo/keys/publisher.pub
enable micro-updates = yes
favor analysis over speed = yes
minimum score = 50
CFG
cat "$demo/etc/cartridge.cfg"

echo
echo "== 4. score the next wave (variants the publisher never saw) and new legitimate mail"
echo "   PATH<TAB>score<TAB>category/subcategory<TAB>rescan<TAB>analysis"
"$bin/whorl-scan" -v --config-dir "$demo/etc" --cartridge "$top/$build/lib/cartridge.so" \
	"$top/etc/demo/scan" 2>"$demo/scan.log" | sed "s|$top/||" | tee "$demo/verdicts.txt"
echo
echo "== log lines from the cartridge (whorl-scan -v):"
grep -v '^INFO:STATS: ' "$demo/scan.log" | sed 's/^/   /'
n_stats=$(grep -c '^INFO:STATS: ' "$demo/scan.log" || true)
echo "   (and $n_stats INFO:STATS lines: the period's statistics report, docs/FORMATS.md section 3;"
echo "    all of them in $demo/scan.log)"
echo
total=$(wc -l < "$demo/verdicts.txt")
spam=$(awk -F'\t' '$2 >= 50' "$demo/verdicts.txt" | wc -l)
echo "== $total messages scored, $spam at or above the minimum score of 50."
