/*
 * summary.c - reads a summary from the store (see summary.h) with a few
 * aggregate queries that both back ends run unchanged, and prints it as
 * text. Every list it keeps is bounded (SUMMARY_*).
 *
 * Not for: the HTML page (page.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "summary.h"

static uint64_t num(const char *s)
{
	return s != NULL ? strtoull(s, NULL, 10) : 0;
}

static void copy(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s != NULL ? s : "");
}

static int row_gateway(void *ctx, int n, const char *const *c)
{
	struct summary *s = ctx;
	s->total_gateways++;
	if (n < 11 || s->n_gateways >= SUMMARY_MAX_GATEWAYS)
		return 0;
	struct summary_gateway *g = &s->gateways[s->n_gateways++];
	copy(g->customer_id, sizeof(g->customer_id), c[0]);
	copy(g->host_id, sizeof(g->host_id), c[1]);
	copy(g->app_name, sizeof(g->app_name), c[2]);
	copy(g->sigs_serial, sizeof(g->sigs_serial), c[3]);
	copy(g->spamdna_version, sizeof(g->spamdna_version), c[4]);
	g->last_serial = num(c[5]);
	g->reports = num(c[6]);
	g->downloads_failed = num(c[7]);
	g->last_seen = (int64_t)num(c[8]);
	g->clean_shutdown = (int)num(c[9]);
	long long age = c[10] != NULL ? strtoll(c[10], NULL, 10) : -1;
	g->data_age = age < 0 ? -1 : age + (s->now > g->last_seen ? s->now - g->last_seen : 0);
	return 0;
}

static int row_totals(void *ctx, int n, const char *const *c)
{
	struct summary *s = ctx;
	s->reports = num(c[0]);
	s->messages = n > 1 ? num(c[1]) : 0;
	return 1;
}

/* Hour index in the window of an hour number (unix seconds / 3600), or -1. */
static int hour_index(const struct summary *s, uint64_t hour)
{
	int64_t first = s->now / 3600 - (SUMMARY_HOURS - 1);
	int64_t i = (int64_t)hour - first;
	return i >= 0 && i < SUMMARY_HOURS ? (int)i : -1;
}

static int row_hour(void *ctx, int n, const char *const *c)
{
	struct summary *s = ctx;
	int h = hour_index(s, num(c[0]));
	if (h >= 0)
		s->hour_total[h] += num(c[1]);
	return 0;
}

/* The chart column of category `cat`, adding it while there is room. */
static size_t cat_column(struct summary *s, unsigned cat)
{
	for (size_t i = 0; i < s->n_cats; i++)
		if (s->cat_nums[i] == cat)
			return i;
	if (s->n_cats < SUMMARY_MAX_CATS) {
		s->cat_nums[s->n_cats] = cat;
		return s->n_cats++;
	}
	return SUMMARY_MAX_CATS; /* "other" */
}

static int row_hour_cat(void *ctx, int n, const char *const *c)
{
	struct summary *s = ctx;
	int h = hour_index(s, num(c[0]));
	const char *name = c[1];
	if (h < 0 || name == NULL || strncmp(name, "category ", 9) != 0)
		return 0;
	size_t col = cat_column(s, (unsigned)strtoul(name + 9, NULL, 10));
	s->hour_cat[h][col] += num(c[2]);
	s->cat_total[col] += num(c[2]);
	return 0;
}

static int row_counter(void *ctx, int n, const char *const *c)
{
	struct summary *s = ctx;
	const char *name = c[0] != NULL ? c[0] : "";
	for (int e = 1; e < COLLECT_N_ENGINES; e++)
		if (strncmp(name, "engine ", 7) == 0 &&
		    strcmp(name + 7, collect_engine_names[e]) == 0)
			s->engine[e] = num(c[1]);
	for (int w = 0; w < COLLECT_N_WL; w++)
		if (strncmp(name, "whitelist ", 10) == 0 &&
		    strcmp(name + 10, collect_wl_names[w]) == 0)
			s->wl[w] = num(c[1]);
	return 0;
}

static int row_sig(void *ctx, int n, const char *const *c)
{
	struct summary *s = ctx;
	if (s->n_top >= SUMMARY_TOP_SIGS)
		return 1;
	struct summary_sig *t = &s->top[s->n_top++];
	copy(t->sig, sizeof(t->sig), c[0]);
	copy(t->engine, sizeof(t->engine), c[1]);
	t->count = num(c[2]);
	return 0;
}

static int row_distinct(void *ctx, int n, const char *const *c)
{
	((struct summary *)ctx)->sigs_distinct = num(c[0]);
	return 1;
}

