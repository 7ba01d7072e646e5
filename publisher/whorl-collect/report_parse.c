/*
 * report_parse.c - the Table 3 lines of an opened report into a struct
 * collect_report (see report.h). Bounded by the text's length and the
 * COLLECT_MAX_* table sizes; numbers are decimal digits with overflow
 * checks; strings are copied with their length checked.
 *
 * Not for: opening the sealed block (report.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct line {
	const char *key, *value;
	size_t key_len, value_len;
};

static int u64_parse(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A count that may be "<excluded>" (read as 0). */
static int count_parse(const struct line *l, uint64_t *out)
{
	if (l->value_len == 10 && memcmp(l->value, "<excluded>", 10) == 0) {
		*out = 0;
		return 0;
	}
	return u64_parse(l->value, l->value_len, out);
}

static int str_copy(char *dst, size_t cap, const struct line *l)
{
	if (l->value_len >= cap)
		return -1;
	for (size_t i = 0; i < l->value_len; i++)
		if ((unsigned char)l->value[i] < 0x20)
			return -1;
	memcpy(dst, l->value, l->value_len);
	dst[l->value_len] = '\0';
	return 0;
}

static int key_is(const struct line *l, const char *k)
{
	size_t n = strlen(k);
	return l->key_len == n && memcmp(l->key, k, n) == 0;
}

/* The key starts with prefix and the rest is a decimal number < limit. */
static int key_number(const struct line *l, const char *prefix, uint64_t limit, uint64_t *n)
{
	size_t p = strlen(prefix);
	return l->key_len > p && memcmp(l->key, prefix, p) == 0 &&
	       u64_parse(l->key + p, l->key_len - p, n) == 0 && *n < limit;
}

static int parse_sigs(const struct line *l, struct collect_report *r)
{
	r->sigs = calloc(COLLECT_MAX_SIGS, sizeof(*r->sigs));
	if (r->sigs == NULL)
		return -1;
	const char *p = l->value, *end = l->value + l->value_len;
	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *item_end = sp != NULL ? sp : end;
		const char *c1 = memchr(p, ':', (size_t)(item_end - p));
		const char *c2 =
		    c1 != NULL ? memchr(c1 + 1, ':', (size_t)(item_end - c1 - 1)) : NULL;
		if (c2 == NULL || c1 - p != 16 || r->n_sigs >= COLLECT_MAX_SIGS)
			return -1;
		struct collect_sig *s = &r->sigs[r->n_sigs];
		char hex[17];
		memcpy(hex, p, 16);
		hex[16] = '\0';
		char *hex_end;
		s->key = strtoull(hex, &hex_end, 16);
		if (*hex_end != '\0' || strspn(hex, "0123456789abcdefABCDEF") != 16)
			return -1;
		s->engine = 0;
		for (unsigned e = 1; e < COLLECT_N_ENGINES; e++)
			if ((size_t)(c2 - c1 - 1) == strlen(collect_engine_names[e]) &&
			    memcmp(c1 + 1, collect_engine_names[e], (size_t)(c2 - c1 - 1)) == 0)
				s->engine = e;
		if (s->engine == 0 ||
		    u64_parse(c2 + 1, (size_t)(item_end - c2 - 1), &s->count) != 0)
			return -1;
		r->n_sigs++;
		p = item_end + 1;
	}
	return 0;
}

static int parse_category(const struct line *l, struct collect_report *r)
{
	uint64_t cat, sub = COLLECT_CAT_WHOLE, n;
	const char *dot;
	if (r->n_cats >= COLLECT_MAX_CATS || u64_parse(l->value, l->value_len, &n) != 0)
		return -1;
	if (key_number(l, "category ", 10000, &cat)) {
		/* whole category */
	} else if (l->key_len > 12 && memcmp(l->key, "subcategory ", 12) == 0 &&
	           (dot = memchr(l->key + 12, '.', l->key_len - 12)) != NULL &&
	           u64_parse(l->key + 12, (size_t)(dot - l->key - 12), &cat) == 0 &&
	           u64_parse(dot + 1, (size_t)(l->key + l->key_len - dot - 1), &sub) == 0 &&
	           cat < 10000 && sub < 10000) {
		/* a pair */
	} else {
		return -1;
	}
	r->cats[r->n_cats++] = (struct collect_cat){ (unsigned)cat, (unsigned)sub, n };
	return 0;
}

