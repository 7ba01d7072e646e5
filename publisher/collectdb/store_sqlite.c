/*
 * store_sqlite.c - the SQLite back end of store.h: one database file in
 * WAL mode (readers never wait for the writer), synchronous=NORMAL (a
 * power cut may lose the last transactions, never corrupt the file), a busy
 * timeout so that a `whorl-collect summary` beside a running server waits
 * instead of failing.
 *
 * Not for: SQL of its own (store.c and whorl-collect write it once for both
 * back ends).
 */
#include <stdio.h>

#include <sqlite3.h>

#include "store.h"

#define SQLITE_BUSY_MS 10000

static int sqlite_exec(void *db, const char *sql, int n, const char *const *params, store_row_fn fn,
                       void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	for (int i = 0; i < n; i++)
		sqlite3_bind_text(stmt, i + 1, params[i], -1, SQLITE_TRANSIENT);
	const char *cols[32];
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int nc = sqlite3_column_count(stmt);
		nc = nc < 32 ? nc : 32;
		for (int c = 0; c < nc; c++)
			cols[c] = (const char *)sqlite3_column_text(stmt, c);
		if (fn != NULL && fn(ctx, nc, cols) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void sqlite_close(void *db)
{
	sqlite3_close(db);
}

int store_sqlite_open(const char *path, int create, void **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db,
	                    SQLITE_OPEN_READWRITE |
	                        (create == STORE_CREATE ? SQLITE_OPEN_CREATE : 0),
	                    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		         db != NULL ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
	char *msg = NULL;
	if (sqlite3_exec(db,
	                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
	                 "PRAGMA foreign_keys=ON;",
	                 NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg != NULL ? msg : "pragma failed");
		sqlite3_free(msg);
		sqlite3_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.exec = sqlite_exec,
	.close = sqlite_close,
	.id_column = "id INTEGER PRIMARY KEY",
};
