#!/usr/bin/env python3
"""mutate_unseen.py - a third campaign mutator: edits written before their
results were seen (issue 9), so the engines are measured on tricks nobody
tuned them on.

It writes OUT/u-<kind>/<name> for every input message. Kinds:

  att-html    the body moves into an attached text/html file (Content-
              Disposition: attachment, *.html / *.htm / *.shtml); a one-line
              note stays in the body
  att-octet   the same as application/octet-stream named *.html / *.htm /
              *.shtml / *.txt (base64)
  fwd-rfc822  the whole message forwarded as an attached message/rfc822 part,
              a one-line note in the body
  fwd-eml     the same as application/octet-stream named *.eml (base64)
  separator   2-6 decoration lines (dashes, equals, underscores, asterisks,
              mixed) added between lines; half of the messages get one at
              the very top
  filler      legitimate-looking sentences (FILLER below) before and after
              the campaign, 40-60 % of the visible words
  short       a shortened edition: a third of the sentences dropped
  utf16       the text parts re-encoded as UTF-16 with a big- or little-endian
              BOM, base64, charset=utf-16
  charset     the text parts re-encoded in another 8-bit charset that can
              hold them (ISO-8859-x, windows-125x, KOI8-R), QP / base64 / 8bit
  utf7        the text parts re-encoded as UTF-7 (the cartridge converts every
              charset iconv knows)

Usage: mutate_unseen.py --seed N --out DIR FILE...
Deterministic for a given seed, kind and file name. A message a kind cannot
change is written with a fresh Message-ID only and reported on stderr as
"mutate: u-<kind>/<name>: nothing to change" (accuracy.sh leaves those out of
recall); a message Python cannot rebuild is reported and not written.

Not for: the engine (nothing of it is used); tricks the other mutators make.
"""
import argparse
import base64
import email
import email.policy
import html
import os
import quopri
import random
import re
import sys

# Filler: ordinary newsletter / office prose, written for this mutator (not
# taken from any corpus group).
FILLER = [
    "Thank you for being part of our community this season.",
    "The quarterly meeting has been moved to the second Thursday of the month.",
    "Our office will be closed on Monday for the public holiday.",
    "Please remember to update your contact details before the end of the week.",
    "The new parking arrangements start on the first of next month.",
    "Coffee and biscuits will be served in the main hall after the talk.",
    "We are still looking for volunteers to help with the spring clean-up.",
    "Minutes of the last meeting are available from the secretary on request.",
    "The library has extended its opening hours on Wednesday evenings.",
    "A reminder that the annual subscription falls due in January.",
    "Several members asked about the new timetable for the shuttle bus.",
    "The garden committee thanks everyone who donated plants and seeds.",
    "Tickets for the charity concert can be collected from reception.",
    "The printer on the third floor is being replaced on Friday morning.",
    "Our summer picnic will take place by the lake if the weather allows.",
    "The newsletter is published every other month and sent to all members.",
    "New members are welcome to join the walking group on Saturday mornings.",
    "The heating in the east wing will be serviced during the holidays.",
    "Please return borrowed equipment to the store room after use.",
    "The photography club will show its members' pictures in the foyer.",
    "Our treasurer reports that the accounts for the year are in good order.",
    "A short survey about the website will be sent out next week.",
    "The school choir is rehearsing for the winter concert every Tuesday.",
    "Road works near the station may cause delays in the morning.",
    "The recycling bins are now collected on Thursdays instead of Mondays.",
    "Lunchtime yoga sessions resume after the summer break.",
    "We would like to welcome the three new staff members who joined this month.",
    "The fire alarm will be tested at eleven o'clock on Wednesday.",
    "Copies of the annual report are available in the reading room.",
    "The cycling club meets at the old bridge at nine o'clock sharp.",
    "Please let the organisers know about any dietary requirements.",
    "The museum offers free entry on the first Sunday of every month.",
    "Our chess evening attracted more players than ever before.",
    "The bakery on the corner now opens at seven in the morning.",
    "Any lost property will be kept at the front desk for two weeks.",
    "The swimming pool will be closed for maintenance in August.",
    "We thank the local council for its support of the community garden.",
    "Next month's guest speaker will talk about the history of the harbour.",
    "Registration for the autumn courses opens on the fifteenth.",
    "The lift in building B is out of service until further notice.",
]
NOTES = [
    "Please see the attached document.",
    "Details are in the attachment.",
    "Open the attached file for more information.",
    "Your statement is attached.",
    "See attachment.",
    "I have attached the information you asked for.",
    "Please find the attached file.",
    "Forwarding this to you, have a look.",
    "FYI, see the forwarded message below.",
    "Check the attached page.",
]
CHARSETS = ['iso-8859-1', 'iso-8859-2', 'iso-8859-5', 'iso-8859-7', 'iso-8859-15',
            'windows-1250', 'windows-1251', 'windows-1252', 'windows-1253', 'koi8-r']
