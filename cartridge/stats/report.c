/*
 * report.c - one period's statistics as the guide's Table 3 "key = value"
 * lines, in its order: identity, log messages, sizes and score counts,
 * engines, whitelists, categories, downloads, serials, sigs seen, license,
 * shutdown, installation. Key names the guide's text does not spell out
 * (scores, engines, categories) are documented in docs/FORMATS.md.
 *
 * Zero counts are left out as the guide says ("nonzero counts may not be
 * included"); a "... sizes" line appears with all its buckets as soon as
 * one is non-zero. Runs on the reporting thread; allocates freely.
 *
 * Not for: counting (counters.c) or sealing (seal.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "report.h"
#include "../fp/fp.h"

#define EXCLUDED "<excluded>"

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = b->cap - b->len;
		int n = vsnprintf(b->s != NULL ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);
		if (s == NULL) {
			b->failed = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

void sbuf_base64(struct sbuf *b, const void *bytes, size_t n)
{
	size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *tmp = malloc(need);
	if (tmp == NULL) {
		b->failed = 1;
		return;
	}
	sodium_bin2base64(tmp, need, bytes, n, sodium_base64_VARIANT_ORIGINAL);
	sbuf_printf(b, "%s", tmp);
	free(tmp);
}

static uint64_t get(const atomic_uint_fast64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* "<name> = <sum>" and "<name> sizes = b0 b1 ..." when any bucket counts. */
static int count_and_sizes(struct sbuf *b, const char *name, const atomic_uint_fast64_t *sizes)
{
	uint64_t sum = 0;
	for (int i = 0; i < STATS_N_SIZES; i++)
		sum += get(&sizes[i]);
	if (sum == 0)
		return 0;
	sbuf_printf(b, "%s = %llu\n%s sizes =", name, (unsigned long long)sum, name);
	for (int i = 0; i < STATS_N_SIZES; i++)
		sbuf_printf(b, " %llu", (unsigned long long)get(&sizes[i]));
	sbuf_printf(b, "\n");
	return 1;
}

static void report_identity(struct sbuf *b, const struct stats_identity *id)
{
	sbuf_printf(b, "customer id = %s\n", id->customer_id);
	sbuf_printf(b, "host id = %s\n", id->host_id);
	sbuf_printf(b, "report serial = %llu\n", (unsigned long long)id->report_serial);
	sbuf_printf(b, "run id = %s\n", id->run_id);
	sbuf_printf(b, "period start = %lld\nperiod end = %lld\n", (long long)id->period_start,
	            (long long)id->period_end);
	sbuf_printf(b, "spamdna version = %s\n", id->spamdna_version);
	sbuf_printf(b, "cmae version = %s\n", id->cmae_version);
	sbuf_printf(b, "application name = %s\n", id->app_name);
	sbuf_printf(b, "application version = %s\n", id->app_version);
}

static void report_messages(struct sbuf *b, const struct stats_period *p)
{
	sbuf_printf(b, "message sizes =");
	for (int i = 0; i < STATS_N_SIZES; i++)
		sbuf_printf(b, " %u", stats_size_kb[i]);
	sbuf_printf(b, "\n");
	char name[32];
	for (int s = 0; s < STATS_N_SCORES; s++) {
		snprintf(name, sizeof(name), "score %d", s);
		count_and_sizes(b, name, p->score[s]);
	}
	for (unsigned e = 1; e < STATS_N_ENGINES; e++) {
		snprintf(name, sizeof(name), "%s engine", fp_engine_name(e));
		count_and_sizes(b, name, p->engine[e]);
	}
}

