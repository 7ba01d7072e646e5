#!/usr/bin/env python3
"""mutate_alt.py - a second, independently written campaign mutator.

build/bench/mutate is the benchmark's main mutator. This one exists so that
the engines are also measured on permutations they were not tuned against:
other tricks, another implementation, another random source. It rewrites
the text parts of each message (decoded, mutated, re-encoded as base64 or
quoted-printable) with Python's email package and writes
OUT/alt-<kind>/<name>.

Kinds:
  homoglyph   Latin letters swapped for Cyrillic/Greek look-alikes (20-40 %)
  spacing     letters of some words spaced or dotted out ("F R E E", "c.a.s.h")
  leet        look-alike digits for letters in some words ("m0ney", "fr33")
  poison      a paragraph of ordinary prose appended (Bayesian poison, 30-80 %
              of the text's length)
  casewrap    random upper/lower case runs and lines re-wrapped at 30-60 columns
  tablewrap   text put into an HTML table, one cell per sentence, with
              inline styles, fonts and zero-width joiners between words
  mix         three of the above

Usage: mutate_alt.py --seed N --out DIR FILE...
Deterministic for a given seed and file name. Prints figures nowhere; the
accuracy benchmark (tests/bench/accuracy.sh) scores what it writes.
"""
import argparse
import email
import email.policy
import os
import random
import re
import sys
from email.message import EmailMessage

HOMOGLYPHS = {
    'a': '\u0430', 'c': '\u0441', 'e': '\u0435', 'i': '\u0456', 'j': '\u0458',
    'o': '\u043e', 'p': '\u0440', 's': '\u0455', 'x': '\u0445', 'y': '\u0443',
    'A': '\u0391', 'B': '\u0392', 'E': '\u0395', 'H': '\u0397', 'K': '\u039a',
    'M': '\u039c', 'O': '\u039f', 'T': '\u03a4', 'X': '\u03a7',
}
LEET = {'o': '0', 'i': '1', 'e': '3', 'a': '4', 's': '5', 't': '7'}
PROSE = (
    "The committee met on Tuesday to review the schedule for the bridge repairs. "
    "Several residents asked whether the detour through the market district would "
    "affect deliveries, and the engineer explained that lorries would be routed along "
    "the river road during the night. The library will extend its opening hours in "
    "the spring, and volunteers are still needed for the reading programme. Weather "
    "permitting, the annual regatta will take place on the last weekend of the month, "
    "with races for junior crews in the morning and a barbecue by the boathouse. "
    "Minutes of the previous meeting were approved without amendment, and the "
    "treasurer reported that the accounts for the quarter balance. A new bus shelter "
    "is planned near the school gates after complaints about the winter wind. The "
    "gardening club thanked everyone who donated seedlings for the hospital beds."
).split()
KINDS = ['homoglyph', 'spacing', 'leet', 'poison', 'casewrap', 'tablewrap']


def word_spans(text):
    """Words outside links and addresses (a spammer keeps those working)."""
    keep = [m.span() for m in re.finditer(r'(?i)(?:https?://|www\.)\S+|\S+@\S+', text)]
    return [m.span() for m in re.finditer(r'[A-Za-z]{3,}', text)
            if not any(a <= m.start() < b for a, b in keep)]


def homoglyph(text, rnd):
    out = []
    for ch in text:
        if ch in HOMOGLYPHS and rnd.random() < 0.3:
            out.append(HOMOGLYPHS[ch])
        else:
            out.append(ch)
    return ''.join(out)


def per_word(text, rnd, share, fn):
    spans = word_spans(text)
    pieces, last = [], 0
    for a, b in spans:
        pieces.append(text[last:a])
        w = text[a:b]
        pieces.append(fn(w, rnd) if rnd.random() < share else w)
        last = b
    pieces.append(text[last:])
    return ''.join(pieces)


def spacing(text, rnd):
    sep = rnd.choice([' ', '.', '-', ' '])
    return per_word(text, rnd, 0.12, lambda w, r: sep.join(w))


def leet(text, rnd):
    def one(w, r):
        return ''.join(LEET.get(c.lower(), c) if r.random() < 0.5 else c for c in w)
    return per_word(text, rnd, 0.25, one)


def poison(text, rnd):
    n = max(20, int(len(text.split()) * rnd.uniform(0.3, 0.8)))
    start = rnd.randrange(len(PROSE))
    words = [PROSE[(start + i) % len(PROSE)] for i in range(n)]
    return text + '\n\n' + ' '.join(words) + '\n'


def casewrap(text, rnd):
    text = per_word(text, rnd, 0.3, lambda w, r: w.upper() if r.random() < 0.5 else w.lower())
    width = rnd.randint(30, 60)
    lines, cur = [], ''
    for w in text.split():
        if len(cur) + len(w) + 1 > width:
            lines.append(cur)
            cur = w
        else:
            cur = (cur + ' ' + w) if cur else w
    lines.append(cur)
    return '\n'.join(lines) + '\n'


