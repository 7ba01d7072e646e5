/*
 * test_text.c - golden tests of the text layer: every case is a data file.
 *
 *   tests/data/text/html/NAME.html + NAME.expect   html_render() then
 *       text_normalise(); the .expect file has "key: value" lines, each
 *       checked when present: text (normalised visible text), hidden
 *       (yes/no), limit (yes/no), link (repeatable: "kind url", kind one of
 *       href img text form; when any link line is present the list must
 *       match exactly), skeleton.
 *   tests/data/text/normalise.tsv   input TAB expected [TAB I] (I: the
 *       TEXT_F_INVISIBLE flag must be set; without it, it must not be).
 *   tests/data/text/words.tsv       normalised TAB words joined by '|'.
 *   tests/data/text/urls.tsv        plain text TAB urls joined by '|'.
 * In .tsv inputs, \u{HHHH} (hex digits) is a code point, \xNN a raw byte, \t a tab.
 *
 * Not for: speed (tests/bench) or crash hunting (tests/fuzz).
 */
#include <check.h>

#include "check_main.h"
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/text/text.h"
#include "cartridge/text/text_internal.h"

#define MAX_FILE (1 << 20)

static char *path_of(const char *rel)
{
	static char buf[4096];
	const char *src = getenv("WHORL_SRCDIR");
	snprintf(buf, sizeof(buf), "%s/%s", src ? src : ".", rel);
	return buf;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(MAX_FILE + 1);
	size_t n = fread(buf, 1, MAX_FILE, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Decodes the escapes of a .tsv field in place; returns its length. */
static size_t unescape(char *s)
{
	char *o = s, *p = s;
	while (*p) {
		if (p[0] == '\\' && p[1] == 'u' && p[2] == '{') {
			char *end;
			unsigned long cp = strtoul(p + 3, &end, 16);
			o += text_utf8_encode((uint32_t)cp, o);
			p = end + 1;
		} else if (p[0] == '\\' && p[1] == 'x') {
			char hex[3] = { p[2], p[3], 0 };
			*o++ = (char)strtoul(hex, NULL, 16);
			p += 4;
		} else if (p[0] == '\\' && p[1] == 't') {
			*o++ = '\t';
			p += 2;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return (size_t)(o - s);
}

/* Splits a line at tabs into at most n fields. */
static int split_tabs(char *line, char **f, int n)
{
	int k = 0;
	f[k++] = line;
	for (char *p = line; *p && k < n; p++)
		if (*p == '\t') {
			*p = '\0';
			f[k++] = p + 1;
		}
	return k;
}

static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case TEXT_LINK_HREF: return "href";
	case TEXT_LINK_IMG: return "img";
	case TEXT_LINK_TEXT: return "text";
	case TEXT_LINK_FORM: return "form";
	default: return "?";
	}
}

/* text_normalise_parts() writes what text_normalise() does (want), and
 * its ranges are non-empty, in bounds, and a line's text has no space at
 * either end. */
static void same_by_parts(const char *in, size_t len, const char *want, const char *what)
{
	char *out = malloc(len + 1);
	struct text_part parts[16];
	size_t n = 99;
	size_t got = text_normalise_parts(in, len, out, parts, 16, &n, NULL);
	ck_assert_msg(got == strlen(want) && !strcmp(out, want), "%s: by parts [%s], whole [%s]",
	              what, out, want);
	ck_assert_uint_le(n, 16);
	for (size_t k = 0; k < n; k++) {
		ck_assert_uint_lt(parts[k].from, parts[k].to);
		ck_assert_uint_le(parts[k].to, got);
		ck_assert(out[parts[k].from] != ' ' && out[parts[k].to - 1] != ' ');
	}
	free(out);
}

/* ---- HTML golden files ---- */

/* One golden case: render the .html, compare with each "key: value" line of
 * its .expect. Long: one branch per kind of expectation line, each short. */
static int html_case(const char *html_path)
{
	size_t hlen, elen;
	char *html = slurp(html_path, &hlen);
	char exp_path[4096];
	snprintf(exp_path, sizeof(exp_path), "%.*s.expect", (int)(strlen(html_path) - 5),
	         html_path);
	char *exp = slurp(exp_path, &elen);
	ck_assert_msg(html && exp, "%s: missing .html or .expect", html_path);
	/* drop the trailing newline editors add to .html files */
	if (hlen > 0 && html[hlen - 1] == '\n')
		html[--hlen] = '\0';

	struct arena a;
	arena_init(&a);
	struct html_out out;
	ck_assert_int_eq(html_render(&a, html, hlen, &out), 0);
	char *norm = malloc(out.text_len + 1);
	text_normalise(out.text, out.text_len, norm, out.text_len + 1, NULL);
	same_by_parts(out.text, out.text_len, norm, html_path);

	char links[8192] = "", got_links[8192] = "";
	int any_link = 0;
	for (size_t i = 0; i < out.n_links; i++) {
		size_t l = strlen(got_links);
		snprintf(got_links + l, sizeof(got_links) - l, "%s %s\n",
		         kind_name(out.links[i].kind), out.links[i].url);
	}
	char *save = NULL;
	for (char *line = strtok_r(exp, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "text: ", 6) || !strcmp(line, "text:")) {
			const char *want = line[5] ? line + 6 : "";
			ck_assert_msg(!strcmp(norm, want),
			              "%s: text\n got: [%s]\nwant: [%s]\nraw: [%s]", html_path,
			              norm, want, out.text);
		} else if (!strncmp(line, "hidden: ", 8)) {
			int want = !strcmp(line + 8, "yes");
			ck_assert_msg(!!(out.flags & TEXT_F_HIDDEN) == want &&
			                  (out.hidden_bytes > 0) == want,
			              "%s: hidden flag %u bytes %zu, want %d", html_path, out.flags,
			              out.hidden_bytes, want);
		} else if (!strncmp(line, "limit: ", 7)) {
			int want = !strcmp(line + 7, "yes");
			ck_assert_msg(!!(out.flags & TEXT_F_LIMIT) == want, "%s: limit", html_path);
		} else if (!strncmp(line, "skeleton: ", 10)) {
			ck_assert_msg(!strcmp(out.skeleton, line + 10),
			              "%s: skeleton\n got: [%s]\nwant: [%s]", html_path,
			              out.skeleton, line + 10);
		} else if (!strncmp(line, "link: ", 6)) {
			size_t l = strlen(links);
			snprintf(links + l, sizeof(links) - l, "%s\n", line + 6);
			any_link = 1;
		} else if (!strcmp(line, "links: none")) {
			any_link = 1;
		}
	}
	if (any_link)
		ck_assert_msg(!strcmp(links, got_links), "%s: links\n got:\n%s\nwant:\n%s",
		              html_path, got_links, links);
	ck_assert(out.text[out.text_len] == '\0');
	ck_assert(out.text_len <= hlen);
	free(norm);
	free(html);
	free(exp);
	arena_destroy(&a);
	return 1;
}

START_TEST(html_golden_files)
{
	glob_t g;
	ck_assert_int_eq(glob(path_of("tests/data/text/html/*.html"), 0, NULL, &g), 0);
	ck_assert_msg(g.gl_pathc >= 30, "only %zu html cases", g.gl_pathc);
	for (size_t i = 0; i < g.gl_pathc; i++)
		html_case(g.gl_pathv[i]);
	globfree(&g);
}
END_TEST

/* ---- normalise / words / urls tables ---- */

typedef void (*tsv_fn)(char **f, int n, int lineno);

static void tsv_each(const char *rel, tsv_fn fn, int min_cases)
{
	size_t len;
	char *data = slurp(path_of(rel), &len);
	ck_assert_msg(data != NULL, "cannot read %s", rel);
	int lineno = 0, cases = 0;
	char *save = NULL;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *f[3];
		int n = split_tabs(line, f, 3);
		ck_assert_msg(n >= 2, "%s:%d: need two tab-separated fields", rel, lineno);
		fn(f, n, lineno);
		cases++;
	}
	ck_assert_msg(cases >= min_cases, "%s: only %d cases", rel, cases);
	free(data);
}

