/*
 * report.h - opening and reading one statistics report as a gateway sends
 * it (docs/FORMATS.md section 3): the POST body's four keys, the base64
 * stats block, the sealed box, the zlib stream, then the Table 3 lines.
 *
 * Every step is bounded (COLLECT_MAX_*), and nothing here trusts a length
 * it did not check. A report that fails any step is refused whole, with a
 * short static reason for the log and the HTTP status.
 *
 * Not for: storing reports (store.h) or HTTP (http.c).
 */
#ifndef WHORL_COLLECT_REPORT_H
#define WHORL_COLLECT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#define COLLECT_MAX_BODY ((size_t)1 << 20) /* POST bodies past 1 MiB are refused */
#define COLLECT_MAX_TEXT ((size_t)4 << 20) /* opened text past 4 MiB is refused */
#define COLLECT_MAX_ID 128                 /* identity strings (customer id, ...) */
#define COLLECT_MAX_CATS 512               /* category and subcategory lines */
#define COLLECT_MAX_SIGS 4096              /* sigs seen entries (the gateway's table) */
#define COLLECT_N_SCORES 101
#define COLLECT_N_ENGINES 8 /* index 1-7: body ... struct */
#define COLLECT_N_WL 8      /* local/awl x header/envelope/body/ip */
#define COLLECT_N_DOWNLOADS 7
#define COLLECT_REPORT_VERSION 1

/* Engine names, index = the gateway's engine id (0 unused). */
extern const char *const collect_engine_names[COLLECT_N_ENGINES];
/* "local header", ..., "awl ip": the whitelist counters in Table 3's order. */
extern const char *const collect_wl_names[COLLECT_N_WL];
/* The seven download counter keys, in Table 3's order. */
extern const char *const collect_download_names[COLLECT_N_DOWNLOADS];

struct collect_cat {
	unsigned cat, sub; /* sub = COLLECT_CAT_WHOLE: the whole category */
	uint64_t count;
};
#define COLLECT_CAT_WHOLE 0xffffu

struct collect_sig {
	uint64_t key;
	unsigned engine;
	uint64_t count;
};

/* One report, as read. Unknown keys are skipped (a newer gateway may add
 * some), a known key with a malformed value refuses the report. */
/* The report_counts name under which a report's "mu sigs age" is stored
 * (store_put.c) and read back for the gateways' data age (summary.c). */
#define COLLECT_SIGS_AGE_COUNT "mu sigs age"

struct collect_report {
	char customer_id[COLLECT_MAX_ID], host_id[COLLECT_MAX_ID];
	char installation_id[COLLECT_MAX_ID], run_id[COLLECT_MAX_ID];
	char app_name[COLLECT_MAX_ID], spamdna_version[COLLECT_MAX_ID];
	char cmae_version[COLLECT_MAX_ID], sigs_serial[COLLECT_MAX_ID];
	uint64_t serial;
	int64_t period_start, period_end;
	uint64_t score[COLLECT_N_SCORES];
	uint64_t engine[COLLECT_N_ENGINES];
	uint64_t wl[COLLECT_N_WL];
	uint64_t downloads[COLLECT_N_DOWNLOADS];
	struct collect_cat cats[COLLECT_MAX_CATS];
	size_t n_cats;
	struct collect_sig *sigs; /* malloc'd, n_sigs; free with collect_report_free */
	size_t n_sigs;
	uint64_t license_id;
	int clean_shutdown;
	int64_t sigs_age;  /* "mu sigs age": seconds since the publisher issued the
	                    * sigs in use when the report was made; -1 when absent */
	uint64_t messages; /* sum of score[] */
};

/* Reads the POST body[0..len): checks "report = spamdna stats", "version",
 * "encoding = c,s", decodes and opens "stats" with the collector's key pair
 * and inflates it (at most COLLECT_MAX_TEXT bytes). 0 with *text malloc'd
 * (NUL terminated, *text_len bytes); else -1 and *why a static reason
 * ("sealed to another key", "not base64", ...). */
int collect_open(const char *body, size_t len, const uint8_t pk[32], const uint8_t sk[32],
                 char **text, size_t *text_len, const char **why);

/* Parses report text[0..len) into *r (zeroed here). 0, or -1 with *why.
 * A report without installation id, run id or report serial is refused. */
int collect_parse(const char *text, size_t len, struct collect_report *r, const char **why);
void collect_report_free(struct collect_report *r);

#endif