static void report_whitelists(struct sbuf *b, const struct stats_period *p,
                              const struct stats_extra *x, unsigned exclude)
{
	/* The guide's order: header, envelope, body, ip. */
	static const enum wl_type order[WL_N_TYPES] = { WL_HEADER, WL_ENVELOPE, WL_BODY, WL_HOST };
	static const char *const names[WL_N_TYPES] = { "ip", "header", "body", "envelope" };
	int excluded = (exclude & CFG_EXCLUDE_WHITELIST) != 0;
	for (int k = 0; k < WL_N_KINDS; k++)
		for (int i = 0; i < WL_N_TYPES; i++) {
			const char *kind = wl_kind_name((enum wl_kind)k), *type = names[order[i]];
			if (excluded) {
				sbuf_printf(b, "%s %s whitelist = " EXCLUDED "\n", kind, type);
				continue;
			}
			char name[48];
			snprintf(name, sizeof(name), "%s %s whitelist", kind, type);
			if (!count_and_sizes(b, name, p->wl[k][order[i]]))
				sbuf_printf(b, "%s = 0\n", name);
		}
	if (excluded) {
		sbuf_printf(b, "whitelist = " EXCLUDED "\n");
		return;
	}
	if (x->entry_hits != NULL)
		sbuf_printf(b, "%s", x->entry_hits);
	if (x->whitelist_file != NULL) {
		sbuf_printf(b, "whitelist = ");
		sbuf_base64(b, x->whitelist_file, x->whitelist_len);
		sbuf_printf(b, "\n");
	}
}

static void report_categories(struct sbuf *b, const struct stats_period *p)
{
	/* Whole categories first, then pairs, each in slot order (the collector sorts). */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < STATS_CAT_SLOTS; i++) {
			unsigned key = atomic_load_explicit(&p->cats[i].key, memory_order_relaxed);
			uint64_t n = get(&p->cats[i].count);
			if (key == 0 || n == 0)
				continue;
			unsigned cat = (key - 1) >> 16, sub = (key - 1) & 0xffffu;
			if (pass == 0 && sub == STATS_CAT_WHOLE)
				sbuf_printf(b, "category %u = %llu\n", cat, (unsigned long long)n);
			else if (pass == 1 && sub != STATS_CAT_WHOLE)
				sbuf_printf(b, "subcategory %u.%u = %llu\n", cat, sub,
				            (unsigned long long)n);
		}
	if (get(&p->cats_dropped) > 0)
		sbuf_printf(b, "categories dropped = %llu\n",
		            (unsigned long long)get(&p->cats_dropped));
}

static void report_sigs(struct sbuf *b, const struct stats_period *p)
{
	int any = 0;
	for (int i = 0; i < STATS_SIG_SLOTS; i++) {
		uint64_t n = get(&p->sigs[i].count);
		if (n == 0)
			continue;
		sbuf_printf(b, "%s%016llx:%s:%llu", any ? " " : "sigs seen = ",
		            (unsigned long long)atomic_load(&p->sigs[i].key),
		            fp_engine_name(atomic_load(&p->sigs[i].engine)), (unsigned long long)n);
		any = 1;
	}
	if (any)
		sbuf_printf(b, "\n");
	if (get(&p->sigs_dropped) > 0)
		sbuf_printf(b, "sigs seen dropped = %llu\n",
		            (unsigned long long)get(&p->sigs_dropped));
}

void stats_report_text(struct sbuf *b, const struct stats_identity *id,
                       const struct stats_period *p, const struct stats_extra *x)
{
	report_identity(b, id);
	if (x->log_text != NULL && x->log_text[0] != '\0') {
		sbuf_printf(b, "log messages = ");
		sbuf_base64(b, x->log_text, strlen(x->log_text));
		sbuf_printf(b, "\n");
	}
	if (x->log_dropped > 0)
		sbuf_printf(b, "log messages dropped = %u\n", x->log_dropped);
	report_messages(b, p);
	report_whitelists(b, p, x, id->exclude);
	report_categories(b, p);
	if (x->downloads != NULL)
		sbuf_printf(b, "%s", x->downloads);
	if (x->serials != NULL)
		sbuf_printf(b, "%s", x->serials);
	if (x->sigs_seen)
		report_sigs(b, p);
	sbuf_printf(b, "http proxy auth = %s\n",
	            (id->exclude & CFG_EXCLUDE_PROXY_AUTH) ? EXCLUDED : id->http_proxy_auth);
	sbuf_printf(b, "license id = %lu\n", id->license_id);
	sbuf_printf(b, "clean shutdown = %d\n", id->clean_shutdown ? 1 : 0);
	sbuf_printf(b, "installation id = %s\n", id->installation_id);
}