START_TEST(normalise_parts_ranges)
{
	const char *t = "Hi Jane,\r\n\r\nWind up your mates\n--------\ntoday!  \n \nRef: 12\n";
	char out[128];
	struct text_part p[8];
	size_t n = 0;
	size_t len = text_normalise_parts(t, strlen(t), out, p, 8, &n, NULL);
	ck_assert_str_eq(out, "hi jane wind up your mates today ref 12");
	ck_assert_uint_eq(len, strlen(out));
	/* lines "hi jane", "wind up your mates", "today", the paragraph of the
	 * last two (the separator line ends nothing), then "ref 12". */
	const char *want[] = { "hi jane", "wind up your mates", "today", "wind up your mates today",
		               "ref 12" };
	ck_assert_uint_eq(n, 5);
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(strlen(want[k]) == p[k].to - p[k].from &&
		                  !memcmp(out + p[k].from, want[k], strlen(want[k])),
		              "part %zu", k);
	/* At most cap ranges. */
	ck_assert_uint_eq(text_normalise_parts(t, strlen(t), out, p, 2, &n, NULL), len);
	ck_assert_uint_eq(n, 2);
}
END_TEST

static void normalise_line(char **f, int n, int lineno)
{
	size_t len = unescape(f[0]);
	unescape(f[1]);
	char out[4096];
	unsigned flags = 0;
	size_t got = text_normalise(f[0], len, out, len + 1, &flags);
	ck_assert_msg(got <= len, "line %d: output longer than input", lineno);
	ck_assert_msg(!strcmp(out, f[1]), "normalise.tsv:%d:\n got: [%s]\nwant: [%s]", lineno, out,
	              f[1]);
	char what[32];
	snprintf(what, sizeof(what), "normalise.tsv:%d", lineno);
	same_by_parts(f[0], len, out, what);
	unsigned pflags = 0;
	char *tmp = malloc(len + 1);
	struct text_part parts[4];
	size_t np;
	text_normalise_parts(f[0], len, tmp, parts, 4, &np, &pflags);
	ck_assert_uint_eq(pflags, flags);
	free(tmp);
	int want_inv = n > 2 && strchr(f[2], 'I') != NULL;
	ck_assert_msg(!!(flags & TEXT_F_INVISIBLE) == want_inv, "normalise.tsv:%d: invisible flag",
	              lineno);
}