int summary_read(struct store *st, int64_t now, const struct categories *cats, struct summary *s)
{
	memset(s, 0, sizeof(*s));
	s->now = now;
	s->cats = cats;
	s->since = (now / 3600 - (SUMMARY_HOURS - 1)) * 3600;
	s->gateways = calloc(SUMMARY_MAX_GATEWAYS, sizeof(*s->gateways));
	if (s->gateways == NULL)
		return -1;
	char since[24];
	snprintf(since, sizeof(since), "%" PRId64, s->since);
	const char *p[] = { since };
	struct {
		const char *sql;
		int n;
		store_row_fn fn;
	} q[] = {
		{ "SELECT customer_id, host_id, app_name, sigs_serial, spamdna_version, last_serial, "
		  "reports, downloads_failed, last_seen, clean_shutdown, COALESCE((SELECT c.value "
		  "FROM reports r JOIN report_counts c ON c.report_id = r.id WHERE "
		  "r.installation_id = gateways.installation_id AND r.run_id = gateways.run_id AND "
		  "r.report_serial = gateways.last_serial AND c.name = '" COLLECT_SIGS_AGE_COUNT
		  "'), -1) FROM gateways ORDER BY customer_id, host_id, installation_id",
		  0, row_gateway },
		{ "SELECT COUNT(*), COALESCE(SUM(messages), 0) FROM reports WHERE received >= $1",
		  1, row_totals },
		{ "SELECT received / 3600, SUM(messages) FROM reports WHERE received >= $1 "
		  "GROUP BY received / 3600",
		  1, row_hour },
		{ "SELECT r.received / 3600, c.name, SUM(c.value) FROM reports r JOIN report_counts c ON "
		  "c.report_id = r.id WHERE r.received >= $1 AND c.name LIKE 'category %' "
		  "GROUP BY r.received / 3600, c.name ORDER BY c.name",
		  1, row_hour_cat },
		{ "SELECT c.name, SUM(c.value) FROM reports r JOIN report_counts c ON c.report_id = r.id "
		  "WHERE r.received >= $1 AND (c.name LIKE 'engine %' OR c.name LIKE 'whitelist %') "
		  "GROUP BY c.name",
		  1, row_counter },
		{ "SELECT s.sig, s.engine, SUM(s.count) AS n FROM reports r JOIN sigs_seen s ON "
		  "s.report_id = r.id WHERE r.received >= $1 GROUP BY s.sig, s.engine "
		  "ORDER BY n DESC, s.sig LIMIT 20",
		  1, row_sig },
		{ "SELECT COUNT(*) FROM (SELECT DISTINCT s.sig, s.engine FROM reports r JOIN sigs_seen s "
		  "ON s.report_id = r.id WHERE r.received >= $1) AS d",
		  1, row_distinct },
	};
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (store_exec(st, q[i].sql, q[i].n, p, q[i].fn, s) != 0) {
			summary_free(s);
			return -1;
		}
	return 0;
}

void summary_free(struct summary *s)
{
	free(s->gateways);
	s->gateways = NULL;
}

static void clock_text(int64_t t, char *out, size_t cap, const char *fmt)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, cap, fmt, &tm);
}

void summary_age_text(int64_t age, char *out, size_t cap)
{
	if (age < 0)
		snprintf(out, cap, "unknown");
	else if (age < 3600)
		snprintf(out, cap, "%llds", (long long)age);
	else if (age < 86400 * 2)
		snprintf(out, cap, "%lldh%02lldm", (long long)(age / 3600),
		         (long long)(age % 3600 / 60));
	else
		snprintf(out, cap, "%lldd", (long long)(age / 86400));
}

static void print_gateways(const struct summary *s, FILE *f)
{
	fprintf(f, "gateways reporting: %zu\n", s->total_gateways);
	if (s->n_gateways > 0)
		fprintf(f, "  %-20s %-28s %-14s %-12s %-10s %8s %8s %-22s %5s %8s\n", "customer",
		        "host", "application", "data serial", "data age", "serial", "reports",
		        "last report (age)", "clean", "upd.fail");
	for (size_t i = 0; i < s->n_gateways; i++) {
		const struct summary_gateway *g = &s->gateways[i];
		char when[32], age[48], data_age[24];
		clock_text(g->last_seen, when, sizeof(when), "%Y-%m-%d %H:%M:%S");
		snprintf(age, sizeof(age), "%s (%llds)", when + 11,
		         (long long)(s->now - g->last_seen));
		summary_age_text(g->data_age, data_age, sizeof(data_age));
		fprintf(f,
		        "  %-20.20s %-28.28s %-14.14s %-12.12s %-10s %8" PRIu64 " %8" PRIu64
		        " %-22s %5d %8" PRIu64 "\n",
		        g->customer_id, g->host_id, g->app_name, g->sigs_serial, data_age,
		        g->last_serial, g->reports, age, g->clean_shutdown, g->downloads_failed);
	}
}

