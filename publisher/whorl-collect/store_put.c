/*
 * store_put.c - whorl-collect's writes, once for both back ends (store.h
 * runs the statements; the schema is described in docs/COLLECT.md).
 *
 * A report is stored in one transaction: the replay check (a report whose
 * run already has this serial or a later one is refused), the report row,
 * its non-zero counts, its sigs seen, and the gateway row. Any failure
 * rolls back, so the database never holds half a report, and the UNIQUE
 * key (installation, run, serial) makes storing one twice impossible even
 * if two collectors share the database.
 *
 * Not for: opening the database or its schema (publisher/collectdb/store.c),
 * reading summaries (summary.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_put.h"

static int row_first(void *ctx, int n, const char *const *cols)
{
	char *out = ctx;
	snprintf(out, 32, "%s", n > 0 && cols[0] != NULL ? cols[0] : "");
	return 1;
}

/* One report_counts row, also for 0 (a data age of 0 s is a value). */
static int put_count_row(struct store *st, const char *id, const char *name, uint64_t value)
{
	char v[24];
	snprintf(v, sizeof(v), "%" PRIu64, value);
	const char *p[] = { id, name, v };
	return store_exec(st,
	                  "INSERT INTO report_counts (report_id, name, value) VALUES ($1, $2, $3)",
	                  3, p, NULL, NULL);
}

/* A counter: zero counts are not stored (the readers sum what is there). */
static int put_count(struct store *st, const char *id, const char *name, uint64_t value)
{
	return value == 0 ? 0 : put_count_row(st, id, name, value);
}

static int put_counts(struct store *st, const char *id, const struct collect_report *r)
{
	char name[64];
	int rc = 0;
	for (int s = 0; s < COLLECT_N_SCORES && rc == 0; s++) {
		snprintf(name, sizeof(name), "score %d", s);
		rc = put_count(st, id, name, r->score[s]);
	}
	for (int e = 1; e < COLLECT_N_ENGINES && rc == 0; e++) {
		snprintf(name, sizeof(name), "engine %s", collect_engine_names[e]);
		rc = put_count(st, id, name, r->engine[e]);
	}
	for (int w = 0; w < COLLECT_N_WL && rc == 0; w++) {
		snprintf(name, sizeof(name), "whitelist %s", collect_wl_names[w]);
		rc = put_count(st, id, name, r->wl[w]);
	}
	for (size_t c = 0; c < r->n_cats && rc == 0; c++) {
		if (r->cats[c].sub == COLLECT_CAT_WHOLE)
			snprintf(name, sizeof(name), "category %u", r->cats[c].cat);
		else
			snprintf(name, sizeof(name), "subcategory %u.%u", r->cats[c].cat,
			         r->cats[c].sub);
		rc = put_count(st, id, name, r->cats[c].count);
	}
	for (int d = 0; d < COLLECT_N_DOWNLOADS && rc == 0; d++)
		rc = put_count(st, id, collect_download_names[d], r->downloads[d]);
	if (rc == 0 && r->sigs_age >= 0)
		rc = put_count_row(st, id, COLLECT_SIGS_AGE_COUNT, (uint64_t)r->sigs_age);
	for (size_t i = 0; i < r->n_sigs && rc == 0; i++) {
		char sig[20], n[24];
		snprintf(sig, sizeof(sig), "%016" PRIx64, r->sigs[i].key);
		snprintf(n, sizeof(n), "%" PRIu64, r->sigs[i].count);
		const char *p[] = { id, sig, collect_engine_names[r->sigs[i].engine], n };
		rc = store_exec(st,
		                "INSERT INTO sigs_seen (report_id, sig, engine, count) VALUES "
		                "($1, $2, $3, $4)",
		                4, p, NULL, NULL);
	}
	return rc;
}