START_TEST(normalise_table)
{
	tsv_each("tests/data/text/normalise.tsv", normalise_line, 40);
}
END_TEST

static void words_line(char **f, int n, int lineno)
{
	size_t len = unescape(f[0]);
	char got[4096] = "", join[64];
	size_t pos = 0, wlen;
	const char *w;
	while ((w = text_next_word(f[0], len, &pos, &wlen, join, sizeof(join))) != NULL) {
		size_t l = strlen(got);
		snprintf(got + l, sizeof(got) - l, "%s%.*s", l ? "|" : "", (int)wlen, w);
	}
	ck_assert_msg(!strcmp(got, f[1]), "words.tsv:%d:\n got: [%s]\nwant: [%s]", lineno, got,
	              f[1]);
}

START_TEST(words_table)
{
	tsv_each("tests/data/text/words.tsv", words_line, 8);
}
END_TEST

static void urls_line(char **f, int n, int lineno)
{
	size_t len = unescape(f[0]);
	struct arena a;
	arena_init(&a);
	struct text_link links[16];
	size_t nl = 0;
	text_find_urls(f[0], len, links, &nl, 16, &a);
	char got[4096] = "";
	for (size_t i = 0; i < nl; i++) {
		size_t l = strlen(got);
		snprintf(got + l, sizeof(got) - l, "%s%s", l ? "|" : "", links[i].url);
		ck_assert_int_eq(links[i].kind, TEXT_LINK_TEXT);
	}
	const char *want = strcmp(f[1], "-") ? f[1] : "";
	ck_assert_msg(!strcmp(got, want), "urls.tsv:%d:\n got: [%s]\nwant: [%s]", lineno, got,
	              want);
	arena_destroy(&a);
}

