#!/usr/bin/env python3
"""gen_fold.py - generates fold_table.c, the code point folding table that
text_normalise() uses (see normalise.c).

Run: python3 cartridge/text/gen_fold.py > cartridge/text/fold_table.c
The output is committed, so a build never needs Python; the Unicode version
of the generating Python is recorded in the file.

Per code point: invisible (format chars, variation selectors, fillers) ->
dropped and flagged; combining marks -> dropped; look-alike Cyrillic/Greek/
Latin letters -> their Latin twin; letters/digits -> NFKD base, marks
stripped, lower-cased, digits of any script -> ASCII; everything else
(punctuation, symbols, spaces, controls, private use, unassigned) -> space.
A folding whose UTF-8 is longer than the code point's own UTF-8 is refused
(falls back to the plain lower case, then to the code point itself), so the
output of text_normalise() never outgrows its input.
"""
import re
import sys
import unicodedata as ud

# Look-alikes mapped to Latin, applied to the code point and to its NFKD base.
CONFUSABLE = {
    # Cyrillic capitals and small letters that read as Latin
    0x0410: 'a', 0x0412: 'b', 0x0415: 'e', 0x0405: 's', 0x0406: 'i', 0x0408: 'j',
    0x041A: 'k', 0x041C: 'm', 0x041D: 'h', 0x041E: 'o', 0x0420: 'p', 0x0421: 'c',
    0x0422: 't', 0x0423: 'y', 0x0425: 'x', 0x04AE: 'y', 0x04BA: 'h', 0x04C0: 'l',
    0x0500: 'd', 0x051A: 'q', 0x051C: 'w', 0x0460: 'w',
    0x0430: 'a', 0x0435: 'e', 0x043E: 'o', 0x0440: 'p', 0x0441: 'c', 0x0443: 'y',
    0x0445: 'x', 0x0455: 's', 0x0456: 'i', 0x0458: 'j', 0x0501: 'd', 0x051B: 'q',
    0x0461: 'w', 0x051D: 'w', 0x04BB: 'h', 0x04CF: 'l', 0x04AF: 'y',
    # Greek
    0x0391: 'a', 0x0392: 'b', 0x0395: 'e', 0x0396: 'z', 0x0397: 'h', 0x0399: 'i',
    0x039A: 'k', 0x039C: 'm', 0x039D: 'n', 0x039F: 'o', 0x03A1: 'p', 0x03A4: 't',
    0x03A5: 'y', 0x03A7: 'x', 0x03D2: 'y',
    0x03BF: 'o', 0x03BD: 'v', 0x03B1: 'a', 0x03B9: 'i', 0x03BA: 'k', 0x03C1: 'p',
    0x03C5: 'u', 0x03C7: 'x', 0x03B3: 'y', 0x03F2: 'c', 0x03F3: 'j',
    # Armenian and Latin variants
    0x0585: 'o', 0x057D: 'u', 0x0251: 'a', 0x0261: 'g', 0x0269: 'i', 0x028F: 'y',
    0x0131: 'i', 0x0237: 'j', 0x017F: 's',
}

# Letters NFKD leaves alone but a reader sees as plain Latin.
SPECIAL = {
    0x00DF: 'ss', 0x1E9E: 'ss', 0x00E6: 'ae', 0x00C6: 'ae', 0x0153: 'oe', 0x0152: 'oe',
    0x00F8: 'o', 0x00D8: 'o', 0x00FE: 'th', 0x00DE: 'th', 0x00F0: 'd', 0x00D0: 'd',
    0x0111: 'd', 0x0110: 'd', 0x0142: 'l', 0x0141: 'l', 0x0127: 'h', 0x0126: 'h',
    0x0138: 'k', 0x0167: 't', 0x0166: 't', 0x0140: 'l', 0x013F: 'l', 0x014B: 'n',
    0x014A: 'n', 0x0149: 'n',
}

INVISIBLE_EXTRA = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, 0x2800,
                   0x180B, 0x180C, 0x180D, 0x180F}
INVISIBLE_RANGES = [(0xFE00, 0xFE0F), (0xE0100, 0xE01EF), (0xE0000, 0xE007F)]

LATIN_NAME = re.compile(r'^LATIN (?:SMALL|CAPITAL) LETTER ([A-Z]{1,2})(?: WITH .*)?$|'
                        r'^LATIN LETTER SMALL CAPITAL ([A-Z]{1,2})$')

KEEP, MAP, STR, SPACE, DROP, INVIS = 'FOLD_MAP', 'FOLD_MAP', 'FOLD_STR', 'FOLD_SPACE', 'FOLD_DROP', 'FOLD_INVISIBLE'


def is_alnum(c):
    return ud.category(c)[0] in 'LN' or ud.category(c) == 'Mc'


def conf(c):
    return CONFUSABLE.get(ord(c), c)