KINDS = ['att-html', 'att-octet', 'fwd-rfc822', 'fwd-eml', 'separator', 'filler', 'short',
         'utf16', 'charset', 'utf7']
CONTENT_FIELDS = ('content-', 'mime-version')


class Unchanged(Exception):
    """The kind found nothing to change in this message."""


# ---------------------------------------------------------------- raw message

def split_raw(raw):
    """(header bytes without the blank line, body bytes, eol)."""
    eol = b'\r\n' if b'\r\n' in raw[:2000] else b'\n'
    m = re.search(rb'\r?\n\r?\n', raw)
    if not m:
        return raw.rstrip(b'\r\n'), b'', eol
    return raw[:m.start()], raw[m.end():], eol


def header_lines(head, eol):
    """Header fields as lists of raw lines (folded lines kept together)."""
    fields = []
    for line in head.split(eol):
        if line[:1] in (b' ', b'\t') and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    return fields


def outer_headers(head, eol, rnd):
    """The top-level header without MIME fields, with a fresh Message-ID."""
    keep = []
    for f in header_lines(head, eol):
        name = f[0].split(b':', 1)[0].strip().lower().decode('latin-1')
        if name.startswith(CONTENT_FIELDS) or name == 'message-id':
            continue
        keep.append(eol.join(f))
    keep.append(b'Message-ID: <unseen.%016x@example.invalid>' % rnd.getrandbits(64))
    keep.append(b'MIME-Version: 1.0')
    return keep


def without_mbox_line(raw):
    return raw.split(b'\n', 1)[1] if raw.startswith(b'From ') and b'\n' in raw else raw


def b64_lines(data, eol):
    s = base64.b64encode(data)
    return eol.join(s[i:i + 76] for i in range(0, len(s), 76))


# ---------------------------------------------------------------- text parts

# Labels mail readers (WHATWG Encoding Standard) and the cartridge
# (cartridge/mime/charset.c) read as a larger charset: Python's codecs for
# these names turn every character outside the smaller one into U+FFFD
# (gb2312, ks_c_5601-1987 as EUC-KR), or do not know the name (x-gbk).
READER_CHARSETS = {'gb2312': 'gbk', 'x-gbk': 'gbk', 'ks_c_5601-1987': 'cp949'}


def part_text(part):
    """The text of a text part as a mail reader shows it."""
    cs = part.get_content_charset('us-ascii')
    if cs in READER_CHARSETS:
        return part.get_payload(decode=True).decode(READER_CHARSETS[cs], 'replace')
    text = part.get_content()
    if '\ufffd' in text and cs == 'us-ascii':
        # 8-bit bytes under us-ascii: read them as a mail reader does.
        text = part.get_payload(decode=True).decode('windows-1252', 'replace')
    return text


def inline_texts(msg):
    """Inline text parts with their decoded text: [(part, text, is_html)]."""
    out = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != 'text':
            continue
        if part.get_content_disposition() == 'attachment':
            continue
        try:
            text = part_text(part)
        except (LookupError, ValueError, AssertionError, UnicodeError):
            continue
        out.append((part, text, part.get_content_subtype() == 'html'))
    return out


def other_leaves(msg):
    """Non-text leaves and attachments, which the attachment kinds keep."""
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_maintype() == 'text' and part.get_content_disposition() != 'attachment':
            continue
        out.append(part)
    return out


def campaign_text(msg):
    """The text a spammer moves into the attachment: (text, is_html)."""
    texts = inline_texts(msg)
    htmls = [t for _, t, h in texts if h]
    if htmls:
        return htmls[0], True
    plain = '\n\n'.join(t for _, t, _ in texts)
    if not plain.strip():
        raise Unchanged()
    return plain, False


