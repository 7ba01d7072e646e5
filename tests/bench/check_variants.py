#!/usr/bin/env python3
"""check_variants.py - checks what tests/bench/mutate wrote.

    check_variants.py ORIG_DIR VARIANT_DIR [MUTATE_STDERR]

VARIANT_DIR holds one folder per kind (mutate --all --out VARIANT_DIR).
For every variant it checks that Python's email package parses it, that it
has a non-empty body, that it differs from the original, that it carries no
MIME defect the original did not have, that the non-text parts survived,
and one property per kind (urlrotate: no original URL host is left, etc.).
MUTATE_STDERR is what mutate printed: the variants it lists as "nothing to
change" are counted apart and spared the kind-specific check.
Prints one line per kind and every problem; exit status 1 if any.

Not for: judging how realistic a variant is (look at a few by eye).
"""
import email
import email.policy
import os
import re
import sys

URL_HOST = re.compile(rb'(?i)(?:https?://|(?<![\w./@-])www\.)([a-z0-9][a-z0-9.-]*)')


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def defects(msg):
    found = set()
    for part in msg.walk():
        for d in part.defects:
            found.add(type(d).__name__)
    return found


def text_of(msg):
    """Decoded text parts, joined (bytes)."""
    out = []
    for part in msg.walk():
        if part.get_content_maintype() == 'text' and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if payload:
                out.append(payload)
    return b'\n'.join(out)


def non_text_payloads(msg):
    out = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() == 'text':
            continue
        out.append(part.get_payload(decode=True) or b'')
    return sorted(out)


def hosts(raw_text):
    return {h.lower().rstrip(b'.') for h in URL_HOST.findall(raw_text)}


def kind_problem(kind, orig, var, orig_raw, var_raw):
    """One kind-specific property; returns a problem string or None."""
    if kind == 'urlrotate':
        left = hosts(text_of(orig)) & hosts(text_of(var))
        if left:
            return 'original URL host(s) left: %s' % b', '.join(sorted(left))[:120].decode()
    elif kind == 'headers':
        if orig.get('Message-ID') == var.get('Message-ID'):
            return 'Message-ID unchanged'
        if len(var.get_all('Received') or []) <= len(orig.get_all('Received') or []):
            return 'no Received hop added'
    elif kind == 'personalise':
        if orig.get('To') == var.get('To'):
            return 'To unchanged'
    elif kind == 'reencode':
        o = [p.get('Content-Transfer-Encoding', '7bit').lower() for p in orig.walk()
             if p.get_content_maintype() == 'text' and not p.is_multipart()]
        v = [p.get('Content-Transfer-Encoding', '7bit').lower() for p in var.walk()
             if p.get_content_maintype() == 'text' and not p.is_multipart()]
        if o and o == v:
            return 'transfer encodings unchanged: %s' % o
    elif kind in ('hashbuster', 'invisible', 'wordswap', 'reorder', 'html'):
        if text_of(orig) and text_of(orig) == text_of(var):
            return 'decoded text unchanged'
    return None


def check_one(kind, orig_raw, var_raw, fallback):
    problems = []
    try:
        orig, var = parse(orig_raw), parse(var_raw)
        new_defects = defects(var) - defects(orig)
        if new_defects:
            problems.append('new MIME defects: %s' % ', '.join(sorted(new_defects)))
        if not var_raw.strip():
            problems.append('empty message')
        elif not text_of(var).strip() and text_of(orig).strip():
            problems.append('no body text')
        if var_raw == orig_raw:
            problems.append('identical to the original')
        if non_text_payloads(orig) != non_text_payloads(var):
            problems.append('non-text parts changed')
        p = None if fallback else kind_problem(kind, orig, var, orig_raw, var_raw)
        if p:
            problems.append(p)
    except Exception as e:  # a parse failure is exactly what we look for
        problems.append('exception: %r' % e)
    return problems


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    orig_dir, var_dir = sys.argv[1], sys.argv[2]
    fallbacks = set()
    if len(sys.argv) == 4:
        with open(sys.argv[3]) as f:
            fallbacks = set(re.findall(r'mutate: (\S+/\S+): nothing to change', f.read()))
    bad = 0
    for kind in sorted(os.listdir(var_dir)):
        kdir = os.path.join(var_dir, kind)
        names = sorted(os.listdir(kdir))
        n_bad = n_fb = 0
        for name in names:
            fb = '%s/%s' % (kind, name) in fallbacks
            n_fb += fb
            with open(os.path.join(orig_dir, name), 'rb') as f:
                orig_raw = f.read()
            with open(os.path.join(kdir, name), 'rb') as f:
                var_raw = f.read()
            problems = check_one(kind, orig_raw, var_raw, fb)
            if problems:
                n_bad += 1
                print('  %s/%s: %s' % (kind, name, '; '.join(problems)))
        print('%-12s %4d variants, %3d nothing to change, %d with problems'
              % (kind, len(names), n_fb, n_bad))
        bad += n_bad
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