static int put_gateway(struct store *st, const struct collect_report *r, const char *addr,
                       const char *now, const char *serial)
{
	char ok[24], failed[24], lic[24], clean[4];
	snprintf(ok, sizeof(ok), "%" PRIu64, r->downloads[0] + r->downloads[1] + r->downloads[4]);
	snprintf(failed, sizeof(failed), "%" PRIu64,
	         r->downloads[2] + r->downloads[3] + r->downloads[5] + r->downloads[6]);
	snprintf(lic, sizeof(lic), "%" PRIu64, r->license_id);
	snprintf(clean, sizeof(clean), "%d", r->clean_shutdown);
	const char *p[] = { r->installation_id,
		            r->customer_id,
		            r->host_id,
		            r->app_name,
		            r->spamdna_version,
		            r->sigs_serial,
		            r->run_id,
		            serial,
		            now,
		            addr,
		            clean,
		            lic,
		            ok,
		            failed };
	return store_exec(
	    st,
	    "INSERT INTO gateways (installation_id, customer_id, host_id, app_name, "
	    "spamdna_version, sigs_serial, run_id, last_serial, first_seen, last_seen, "
	    "last_addr, clean_shutdown, license_id, downloads_ok, downloads_failed, reports) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14, 1) "
	    "ON CONFLICT (installation_id) DO UPDATE SET customer_id = excluded.customer_id, "
	    "host_id = excluded.host_id, app_name = excluded.app_name, "
	    "spamdna_version = excluded.spamdna_version, sigs_serial = excluded.sigs_serial, "
	    "run_id = excluded.run_id, last_serial = excluded.last_serial, "
	    "last_seen = excluded.last_seen, last_addr = excluded.last_addr, "
	    "clean_shutdown = excluded.clean_shutdown, license_id = excluded.license_id, "
	    "downloads_ok = excluded.downloads_ok, "
	    "downloads_failed = excluded.downloads_failed, "
	    "reports = gateways.reports + 1",
	    14, p, NULL, NULL);
}

/* Inside the transaction: everything but BEGIN/COMMIT. */
static int put_locked(struct store *st, const struct collect_report *r, const char *text,
                      const char *addr, const char *now)
{
	char serial[24], start[24], end[24], messages[24], id[32] = "";
	snprintf(serial, sizeof(serial), "%" PRIu64, r->serial);
	const char *q[] = { r->installation_id, r->run_id, serial };
	if (store_exec(st,
	               "SELECT COUNT(*) FROM reports WHERE installation_id = $1 AND run_id = $2 "
	               "AND report_serial >= $3",
	               3, q, row_first, id) != 0)
		return STORE_ERROR;
	if (strcmp(id, "0") != 0)
		return STORE_REPLAY;
	snprintf(start, sizeof(start), "%" PRId64, r->period_start);
	snprintf(end, sizeof(end), "%" PRId64, r->period_end);
	snprintf(messages, sizeof(messages), "%" PRIu64, r->messages);
	const char *p[] = { r->installation_id, r->run_id, serial, now, start, end, addr,
		            r->customer_id,     messages,  text };
	id[0] = '\0';
	if (store_exec(
	        st,
	        "INSERT INTO reports (installation_id, run_id, report_serial, received, "
	        "period_start, period_end, addr, customer_id, messages, text) VALUES ($1, $2, "
	        "$3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
	        10, p, row_first, id) != 0 ||
	    id[0] == '\0')
		return STORE_ERROR;
	if (put_counts(st, id, r) != 0 || put_gateway(st, r, addr, now, serial) != 0)
		return STORE_ERROR;
	return STORE_OK;
}

int store_put(struct store *st, const struct collect_report *r, const char *text, const char *addr,
              int64_t now)
{
	char now_s[24];
	snprintf(now_s, sizeof(now_s), "%" PRId64, now);
	if (store_exec(st, "BEGIN", 0, NULL, NULL, NULL) != 0)
		return STORE_ERROR;
	int rc = put_locked(st, r, text, addr, now_s);
	char saved[sizeof(st->err)];
	memcpy(saved, st->err, sizeof(saved));
	if (rc == STORE_OK && store_exec(st, "COMMIT", 0, NULL, NULL, NULL) == 0)
		return STORE_OK;
	store_exec(st, "ROLLBACK", 0, NULL, NULL, NULL);
	memcpy(st->err, saved, sizeof(saved));
	return rc == STORE_OK ? STORE_ERROR : rc;
}

int store_prune(struct store *st, int64_t before)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRId64, before);
	const char *p[] = { b };
	if (store_exec(st, "BEGIN", 0, NULL, NULL, NULL) != 0)
		return STORE_ERROR;
	/* Explicit deletes (SQLite may run with foreign keys off in other tools). */
	int rc = store_exec(st,
	                    "DELETE FROM report_counts WHERE report_id IN (SELECT id FROM reports "
	                    "WHERE received < $1)",
	                    1, p, NULL, NULL);
	if (rc == 0)
		rc = store_exec(st,
		                "DELETE FROM sigs_seen WHERE report_id IN (SELECT id FROM reports "
		                "WHERE received < $1)",
		                1, p, NULL, NULL);
	if (rc == 0)
		rc = store_exec(st, "DELETE FROM reports WHERE received < $1", 1, p, NULL, NULL);
	if (rc == 0 && store_exec(st, "COMMIT", 0, NULL, NULL, NULL) == 0)
		return STORE_OK;
	store_exec(st, "ROLLBACK", 0, NULL, NULL, NULL);
	return STORE_ERROR;
}
