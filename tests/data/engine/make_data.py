#!/usr/bin/env python3
"""make_data.py - writes the messages tests/unit/test_engine*.c publish and
score (run from this directory; the .eml files are committed). Every host
and address is from the documentation ranges. Not for: anything else."""
import base64

HDR = """Received: from mx1.example.com (mx1.example.com [192.0.2.25])
\tby mail.example.com (Postfix) with ESMTPS id {qid}2
\tfor <{to}>; {date}
Received: from {helo} (unknown [{ip}])
\tby mx1.example.com (Postfix) with ESMTP id {qid}
\tfor <{to}>; {date}
From: {frm}
To: {to}
Subject: {subj}
Date: {date}
Message-ID: <{qid}@{dom}>
MIME-Version: 1.0
"""

LOAN = """Dear friend,

Are you tired of being turned down by the banks? Our lending partners
approve personal loans of up to 50,000 dollars in under ten minutes, with
no credit check, no collateral and no paperwork at all. Thousands of
families have already consolidated their debts, repaired their homes and
finally taken the holiday they deserved.

Rates start as low as 1.9 percent and the money arrives in your account
the very same day. Bad credit, no credit or bankruptcy are never a problem
for our approved lenders. This exclusive pre-approved offer is reserved for
you and it expires at midnight on Friday, so do not wait another minute.

Claim your guaranteed cash today at
http://fastcash-approval.example.net/apply?id=88213

Simply fill in the short form, choose your amount and your repayment plan,
and a friendly loan specialist will call you back within the hour to
confirm the transfer.

Best regards,
The Fast Cash Approval Team

To stop receiving these offers reply with REMOVE in the subject line.
"""

# The next wave: a few words changed, a new greeting and id.
LOAN_V = (LOAN.replace("Dear friend,", "Dear Oscar,")
              .replace("tired of being turned down", "fed up with being refused")
              .replace("in under ten minutes", "in under five minutes")
              .replace("holiday", "vacation")
              .replace("id=88213", "id=90417")
              .replace("Friday", "Sunday"))

# A later wave, reworded more: a sentence rewritten, a new link host.
LOAN_R = (LOAN_V.replace("Thousands of\nfamilies have already consolidated their debts, repaired their homes and\nfinally taken the vacation they deserved.",
                         "Many households\nhave already cleared their credit cards, fixed up the house and\nat last enjoyed the trip they were dreaming of.")
                .replace("fastcash-approval.example.net/apply", "quickfunds-direct.example.com/start"))

WATCH = """Hello,

Luxury replica watches at a fraction of the boutique price. Every model is
crafted with a sapphire crystal, a Swiss-style automatic movement and a
solid stainless steel bracelet that looks and feels exactly like the
original. Nobody will ever notice the difference, not even your jeweller.

This week only: buy two watches and the third one ships for free, in a
genuine-looking gift box with papers. Discreet worldwide delivery in seven
days, secure payment, and a full refund if you are not delighted.

Browse the new autumn catalogue now:
http://prestige-replicas.example.org/catalogue/autumn

Yours sincerely,
Prestige Replicas Customer Care
"""

HAM = """Hi Anna,

Thanks for sending the minutes of Tuesday's allotment committee. I read
through them on the train this morning. Two small corrections: the compost
delivery is booked for the 14th, not the 12th, and Peter offered to fix the
gate hinge himself, so we will not need to call the contractor after all.

Could you also add a note that the water butts on plots 3 and 7 need new
lids before the winter? I will bring the spare ones from my shed on
Saturday if somebody can help me carry them.

See you at the harvest supper,
Martin
"""

ZIP = (b"PK\x03\x04\x14\x00\x00\x00\x08\x00whorl-etest-attachment invoice_7731.pdf.js "
       + bytes(range(256)) + b" not malware, a fixed test payload")


def b64(text):
    raw = base64.encodebytes(text.encode() if isinstance(text, str) else text)
    return raw.decode()


def plain_b64(hdr, body):
    return (HDR.format(**hdr) + 'Content-Type: text/plain; charset="utf-8"\n'
            'Content-Transfer-Encoding: base64\n\n' + b64(body))


def write(name, text):
    with open(name, "w") as f:
        f.write(text)


loan = dict(qid="4GZQ1a2Bc3dE", to="oscar@example.com", date="Mon, 16 Nov 2026 09:14:02 +0000",
            helo="mail.fastcash-approval.example.net", ip="203.0.113.41",
            frm='"Fast Cash Approval" <offers@fastcash-approval.example.net>',
            subj="Pre-approved: your personal loan is waiting", dom="fastcash-approval.example.net")
write("spam-loan.eml", plain_b64(loan, LOAN))
loan_v = dict(loan, qid="4GZR7x8Yz9wV", to="oscar@example.com",
              date="Thu, 19 Nov 2026 17:40:55 +0000", ip="203.0.113.42",
              subj="Oscar, your personal loan is still waiting")
write("spam-loan-variant.eml", plain_b64(loan_v, LOAN_V))
loan_r = dict(loan_v, qid="4GZV2c3Dd4eF", date="Sat, 21 Nov 2026 06:02:11 +0000",
              helo="mx.quickfunds-direct.example.com", ip="198.51.100.9",
              frm='"Quick Funds" <hello@quickfunds-direct.example.com>',
              subj="Last chance: approval in five minutes", dom="quickfunds-direct.example.com")
write("spam-loan-reworded.eml", plain_b64(loan_r, LOAN_R))
watch = dict(qid="4GZS3k4Lm5nP", to="martin@example.com", date="Tue, 17 Nov 2026 22:03:19 +0000",
             helo="smtp.prestige-replicas.example.org", ip="198.51.100.203",
             frm='"Prestige Replicas" <care@prestige-replicas.example.org>',
             subj="Replica watches: buy two, get the third free", dom="prestige-replicas.example.org")
write("spam-watch.eml", HDR.format(**watch) + 'Content-Type: text/plain; charset="us-ascii"\n\n' + WATCH)
ham = dict(qid="4GZT6p7Qr8sT", to="anna@example.com", date="Wed, 18 Nov 2026 08:30:00 +0000",
           helo="mail.example.com", ip="192.0.2.10", frm='"Martin Holt" <martin@example.com>',
           subj="Re: allotment committee minutes", dom="example.com")
write("ham-allotment.eml", HDR.format(**ham) + 'Content-Type: text/plain; charset="us-ascii"\n\n' + HAM)
virus = dict(qid="4GZU9u0Vw1xY", to="accounts@example.com", date="Tue, 17 Nov 2026 12:08:16 +0200",
             helo="pc-7731.dsl.example.net", ip="198.51.100.77",
             frm='"Accounts" <billing@billing.example.net>', subj="Invoice 7731 overdue",
             dom="billing.example.net")
B = "----=_etest_7731"
write("virus-invoice.eml", HDR.format(**virus) +
      f'Content-Type: multipart/mixed; boundary="{B}"\n\n--{B}\n'
      'Content-Type: text/plain; charset="us-ascii"\n\nPlease open the attached invoice 7731.\n\n'
      f'--{B}\nContent-Type: application/zip; name="invoice_7731.zip"\n'
      'Content-Transfer-Encoding: base64\n'
      'Content-Disposition: attachment; filename="invoice_7731.zip"\n\n' + b64(ZIP) + f'--{B}--\n')