def plain_to_html(text):
    paras = [p for p in re.split(r'\n\s*\n', text) if p.strip()]
    body = ''.join('<p>%s</p>\n' % html.escape(p).replace('\n', '<br>\n') for p in paras)
    return '<html><head><title>Document</title></head><body>\n%s</body></html>\n' % body


# ------------------------------------------------------------ attachment kinds

def mixed_message(raw, rnd, attachment, leaves):
    """The outer headers, a one-line note, the attachment, the kept leaves."""
    head, _, eol = split_raw(raw)
    boundary = b'=_unseen_%012x' % rnd.getrandbits(48)
    out = outer_headers(head, eol, rnd)
    out.append(b'Content-Type: multipart/mixed; boundary="' + boundary + b'"')
    body = [b'', b'This is a multi-part message in MIME format.', b'',
            b'--' + boundary,
            b'Content-Type: text/plain; charset=us-ascii',
            b'Content-Transfer-Encoding: 7bit', b'',
            rnd.choice(NOTES).encode(), b'',
            b'--' + boundary]
    body.append(attachment.replace(b'\n', eol) if eol != b'\n' else attachment)
    for leaf in leaves:
        body.append(b'--' + boundary)
        body.append(leaf.as_bytes(policy=email.policy.compat32).replace(b'\r\n', b'\n')
                    .replace(b'\n', eol))
    body.append(b'--' + boundary + b'--')
    body.append(b'')
    return eol.join(out) + eol + eol.join(body)


def kind_att_html(raw, msg, rnd):
    text, is_html = campaign_text(msg)
    doc = text if is_html else plain_to_html(text)
    name = '%s.%s' % (rnd.choice(['document', 'invoice', 'statement', 'offer', 'details', 'page']),
                      rnd.choice(['html', 'htm', 'shtml']))
    data = doc.encode('utf-8')
    if rnd.random() < 0.5:
        cte, payload = b'base64', b64_lines(data, b'\n')
    else:
        cte, payload = b'quoted-printable', quopri.encodestring(data).replace(b'\r\n', b'\n')
    att = (b'Content-Type: text/html; charset=utf-8; name="%s"\n'
           b'Content-Transfer-Encoding: %s\n'
           b'Content-Disposition: attachment; filename="%s"\n\n' % (name.encode(), cte, name.encode())
           ) + payload
    return mixed_message(raw, rnd, att, other_leaves(msg))


def kind_att_octet(raw, msg, rnd):
    text, is_html = campaign_text(msg)
    ext = rnd.choice(['html', 'htm', 'shtml', 'txt'])
    if ext == 'txt':
        doc = re.sub(r'<[^>]*>', ' ', text) if is_html else text
    else:
        doc = text if is_html else plain_to_html(text)
    name = '%s.%s' % (rnd.choice(['file', 'message', 'info', 'secure', 'view', 'readme']), ext)
    att = (b'Content-Type: application/octet-stream; name="%s"\n'
           b'Content-Transfer-Encoding: base64\n'
           b'Content-Disposition: attachment; filename="%s"\n\n' % (name.encode(), name.encode())
           ) + b64_lines(doc.encode('utf-8'), b'\n')
    return mixed_message(raw, rnd, att, [])


def kind_fwd_rfc822(raw, msg, rnd):
    inner = without_mbox_line(raw).replace(b'\r\n', b'\n')
    disp = rnd.choice([b'attachment; filename="forwarded.eml"', b'inline', b'attachment'])
    att = (b'Content-Type: message/rfc822\n'
           b'Content-Disposition: %s\n\n' % disp) + inner
    return mixed_message(raw, rnd, att, [])


def kind_fwd_eml(raw, msg, rnd):
    inner = without_mbox_line(raw)
    name = rnd.choice(['forward', 'message', 'original', 'mail']) + '.eml'
    att = (b'Content-Type: application/octet-stream; name="%s"\n'
           b'Content-Transfer-Encoding: base64\n'
           b'Content-Disposition: attachment; filename="%s"\n\n' % (name.encode(), name.encode())
           ) + b64_lines(inner, b'\n')
    return mixed_message(raw, rnd, att, [])


# ------------------------------------------------------------------ text kinds

def decoration(rnd):
    ch = rnd.choice(['-', '=', '_', '*', '-=', '* ', '=-', '~'])
    n = rnd.randint(10, 70)
    return (ch * n)[:n].rstrip()