def tablewrap(text, rnd, html=False):
    if html:
        text = re.sub(r'<[^>]*>', ' ', text)
    sentences = [s.strip() for s in re.split(r'(?<=[.!?])\s+', text) if s.strip()]
    cells = []
    for s in sentences:
        words = s.split()
        s = '\u200d'.join(words) if rnd.random() < 0.3 else ' '.join(words)
        style = 'font-family:%s;color:#%06x' % (rnd.choice(['Arial', 'Verdana', 'Tahoma']),
                                                  rnd.randrange(0x333333))
        cells.append('<tr><td style="%s"><font size=%d>%s</font></td></tr>' %
                     (style, rnd.randint(2, 4), s))
    return '<html><body><table border=0 cellpadding=%d>%s</table></body></html>' % (
        rnd.randint(1, 6), ''.join(cells))


def mutate_text(kind, text, rnd, is_html):
    if kind == 'mix':
        out = text
        for k in rnd.sample([k for k in KINDS if k != 'tablewrap'], 3):
            out, _ = mutate_text(k, out, rnd, is_html)
        return out, is_html
    if kind == 'tablewrap':
        return tablewrap(text, rnd, is_html), True
    fn = {'homoglyph': homoglyph, 'spacing': spacing, 'leet': leet, 'poison': poison,
          'casewrap': casewrap}[kind]
    if is_html and kind in ('spacing', 'leet', 'homoglyph'):
        # Only the text between tags: leave markup and entities alone.
        parts = re.split(r'(<[^>]*>|&[#a-zA-Z0-9]+;)', text)
        return ''.join(p if p.startswith('<') or p.startswith('&') else fn(p, rnd)
                       for p in parts), True
    if is_html and kind == 'poison':
        return re.sub(r'(?i)</body>', '<p>%s</p></body>' % poison('', rnd), text, count=1) \
            if re.search(r'(?i)</body>', text) else text + poison('', rnd), True
    return fn(text, rnd), is_html


def reader_text(data):
    """8-bit bytes declared us-ascii (or not declared): read as a mail reader
    and the cartridge do, UTF-8 when valid, else windows-1252 (bytes it leaves
    undefined as Latin-1). Python's us-ascii decoder would turn every such
    byte into U+FFFD and the variant would carry none of the campaign's text."""
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        pass
    text = data.decode('windows-1252', 'surrogateescape')
    return re.sub('[\udc80-\udcff]', lambda m: chr(ord(m.group()) - 0xdc00), text)


# Labels mail readers (WHATWG Encoding Standard) and the cartridge
# (cartridge/mime/charset.c) read as a larger charset: Python's own codecs
# for these names turn every character outside the smaller one into U+FFFD.
READER_CHARSETS = {'gb2312': 'gbk', 'x-gbk': 'gbk', 'ks_c_5601-1987': 'cp949'}


def part_text(part):
    """The text of a text part as a mail reader shows it."""
    cs = part.get_content_charset('us-ascii')
    if cs in READER_CHARSETS:  # before Python's codec, which lacks x-gbk
        return part.get_payload(decode=True).decode(READER_CHARSETS[cs], 'replace')
    text = part.get_content()
    if '\ufffd' in text and cs == 'us-ascii':
        return reader_text(part.get_payload(decode=True))
    return text


def mutate_message(kind, raw, rnd):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    changed = False
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != 'text':
            continue
        if part.get_content_disposition() == 'attachment':
            continue
        try:
            text = part_text(part)
        except (LookupError, ValueError, AssertionError):
            continue
        is_html = part.get_content_subtype() == 'html'
        new, new_html = mutate_text(kind, text, rnd, is_html)
        if new == text:
            continue
        cte = rnd.choice(['base64', 'quoted-printable'])
        part.set_content(new, subtype='html' if new_html else 'plain', charset='utf-8', cte=cte)
        changed = True
    if 'Message-ID' in msg:
        del msg['Message-ID']
    msg['Message-ID'] = '<alt.%016x@example.invalid>' % rnd.getrandbits(64)
    return msg.as_bytes(policy=email.policy.SMTP), changed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', required=True)
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()
    for kind in KINDS + ['mix']:
        d = os.path.join(a.out, 'alt-' + kind)
        os.makedirs(d, exist_ok=True)
        for path in a.files:
            name = os.path.basename(path)
            rnd = random.Random('%d/%s/%s' % (a.seed, kind, name))
            with open(path, 'rb') as f:
                raw = f.read()
            try:
                out, changed = mutate_message(kind, raw, rnd)
            except Exception as e:  # a message Python cannot rebuild: say so, skip it
                print('mutate_alt: alt-%s/%s: %s, skipped' % (kind, name, e), file=sys.stderr)
                continue
            if not changed:
                print('mutate: alt-%s/%s: nothing to change' % (kind, name), file=sys.stderr)
            with open(os.path.join(d, name), 'wb') as f:
                f.write(out)


if __name__ == '__main__':
    main()
