/*
 * summary.h - what an operator looks at first, read from the store: the
 * gateways reporting (customer, host, data serial, last report and its
 * age), messages per hour by verdict category, per-engine hit rates,
 * whitelist hits, update failures, the fingerprints seen most and those
 * published but never seen. Printed
 * as text (`whorl-collect summary`) or drawn as a page (page.c).
 *
 * Not for: storing (store.c).
 */
#ifndef WHORL_COLLECT_SUMMARY_H
#define WHORL_COLLECT_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "../../cartridge/cfg/cfg.h"
#include "report.h"
#include "../collectdb/store.h"

#define SUMMARY_HOURS 24         /* the window of the hourly chart and the totals */
#define SUMMARY_MAX_GATEWAYS 500 /* gateways listed (the count is exact) */
#define SUMMARY_MAX_CATS 12      /* categories charted; the rest are summed in "other" */
#define SUMMARY_TOP_SIGS 20
#define SUMMARY_NEVER_SIGS 50 /* never-seen fingerprints listed (the count is exact) */

struct summary_gateway {
	char customer_id[COLLECT_MAX_ID], host_id[COLLECT_MAX_ID], app_name[COLLECT_MAX_ID];
	char sigs_serial[COLLECT_MAX_ID], spamdna_version[COLLECT_MAX_ID];
	uint64_t last_serial, reports, downloads_failed;
	int64_t last_seen;
	int64_t data_age; /* age of its sigs now: the last report's "mu sigs age" plus the
	                   * time since that report; -1 when it did not say */
	int clean_shutdown;
};

struct summary_sig {
	char sig[20], engine[16];
	uint64_t count;
};

/* A published abuse fingerprint no report named. */
struct summary_never {
	char sig[20], engine[16];
	unsigned category, subcategory;
	unsigned first_seen; /* day (unix days) it was first published */
};

struct summary {
	int64_t now, since;               /* the window: [since, now] */
	const struct categories *cats;    /* names of the category numbers (caller's) */
	struct summary_gateway *gateways; /* malloc'd, n_gateways */
	size_t n_gateways, total_gateways;
	uint64_t reports, messages; /* in the window */
	/* per hour (index 0 = the oldest hour of the window) and category */
	unsigned cat_nums[SUMMARY_MAX_CATS]; /* category numbers charted */
	size_t n_cats;
	uint64_t hour_total[SUMMARY_HOURS];
	uint64_t hour_cat[SUMMARY_HOURS][SUMMARY_MAX_CATS + 1]; /* + "other" */
	uint64_t engine[COLLECT_N_ENGINES];
	uint64_t wl[COLLECT_N_WL];
	uint64_t cat_total[SUMMARY_MAX_CATS + 1];
	struct summary_sig top[SUMMARY_TOP_SIGS];
	size_t n_top;
	uint64_t sigs_distinct;
	/* never seen since published (summary_never_seen); the oldest first */
	int never_state; /* SUMMARY_NEVER_* */
	char never_err[512];
	size_t n_never_total, n_published, n_never;
	struct summary_never never[SUMMARY_NEVER_SIGS];
};

#define SUMMARY_NEVER_OFF 0    /* no "mirror" configured */
#define SUMMARY_NEVER_OK 1     /* never[] and the counts are filled */
#define SUMMARY_NEVER_FAILED 2 /* never_err says why */

/* Fills *s from st for the SUMMARY_HOURS before now; the category numbers
 * are named from cats (kept, not copied). 0, or -1 (st->err). */
int summary_read(struct store *st, int64_t now, const struct categories *cats, struct summary *s);
void summary_free(struct summary *s);

/* Fills the never-seen part of *s: the abuse fingerprints the mirror
 * publishes now (verified with pk) that are not in seen (from
 * store_sigs_seen over every report kept), the SUMMARY_NEVER_SIGS published
 * longest ago listed. A mirror that cannot be read sets never_state to
 * SUMMARY_NEVER_FAILED with the reason; nothing else fails. */
void summary_never_seen(struct summary *s, const char *mirror, const uint8_t pk[32],
                        struct publish_seen *seen);
/* The same, reading seen from st first (holding mu, when not NULL, while
 * it reads the database; the mirror is read without it). Nothing when
 * mirror is "". */
#include <pthread.h>
void summary_never_from_store(struct summary *s, struct store *st, const char *mirror,
                              const uint8_t pk[32], pthread_mutex_t *mu);

/* The text form, to f. */
#include <stdio.h>
void summary_print(const struct summary *s, FILE *f);

/* A data age in seconds as the summary and the page show it ("42s",
 * "3h07m", "5d"; "unknown" when age < 0), into out[0..cap). */
void summary_age_text(int64_t age, char *out, size_t cap);

/* The HTML page with inline SVG charts, malloc'd (NULL when out of memory). */
char *summary_page(const struct summary *s);

#endif
