/*
 * report.h - the text of one statistics report (the guide's Table 3 keys,
 * "key = value" lines) and its sealed POST body (Table 2).
 *
 * Not for: counting (stats.h), sending (post.h).
 */
#ifndef WHORL_STATS_REPORT_H
#define WHORL_STATS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "../cfg/cfg.h"

/* A growable text buffer; `failed` is set by the first allocation failure
 * and every later append is then a no-op. */
struct sbuf {
	char *s;
	size_t len, cap;
	int failed;
};
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the base64 (original alphabet, padded) of bytes[0..n). */
void sbuf_base64(struct sbuf *b, const void *bytes, size_t n);

/* Everything a report says besides the period's counts. Strings are
 * borrowed for the call. */
struct stats_identity {
	const char *customer_id;
	const char *host_id; /* FQDN, or its SHA-1 hex when anonymised */
	uint64_t report_serial;
	const char *run_id;               /* base64, new at every open: serials restart with it */
	int64_t period_start, period_end; /* unix seconds */
	const char *spamdna_version;
	const char *cmae_version;    /* "unknown" for non-CMAE hosts */
	const char *app_name;        /* "unspecified" when the host gave none */
	const char *app_version;     /* the host's version; "unknown" when none */
	unsigned long license_id;    /* 0: no license.cfg */
	int clean_shutdown;          /* the previous run shut down cleanly */
	const char *installation_id; /* base64 */
	unsigned exclude;            /* CFG_EXCLUDE_* */
	const char *http_proxy_auth; /* "none", "basic" or "ntlm" */
};

/* What the engine adds from outside the period buffers. */
struct stats_extra {
	const char *log_text; /* the period's log lines; may be NULL */
	unsigned log_dropped;
	const char *whitelist_file; /* whitelist.cfg as read; NULL: none */
	size_t whitelist_len;
	const char *entry_hits; /* "<kind> whitelist entry hits = ..." lines; may be NULL */
	const char *downloads;  /* the seven download counter lines */
	const char *serials;    /* "mu <source> serial = c.i" lines */
	int sigs_seen;          /* "record sigs seen" is on */
};

/* Appends the report's lines for period p to b, in Table 3's order. */
void stats_report_text(struct sbuf *b, const struct stats_identity *id,
                       const struct stats_period *p, const struct stats_extra *x);

/* The POST body (Table 2): "report = spamdna stats", "version", "encoding =
 * c,s" and "stats" = base64(crypto_box_seal(zlib(text), pk)). 0 with
 * *body malloc'd, or WHORL_ENOMEM / WHORL_EFORMAT (compression or sealing
 * failed: *stage says which, for the guide's ERROR lines). */
int stats_seal(const char *text, size_t len, const uint8_t pk[32], char **body, size_t *body_len,
               const char **stage);

#endif