START_TEST(urls_table)
{
	tsv_each("tests/data/text/urls.tsv", urls_line, 8);
}
END_TEST

/* ---- properties ---- */

START_TEST(normalise_small_cap_truncates)
{
	char out[5];
	size_t n = text_normalise("Hello World", 11, out, sizeof(out), NULL);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(out, "hell");
	ck_assert_uint_eq(text_normalise("abc", 3, out, 0, NULL), 0);
	/* a multi-byte letter that does not fit is left out whole */
	n = text_normalise("ab\xe4\xb8\xad", 5, out, 4, NULL);
	ck_assert_str_eq(out, "ab");
}
END_TEST

/* ASCII text as the fast path must read it: letters lower-cased, digits
 * kept, any run of other bytes one space, none at either end. */
static size_t ascii_reference(const char *in, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	int gap = 0;
	for (size_t i = 0; i < len && n + 1 < cap; i++) {
		char c = in[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (gap && n > 0) {
				if (n + 2 >= cap)
					break;
				out[n++] = ' ';
			}
			gap = 0;
			out[n++] = c;
		} else {
			gap = 1;
		}
	}
	out[n] = '\0';
	return n;
}

/* Runs of letters and digits read eight bytes at a time: every ASCII byte
 * at every offset of runs up to 40 bytes, and output room cut anywhere. */
START_TEST(normalise_ascii_runs)
{
	char in[48], out[64], want[64];
	unsigned seed = 1;
	for (unsigned b = 0; b < 128; b++)
		for (size_t len = 1; len <= 40; len++)
			for (size_t at = 0; at < len; at++) {
				for (size_t i = 0; i < len; i++) {
					seed = seed * 1103515245u + 12345u;
					in[i] = "aZ09mQxyzAB"[(seed >> 16) % 11];
				}
				in[at] = (char)b;
				size_t cap = 1 + (seed >> 8) % (len + 2);
				size_t n = text_normalise(in, len, out, cap, NULL);
				size_t w = ascii_reference(in, len, want, cap);
				ck_assert_msg(n == w && strcmp(out, want) == 0,
				              "byte 0x%02x at %zu of %zu, cap %zu: [%s] want [%s]",
				              b, at, len, cap, out, want);
			}
}
END_TEST

/* Every code point, alone and between letters, stays within the bound. */
START_TEST(normalise_bound_all_code_points)
{
	char in[16], out[32];
	for (uint32_t cp = 0; cp < 0x110000; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		size_t n = 0;
		in[n++] = 'a';
		n += text_utf8_encode(cp, in + n);
		in[n++] = 'b';
		memset(out, 'X', sizeof(out));
		size_t got = text_normalise(in, n, out, n + 1, NULL);
		ck_assert_msg(got <= n && out[got] == '\0', "U+%04X: %zu > %zu", cp, got, n);
	}
}
END_TEST

