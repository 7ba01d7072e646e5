#!/bin/sh
# style-check.sh - the machine-checked part of how whorl's C reads (CI runs it):
#   1. every C file is formatted as .clang-format says (clang-format --dry-run);
#   2. no function body is longer than 60 lines unless the comment right above
#      it says why, in a sentence that starts with "Long:".
# Prints what is wrong and exits 1; prints "style: N files, 0 problems" when fine.
# Generated tables are exempt from formatting (STYLE_UNFORMATTED below).
# Not for: reformatting (run clang-format -i on the files yourself).
set -eu
cd "$(dirname "$0")/.."
STYLE_UNFORMATTED="cartridge/text/fold_table.c tests/bench/mutate_words.h"
files=$(git ls-files '*.c' '*.h')
fmt_files=$(printf '%s\n' $files | grep -v -x -F "$(printf '%s\n' $STYLE_UNFORMATTED)")
problems=0
# shellcheck disable=SC2086
if ! clang-format --dry-run --Werror $fmt_files 2>/tmp/style-format.$$; then
	grep -E '^[^ ].*: error:' /tmp/style-format.$$ | cut -d: -f1,2 | sort -u | head -n 40
	n=$(grep -cE '^[^ ].*: error:' /tmp/style-format.$$ || true)
	echo "style: $n lines differ from .clang-format (clang-format -i FILE fixes them)"
	problems=$((problems + 1))
fi
rm -f /tmp/style-format.$$
# shellcheck disable=SC2086
python3 - $files <<'PY' || problems=$((problems + 1))
import re, sys
MAX = 60
bad = 0
for path in sys.argv[1:]:
    if not path.endswith(".c"):
        continue
    lines = open(path, errors="replace").read().split("\n")
    i = 0
    while i < len(lines):
        # A function body: "{" alone in column 0 (Linux braces, .clang-format).
        if lines[i] == "{" and i > 0:
            head = i - 1
            while head > 0 and lines[head - 1] and lines[head - 1][0] not in " \t#/}*" \
                    and not lines[head - 1].endswith((";", "*/")):
                head -= 1
            end = i + 1
            while end < len(lines) and lines[end] != "}":
                end += 1
            length = end - i - 1
            above = []
            k = head - 1
            while k >= 0 and (lines[k].startswith(("/*", " *", " */")) or lines[k].endswith("*/")):
                above.append(lines[k])
                k -= 1
            if length > MAX and not any("Long:" in l for l in above):
                m = re.search(r"(\w+)\s*\(", lines[head])
                print(f"{path}:{head + 1}: {m.group(1) if m else '?'} is {length} lines "
                      f"(> {MAX}) and the comment above it does not say why (\"Long: ...\")")
                bad += 1
            i = end
        i += 1
sys.exit(1 if bad else 0)
PY
echo "style: $(printf '%s\n' $files | wc -l) files, $problems problems"
[ "$problems" -eq 0 ]
