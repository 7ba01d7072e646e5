/*
 * store.h - the database where whorl-collect keeps reports, for the
 * collector and for whorl-publish (--never-seen): one small interface, two
 * back ends chosen by the collector's "database" line (docs/COLLECT.md):
 *   sqlite:<path>          one file, WAL mode (the default)
 *   postgresql:<conninfo>  a PostgreSQL server through libpq
 * Everything above the back ends (the schema and the sigs-seen read here in
 * store.c; storing a report in one transaction, replay refusal, retention
 * and the summary queries in publisher/whorl-collect) is written once on
 * top of store_exec(), so both pass the same tests.
 *
 * Not thread safe: one connection, used by one thread at a time (the HTTP
 * server runs its handlers on one thread).
 */
#ifndef WHORL_COLLECT_STORE_H
#define WHORL_COLLECT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/publish.h"

#define STORE_MAX_PARAMS 16
#define STORE_OK 0
#define STORE_ERROR (-1)
#define STORE_REPLAY (-2) /* this report (or a later one of its run) is stored */

/* One result row: n text columns (NULL for SQL NULL). Return non-zero to stop. */
typedef int (*store_row_fn)(void *ctx, int n, const char *const *cols);

struct store_backend {
	const char *name; /* "sqlite", "postgresql" */
	/* Runs one statement with $1..$n text parameters; rows to fn (may be NULL). */
	int (*exec)(void *db, const char *sql, int n, const char *const *params, store_row_fn fn,
	            void *ctx, char *err, size_t errlen);
	void (*close)(void *db);
	const char *id_column; /* the reports.id column's DDL */
};

struct store {
	const struct store_backend *be;
	void *db;
	char err[512]; /* the last error */
};

#define STORE_CREATE 1   /* create the SQLite file and the schema when missing */
#define STORE_EXISTING 0 /* a database the collector made: nothing created */

/* Opens spec ("sqlite:<path>" or "postgresql:<conninfo>"); with
 * STORE_CREATE creates the schema when missing. 0, or -1 with the reason
 * in err. */
int store_open(const char *spec, int create, struct store *st, char *err, size_t errlen);
void store_close(struct store *st);

/* One statement (see store_backend.exec); the error goes to st->err. */
int store_exec(struct store *st, const char *sql, int n, const char *const *params, store_row_fn fn,
               void *ctx);

/* Adds every distinct fingerprint the stored reports name in `sigs seen`
 * (all the reports kept, see `retention days`) to *seen; *n_rows counts
 * the distinct rows read (those that are not a fingerprint are skipped).
 * 0, or -1 (st->err). */
int store_sigs_seen(struct store *st, struct publish_seen *seen, size_t *n_rows);

/* Backends (store_sqlite.c, store_pg.c). */
int store_sqlite_open(const char *path, int create, void **db, char *err, size_t errlen);
int store_pg_open(const char *conninfo, void **db, char *err, size_t errlen);
extern const struct store_backend store_sqlite_backend, store_pg_backend;

#endif