def fold_letters(ch):
    """Folded string for a letter/number, or None when it is not one."""
    cp = ord(ch)
    if cp in SPECIAL:
        return SPECIAL[cp]
    if cp in CONFUSABLE:
        return CONFUSABLE[cp]
    cat = ud.category(ch)
    if cat == 'Nd':
        return str(ud.decimal(ch))
    m = LATIN_NAME.match(ud.name(ch, ''))
    if m and cat[0] == 'L':
        return (m.group(1) or m.group(2)).lower()
    base = ''.join(c for c in ud.normalize('NFKD', ch) if ud.category(c) not in ('Mn', 'Me'))
    base = ''.join(conf(c) for c in base)
    base = ''.join(conf(c) for c in base.lower())
    if base and all(is_alnum(c) for c in base):
        return base
    return None


def fits(s, ch):
    return len(s.encode('utf-8')) <= len(ch.encode('utf-8'))


def action(cp):
    """The folding of cp, applied until it no longer changes (idempotent)."""
    kind, s = action_once(cp)
    for _ in range(4):
        if kind != STR:
            break
        again = ''
        for c in s:
            if ord(c) < 0x80:
                again += c
                continue
            k2, s2 = action_once(ord(c))
            if k2 != STR:
                again = None
                break
            again += s2
        if again is None or again == s or not fits(again, chr(cp)):
            break
        s = again
    return kind, s


def action_once(cp):
    if cp in INVISIBLE_EXTRA or any(lo <= cp <= hi for lo, hi in INVISIBLE_RANGES):
        return (INVIS, '')
    if 0xD800 <= cp <= 0xDFFF:
        return (SPACE, '')
    ch = chr(cp)
    cat = ud.category(ch)
    if cat == 'Cf':
        return (INVIS, '')
    if cat in ('Mn', 'Me'):
        return (DROP, '')
    if cat[0] in 'LN' or cat == 'Mc':
        f = fold_letters(ch)
        if f is not None and fits(f, ch):
            return (STR, f)
        low = ch.lower()
        if len(low) == 1 and fits(low, ch):
            return (STR, low)
        return (STR, ch)
    if cat[0] == 'S':
        # Circled, squared and similar letters: one letter in a frame.
        base = ''.join(c for c in ud.normalize('NFKD', ch) if ud.category(c) not in ('Mn', 'Me'))
        if len(base) == 1 and is_alnum(base):
            f = fold_letters(base) or base.lower()
            if fits(f, ch):
                return (STR, f)
    return (SPACE, '')


def c_str(s):
    return '"' + ''.join('\\x%02x' % b for b in s.encode('utf-8')) + '"'


def check_idempotent():
    for cp in range(0x80, 0x110000):
        kind, s = action(cp)
        if kind == STR:
            for c in s:
                if ord(c) >= 0x80:
                    k2, s2 = action(ord(c))
                    assert k2 == STR and s2 == c, (hex(cp), s, k2, s2)


def main():
    check_idempotent()
    runs = []  # [lo, hi, kind, delta, str]
    for cp in range(0x80, 0x110000):
        kind, s = action(cp)
        delta = 0
        if kind == STR and len(s) == 1:
            kind, delta, s = MAP, ord(s) - cp, ''
        if runs and runs[-1][2] == kind and runs[-1][3] == delta and runs[-1][4] == s \
                and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp, kind, delta, s])
    out = sys.stdout
    out.write('/*\n * fold_table.c - GENERATED by gen_fold.py (Unicode %s); do not edit.\n'
              ' *\n * Code point folding runs for text_normalise(): sorted, contiguous from\n'
              ' * U+0080 to U+10FFFF. Not for: ASCII (normalise.c has its own table).\n */\n'
              % ud.unidata_version)
    out.write('#include "fold_table.h"\n\n')
    out.write('const struct fold_run fold_runs[] = {\n')
    for lo, hi, kind, delta, s in runs:
        out.write('\t{0x%X, 0x%X, %d, %s, %d, %s},\n' % (lo, hi, delta, kind, len(s.encode()), c_str(s)))
    out.write('};\n\nconst size_t fold_n_runs = sizeof(fold_runs) / sizeof(fold_runs[0]);\n\n')
    # Direct index for the two-byte UTF-8 range (U+0080..U+07FF).
    out.write('const uint16_t fold_index_2b[0x800 - 0x80] = {\n')
    idx = 0
    vals = []
    for cp in range(0x80, 0x800):
        while runs[idx][1] < cp:
            idx += 1
        vals.append(idx)
    for i in range(0, len(vals), 16):
        out.write('\t' + ', '.join(str(v) for v in vals[i:i + 16]) + ',\n')
    out.write('};\n')
    sys.stderr.write('runs: %d\n' % len(runs))


if __name__ == '__main__':
    main()