def separator_text(text, rnd, is_html):
    n = rnd.randint(2, 6)
    top = rnd.random() < 0.5
    if is_html:
        gaps = [m.end() for m in re.finditer(r'>', text)]
        body = re.search(r'(?i)<body[^>]*>', text)
        first = body.end() if body else 0
        wrap = rnd.choice(['<p>%s</p>', '<br>%s<br>', '<div>%s</div>', '\n%s<br>\n'])
        picks = sorted(rnd.sample(gaps, min(n, len(gaps)))) if gaps else []
        if top:
            picks = [first] + picks
        for at in sorted(set(picks), reverse=True):
            text = text[:at] + wrap % decoration(rnd) + text[at:]
        return text
    lines = text.split('\n')
    picks = sorted(rnd.randrange(len(lines) + 1) for _ in range(n))
    if top:
        picks = [0] + picks
    for at in sorted(picks, reverse=True):
        lines.insert(at, decoration(rnd))
    return '\n'.join(lines)


def visible_words(text, is_html):
    if is_html:
        text = re.sub(r'(?is)<(script|style)[^>]*>.*?</\1\s*>', ' ', text)
        text = re.sub(r'<[^>]*>', ' ', text)
    return len(re.findall(r'\w+', text))


def filler_block(rnd, words):
    out, n = [], 0
    start = rnd.randrange(len(FILLER))
    i = 0
    while n < words:
        s = FILLER[(start + i * 7) % len(FILLER)]
        out.append(s)
        n += len(s.split())
        i += 1
    return out


