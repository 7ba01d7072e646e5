#!/usr/bin/env python3
"""seeds.py - writes inputs that reach whorl's named size limits, one folder per
fuzz target, so that libFuzzer starts from the limits instead of only from the
small hand-made seeds in corpus/ (it never grows a 4 KB input to 256 KB on its
own in a short run).

    python3 tests/fuzz/seeds.py OUTDIR

Each seed names the limit it reaches (cartridge/mime/mime.h, text/text.h,
cfg/cfg.h, wl/wl.h; docs/LIMITS.md). Generated, never committed: they are
large. Not for: hand-made seeds (tests/fuzz/corpus/).
"""
import base64
import os
import sys

KIB = 1024


def mime_seeds():
    hdr = "Subject: x\r\nContent-Type: text/plain\r\n"
    body = "hello world\r\n"
    yield "header_bytes_256k", ("X-Pad: " + "a" * 1000 + "\r\n") * 270 + hdr + "\r\n" + body
    yield "header_count_600", "".join("X-H%d: v\r\n" % i for i in range(600)) + hdr + "\r\n" + body
    yield "line_70k", hdr + "\r\n" + "b" * (70 * KIB) + "\r\n"
    parts = "".join("--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(300))
    yield "parts_300", ("Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + "--b--\r\n")
    nest = ""
    for d in range(20):
        nest += "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (d, d + 1)
    yield "depth_20", "Content-Type: multipart/mixed; boundary=b0\r\n\r\n" + nest + "deep\r\n"
    yield "boundary_250", ("Content-Type: multipart/mixed; boundary=" + "z" * 250 +
                           "\r\n\r\n--" + "z" * 250 + "\r\n\r\nx\r\n")
    b64 = base64.encodebytes(os.urandom(600 * KIB)).decode().replace("\n", "\r\n")
    yield "base64_600k", ("Content-Type: application/octet-stream\r\n"
                          "Content-Transfer-Encoding: base64\r\n\r\n" + b64)
    yield "rfc2047_long", "Subject: " + " ".join(["=?utf-8?b?" + "QUJD" * 40 + "?="] * 400) + "\r\n\r\nx\r\n"


def html_seeds():
    yield "tags_66000", "<p>" + "<b>x</b>" * 33000 + "</p>"
    yield "nesting_300", "<div>" * 300 + "deep text" + "</div>" * 300
    yield "style_2k_hidden", ('<p style="' + "color:red;" * 200 + 'display:none">hidden filler</p>'
                              "<p>visible</p>")
    yield "url_3k", '<a href="http://example.com/' + "p" * 3000 + '">link</a>'
    yield "skeleton_5k", "".join("<t%d>" % (i % 50) for i in range(2000))
    yield "entity_run", "&#x" + "1" * 20 + ";" + "&amp;" * 5000


def cfg_seeds():
    yield "line_5000", "customer id = " + "c" * 5000 + "\n"
    yield "many_keys", "".join("unknown key %d = v\n" % i for i in range(20000))
    yield "dup_keys", "minimum score = 50\n" * 20000


def whitelist_seeds():
    yield "line_5000", "type = body; regex = [" + "a" * 5000 + "]\n"
    yield "entries_10001", "".join("type = host; address = [10.0.%d.%d]\n" % (i // 256, i % 256)
                                   for i in range(10001))


def b64qp_seeds():
    yield "b64_line_70k", base64.b64encode(os.urandom(52 * KIB)).decode()
    yield "qp_soft_breaks", ("=\r\n" + "=41" * 20) * 4000


def scan_seeds():
    for name, text in mime_seeds():
        if name in ("header_bytes_256k", "line_70k", "parts_300", "depth_20"):
            yield name, text
    html = "<p style=\"" + "x:y;" * 300 + "display:none\">pad</p>" + "<p>offer</p>" * 100
    yield "html_style_cut", "Content-Type: text/html\r\n\r\n" + html + "\r\n"


TARGETS = {
    "fuzz_mime": mime_seeds,
    "fuzz_scan": scan_seeds,
    "fuzz_html": html_seeds,
    "fuzz_cfg": cfg_seeds,
    "fuzz_whitelist": whitelist_seeds,
    "fuzz_b64qp": b64qp_seeds,
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: seeds.py OUTDIR")
    out = sys.argv[1]
    for target, gen in TARGETS.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, text in gen():
            with open(os.path.join(d, name), "wb") as f:
                f.write(text.encode("utf-8", "surrogateescape"))


if __name__ == "__main__":
    main()
