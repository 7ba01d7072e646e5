#!/usr/bin/python3
"""gen_images.py - the image-campaign bench's messages (tests/bench/images.sh).

Renders spam-1 texts into images (the "published" campaigns) and makes one
variant per edit kind of each; renders QR-phishing mails and redraws their
codes; renders legitimate texts (easy-ham-1) into images with the same
renderer and layouts, and legitimate QR codes (tickets, Wi-Fi, payments).

Every mail carries a fresh random word salad as its text and no link, so the
text, url and struct engines cannot tell a variant from its original: what is
caught is caught by the image (or the QR payload it carries).

The kinds were fixed before any result was looked at:
  scale     resized by 0.85-0.97 or 1.03-1.15, pasted with other margins
  crop      5-10 % of the width or the height cut off, on one or two sides
  crop-corner  5-10 % of the width cut off one side and 5-10 % of the height
            off the top or the bottom (a corner); added later than the kinds
            above, with its own random stream so that their messages stay
            as they were
  crop-mixed   5-10 % cut off one side or off a corner (one horizontal and
            one vertical side, any of the four), the rest resized by
            0.85-0.97 or 1.03-1.15 and saved as JPEG (quality 60-90) or PNG;
            added after crop-corner, in the same late stream after it
  banner    a 40-70 px coloured strip with a slogan above or below
  recolour  the luminance re-mapped between two other colours
  invert    the negative (dark-background edition)
  noise     gaussian noise, sigma 6-12 per channel
  border    a 6-20 px frame in a random colour
  jpeg      PNG re-encoded as JPEG, quality 60-90
  gif       PNG re-encoded as GIF (adaptive palette of 32-256 colours)
  qr-version   the same payload at a higher QR version
  qr-ecc       the same payload with another error-correction level
  qr-module    another module size and quiet zone
  qr-tracking  utm_source/utm_campaign parameters added to the URL
  qr-document  the code placed on a larger "document" page with text
Legitimate kinds: card (600 px newsletter card), invoice, ticket, receipt,
qr-ticket, qr-wifi, qr-payment, and
  template  one per campaign picture: the campaign's own template (its
            layout drawn from the same random state: rows, colours, figures,
            numbers, sizes) filled with the words of a legitimate easy-ham-1
            text, so that only the words differ (legitimate mail rendered in
            the layout a campaign copied); named after the campaign it
            shares the template with (invoice-077 twins img-077); added
            later, with its own random stream so that the set above stays
            as it was

Usage: gen_images.py --corpus DIR --out DIR [--seed N] [--spam N] [--qr N] [--legit N]
Needs python3-pil, python3-qrcode and fonts-dejavu-core (scripts/deps.sh).
Not for: scanning or figures (images.sh does that).
"""
import argparse
import email
import email.policy
import io
import os
import random
import re
import sys
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps
import qrcode
import qrcode.constants

FONT_DIR = '/usr/share/fonts/truetype/dejavu'
SPAM_KINDS = ['scale', 'crop', 'banner', 'recolour', 'invert', 'noise', 'border', 'jpeg', 'gif']
LATE_KINDS = ['crop-corner', 'crop-mixed']
QR_KINDS = ['qr-version', 'qr-ecc', 'qr-module', 'qr-tracking', 'qr-document']
LAYOUTS = ['card', 'invoice', 'ticket', 'receipt']
TITLE_COLOURS = [(0, 82, 155), (200, 30, 45), (20, 120, 60), (60, 60, 60)]
SLOGANS = ['LIMITED OFFER - ACT NOW', 'EXCLUSIVE DEAL FOR YOU', 'TODAY ONLY: 70% OFF',
           'CLICK TO CLAIM YOUR PRIZE', 'FREE SHIPPING WORLDWIDE']
NOTICES = [('Your mailbox password expires today.', 'Scan the code to keep your access.'),
           ('Multi-factor authentication must be renewed.', 'Scan with your phone to confirm.'),
           ('Your payroll document is waiting.', 'Scan the code to sign it securely.'),
           ('Unusual sign-in blocked on your account.', 'Scan now to verify your identity.'),
           ('Your shared file has expired.', 'Scan the code to restore access.')]
