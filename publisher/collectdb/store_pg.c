/*
 * store_pg.c - the PostgreSQL back end of store.h, through libpq: one
 * connection, statements with text parameters (PQexecParams), results as
 * text. For sites with many gateways that want a database server.
 *
 * Not for: SQL of its own (store.c writes it once for both back ends).
 */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"

static int pg_exec(void *db, const char *sql, int n, const char *const *params, store_row_fn fn,
                   void *ctx, char *err, size_t errlen)
{
	PGresult *res = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(res);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(db));
		err[strcspn(err, "\n")] = '\0';
		PQclear(res);
		return -1;
	}
	int rows = PQntuples(res), nc = PQnfields(res);
	const char *cols[32];
	nc = nc < 32 ? nc : 32;
	for (int r = 0; fn != NULL && r < rows; r++) {
		for (int c = 0; c < nc; c++)
			cols[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
		if (fn(ctx, nc, cols) != 0)
			break;
	}
	PQclear(res);
	return 0;
}

static void pg_close(void *db)
{
	PQfinish(db);
}

/* Notices ("relation already exists, skipping") are not errors. */
static void pg_quiet(void *arg, const char *message)
{
}

int store_pg_open(const char *conninfo, void **out, char *err, size_t errlen)
{
	PGconn *c = PQconnectdb(conninfo);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "postgresql: %s",
		         c != NULL ? PQerrorMessage(c) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		PQfinish(c);
		return -1;
	}
	PQsetNoticeProcessor(c, pg_quiet, NULL);
	*out = c;
	return 0;
}

const struct store_backend store_pg_backend = {
	.name = "postgresql",
	.exec = pg_exec,
	.close = pg_close,
	.id_column = "id BIGSERIAL PRIMARY KEY",
};