def filler_text(text, rnd, is_html):
    w = visible_words(text, is_html)
    if w == 0:
        raise Unchanged()
    share = rnd.uniform(0.40, 0.60)
    need = int(round(w * share / (1 - share)))
    sentences = filler_block(rnd, need)
    cut = rnd.randint(len(sentences) // 3, (2 * len(sentences)) // 3) if len(sentences) > 1 else 1
    before, after = sentences[:cut], sentences[cut:]
    if is_html:
        pb = ''.join('<p>%s</p>\n' % s for s in before)
        pa = ''.join('<p>%s</p>\n' % s for s in after)
        body = re.search(r'(?i)<body[^>]*>', text)
        at = body.end() if body else 0
        text = text[:at] + pb + text[at:]
        end = re.search(r'(?i)</body', text)
        at = end.start() if end else len(text)
        return text[:at] + pa + text[at:]
    para = lambda ss: '\n'.join(wrap(' '.join(ss), rnd.randint(60, 76)))
    return (para(before) + '\n\n' if before else '') + text.rstrip('\n') + \
        ('\n\n' + para(after) + '\n' if after else '\n')


def wrap(s, width):
    lines, cur = [], ''
    for w in s.split():
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = cur + ' ' + w if cur else w
    if cur:
        lines.append(cur)
    return lines


SENTENCE_END = re.compile(r'(?<=[.!?])\s+(?=\S)')
SHORT_LINE = 50


def sentence_cuts(seg):
    """Offsets in seg where a sentence ends: after . ! ? and white space, and
    at the end of a short line (a list item or a heading, not wrapped prose)."""
    cuts = {m.end() for m in SENTENCE_END.finditer(seg)}
    pos = 0
    for line in seg.split('\n'):
        end = pos + len(line) + 1
        if 0 < len(line.strip()) <= SHORT_LINE and end < len(seg):
            cuts.add(end)
        pos = end
    return sorted(cuts)


def sentence_spans(text, is_html):
    """(start, end) of sentences in the visible text runs."""
    spans = []
    runs = [(m.start(), m.end()) for m in re.finditer(r'[^<>]+', text)] if is_html \
        else [(0, len(text))]
    for a, b in runs:
        if is_html and a > 0 and text[a - 1] == '<':
            continue
        seg = text[a:b]
        pos = 0
        for cut in sentence_cuts(seg) + [len(seg)]:
            if seg[pos:cut].strip():
                spans.append((a + pos, a + cut))
            pos = cut
    return [s for s in spans if re.search(r'\w\w', text[s[0]:s[1]])]


def short_text(text, rnd, is_html):
    spans = sentence_spans(text, is_html)
    if len(spans) < 3:
        raise Unchanged()
    drop = sorted(rnd.sample(range(len(spans)), len(spans) // 3), reverse=True)
    for i in drop:
        a, b = spans[i]
        text = text[:a] + text[b:]
    return text


def rewrite_parts(msg, rnd, fn):
    """Applies fn(text, rnd, is_html) to every inline text part."""
    changed = False
    for part, text, is_html in inline_texts(msg):
        try:
            new = fn(text, rnd, is_html)
        except Unchanged:
            continue
        if new == text:
            continue
        part.set_content(new, subtype='html' if is_html else 'plain', charset='utf-8',
                         cte=rnd.choice(['base64', 'quoted-printable']))
        changed = True
    if not changed:
        raise Unchanged()


def reencode_parts(msg, rnd, pick):
    """Re-encodes every inline text part: pick(text, rnd) -> (charset, bytes, cte)."""
    changed = False
    for part, text, is_html in inline_texts(msg):
        choice = pick(text, rnd)
        if choice is None:
            continue
        cs, data, cte = choice
        part.set_content(data, maintype='text', subtype='html' if is_html else 'plain', cte=cte)
        part.set_param('charset', cs)
        changed = True
    if not changed:
        raise Unchanged()


def pick_utf16(text, rnd):
    if rnd.random() < 0.5:
        return 'utf-16', b'\xfe\xff' + text.encode('utf-16-be'), 'base64'
    return 'utf-16', b'\xff\xfe' + text.encode('utf-16-le'), 'base64'


def pick_charset(text, rnd):
    fits = []
    for cs in CHARSETS:
        try:
            text.encode(cs)
            fits.append(cs)
        except UnicodeError:
            pass
    if not fits:
        return None
    cs = rnd.choice(fits)
    return cs, text.encode(cs), rnd.choice(['quoted-printable', 'base64', '8bit'])


def pick_utf7(text, rnd):
    return 'utf-7', text.encode('utf-7'), rnd.choice(['7bit', 'base64'])


def text_kind(fn):
    def apply(raw, msg, rnd):
        rewrite_parts(msg, rnd, fn)
        return serialise(msg, rnd)
    return apply


def encode_kind(pick):
    def apply(raw, msg, rnd):
        reencode_parts(msg, rnd, pick)
        return serialise(msg, rnd)
    return apply


def serialise(msg, rnd):
    if 'Message-ID' in msg:
        del msg['Message-ID']
    msg['Message-ID'] = '<unseen.%016x@example.invalid>' % rnd.getrandbits(64)
    return msg.as_bytes(policy=email.policy.SMTP)


APPLY = {
    'att-html': kind_att_html, 'att-octet': kind_att_octet,
    'fwd-rfc822': kind_fwd_rfc822, 'fwd-eml': kind_fwd_eml,
    'separator': text_kind(separator_text), 'filler': text_kind(filler_text),
    'short': text_kind(short_text),
    'utf16': encode_kind(pick_utf16), 'charset': encode_kind(pick_charset),
    'utf7': encode_kind(pick_utf7),
}


def fresh_id_only(raw, rnd):
    head, body, eol = split_raw(raw)
    fields = [eol.join(f) for f in header_lines(head, eol)
              if not f[0].lower().startswith(b'message-id:')]
    fields.append(b'Message-ID: <unseen.%016x@example.invalid>' % rnd.getrandbits(64))
    return eol.join(fields) + eol + eol + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', required=True)
    ap.add_argument('--kind', action='append', choices=KINDS, help='only these kinds')
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()
    skipped = 0
    for kind in a.kind or KINDS:
        d = os.path.join(a.out, 'u-' + kind)
        os.makedirs(d, exist_ok=True)
        for path in a.files:
            name = os.path.basename(path)
            rnd = random.Random('%d/%s/%s' % (a.seed, kind, name))
            with open(path, 'rb') as f:
                raw = f.read()
            try:
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                out = APPLY[kind](raw, msg, rnd)
            except Unchanged:
                print('mutate: u-%s/%s: nothing to change' % (kind, name), file=sys.stderr)
                out = fresh_id_only(raw, rnd)
            except Exception as e:  # a message Python cannot rebuild: say so, skip it
                print('mutate_unseen: u-%s/%s: %s: %s, skipped' % (kind, name, type(e).__name__, e),
                      file=sys.stderr)
                skipped += 1
                continue
            with open(os.path.join(d, name), 'wb') as f:
                f.write(out)
    print('mutate_unseen: %d file(s), %d kind(s), %d skipped' %
          (len(a.files), len(a.kind or KINDS), skipped), file=sys.stderr)


if __name__ == '__main__':
    main()