LEGIT_QR = {
    'qr-ticket': ('Your ticket for {w} is attached.', 'Show this code at the entrance.'),
    'qr-wifi': ('Guest Wi-Fi for the {w} meeting room.', 'Scan the code to connect.'),
    'qr-payment': ('Invoice {n} for {w} is due.', 'Scan with your banking app to pay.'),
}


def font(size, mono=False, bold=False):
    name = 'DejaVuSansMono' if mono else 'DejaVuSans'
    if bold:
        name += '-Bold'
    return ImageFont.truetype(os.path.join(FONT_DIR, name + '.ttf'), size)


def mail_words(path):
    """The visible words of a mail's first text part (HTML tags dropped)."""
    with open(path, 'rb') as f:
        msg = email.message_from_binary_file(f, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_maintype() != 'text':
            continue
        raw = part.get_payload(decode=True) or b''
        text = raw.decode('latin-1')
        if part.get_content_subtype() == 'html':
            text = re.sub(r'(?is)<(script|style).*?</\1>', ' ', text)
            text = re.sub(r'<[^>]*>', ' ', text)
            text = re.sub(r'&[a-z#0-9]+;', ' ', text)
        words = [w for w in re.findall(r"[A-Za-z0-9$%'.,!?-]+", text)
                 if len(w) < 20 and not re.match(r'(?i)(https?|www)', w)]
        if len(words) >= 20:
            return words
    return []


def wrap(words, fnt, width):
    lines, cur = [], ''
    for w in words:
        t = (cur + ' ' + w).strip()
        if fnt.getlength(t) <= width:
            cur = t
        else:
            if cur:
                lines.append(cur)
            cur = w
    if cur:
        lines.append(cur)
    return lines


def render_card(words, rng):
    body, small = font(15), font(11)
    nlines = rng.randint(8, 14)
    lines = wrap(words[6:], body, 552)[:nlines]
    h = 48 + 24 + 22 * nlines + 56
    img = Image.new('RGB', (600, h), 'white')
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, 599, 47], fill=rng.choice(TITLE_COLOURS))
    d.text((24, 12), ' '.join(words[:6])[:48], font=font(18, bold=True), fill='white')
    for i, line in enumerate(lines):
        d.text((24, 72 + 22 * i), line, font=body, fill=(30, 30, 30))
    d.line([24, h - 40, 576, h - 40], fill=(200, 200, 200))
    d.text((24, h - 30), 'You receive this mail because you subscribed. Unsubscribe | View online',
           font=small, fill=(130, 130, 130))
    return img


def render_invoice(words, rng):
    body = font(14)
    rows = rng.randint(4, 8)
    h = 140 + 30 * rows + 70
    img = Image.new('RGB', (600, h), 'white')
    d = ImageDraw.Draw(img)
    d.text((30, 24), 'INVOICE', font=font(26, bold=True), fill=(40, 40, 40))
    d.text((360, 30), 'No. %d-%04d' % (rng.randint(2019, 2026), rng.randint(1, 9999)), font=body,
           fill=(90, 90, 90))
    d.text((30, 70), ' '.join(words[:5])[:60], font=body, fill=(60, 60, 60))
    d.line([30, 120, 570, 120], fill=(0, 0, 0), width=2)
    total = 0.0
    for i in range(rows):
        item = ' '.join(words[5 + 3 * i:8 + 3 * i])[:40]
        price = rng.randint(100, 99999) / 100.0
        total += price
        y = 132 + 30 * i
        d.text((30, y), item, font=body, fill=(30, 30, 30))
        d.text((480, y), '%9.2f' % price, font=body, fill=(30, 30, 30))
        d.line([30, y + 24, 570, y + 24], fill=(220, 220, 220))
    d.text((380, 140 + 30 * rows + 20), 'TOTAL %10.2f' % total, font=font(15, bold=True),
           fill=(0, 0, 0))
    return img


