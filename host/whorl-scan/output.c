/*
 * output.c - print verdicts and fingerprints, as text or JSON lines.
 *
 * Text:  PATH<TAB>score<TAB>category/subcategory<TAB>rescan<TAB>analysis
 *        (--fingerprints: PATH<TAB>engine<TAB>v<algo><TAB><16 hex digits>,
 *        and PATH<TAB>engine<TAB>v<algo><TAB>sketch:<hex bytes> per sketch).
 *        Control characters and backslashes in PATH and analysis are
 *        written as \t, \n, \\ or \xHH so every message stays on one line.
 * JSON:  one object per message and line; strings are escaped per RFC 8259
 *        and bytes that are not valid UTF-8 become U+FFFD.
 * Runs on the printing thread only (describe_category is not thread safe).
 * Not for: deciding exit statuses (main.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scan.h"
#include "whorl_daemon.h"

/* Longest category or subcategory name printed. */
#define OUTPUT_NAME_MAX 128
/* Bytes gathered before a write to the FILE (a line is usually shorter). */
#define OUTPUT_LINE_BYTES 1024

/* A line gathered before it goes to stdio: one fwrite a line, not one per
 * field (stdio's per-call cost, locking included, was most of the cost of
 * printing a verdict). A longer line is written in pieces. */
struct line {
	FILE *f;
	size_t len;
	char b[OUTPUT_LINE_BYTES];
};

static void line_flush(struct line *l)
{
	fwrite(l->b, 1, l->len, l->f);
	l->len = 0;
}

static void line_put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->b) - l->len) {
		line_flush(l);
		if (n > sizeof(l->b)) {
			fwrite(s, 1, n, l->f);
			return;
		}
	}
	memcpy(l->b + l->len, s, n);
	l->len += n;
}

