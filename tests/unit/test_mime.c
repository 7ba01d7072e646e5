/*
 * test_mime.c - mime_parse(): header blocks, parameters, multipart and
 * message/rfc822 structure, wire form, limits, the realistic messages in
 * tests/data/mime/, and (when present) a real corpus under
 * $HOME/.cache/whorl-corpus/ parsed without crash and with sane output.
 */
#include <check.h>

#include "check_main.h"
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/mime/mime.h"

static struct arena arena;
static struct charset_cache *cache;

static void setup(void)
{
	arena_init(&arena);
	cache = charset_cache_new();
}

static void teardown(void)
{
	charset_cache_free(cache);
	arena_destroy(&arena);
}

static struct mime_msg parse_lim(const char *s, size_t len, const struct mime_limits *lim)
{
	struct mime_msg m;
	ck_assert_int_eq(mime_parse(&arena, cache, s, len, lim, &m), 0);
	ck_assert_uint_ge(m.n_parts, 1);
	return m;
}

static struct mime_msg parse(const char *s)
{
	return parse_lim(s, strlen(s), NULL);
}

static char *file_read(const char *name, size_t *len)
{
	const char *dir = getenv("WHORL_SRCDIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/data/mime/%s", dir != NULL ? dir : ".", name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static const char *header(const struct mime_msg *m, const char *name)
{
	const struct mime_header *h = mime_header_find(m->headers, m->n_headers, name);
	return h != NULL ? h->raw : NULL;
}

START_TEST(headers_folding_lf_crlf)
{
	const char *crlf =
	    "Subject: hello\r\n  world\r\nX-A:  one\r\n\ttwo  \r\nTo: x\r\n\r\nbody\r\n";
	struct mime_msg m = parse(crlf);
	ck_assert_uint_eq(m.n_headers, 3);
	ck_assert_str_eq(header(&m, "SUBJECT"), "hello  world");
	ck_assert_str_eq(header(&m, "x-a"), "one\ttwo");
	ck_assert_str_eq(m.subject, "hello  world");
	ck_assert_str_eq((char *)m.parts[0].data, "body\r\n");
	struct mime_msg l = parse("Subject: hello\n world\nTo: x\n\nbody\n");
	ck_assert_str_eq(l.subject, "hello world");
	ck_assert_str_eq((char *)l.parts[0].data, "body\n");
	ck_assert(mime_header_find(l.headers, l.n_headers, "From") == NULL);
}
END_TEST

START_TEST(headers_junk)
{
	/* mbox line, white space before the colon, then a junk line: body starts there. */
	struct mime_msg m = parse("From someone Mon Jan 1 00:00:00 2024\nSubject : spaced\n"
	                          "From: a@b\nthis is not a header\nmore body\n");
	ck_assert_uint_eq(m.n_headers, 2);
	ck_assert_str_eq(m.subject, "spaced");
	ck_assert_str_eq((char *)m.parts[0].data, "this is not a header\nmore body\n");
	ck_assert(m.flags & MIME_F_EMPTY);
	/* Only headers, no blank line. */
	struct mime_msg h = parse("Subject: only\nTo: x");
	ck_assert_uint_eq(h.n_headers, 2);
	ck_assert_uint_eq(h.parts[0].data_len, 0);
	/* No header at all. */
	struct mime_msg b = parse("just text\n");
	ck_assert_uint_eq(b.n_headers, 0);
	ck_assert_str_eq((char *)b.parts[0].data, "just text\n");
	ck_assert_str_eq(b.subject, "");
	struct mime_msg e = parse("");
	ck_assert_uint_eq(e.n_parts, 1);
}
END_TEST

START_TEST(params_2231_2047)
{
	const char *msg =
	    "Content-Type: multipart/mixed; BOUNDARY=\"b\"\n\n"
	    "--b\nContent-Type: application/pdf; NAME=\"a \\\"quoted\\\" name.pdf\"\n\nA\n"
	    "--b\nContent-Type: application/pdf\nContent-Disposition: attachment;\n"
	    " filename*0*=iso-8859-1'fr'caf%E9%20;\n filename*1=\"menu\";\n filename*2*=%2Epdf\n\nB\n"
	    "--b\nContent-Disposition: attachment; filename*=UTF-8''%E2%82%AC.txt\n\nC\n"
	    "--b\nContent-Type: text/plain; name==?UTF-8?B?w6l0w6kucGRm?=\n\nD\n"
	    "--b\nContent-Type: Text/HTML; Charset=\"ISO-8859-1\" (comment)\n"
	    "Content-ID: <id@x>\nContent-Transfer-Encoding: 8bit\n\n\xe9\n"
	    "--b--\n";
	struct mime_msg m = parse(msg);
	ck_assert_uint_eq(m.n_parts, 6);
	ck_assert_str_eq(m.parts[1].filename, "a \"quoted\" name.pdf");
	ck_assert_str_eq(m.parts[2].filename, "caf\xc3\xa9 menu.pdf");
	ck_assert_int_eq(m.parts[2].is_attachment, 1);
	ck_assert_str_eq(m.parts[3].filename, "\xe2\x82\xac.txt");
	ck_assert_str_eq(m.parts[4].filename, "\xc3\xa9t\xc3\xa9.pdf");
	ck_assert_str_eq(m.parts[5].type, "text");
	ck_assert_str_eq(m.parts[5].subtype, "html");
	ck_assert_str_eq(m.parts[5].charset, "iso-8859-1");
	ck_assert_str_eq(m.parts[5].content_id, "id@x");
	ck_assert_int_eq(m.parts[5].encoding, MIME_ENC_8BIT);
	ck_assert_str_eq((char *)m.parts[5].data, "\xc3\xa9");
	ck_assert_int_eq(m.parts[5].is_attachment, 0);
}
END_TEST

START_TEST(multipart_nested)
{
	size_t len;
	char *msg = file_read("related_alternative.eml", &len);
	struct mime_msg m = parse_lim(msg, len, NULL);
	ck_assert_str_eq(m.subject, "Sp\xc3\xa9"
	                            "cial offer for you");
	ck_assert_uint_eq(m.n_parts, 5);
	static const struct {
		int parent, depth;
		const char *type, *subtype;
	} want[] = {
		{ -1, 0, "multipart", "related" }, { 0, 1, "multipart", "alternative" },
		{ 1, 2, "text", "plain" },         { 1, 2, "text", "html" },
		{ 0, 1, "image", "png" },
	};
	for (size_t i = 0; i < 5; i++) {
		ck_assert_int_eq(m.parts[i].parent, want[i].parent);
		ck_assert_int_eq(m.parts[i].depth, want[i].depth);
		ck_assert_str_eq(m.parts[i].type, want[i].type);
		ck_assert_str_eq(m.parts[i].subtype, want[i].subtype);
	}
	ck_assert_int_eq(m.parts[0].is_multipart, 1);
	ck_assert_uint_eq(m.parts[0].data_len, 0);
	ck_assert_str_eq((char *)m.parts[2].data,
	                 "Caf\xc3\xa9 special offer, a long line that is soft broken right here "
	                 "and continues.\r\n");
	ck_assert_ptr_nonnull(strstr((char *)m.parts[3].data, "Caf\xc3\xa9 <b>special</b>"));
	ck_assert_uint_eq(m.parts[4].data_len, 256);
	for (int i = 0; i < 256; i++)
		ck_assert_uint_eq(m.parts[4].data[i], (unsigned)i);
	ck_assert_str_eq(m.parts[4].filename, "\xe2\x82\xac logo.png");
	ck_assert_str_eq(m.parts[4].content_id, "logo@x");
	ck_assert_int_eq(m.parts[4].encoding, MIME_ENC_BASE64);
	ck_assert_uint_eq(m.flags & MIME_F_RESCAN_MASK, 0);
	ck_assert_uint_gt(m.decoded_total, 256);
	free(msg);
}
END_TEST

START_TEST(message_rfc822)
{
	size_t len;
	char *msg = file_read("forward_rfc822.eml", &len);
	struct mime_msg m = parse_lim(msg, len, NULL);
	ck_assert_str_eq(m.subject, "Fwd: outer subject");
	ck_assert_uint_eq(m.n_parts, 4);
	ck_assert_str_eq(m.parts[2].type, "message");
	ck_assert_int_eq(m.parts[2].is_multipart, 1);
	ck_assert_str_eq(m.parts[2].filename, "fwd.eml");
	ck_assert_int_eq(m.parts[3].parent, 2);
	ck_assert_int_eq(m.parts[3].depth, 2);
	const struct mime_header *s =
	    mime_header_find(m.parts[3].headers, m.parts[3].n_headers, "subject");
	ck_assert_ptr_nonnull(s);
	char *dec = mime_header_decode(&arena, s->raw, s->raw_len, NULL);
	ck_assert_ptr_nonnull(dec); /* koi8-r without a cache: not UTF-8 Cyrillic */
	ck_assert_str_eq(m.parts[3].charset, "koi8-r");
	ck_assert_str_eq((char *)m.parts[3].data,
	                 "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, "
	                 "\xd0\xbc\xd0\xb8\xd1\x80");
	free(msg);
}
END_TEST

START_TEST(multipart_missing_boundaries)
{
	size_t len;
	char *msg = file_read("missing_close.eml", &len);
	struct mime_msg m = parse_lim(msg, len, NULL);
	ck_assert_uint_eq(m.n_parts, 3);
	ck_assert_str_eq((char *)m.parts[1].data, "first part");
	ck_assert_str_eq(m.parts[2].filename, "x.exe");
	ck_assert_uint_ge(m.parts[2].data_len, 2);
	ck_assert(memcmp(m.parts[2].data, "MZ", 2) == 0);
	ck_assert(m.flags & MIME_F_BROKEN);
	free(msg);
	/* Boundary declared but never used: the body reads as text. */
	struct mime_msg n = parse("Content-Type: multipart/mixed; boundary=zz\n\nhello\n");
	ck_assert_uint_eq(n.n_parts, 1);
	ck_assert_str_eq(n.parts[0].type, "text");
	ck_assert_str_eq((char *)n.parts[0].data, "hello\n");
	ck_assert(n.flags & MIME_F_BROKEN);
	/* No boundary parameter at all. */
	struct mime_msg o = parse("Content-Type: multipart/mixed\n\nhello\n");
	ck_assert_uint_eq(o.n_parts, 1);
	ck_assert(o.flags & MIME_F_BROKEN);
	/* A boundary that is a prefix of a longer line is no delimiter. */
	struct mime_msg p = parse("Content-Type: multipart/mixed; boundary=ab\n\n"
	                          "--ab\n\none --abc\n--abc\n--ab--\n");
	ck_assert_uint_eq(p.n_parts, 2);
	ck_assert_str_eq((char *)p.parts[1].data, "one --abc\n--abc");
	ck_assert_uint_eq(p.flags & MIME_F_BROKEN, 0);
}
END_TEST

START_TEST(uuencoded_attachment)
{
	size_t len, blen;
	char *msg = file_read("uuencoded.eml", &len);
	char *bin = file_read("uuencoded.bin", &blen);
	struct mime_msg m = parse_lim(msg, len, NULL);
	ck_assert_uint_eq(m.n_parts, 2);
	ck_assert_str_eq((char *)m.parts[0].data, "Here is the file:\n\n\nBye.\n");
	ck_assert_int_eq(m.parts[1].parent, 0);
	ck_assert_int_eq(m.parts[1].is_attachment, 1);
	ck_assert_str_eq(m.parts[1].filename, "data.bin");
	ck_assert_int_eq(m.parts[1].encoding, MIME_ENC_UUENCODE);
	ck_assert_uint_eq(m.parts[1].data_len, blen);
	ck_assert(memcmp(m.parts[1].data, bin, blen) == 0);
	free(msg);
	free(bin);
}
END_TEST

START_TEST(wire_detect)
{
	/* Terminated and stuffed: unstuffed, terminator gone. */
	const char *w = "Subject: w\r\n\r\n..hidden\r\nline\r\n.\r\n";
	struct mime_msg m = parse(w);
	ck_assert(m.flags & MIME_F_WIRE);
	ck_assert_str_eq((char *)m.parts[0].data, ".hidden\r\nline\r\n");
	ck_assert_uint_eq(m.body_len, strlen("Subject: w\r\n\r\n.hidden\r\nline\r\n"));
	/* LF terminator without stuffed lines. */
	struct mime_msg t = parse("Subject: w\n\nline\n.\n");
	ck_assert(t.flags & MIME_F_WIRE);
	ck_assert_str_eq((char *)t.parts[0].data, "line\n");
	/* ".." lines and no single-dot line: wire even without terminator. */
	struct mime_msg d = parse("Subject: w\n\n..a\n...b\n");
	ck_assert(d.flags & MIME_F_WIRE);
	ck_assert_str_eq((char *)d.parts[0].data, ".a\n..b\n");
	/* A line with a single "." then text: not wire, nothing changed. */
	struct mime_msg n = parse("Subject: w\n\n..a\n.b\n");
	ck_assert_uint_eq(n.flags & MIME_F_WIRE, 0);
	ck_assert_str_eq((char *)n.parts[0].data, "..a\n.b\n");
	/* An ellipsis line alone is no evidence; with a terminator it is unstuffed. */
	struct mime_msg e = parse("Subject: w\n\n...and so\n");
	ck_assert_uint_eq(e.flags & MIME_F_WIRE, 0);
	ck_assert_str_eq((char *)e.parts[0].data, "...and so\n");
	struct mime_msg et = parse("Subject: w\n\n....and so\n.\n");
	ck_assert(et.flags & MIME_F_WIRE);
	ck_assert_str_eq((char *)et.parts[0].data, "...and so\n");
	struct mime_msg p = parse("Subject: w\n\nplain\n");
	ck_assert_uint_eq(p.flags & MIME_F_WIRE, 0);
}
END_TEST

/* A buffer that grows with appends (test helper). */
struct sb {
	char *p;
	size_t len, cap;
};

static void sb_add(struct sb *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

START_TEST(limit_depth)
{
	struct sb b = { 0 };
	char line[128];
	for (int i = 0; i < 20; i++) {
		snprintf(line, sizeof(line),
		         "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
		sb_add(&b, line);
	}
	sb_add(&b, "Content-Type: text/plain\n\ndeep\n");
	for (int i = 19; i >= 0; i--) {
		snprintf(line, sizeof(line), "--b%d--\n", i);
		sb_add(&b, line);
	}
	struct mime_msg m = parse_lim(b.p, b.len, NULL);
	ck_assert(m.flags & MIME_F_DEPTH);
	for (size_t i = 0; i < m.n_parts; i++)
		ck_assert_int_le(m.parts[i].depth, MIME_MAX_DEPTH);
	ck_assert_uint_eq(m.n_parts, MIME_MAX_DEPTH + 1);
	free(b.p);
}
END_TEST

START_TEST(limit_parts)
{
	struct sb b = { 0 };
	sb_add(&b, "Content-Type: multipart/mixed; boundary=p\n\n");
	for (int i = 0; i < 300; i++)
		sb_add(&b, "--p\nContent-Type: text/plain\n\nx\n");
	sb_add(&b, "--p--\n");
	struct mime_msg m = parse_lim(b.p, b.len, NULL);
	ck_assert(m.flags & MIME_F_PARTS);
	ck_assert_uint_eq(m.n_parts, MIME_MAX_PARTS);
	ck_assert_str_eq((char *)m.parts[MIME_MAX_PARTS - 1].data, "x");
	free(b.p);
}
END_TEST

START_TEST(limit_headers)
{
	struct sb b = { 0 };
	char line[1100];
	memset(line, 'v', sizeof(line));
	memcpy(line, "X-Junk: ", 8);
	line[1023] = '\n';
	line[1024] = '\0';
	sb_add(&b, "Subject: big\n");
	for (int i = 0; i < 1024; i++) /* 1 MB of header fields */
		sb_add(&b, line);
	sb_add(&b, "\nbody\n");
	struct mime_msg m = parse_lim(b.p, b.len, NULL);
	ck_assert(m.flags & MIME_F_HEADERS);
	ck_assert_uint_le(m.n_headers, MIME_MAX_HEADERS);
	ck_assert_str_eq(m.subject, "big");
	ck_assert_str_eq((char *)m.parts[0].data, "body\n");
	free(b.p);
	/* One field longer than MIME_MAX_LINE is cut. */
	size_t n = MIME_MAX_LINE * 2;
	char *big = malloc(n + 32);
	memcpy(big, "Subject: ", 9);
	memset(big + 9, 'a', n);
	memcpy(big + 9 + n, "\n\nbody\n", 8);
	struct mime_msg l = parse(big);
	ck_assert(l.flags & MIME_F_LINE);
	ck_assert_uint_eq(strlen(l.subject), MIME_MAX_LINE);
	free(big);
}
END_TEST

START_TEST(limit_decoded_and_body_length)
{
	struct sb b = { 0 };
	sb_add(&b, "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n");
	for (int i = 0; i < 100; i++)
		sb_add(
		    &b,
		    "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n");
	struct mime_limits lim = { .max_decoded = 1000 };
	struct mime_msg m = parse_lim(b.p, b.len, &lim);
	ck_assert(m.flags & MIME_F_DECODED);
	ck_assert_uint_eq(m.parts[0].data_len, 1000);
	ck_assert_uint_eq(m.decoded_total, 1000);
	/* max body length counts the body only, and a cut asks for a rescan. */
	size_t head = strlen("Content-Type: application/octet-stream\n"
	                     "Content-Transfer-Encoding: base64\n\n");
	struct mime_limits cut = { .max_body_length = 200 };
	struct mime_msg c = parse_lim(b.p, b.len, &cut);
	ck_assert(c.flags & MIME_F_TRUNCATED);
	ck_assert_uint_eq(c.body_len, head + 200);
	ck_assert_uint_eq(c.parts[0].raw_len, 200);
	ck_assert_uint_lt(c.parts[0].data_len, 200);
	ck_assert(c.flags & MIME_F_RESCAN_MASK);
	/* A body within the limit is whole, however long the headers. */
	struct mime_limits fits = { .max_body_length = b.len - head };
	struct mime_msg f = parse_lim(b.p, b.len, &fits);
	ck_assert_uint_eq(f.flags & MIME_F_TRUNCATED, 0);
	ck_assert_uint_eq(f.body_len, b.len);
	free(b.p);
}
END_TEST

/* Checks one UTF-8 string (valid, NUL at len). */
static int utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k = c < 0x80             ? 1
		           : (c & 0xE0) == 0xC0 ? 2
		           : (c & 0xF0) == 0xE0 ? 3
		           : (c & 0xF8) == 0xF0 ? 4
		                                : 0;
		if (k == 0 || i + k > n)
			return 0;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
		i += k;
	}
	return s[n] == '\0';
}

static void msg_check_sane(const struct mime_msg *m, const char *path)
{
	ck_assert_msg(m->n_parts >= 1 && m->n_parts <= MIME_MAX_PARTS, "%s", path);
	ck_assert_int_eq(m->parts[0].parent, -1);
	ck_assert_msg(utf8_ok((const unsigned char *)m->subject, strlen(m->subject)), "%s", path);
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct mime_part *p = &m->parts[i];
		if (i > 0) {
			ck_assert_msg(p->parent >= 0 && (size_t)p->parent < i, "%s", path);
			ck_assert_int_eq(p->depth, m->parts[p->parent].depth + 1);
			ck_assert(m->parts[p->parent].is_multipart ||
			          p->encoding == MIME_ENC_UUENCODE);
		}
		ck_assert_ptr_nonnull(p->data);
		ck_assert_ptr_nonnull(p->type);
		ck_assert(utf8_ok((const unsigned char *)p->filename, strlen(p->filename)));
		if (strcmp(p->type, "text") == 0 && !p->is_multipart)
			ck_assert_msg(utf8_ok(p->data, p->data_len), "%s part %zu", path, i);
	}
}

START_TEST(corpus)
{
	const char *home = getenv("HOME");
	char pattern[1024];
	glob_t g;
	snprintf(pattern, sizeof(pattern), "%s/.cache/whorl-corpus/*/*.eml", home ? home : "/");
	if (glob(pattern, 0, NULL, &g) != 0)
		return; /* no corpus here: nothing to check */
	struct arena a;
	size_t parsed = 0;
	arena_init(&a);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "rb");
		if (f == NULL)
			continue;
		parsed++;
		static char buf[8 << 20];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		struct mime_msg m;
		arena_reset(&a);
		ck_assert_int_eq(mime_parse(&a, cache, buf, n, NULL, &m), 0);
		msg_check_sane(&m, g.gl_pathv[i]);
	}
	ck_assert_uint_eq(parsed, g.gl_pathc);
	arena_destroy(&a);
	globfree(&g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, headers_folding_lf_crlf);
	tcase_add_test(tc, headers_junk);
	tcase_add_test(tc, params_2231_2047);
	tcase_add_test(tc, multipart_nested);
	tcase_add_test(tc, message_rfc822);
	tcase_add_test(tc, multipart_missing_boundaries);
	tcase_add_test(tc, uuencoded_attachment);
	tcase_add_test(tc, wire_detect);
	tcase_add_test(tc, limit_depth);
	tcase_add_test(tc, limit_parts);
	tcase_add_test(tc, limit_headers);
	tcase_add_test(tc, limit_decoded_and_body_length);
	tcase_add_test(tc, corpus);
	suite_add_tcase(s, tc);
	return check_run(s);
}