def render_ticket(words, rng):
    img = Image.new('RGB', (600, 260), 'white')
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([8, 8, 591, 251], radius=16, outline=rng.choice(TITLE_COLOURS), width=3)
    d.line([440, 20, 440, 240], fill=(150, 150, 150), width=1)
    d.text((28, 26), ' '.join(words[:4])[:34], font=font(20, bold=True), fill=(20, 20, 20))
    for i, line in enumerate(wrap(words[4:], font(14), 390)[:5]):
        d.text((28, 70 + 24 * i), line, font=font(14), fill=(50, 50, 50))
    d.text((28, 212), 'Seat %s%d  Gate %d' % (rng.choice('ABCDEFGH'), rng.randint(1, 40),
                                             rng.randint(1, 12)), font=font(15), fill=(0, 0, 0))
    d.text((460, 110), 'ADMIT\n  ONE', font=font(20, bold=True), fill=(90, 90, 90))
    return img


def render_receipt(words, rng):
    mono = font(13, mono=True)
    rows = rng.randint(6, 12)
    h = 110 + 20 * rows + 60
    img = Image.new('RGB', (320, h), 'white')
    d = ImageDraw.Draw(img)
    d.text((20, 18), ' '.join(words[:3])[:30].upper(), font=font(15, mono=True, bold=True),
           fill=(0, 0, 0))
    d.text((20, 48), 'Receipt %06d' % rng.randint(0, 999999), font=mono, fill=(60, 60, 60))
    d.line([20, 80, 300, 80], fill=(0, 0, 0))
    total = 0.0
    for i in range(rows):
        price = rng.randint(50, 9999) / 100.0
        total += price
        name = (words[3 + i % max(1, len(words) - 3)] + '          ')[:18]
        d.text((20, 92 + 20 * i), '%s %8.2f' % (name, price), font=mono, fill=(20, 20, 20))
    d.line([20, 100 + 20 * rows, 300, 100 + 20 * rows], fill=(0, 0, 0))
    d.text((20, 110 + 20 * rows), 'TOTAL              %8.2f' % total, font=mono, fill=(0, 0, 0))
    return img


RENDER = {'card': render_card, 'invoice': render_invoice, 'ticket': render_ticket,
          'receipt': render_receipt}


def qr_image(payload, rng, version=None, ecc=qrcode.constants.ERROR_CORRECT_M, box=5, border=4):
    q = qrcode.QRCode(version=version, error_correction=ecc, box_size=box, border=border)
    q.add_data(payload)
    q.make(fit=version is None)
    return q.make_image(fill_color='black', back_color='white').convert('RGB')