START_TEST(entity_decode_bounds)
{
	uint32_t cp;
	ck_assert_uint_eq(html_entity_decode("&amp;", 5, 0, &cp), 5);
	ck_assert_uint_eq(cp, '&');
	ck_assert_uint_eq(html_entity_decode("&amp", 4, 0, &cp), 4);
	ck_assert_uint_eq(html_entity_decode("&copy=1", 7, 1, &cp), 0);
	ck_assert_uint_eq(html_entity_decode("&copy=1", 7, 0, &cp), 5);
	ck_assert_uint_eq(html_entity_decode("&#x56", 5, 0, &cp), 5);
	ck_assert_uint_eq(cp, 'V');
	ck_assert_uint_eq(html_entity_decode("&#150;", 6, 0, &cp), 6);
	ck_assert_uint_eq(cp, 0x2013);
	ck_assert_uint_eq(html_entity_decode("&#99999999999;", 14, 0, &cp), 14);
	ck_assert_uint_eq(cp, 0);
	ck_assert_uint_eq(html_entity_decode("&nosuch;", 8, 0, &cp), 0);
	ck_assert_uint_eq(html_entity_decode("&", 1, 0, &cp), 0);
	/* the output of every decodable reference fits in what it consumed */
	const char *samples[] = { "&#9",      "&#99",    "&#128",    "&#x80", "&#x7ff",
		                  "&#2048",   "&#xffff", "&#x10000", "&lt",   "&ne;",
		                  "&hellip;", "&euro;",  "&shy" };
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		char buf[4];
		size_t used = html_entity_decode(samples[i], strlen(samples[i]), 0, &cp);
		ck_assert_msg(used > 0, "%s", samples[i]);
		ck_assert_msg(cp == 0 || text_utf8_encode(cp, buf) <= used, "%s", samples[i]);
	}
}
END_TEST

START_TEST(style_and_colors)
{
	struct html_style st = { 0, HTML_COLOR_NONE, HTML_COLOR_NONE };
	const char *css = "color:#FFF; background-color : rgb(255, 255, 255)";
	html_style_parse(css, strlen(css), &st);
	ck_assert_int_eq(st.color, 0xFFFFFF);
	ck_assert_int_eq(st.background, 0xFFFFFF);
	ck_assert_int_eq(st.hidden, 0);
	ck_assert(html_color_hidden(0xFEFEFE, 0xFFFFFF));
	ck_assert(!html_color_hidden(0x000000, 0xFFFFFF));
	ck_assert(!html_color_hidden(HTML_COLOR_NONE, 0xFFFFFF));
	ck_assert_int_eq(html_color_parse("rgba(0,0,0,0)", 13), HTML_COLOR_TRANSPARENT);
	ck_assert_int_eq(html_color_parse("rgba(0,0,0,0.5)", 15), 0);
	ck_assert_int_eq(html_color_parse("White", 5), 0xFFFFFF);
	ck_assert_int_eq(html_color_parse("ff0000", 6), 0xFF0000);
	ck_assert_int_eq(html_color_parse("nonsense", 8), HTML_COLOR_NONE);
	const char *hide[] = { "display:none",
		               "DISPLAY: NONE !important",
		               "visibility:hidden",
		               "font-size:0",
		               "font-size:0px",
		               "font-size:1px",
		               "font-size:0.5pt",
		               "font-size:0.05em",
		               "opacity:0",
		               "opacity:0.0",
		               "height:0;overflow:hidden",
		               "max-height:0px; overflow:hidden",
		               "mso-hide:all",
		               "text-indent:-9999px",
		               "display:/* x */none" };
	for (size_t i = 0; i < sizeof(hide) / sizeof(hide[0]); i++) {
		struct html_style s = { 0, HTML_COLOR_NONE, HTML_COLOR_NONE };
		html_style_parse(hide[i], strlen(hide[i]), &s);
		ck_assert_msg(s.hidden, "%s not hidden", hide[i]);
	}
	const char *show[] = { "display:block",   "font-size:12px",   "font-size:2px",
		               "opacity:0.9",     "height:0",         "overflow:hidden",
		               "font-size:small", "text-indent:10px", "dis/**/play:none" };
	for (size_t i = 0; i < sizeof(show) / sizeof(show[0]); i++) {
		struct html_style s = { 0, HTML_COLOR_NONE, HTML_COLOR_NONE };
		html_style_parse(show[i], strlen(show[i]), &s);
		ck_assert_msg(!s.hidden, "%s hidden", show[i]);
	}
}
END_TEST