/* Known identity and number keys; 1 when taken, 0 when not this kind, -1 bad. */
static int parse_identity(const struct line *l, struct collect_report *r)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{ "customer id", offsetof(struct collect_report, customer_id) },
		{ "host id", offsetof(struct collect_report, host_id) },
		{ "installation id", offsetof(struct collect_report, installation_id) },
		{ "run id", offsetof(struct collect_report, run_id) },
		{ "application name", offsetof(struct collect_report, app_name) },
		{ "spamdna version", offsetof(struct collect_report, spamdna_version) },
		{ "cmae version", offsetof(struct collect_report, cmae_version) },
		{ "mu sigs serial", offsetof(struct collect_report, sigs_serial) },
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (key_is(l, strs[i].key))
			return str_copy((char *)r + strs[i].off, COLLECT_MAX_ID, l) == 0 ? 1 : -1;
	uint64_t v;
	if (key_is(l, "report serial"))
		return u64_parse(l->value, l->value_len, &r->serial) == 0 && r->serial > 0 ? 1 : -1;
	if (key_is(l, "period start") || key_is(l, "period end")) {
		if (u64_parse(l->value, l->value_len, &v) != 0 || v > INT64_MAX)
			return -1;
		*(key_is(l, "period start") ? &r->period_start : &r->period_end) = (int64_t)v;
		return 1;
	}
	if (key_is(l, "mu sigs age")) {
		if (u64_parse(l->value, l->value_len, &v) != 0 || v > INT64_MAX)
			return -1;
		r->sigs_age = (int64_t)v;
		return 1;
	}
	if (key_is(l, "license id"))
		return u64_parse(l->value, l->value_len, &r->license_id) == 0 ? 1 : -1;
	if (key_is(l, "clean shutdown")) {
		if (u64_parse(l->value, l->value_len, &v) != 0 || v > 1)
			return -1;
		r->clean_shutdown = (int)v;
		return 1;
	}
	return 0;
}

/* Counter keys; 1 taken, 0 not a counter, -1 bad. */
static int parse_counter(const struct line *l, struct collect_report *r)
{
	uint64_t n;
	char name[96];
	if (key_number(l, "score ", COLLECT_N_SCORES, &n))
		return u64_parse(l->value, l->value_len, &r->score[n]) == 0 ? 1 : -1;
	for (unsigned e = 1; e < COLLECT_N_ENGINES; e++) {
		snprintf(name, sizeof(name), "%s engine", collect_engine_names[e]);
		if (key_is(l, name))
			return u64_parse(l->value, l->value_len, &r->engine[e]) == 0 ? 1 : -1;
	}
	for (unsigned w = 0; w < COLLECT_N_WL; w++) {
		snprintf(name, sizeof(name), "%s whitelist", collect_wl_names[w]);
		if (key_is(l, name))
			return count_parse(l, &r->wl[w]) == 0 ? 1 : -1;
	}
	for (unsigned d = 0; d < COLLECT_N_DOWNLOADS; d++)
		if (key_is(l, collect_download_names[d]))
			return u64_parse(l->value, l->value_len, &r->downloads[d]) == 0 ? 1 : -1;
	if ((l->key_len > 9 && memcmp(l->key, "category ", 9) == 0) ||
	    (l->key_len > 12 && memcmp(l->key, "subcategory ", 12) == 0))
		return parse_category(l, r) == 0 ? 1 : -1;
	if (key_is(l, "sigs seen"))
		return r->sigs == NULL && parse_sigs(l, r) == 0 ? 1 : -1;
	return 0;
}

int collect_parse(const char *text, size_t len, struct collect_report *r, const char **why)
{
	memset(r, 0, sizeof(*r));
	r->sigs_age = -1;
	for (size_t at = 0; at < len;) {
		const char *s = text + at, *nl = memchr(s, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - at;
		at += n + 1;
		const char *eq = memchr(s, '=', n);
		if (eq == NULL || eq == s || eq[-1] != ' ' || (size_t)(eq - s) + 2 > n ||
		    eq[1] != ' ')
			continue; /* not "key = value": skipped */
		struct line l = { s, eq + 2, (size_t)(eq - s) - 1, n - (size_t)(eq - s) - 2 };
		int rc = parse_identity(&l, r);
		if (rc == 0)
			rc = parse_counter(&l, r);
		if (rc < 0) {
			*why = "malformed value";
			collect_report_free(r);
			return -1;
		}
	}
	for (int s = 0; s < COLLECT_N_SCORES; s++)
		r->messages += r->score[s];
	*why = r->installation_id[0] == '\0' ? "no installation id"
	       : r->run_id[0] == '\0'        ? "no run id"
	       : r->serial == 0              ? "no report serial"
	                                     : NULL;
	if (*why != NULL) {
		collect_report_free(r);
		return -1;
	}
	return 0;
}

void collect_report_free(struct collect_report *r)
{
	free(r->sigs);
	r->sigs = NULL;
	r->n_sigs = 0;
}