def qr_notice_image(code, lines):
    """Two text lines above a QR code: the quishing (and payment) layout."""
    f = font(15)
    w = max(400, code.width + 40)
    img = Image.new('RGB', (w, 80 + code.height + 20), 'white')
    d = ImageDraw.Draw(img)
    d.text((20, 16), lines[0], font=font(15, bold=True), fill=(0, 0, 0))
    d.text((20, 44), lines[1], font=f, fill=(40, 40, 40))
    img.paste(code, ((w - code.width) // 2, 80))
    return img


# The edits: each takes an RGB image and the rng and returns (image, format).
def edit_scale(img, rng):
    f = rng.choice([rng.uniform(0.85, 0.97), rng.uniform(1.03, 1.15)])
    s = img.resize((max(1, round(img.width * f)), max(1, round(img.height * f))), Image.LANCZOS)
    m = [rng.randint(0, 40) for _ in range(4)]
    out = Image.new('RGB', (s.width + m[0] + m[2], s.height + m[1] + m[3]), img.getpixel((0, img.height - 1)))
    out.paste(s, (m[0], m[1]))
    return out, 'PNG'


def edit_crop(img, rng):
    frac = rng.uniform(0.05, 0.10)
    if rng.random() < 0.5:
        cut = round(img.width * frac)
        left = rng.choice([0, cut, rng.randint(0, cut)])
        return img.crop((left, 0, img.width - (cut - left), img.height)), 'PNG'
    cut = round(img.height * frac)
    top = rng.choice([0, cut, rng.randint(0, cut)])
    return img.crop((0, top, img.width, img.height - (cut - top))), 'PNG'


def edit_crop_corner(img, rng):
    cx, cy = round(img.width * rng.uniform(0.05, 0.10)), round(img.height * rng.uniform(0.05, 0.10))
    left, top = rng.choice([0, cx]), rng.choice([0, cy])
    return img.crop((left, top, img.width - (cx - left), img.height - (cy - top))), 'PNG'


def edit_crop_mixed(img, rng):
    fx, fy = rng.uniform(0.05, 0.10), rng.uniform(0.05, 0.10)
    shape = rng.choice(['left', 'right', 'top', 'bottom', 'corner'])
    l = t = r = b = 0
    if shape == 'corner':
        cx, cy = round(img.width * fx), round(img.height * fy)
        l, t = rng.choice([cx, 0]), rng.choice([cy, 0])
        r, b = cx - l, cy - t
    elif shape in ('left', 'right'):
        cut = round(img.width * fx)
        l, r = (cut, 0) if shape == 'left' else (0, cut)
    else:
        cut = round(img.height * fy)
        t, b = (cut, 0) if shape == 'top' else (0, cut)
    c = img.crop((l, t, img.width - r, img.height - b))
    f = rng.choice([rng.uniform(0.85, 0.97), rng.uniform(1.03, 1.15)])
    c = c.resize((max(1, round(c.width * f)), max(1, round(c.height * f))), Image.LANCZOS)
    return c, rng.choice(['JPEG', 'PNG'])


def edit_banner(img, rng):
    bh = rng.randint(40, 70)
    out = Image.new('RGB', (img.width, img.height + bh), 'white')
    strip = Image.new('RGB', (img.width, bh), rng.choice(TITLE_COLOURS + [(240, 160, 0)]))
    d = ImageDraw.Draw(strip)
    d.text((16, bh // 2 - 11), rng.choice(SLOGANS), font=font(20, bold=True), fill='white')
    if rng.random() < 0.5:
        out.paste(strip, (0, 0))
        out.paste(img, (0, bh))
    else:
        out.paste(img, (0, 0))
        out.paste(strip, (0, img.height))
    return out, 'PNG'


def edit_recolour(img, rng):
    dark = tuple(rng.randint(0, 110) for _ in range(3))
    light = tuple(rng.randint(170, 255) for _ in range(3))
    return ImageOps.colorize(img.convert('L'), black=dark, white=light), 'PNG'


def edit_invert(img, rng):
    return ImageOps.invert(img), 'PNG'


def edit_noise(img, rng):
    sigma = rng.uniform(6, 12)
    chans = [ImageChops.add(c, Image.effect_noise(img.size, sigma), 1.0, -128)
             for c in img.split()]
    return Image.merge('RGB', chans), 'PNG'


def edit_border(img, rng):
    colour = tuple(rng.randint(0, 255) for _ in range(3))
    return ImageOps.expand(img, border=rng.randint(6, 20), fill=colour), 'PNG'


def edit_jpeg(img, rng):
    return img, 'JPEG'


def edit_gif(img, rng):
    return img.quantize(colors=rng.choice([32, 64, 128, 256])), 'GIF'


EDITS = {'scale': edit_scale, 'crop': edit_crop, 'banner': edit_banner, 'recolour': edit_recolour,
         'invert': edit_invert, 'noise': edit_noise, 'border': edit_border, 'jpeg': edit_jpeg,
         'gif': edit_gif, 'crop-corner': edit_crop_corner,
         'crop-mixed': edit_crop_mixed}


def encode(img, fmt, rng):
    buf = io.BytesIO()
    if fmt == 'JPEG':
        img.convert('RGB').save(buf, 'JPEG', quality=rng.randint(60, 90))
    else:
        img.save(buf, fmt)
    return buf.getvalue()


class Mailer:
    def __init__(self, vocab, rng):
        self.vocab, self.rng, self.n = vocab, rng, 0

    def mail(self, path, data, fmt, sender):
        rng = self.rng
        self.n += 1
        m = MIMEMultipart('mixed')
        m['From'] = '%s <%s@%s.example>' % (sender, rng.choice(self.vocab).lower(),
                                             rng.choice(self.vocab).lower())
        m['To'] = 'user%d@example.org' % rng.randint(1, 99999)
        m['Subject'] = ' '.join(rng.choice(self.vocab) for _ in range(rng.randint(3, 7)))
        m['Date'] = 'Wed, 02 Dec 2026 %02d:%02d:%02d +0000' % (rng.randint(0, 23),
                                                               rng.randint(0, 59), rng.randint(0, 59))
        m['Message-ID'] = '<img-%d-%d@bench.example>' % (self.n, rng.randint(0, 1 << 30))
        salad = ' '.join(rng.choice(self.vocab) for _ in range(rng.randint(12, 30)))
        m.attach(MIMEText(salad + '\n', 'plain', 'us-ascii'))
        sub = {'PNG': 'png', 'JPEG': 'jpeg', 'GIF': 'gif'}[fmt]
        part = MIMEImage(data, sub)
        part.add_header('Content-Disposition', 'inline',
                        filename='%s.%s' % (rng.choice(self.vocab).lower(), sub))
        m.attach(part)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(m.as_bytes())


def texts(folder, count, rng):
    out = []
    for name in sorted(os.listdir(folder)):
        w = mail_words(os.path.join(folder, name))
        if w:
            out.append((name, w))
    rng.shuffle(out)
    return out[:count]


def phish_url(rng, vocab):
    host = '%s-%s.%s' % (rng.choice(['login', 'secure', 'account', 'verify', 'portal']),
                         ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(6)),
                         rng.choice(['com', 'net', 'top', 'xyz', 'info']))
    return 'https://%s/%s/%s?id=%d' % (host, rng.choice(vocab).lower(),
                                      rng.choice(['auth', 'sso', 'mfa', 'signin']),
                                      rng.randint(10000, 99999))


def qr_variant(kind, url, notice, rng, vocab):
    if kind == 'qr-version':
        return qr_notice_image(qr_image(url, rng, version=rng.randint(7, 10)), notice)
    if kind == 'qr-ecc':
        ecc = rng.choice([qrcode.constants.ERROR_CORRECT_L, qrcode.constants.ERROR_CORRECT_Q,
                          qrcode.constants.ERROR_CORRECT_H])
        return qr_notice_image(qr_image(url, rng, ecc=ecc), notice)
    if kind == 'qr-module':
        return qr_notice_image(qr_image(url, rng, box=rng.choice([3, 4, 7, 8]),
                                        border=rng.choice([1, 2, 6])), notice)
    if kind == 'qr-tracking':
        tracked = url + '&utm_source=mail&utm_campaign=%s' % rng.choice(vocab).lower()
        return qr_notice_image(qr_image(tracked, rng), notice)
    page = Image.new('RGB', (800, 1000), 'white')
    d = ImageDraw.Draw(page)
    d.text((60, 50), 'DOCUMENT NOTICE', font=font(28, bold=True), fill=(0, 0, 0))
    for i, line in enumerate(wrap([rng.choice(vocab) for _ in range(160)], font(15), 680)[:14]):
        d.text((60, 120 + 24 * i), line, font=font(15), fill=(40, 40, 40))
    code = qr_notice_image(qr_image(url, rng, box=4), notice)
    page.paste(code, (rng.randint(40, 800 - code.width - 40), rng.randint(480, 1000 - code.height - 20)))
    return page


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--spam', type=int, default=100)
    ap.add_argument('--qr', type=int, default=60)
    ap.add_argument('--legit', type=int, default=100)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    spam = texts(os.path.join(a.corpus, 'spam-1'), a.spam, rng)
    ham = texts(os.path.join(a.corpus, 'easy-ham-1'), a.legit * len(LAYOUTS), rng)
    if len(spam) < a.spam or len(ham) < a.legit * len(LAYOUTS):
        sys.exit('gen_images.py: too few usable texts in %s' % a.corpus)
    vocab = sorted({w for _, ws in spam + ham for w in ws if w.isalpha() and len(w) > 2})
    mailer = Mailer(vocab, rng)
    pub, var, leg = (os.path.join(a.out, d) for d in ('published', 'variants', 'legit'))
    late, shapes = [], []
    for i, (name, words) in enumerate(spam):
        shapes.append(rng.getstate())  # the template's random state, for its legitimate twin
        img = RENDER[LAYOUTS[i % len(LAYOUTS)]](words, rng)
        mailer.mail(os.path.join(pub, 'img-%03d.eml' % i), encode(img, 'PNG', rng), 'PNG', 'Offers')
        for kind in SPAM_KINDS:
            v, fmt = EDITS[kind](img, rng)
            mailer.mail(os.path.join(var, kind, 'img-%03d.eml' % i), encode(v, fmt, rng), fmt, 'Offers')
        late.append((i, img))
    for i, img in late:  # the kinds added later: their own stream, the set above unchanged
        lrng = random.Random(a.seed * 1000003 + i)
        for kind in LATE_KINDS:
            v, fmt = EDITS[kind](img, lrng)
            lmail = Mailer(vocab, lrng)
            lmail.n = 100000 + i
            lmail.mail(os.path.join(var, kind, 'img-%03d.eml' % i), encode(v, fmt, lrng), fmt, 'Offers')
    for i in range(a.qr):
        url, notice = phish_url(rng, vocab), rng.choice(NOTICES)
        img = qr_notice_image(qr_image(url, rng), notice)
        mailer.mail(os.path.join(pub, 'qr-%03d.eml' % i), encode(img, 'PNG', rng), 'PNG', 'IT Desk')
        for kind in QR_KINDS:
            v = qr_variant(kind, url, notice, rng, vocab)
            mailer.mail(os.path.join(var, kind, 'qr-%03d.eml' % i), encode(v, 'PNG', rng), 'PNG', 'IT Desk')
    for i, (name, words) in enumerate(ham):
        layout = LAYOUTS[i % len(LAYOUTS)]
        img = RENDER[layout](words, rng)
        fmt = rng.choice(['PNG', 'PNG', 'JPEG', 'GIF'])
        data = encode(img if fmt != 'GIF' else img.quantize(colors=128), fmt, rng)
        mailer.mail(os.path.join(leg, layout, 'ham-%03d.eml' % i), data, fmt, 'News')
    for kind, lines in LEGIT_QR.items():
        for i in range(a.legit // 2):
            w, n = rng.choice(vocab), rng.randint(1000, 9999)
            if kind == 'qr-ticket':
                payload = 'TKT:%d:%s:%08d' % (rng.randint(1, 99), w.upper(), rng.randint(0, 10 ** 8))
            elif kind == 'qr-wifi':
                payload = 'WIFI:T:WPA;S:%s-guest;P:%s%d;;' % (w, rng.choice(vocab), n)
            else:
                payload = ('BCD\n002\n1\nSCT\n\n%s GmbH\nDE%020d\nEUR%d.%02d\n\n\nInvoice %d'
                           % (w, rng.randint(0, 10 ** 19), rng.randint(5, 900), rng.randint(0, 99), n))
            notice = (lines[0].format(w=w, n=n), lines[1])
            img = qr_notice_image(qr_image(payload, rng), notice)
            mailer.mail(os.path.join(leg, kind, 'ham-%03d.eml' % i), encode(img, 'PNG', rng), 'PNG',
                        'Service')
    for i, state in enumerate(shapes):  # added later: its own stream, the set above unchanged
        trng = random.Random(a.seed * 1000003 + 700000 + i)
        layout = LAYOUTS[i % len(LAYOUTS)]
        shape = random.Random()
        shape.setstate(state)
        img = RENDER[layout](trng.choice(ham)[1], shape)
        fmt = trng.choice(['PNG', 'PNG', 'JPEG', 'GIF'])
        data = encode(img if fmt != 'GIF' else img.quantize(colors=128), fmt, trng)
        tmail = Mailer(vocab, trng)
        tmail.n = 200000 + i
        tmail.mail(os.path.join(leg, 'template', '%s-%03d.eml' % (layout, i)), data, fmt, 'News')
    print('gen_images: %d published, %d variants, %d legitimate'
          % (len(os.listdir(pub)), sum(len(os.listdir(os.path.join(var, k))) for k in os.listdir(var)),
             sum(len(os.listdir(os.path.join(leg, k))) for k in os.listdir(leg))))


if __name__ == '__main__':
    main()