static void print_hours(const struct summary *s, FILE *f)
{
	fprintf(f, "messages per hour by verdict category:\n");
	for (int h = 0; h < SUMMARY_HOURS; h++) {
		if (s->hour_total[h] == 0)
			continue;
		char when[32];
		clock_text(s->since + (int64_t)h * 3600, when, sizeof(when), "%Y-%m-%d %H:00");
		uint64_t abuse = 0;
		for (size_t c = 0; c <= SUMMARY_MAX_CATS; c++)
			abuse += s->hour_cat[h][c];
		fprintf(f, "  %s  total %" PRIu64 ", not abuse %" PRIu64, when, s->hour_total[h],
		        s->hour_total[h] > abuse ? s->hour_total[h] - abuse : 0);
		for (size_t c = 0; c < s->n_cats; c++)
			if (s->hour_cat[h][c] > 0)
				fprintf(f, ", %s (%u) %" PRIu64,
				        categories_name(s->cats, s->cat_nums[c], 0, NULL),
				        s->cat_nums[c], s->hour_cat[h][c]);
		if (s->hour_cat[h][SUMMARY_MAX_CATS] > 0)
			fprintf(f, ", other %" PRIu64, s->hour_cat[h][SUMMARY_MAX_CATS]);
		fprintf(f, "\n");
	}
}

static void print_never(const struct summary *s, FILE *f)
{
	fprintf(f, "fingerprints never seen since published: ");
	if (s->never_state == SUMMARY_NEVER_OFF) {
		fprintf(f, "not configured (collect.cfg: mirror, publisher key)\n");
		return;
	}
	if (s->never_state == SUMMARY_NEVER_FAILED) {
		fprintf(f, "cannot read the mirror: %s\n", s->never_err);
		return;
	}
	fprintf(f, "%zu of %zu published abuse fingerprints (published longest ago first):\n",
	        s->n_never_total, s->n_published);
	for (size_t i = 0; i < s->n_never; i++) {
		char day[16];
		clock_text((int64_t)s->never[i].first_seen * 86400, day, sizeof(day), "%Y-%m-%d");
		const char *sub_name = NULL;
		const char *name = categories_name(s->cats, s->never[i].category,
		                                   s->never[i].subcategory, &sub_name);
		fprintf(f, "  %s:%s %s/%s (%u.%u) published %s\n", s->never[i].sig,
		        s->never[i].engine, name, sub_name != NULL ? sub_name : "unknown",
		        s->never[i].category, s->never[i].subcategory, day);
	}
}

void summary_print(const struct summary *s, FILE *f)
{
	char when[32];
	clock_text(s->now, when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC");
	fprintf(f, "whorl-collect summary at %s (last %d hours)\n", when, SUMMARY_HOURS);
	print_gateways(s, f);
	fprintf(f, "reports: %" PRIu64 ", messages: %" PRIu64 "\n", s->reports, s->messages);
	print_hours(s, f);
	fprintf(f, "per-engine hit rates:\n");
	for (int e = 1; e < COLLECT_N_ENGINES; e++)
		fprintf(f, "  %-7s %8" PRIu64 "  %6.2f%%\n", collect_engine_names[e], s->engine[e],
		        s->messages ? 100.0 * (double)s->engine[e] / (double)s->messages : 0.0);
	fprintf(f, "whitelist hits:\n");
	for (int w = 0; w < COLLECT_N_WL; w++)
		fprintf(f, "  %-15s %8" PRIu64 "\n", collect_wl_names[w], s->wl[w]);
	fprintf(f, "update failures:");
	int any = 0;
	for (size_t i = 0; i < s->n_gateways; i++)
		if (s->gateways[i].downloads_failed > 0) {
			fprintf(f, "%s %s/%s %" PRIu64, any ? "," : "", s->gateways[i].customer_id,
			        s->gateways[i].host_id, s->gateways[i].downloads_failed);
			any = 1;
		}
	fprintf(f, "%s\n", any ? "" : " none");
	fprintf(f, "fingerprints seen most (%" PRIu64 " distinct):\n", s->sigs_distinct);
	for (size_t i = 0; i < s->n_top; i++)
		fprintf(f, "  %s:%s %" PRIu64 "\n", s->top[i].sig, s->top[i].engine,
		        s->top[i].count);
	print_never(s, f);
}
