/*
 * whorl-collect - receives the gateways' statistics reports (the Cartridge
 * guide's Chapter 6, docs/FORMATS.md section 3), stores them in SQLite or
 * PostgreSQL and shows what they say (docs/COLLECT.md).
 *
 *   whorl-collect keygen DIR          DIR/collector.key and collector.pub
 *   whorl-collect [-c FILE] serve     run the HTTP receiver
 *   whorl-collect [-c FILE] summary   print the summary
 *   whorl-collect [-c FILE] check     check the database is consistent
 *
 * Not for: the gateway side (cartridge/stats/).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect.h"
#include "summary.h"

static void usage(void)
{
	fprintf(stderr, "usage: whorl-collect keygen DIR\n"
	                "       whorl-collect [-c collect.cfg] serve|summary|check\n");
}

static int row_num(void *ctx, int n, const char *const *c)
{
	*(uint64_t *)ctx = n > 0 && c[0] != NULL ? strtoull(c[0], NULL, 10) : 0;
	return 1;
}

/* Every report counted once in its gateway, no counts or sigs without a
 * report, no report stored twice. */
static int check_db(struct store *st)
{
	static const char *const what[] = { "reports",
		                            "gateways",
		                            "reports counted by gateways",
		                            "counts without a report",
		                            "sigs without a report",
		                            "reports stored twice" };
	static const char *const sql[] = {
		"SELECT COUNT(*) FROM reports",
		"SELECT COUNT(*) FROM gateways",
		"SELECT COALESCE(SUM(reports), 0) FROM gateways",
		"SELECT COUNT(*) FROM report_counts c WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.id = c.report_id)",
		"SELECT COUNT(*) FROM sigs_seen s WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.id = s.report_id)",
		"SELECT COUNT(*) FROM (SELECT installation_id, run_id, report_serial FROM reports GROUP BY "
		"installation_id, run_id, report_serial HAVING COUNT(*) > 1) AS d",
	};
	uint64_t v[6];
	for (int i = 0; i < 6; i++) {
		if (store_exec(st, sql[i], 0, NULL, row_num, &v[i]) != 0) {
			fprintf(stderr, "whorl-collect: %s\n", st->err);
			return 1;
		}
		printf("%s: %" PRIu64 "\n", what[i], v[i]);
	}
	int ok = v[0] == v[2] && v[3] == 0 && v[4] == 0 && v[5] == 0;
	printf("%s\n", ok ? "consistent" : "INCONSISTENT");
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *cfg_path = "collect.cfg";
	int i = 1;
	char err[1024];
	if (argc == 3 && strcmp(argv[1], "keygen") == 0) {
		if (collect_keygen(argv[2], err, sizeof(err)) != 0) {
			fprintf(stderr, "whorl-collect: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
		cfg_path = argv[i + 1];
		i += 2;
	}
	if (i + 1 != argc) {
		usage();
		return 1;
	}
	struct collect_cfg cfg;
	if (collect_cfg_load(cfg_path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "whorl-collect: %s\n", err);
		return 1;
	}
	if (strcmp(argv[i], "serve") == 0)
		return collect_serve(&cfg);
	if (strcmp(argv[i], "summary") != 0 && strcmp(argv[i], "check") != 0) {
		usage();
		return 1;
	}
	struct store st;
	if (store_open(cfg.database, STORE_CREATE, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "whorl-collect: %s\n", err);
		return 1;
	}
	int rc = 0;
	if (strcmp(argv[i], "check") == 0) {
		rc = check_db(&st);
	} else {
		struct summary s;
		if (summary_read(&st, (int64_t)time(NULL), &cfg.cats, &s) != 0) {
			fprintf(stderr, "whorl-collect: %s\n", st.err);
			rc = 1;
		} else {
			summary_never_from_store(&s, &st, cfg.mirror, cfg.publisher_pk, NULL);
			summary_print(&s, stdout);
			summary_free(&s);
		}
	}
	store_close(&st);
	return rc;
}
