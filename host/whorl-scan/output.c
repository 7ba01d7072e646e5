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
#include <stdio.h>
#include <string.h>

#include "scan.h"
#include "whorl_daemon.h"

/* Longest category or subcategory name printed. */
#define OUTPUT_NAME_MAX 128

static void output_text_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");

	for (; *p != '\0'; p++) {
		if (*p == '\t')
			fputs("\\t", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\\')
			fputs("\\\\", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			putc(*p, f);
	}
}

/* v in decimal (printf's format parsing was a visible share of a run). */
static void output_uint(FILE *f, unsigned v)
{
	char digits[3 * sizeof(v) + 1], *p = digits + sizeof(digits);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	fwrite(p, 1, (size_t)(digits + sizeof(digits) - p), f);
}

static void output_file_put(void *ctx, const char *bytes, size_t n)
{
	fwrite(bytes, 1, n, ctx);
}

static void output_json_string(FILE *f, const char *s)
{
	whorl_json_string(s, output_file_put, f);
}

/* key is a literal of this file: plain ASCII, nothing to escape. */
static void output_json_key(FILE *f, const char *key, int first)
{
	fputs(first ? "{\"" : ",\"", f);
	fputs(key, f);
	fputs("\":", f);
}

void output_verdict(const struct output *o, const char *shown, const struct whorl_verdict *v)
{
	char cat[OUTPUT_NAME_MAX], sub[OUTPUT_NAME_MAX];
	int is_spam = o->minimum_score >= 0 ? v->score >= (unsigned)o->minimum_score : v->is_spam;

	whorl_host_describe_category(o->h, v->category, v->subcategory, cat, sizeof(cat), sub,
	                             sizeof(sub));
	if (!o->json) {
		output_text_string(o->f, shown);
		putc('\t', o->f);
		output_uint(o->f, v->score);
		putc('\t', o->f);
		output_text_string(o->f, cat);
		putc('/', o->f);
		output_text_string(o->f, sub);
		fputs(v->rescan ? "\t1\t" : "\t0\t", o->f);
		output_text_string(o->f, v->analysis);
		putc('\n', o->f);
		return;
	}
	output_json_key(o->f, "path", 1);
	output_json_string(o->f, shown);
	fputs(",\"score\":", o->f);
	output_uint(o->f, v->score);
	fputs(is_spam ? ",\"is_spam\":true,\"category\":" : ",\"is_spam\":false,\"category\":",
	      o->f);
	output_uint(o->f, v->category);
	fputs(",\"subcategory\":", o->f);
	output_uint(o->f, v->subcategory);
	output_json_key(o->f, "category_desc", 0);
	output_json_string(o->f, cat);
	output_json_key(o->f, "subcategory_desc", 0);
	output_json_string(o->f, sub);
	fputs(v->rescan ? ",\"rescan\":true" : ",\"rescan\":false", o->f);
	output_json_key(o->f, "analysis", 0);
	output_json_string(o->f, v->analysis);
	fputs("}\n", o->f);
}

static void output_hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void output_fpset_text(const struct output *o, const char *shown,
                              const struct whorl_fpset *fps)
{
	const struct whorl_sketch *sk;
	size_t i;

	for (i = 0; i < fps->n_fps; i++) {
		output_text_string(o->f, shown);
		fprintf(o->f, "\t%s\tv%u\t%016llx\n", whorl_fp_engine_name(fps->fps[i].engine),
		        (unsigned)fps->fps[i].algo_version, (unsigned long long)fps->fps[i].key);
	}
	for (i = 0; i < fps->n_sketches; i++) {
		sk = &fps->sketches[i];
		output_text_string(o->f, shown);
		fprintf(o->f, "\t%s\tv%u\tsketch:", whorl_fp_engine_name(sk->engine),
		        (unsigned)sk->algo_version);
		output_hex(o->f, sk->bytes, sk->len);
		putc('\n', o->f);
	}
}

/* {"path":..,"rescan":..,"fingerprints":[{"engine":..,"version":..,"key":".."}],
 *  "sketches":[{"engine":..,"version":..,"bytes":".."}]} */
static void output_fpset_json(const struct output *o, const char *shown,
                              const struct whorl_fpset *fps)
{
	const struct whorl_sketch *sk;
	size_t i;

	output_json_key(o->f, "path", 1);
	output_json_string(o->f, shown);
	fprintf(o->f, ",\"rescan\":%s,\"fingerprints\":[", fps->rescan ? "true" : "false");
	for (i = 0; i < fps->n_fps; i++)
		fprintf(o->f, "%s{\"engine\":\"%s\",\"version\":%u,\"key\":\"%016llx\"}",
		        i ? "," : "", whorl_fp_engine_name(fps->fps[i].engine),
		        (unsigned)fps->fps[i].algo_version, (unsigned long long)fps->fps[i].key);
	fputs("],\"sketches\":[", o->f);
	for (i = 0; i < fps->n_sketches; i++) {
		sk = &fps->sketches[i];
		fprintf(o->f, "%s{\"engine\":\"%s\",\"version\":%u,\"bytes\":\"", i ? "," : "",
		        whorl_fp_engine_name(sk->engine), (unsigned)sk->algo_version);
		output_hex(o->f, sk->bytes, sk->len);
		fputs("\"}", o->f);
	}
	fputs("]}\n", o->f);
}

void output_fpset(const struct output *o, const char *shown, const struct whorl_fpset *fps)
{
	if (o->json)
		output_fpset_json(o, shown, fps);
	else
		output_fpset_text(o, shown, fps);
}