static void line_puts(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

/* For the fingerprint lines only (not the verdicts' path). */
__attribute__((format(printf, 2, 3))) static void line_printf(struct line *l, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		line_put(l, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Bytes as hex digits, "%02x" as every writer of hex in whorl does
 * (fingerprint lines and rare control bytes: not the verdicts' path). */
static void output_hex(struct line *l, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		line_printf(l, "%02x", p[i]);
}

static void output_text_string(struct line *l, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	const unsigned char *run = p; /* bytes written as they are, not yet put */

	for (; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != 0x7f && *p != '\\')
			continue;
		line_put(l, (const char *)run, (size_t)(p - run));
		run = p + 1;
		if (*p == '\t')
			line_put(l, "\\t", 2);
		else if (*p == '\n')
			line_put(l, "\\n", 2);
		else if (*p == '\\')
			line_put(l, "\\\\", 2);
		else {
			line_put(l, "\\x", 2);
			output_hex(l, p, 1);
		}
	}
	line_put(l, (const char *)run, (size_t)(p - run));
}

/* v in decimal (printf's format parsing was a visible share of a run). */
static void output_uint(struct line *l, unsigned v)
{
	char digits[3 * sizeof(v) + 1], *p = digits + sizeof(digits);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	line_put(l, p, (size_t)(digits + sizeof(digits) - p));
}

static void output_line_put(void *ctx, const char *bytes, size_t n)
{
	line_put(ctx, bytes, n);
}

static void output_json_string(struct line *l, const char *s)
{
	whorl_json_string(s, output_line_put, l);
}

/* key is a literal of this file: plain ASCII, nothing to escape. */
static void output_json_key(struct line *l, const char *key, int first)
{
	line_puts(l, first ? "{\"" : ",\"");
	line_puts(l, key);
	line_put(l, "\":", 2);
}

static void output_verdict_text(struct line *l, const char *shown, const struct whorl_verdict *v,
                                const char *cat, const char *sub)
{
	output_text_string(l, shown);
	line_put(l, "\t", 1);
	output_uint(l, v->score);
	line_put(l, "\t", 1);
	output_text_string(l, cat);
	line_put(l, "/", 1);
	output_text_string(l, sub);
	line_puts(l, v->rescan ? "\t1\t" : "\t0\t");
	output_text_string(l, v->analysis);
	line_put(l, "\n", 1);
}

static void output_verdict_json(struct line *l, const char *shown, const struct whorl_verdict *v,
                                int is_spam, const char *cat, const char *sub)
{
	output_json_key(l, "path", 1);
	output_json_string(l, shown);
	line_puts(l, ",\"score\":");
	output_uint(l, v->score);
	line_puts(l,
	          is_spam ? ",\"is_spam\":true,\"category\":" : ",\"is_spam\":false,\"category\":");
	output_uint(l, v->category);
	line_puts(l, ",\"subcategory\":");
	output_uint(l, v->subcategory);
	output_json_key(l, "category_desc", 0);
	output_json_string(l, cat);
	output_json_key(l, "subcategory_desc", 0);
	output_json_string(l, sub);
	line_puts(l, v->rescan ? ",\"rescan\":true" : ",\"rescan\":false");
	output_json_key(l, "analysis", 0);
	output_json_string(l, v->analysis);
	line_put(l, "}\n", 2);
}

void output_verdict(const struct output *o, const char *shown, const struct whorl_verdict *v)
{
	char cat[OUTPUT_NAME_MAX], sub[OUTPUT_NAME_MAX];
	int is_spam = o->minimum_score >= 0 ? v->score >= (unsigned)o->minimum_score : v->is_spam;
	struct line l;

	l.f = o->f;
	l.len = 0;
	whorl_host_describe_category(o->h, v->category, v->subcategory, cat, sizeof(cat), sub,
	                             sizeof(sub));
	if (o->json)
		output_verdict_json(&l, shown, v, is_spam, cat, sub);
	else
		output_verdict_text(&l, shown, v, cat, sub);
	line_flush(&l);
}

static void output_fpset_text(struct line *l, const char *shown, const struct whorl_fpset *fps)
{
	const struct whorl_sketch *sk;
	size_t i;

	for (i = 0; i < fps->n_fps; i++) {
		output_text_string(l, shown);
		line_printf(l, "\t%s\tv%u\t%016llx\n", whorl_fp_engine_name(fps->fps[i].engine),
		            (unsigned)fps->fps[i].algo_version,
		            (unsigned long long)fps->fps[i].key);
	}
	for (i = 0; i < fps->n_sketches; i++) {
		sk = &fps->sketches[i];
		output_text_string(l, shown);
		line_printf(l, "\t%s\tv%u\tsketch:", whorl_fp_engine_name(sk->engine),
		            (unsigned)sk->algo_version);
		output_hex(l, sk->bytes, sk->len);
		line_put(l, "\n", 1);
	}
}

/* {"path":..,"rescan":..,"fingerprints":[{"engine":..,"version":..,"key":".."}],
 *  "sketches":[{"engine":..,"version":..,"bytes":".."}]} */
static void output_fpset_json(struct line *l, const char *shown, const struct whorl_fpset *fps)
{
	const struct whorl_sketch *sk;
	size_t i;

	output_json_key(l, "path", 1);
	output_json_string(l, shown);
	line_printf(l, ",\"rescan\":%s,\"fingerprints\":[", fps->rescan ? "true" : "false");
	for (i = 0; i < fps->n_fps; i++)
		line_printf(l, "%s{\"engine\":\"%s\",\"version\":%u,\"key\":\"%016llx\"}",
		            i ? "," : "", whorl_fp_engine_name(fps->fps[i].engine),
		            (unsigned)fps->fps[i].algo_version,
		            (unsigned long long)fps->fps[i].key);
	line_puts(l, "],\"sketches\":[");
	for (i = 0; i < fps->n_sketches; i++) {
		sk = &fps->sketches[i];
		line_printf(l, "%s{\"engine\":\"%s\",\"version\":%u,\"bytes\":\"", i ? "," : "",
		            whorl_fp_engine_name(sk->engine), (unsigned)sk->algo_version);
		output_hex(l, sk->bytes, sk->len);
		line_put(l, "\"}", 2);
	}
	line_put(l, "]}\n", 3);
}

void output_fpset(const struct output *o, const char *shown, const struct whorl_fpset *fps)
{
	struct line l;

	l.f = o->f;
	l.len = 0;
	if (o->json)
		output_fpset_json(&l, shown, fps);
	else
		output_fpset_text(&l, shown, fps);
	line_flush(&l);
}
