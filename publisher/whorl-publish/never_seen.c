/*
 * never_seen.c - whorl-publish --key KEY --out MIRROR --never-seen DATABASE:
 * opens whorl-collect's database (DATABASE is the value of collect.cfg's
 * "database" line: sqlite:<path> or postgresql:<conninfo>) through the
 * collector's own storage interface (publisher/collectdb), reads every
 * fingerprint the stored reports name in `sigs seen`, and lists on stdout
 * the abuse fingerprints MIRROR publishes now that none of them named, one
 * a line:
 *   <16 hex>:<engine> category <c>.<s> published <YYYY-MM-DD>
 * with "N of M published abuse fingerprints never seen" on stderr. A
 * candidate list for expiry: nothing is expired. A database holding no
 * sigs seen at all (no gateway has `record sigs seen = yes`) would list
 * everything, so that is refused (exit 1) instead.
 *
 * Not for: the comparison itself (publisher/lib/never_seen.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../cartridge/fp/fp.h"
#include "../collectdb/store.h"
#include "../lib/publish.h"
#include "never_seen.h"

static void print_never(void *ctx, uint64_t key, unsigned engine, const struct sigdb_meta *meta)
{
	char day[16];
	time_t t = (time_t)meta->first_seen * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	fprintf(ctx, "%016llx:%s category %u.%u published %s\n", (unsigned long long)key,
	        fp_engine_name(engine), meta->category, meta->subcategory, day);
}

/* The fingerprints the database's reports name; -1 with the reason on stderr. */
static int read_seen(const char *database, struct publish_seen *seen, size_t *rows)
{
	struct store st;
	char err[512];
	if (store_open(database, STORE_EXISTING, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "whorl-publish: --never-seen: %s\n", err);
		return -1;
	}
	int rc = store_sigs_seen(&st, seen, rows);
	if (rc != 0)
		fprintf(stderr, "whorl-publish: --never-seen: %s: %s\n", st.be->name, st.err);
	else if (seen->n == 0)
		fprintf(stderr,
		        "whorl-publish: --never-seen: the collector's database holds no sigs seen "
		        "(%zu rows); gateways report them with \"record sigs seen = yes\"; nothing "
		        "listed\n",
		        *rows);
	store_close(&st);
	return rc == 0 && seen->n > 0 ? 0 : -1;
}

static int run(const char *key, const char *mirror, const char *database)
{
	char err[512] = "";
	size_t never = 0, published = 0, rows = 0;
	struct publish_seen seen = { 0 };
	struct publish_key *k = publish_key_load(key, err, sizeof err);
	int rc = 1;
	if (k == NULL)
		fprintf(stderr, "whorl-publish: %s\n", err);
	else if (read_seen(database, &seen, &rows) != 0)
		;
	else if (publish_never_seen(publish_key_public(k), mirror, &seen, print_never, stdout,
	                            &never, &published, err, sizeof err) != 0)
		fprintf(stderr, "whorl-publish: %s\n", err);
	else if (fflush(stdout) != 0)
		fprintf(stderr, "whorl-publish: writing the list failed\n");
	else {
		fprintf(stderr,
		        "whorl-publish: %zu of %zu published abuse fingerprints never seen (%zu "
		        "distinct fingerprints reported seen)\n",
		        never, published, seen.n);
		rc = 0;
	}
	publish_seen_free(&seen);
	publish_key_free(k);
	return rc;
}

int never_seen_mode(int argc, char **argv, int *rc)
{
	const char *key = NULL, *out = NULL, *database = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--key") == 0)
			key = argv[i + 1];
		else if (strcmp(argv[i], "--out") == 0)
			out = argv[i + 1];
		else if (strcmp(argv[i], "--never-seen") == 0)
			database = argv[i + 1];
		else
			return 0;
	}
	if (database == NULL || argc % 2 == 0)
		return 0;
	if (key == NULL || out == NULL) {
		fprintf(stderr, "whorl-publish: --never-seen needs --key and --out\n");
		*rc = 1;
		return 1;
	}
	*rc = run(key, out, database);
	return 1;
}