START_TEST(render_limits)
{
	struct arena a;
	arena_init(&a);
	struct html_out out;
	/* nesting deeper than the stack: no crash, limit flagged */
	size_t n = HTML_MAX_NESTING * 2;
	char *deep = malloc(n * 5 + 8);
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(deep + len, "<div>");
	len += (size_t)sprintf(deep + len, "x");
	ck_assert_int_eq(html_render(&a, deep, len, &out), 0);
	ck_assert(out.flags & TEXT_F_LIMIT);
	ck_assert_str_eq(out.text, "x");
	free(deep);
	/* more tags than HTML_MAX_TAGS */
	len = (HTML_MAX_TAGS + 10) * 3;
	char *many = malloc(len + 1);
	for (size_t i = 0; i < len; i += 3)
		memcpy(many + i, "<b>", 3);
	ck_assert_int_eq(html_render(&a, many, len, &out), 0);
	ck_assert(out.flags & TEXT_F_LIMIT);
	ck_assert_uint_le(out.skeleton_len, HTML_MAX_SKELETON);
	free(many);
	/* more links than TEXT_MAX_URLS */
	char *links = malloc((TEXT_MAX_URLS + 5) * 20);
	len = 0;
	for (int i = 0; i < TEXT_MAX_URLS + 5; i++)
		len += (size_t)sprintf(links + len, "<a href=h%d>x</a>", i);
	ck_assert_int_eq(html_render(&a, links, len, &out), 0);
	ck_assert_uint_eq(out.n_links, TEXT_MAX_URLS);
	ck_assert(out.flags & TEXT_F_LIMIT);
	free(links);
	/* an arena too small fails cleanly */
	arena_destroy(&a);
	arena_init(&a);
	a.limit = 1024;
	ck_assert_int_lt(html_render(&a, "<p>hello</p>", 12, &out), 0);
	ck_assert(out.flags & TEXT_F_NOMEM);
	arena_destroy(&a);
}
END_TEST

/* The real corpus, when present: raw bytes through both entry points. */
START_TEST(corpus_no_crash)
{
	const char *home = getenv("HOME");
	char pattern[4096];
	snprintf(pattern, sizeof(pattern), "%s/.cache/whorl-corpus/*/*.eml", home ? home : "/");
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		return; /* no corpus on this machine */
	struct arena a;
	arena_init(&a);
	char *norm = malloc(MAX_FILE + 1);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		size_t len;
		char *raw = slurp(g.gl_pathv[i], &len);
		if (raw == NULL)
			continue;
		struct html_out out;
		ck_assert_int_eq(html_render(&a, raw, len, &out), 0);
		ck_assert_uint_le(out.text_len, len);
		size_t n = text_normalise(out.text, out.text_len, norm, out.text_len + 1, NULL);
		ck_assert_uint_le(n, out.text_len);
		n = text_normalise(raw, len, norm, len + 1, NULL);
		ck_assert_uint_le(n, len);
		size_t pos = 0, wlen;
		char join[64];
		while (text_next_word(norm, n, &pos, &wlen, join, sizeof(join)) != NULL)
			ck_assert_uint_gt(wlen, 0);
		free(raw);
		arena_reset(&a);
	}
	free(norm);
	arena_destroy(&a);
	globfree(&g);
}
END_TEST

static Suite *text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("golden");
	tcase_add_test(tc, html_golden_files);
	tcase_add_test(tc, normalise_table);
	tcase_add_test(tc, normalise_parts_ranges);
	tcase_add_test(tc, words_table);
	tcase_add_test(tc, urls_table);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("properties");
	tcase_set_timeout(tp, 120);
	tcase_add_test(tp, normalise_small_cap_truncates);
	tcase_add_test(tp, normalise_ascii_runs);
	tcase_add_test(tp, normalise_bound_all_code_points);
	tcase_add_test(tp, entity_decode_bounds);
	tcase_add_test(tp, style_and_colors);
	tcase_add_test(tp, render_limits);
	tcase_add_test(tp, corpus_no_crash);
	suite_add_tcase(s, tp);
	return s;
}

int main(void)
{
	return check_run(text_suite());
}
