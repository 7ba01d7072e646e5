/*
 * store.c - opening whorl-collect's database on either back end, its
 * schema (created when missing, docs/COLLECT.md), and the one read that
 * programs other than the collector need: the fingerprints gateways
 * reported seeing (whorl-publish --never-seen, the collector's summary).
 *
 * Not for: storing reports (publisher/whorl-collect/store_put.c) or SQL of
 * a back end (store_sqlite.c, store_pg.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "store.h"

int store_exec(struct store *st, const char *sql, int n, const char *const *params, store_row_fn fn,
               void *ctx)
{
	return st->be->exec(st->db, sql, n, params, fn, ctx, st->err, sizeof(st->err));
}

static int store_schema(struct store *st)
{
	char reports[1024];
	snprintf(reports, sizeof(reports),
	         "CREATE TABLE IF NOT EXISTS reports (%s, installation_id TEXT NOT NULL, "
	         "run_id TEXT NOT NULL, report_serial BIGINT NOT NULL, received BIGINT NOT NULL, "
	         "period_start BIGINT NOT NULL, period_end BIGINT NOT NULL, addr TEXT NOT NULL, "
	         "customer_id TEXT NOT NULL, messages BIGINT NOT NULL, text TEXT NOT NULL, "
	         "UNIQUE (installation_id, run_id, report_serial))",
	         st->be->id_column);
	const char *ddl[] = {
		reports,
		"CREATE INDEX IF NOT EXISTS reports_received ON reports (received)",
		"CREATE TABLE IF NOT EXISTS report_counts (report_id BIGINT NOT NULL REFERENCES "
		"reports (id) ON DELETE CASCADE, name TEXT NOT NULL, value BIGINT NOT NULL)",
		"CREATE INDEX IF NOT EXISTS report_counts_report ON report_counts (report_id)",
		"CREATE TABLE IF NOT EXISTS sigs_seen (report_id BIGINT NOT NULL REFERENCES "
		"reports (id) ON DELETE CASCADE, sig TEXT NOT NULL, engine TEXT NOT NULL, "
		"count BIGINT NOT NULL)",
		"CREATE INDEX IF NOT EXISTS sigs_seen_report ON sigs_seen (report_id)",
		"CREATE TABLE IF NOT EXISTS gateways (installation_id TEXT PRIMARY KEY, "
		"customer_id TEXT NOT NULL, host_id TEXT NOT NULL, app_name TEXT NOT NULL, "
		"spamdna_version TEXT NOT NULL, sigs_serial TEXT NOT NULL, run_id TEXT NOT NULL, "
		"last_serial BIGINT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, "
		"last_addr TEXT NOT NULL, clean_shutdown INTEGER NOT NULL, license_id BIGINT NOT NULL, "
		"downloads_ok BIGINT NOT NULL, downloads_failed BIGINT NOT NULL, reports BIGINT NOT NULL)",
	};
	for (size_t i = 0; i < sizeof(ddl) / sizeof(ddl[0]); i++)
		if (store_exec(st, ddl[i], 0, NULL, NULL, NULL) != 0)
			return -1;
	return 0;
}

int store_open(const char *spec, int create, struct store *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	int rc;
	if (strncmp(spec, "sqlite:", 7) == 0) {
		st->be = &store_sqlite_backend;
		rc = store_sqlite_open(spec + 7, create, &st->db, err, errlen);
	} else if (strncmp(spec, "postgresql:", 11) == 0) {
		st->be = &store_pg_backend;
		rc = store_pg_open(spec + 11, &st->db, err, errlen);
	} else {
		snprintf(err, errlen, "database %s: want sqlite:<path> or postgresql:<conninfo>",
		         spec);
		return -1;
	}
	if (rc != 0)
		return -1;
	if (create == STORE_CREATE && store_schema(st) != 0) {
		snprintf(err, errlen, "creating the schema: %s", st->err);
		store_close(st);
		return -1;
	}
	return 0;
}

void store_close(struct store *st)
{
	if (st->be != NULL && st->db != NULL)
		st->be->close(st->db);
	st->db = NULL;
}


struct seen_rows {
	struct publish_seen *seen;
	size_t n_rows;
	int rc;
};

static int row_seen(void *ctx, int n, const char *const *c)
{
	struct seen_rows *r = ctx;
	r->n_rows++;
	int rc = n >= 2 ? publish_seen_add(r->seen, c[0], c[1]) : 1;
	r->rc = rc < 0 ? rc : 0;
	return rc < 0;
}

int store_sigs_seen(struct store *st, struct publish_seen *seen, size_t *n_rows)
{
	struct seen_rows r = { seen, 0, 0 };
	int rc =
	    store_exec(st, "SELECT DISTINCT sig, engine FROM sigs_seen", 0, NULL, row_seen, &r);
	*n_rows = r.n_rows;
	if (rc == 0 && r.rc != 0) {
		snprintf(st->err, sizeof(st->err), "sigs seen: %s",
		         r.rc == WHORL_ENOMEM ? "out of memory"
		                              : "more distinct fingerprints than the limit");
		return -1;
	}
	return rc;
}
