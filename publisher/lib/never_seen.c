/*
 * never_seen.c - the fingerprints a mirror publishes that no gateway ever
 * reported seeing: the live records of the mirror's set (read back and
 * verified as a delta run would) minus a "sigs seen" list exported by
 * `whorl-collect sigs-seen` ("<16 hex>:<engine> <count>" per line). A
 * candidate list for expiry; nothing is removed here.
 *
 * Not for: reading the collector's database (whorl-collect exports it, so
 * that whorl-publish links neither SQLite nor libpq) or expiring anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cartridge/fp/fp.h"
#include "pub_internal.h"

#define SEEN_MAX ((size_t)1 << 24) /* distinct fingerprints read from the list */

struct seen_key {
	uint64_t key;
	unsigned engine;
};

static int seen_cmp(const void *a, const void *b)
{
	const struct seen_key *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->engine > y->engine) - (x->engine < y->engine);
}

static unsigned engine_id(const char *name)
{
	for (unsigned e = 1; e <= WHORL_FP_ENGINE_MAX; e++)
		if (strcmp(fp_engine_name(e), name) == 0)
			return e;
	return 0;
}

/* Reads the list into a sorted malloc'd array; -1 with err. */
static int seen_read(const char *path, struct seen_key **out, size_t *n, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 1024;
	struct seen_key *v = malloc(cap * sizeof(*v));
	char line[256], hex[17], name[16];
	*n = 0;
	while (v != NULL && fgets(line, sizeof(line), f) != NULL && *n < SEEN_MAX) {
		if (sscanf(line, "%16[0-9a-f]:%15[a-z]", hex, name) != 2 || strlen(hex) != 16 ||
		    engine_id(name) == 0)
			continue;
		if (*n == cap) {
			struct seen_key *g = realloc(v, 2 * cap * sizeof(*v));
			if (g == NULL)
				break;
			v = g;
			cap *= 2;
		}
		v[(*n)++] = (struct seen_key){ strtoull(hex, NULL, 16), engine_id(name) };
	}
	if (f != stdin)
		fclose(f);
	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	qsort(v, *n, sizeof(*v), seen_cmp);
	*out = v;
	return 0;
}

int publish_never_seen(const struct publish_key *k, const char *mirror, const char *seen_path,
                       FILE *out, size_t *n_never, size_t *n_published, char *err, size_t errlen)
{
	struct seen_key *seen = NULL;
	size_t n_seen = 0, n = 0;
	struct update_manifest m;
	uint8_t *text[UPDATE_N_SOURCES] = { 0 };
	size_t text_len[UPDATE_N_SOURCES] = { 0 };
	struct publish_set *set = publish_set_new();
	int rc = WHORL_ENOMEM;
	const struct pub_rec **recs = NULL;
	*n_never = *n_published = 0;
	if (set == NULL || seen_read(seen_path, &seen, &n_seen, err, errlen) != 0)
		goto out;
	rc = pub_mirror_read(mirror, publish_key_public(k), &m, set, text, text_len, err, errlen);
	if (rc != 0)
		goto out;
	rc = WHORL_ENOMEM;
	if ((recs = pub_set_sorted(set, &n)) == NULL && n > 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct seen_key want = { recs[i]->key, recs[i]->engine };
		if (recs[i]->meta.flags & SIGDB_F_LEGIT)
			continue; /* legitimate mail's fingerprints never "fire" */
		(*n_published)++;
		if (bsearch(&want, seen, n_seen, sizeof(*seen), seen_cmp) != NULL)
			continue;
		(*n_never)++;
		fprintf(out, "%016llx:%s category %u.%u first seen day %u\n",
		        (unsigned long long)recs[i]->key, fp_engine_name(recs[i]->engine),
		        recs[i]->meta.category, recs[i]->meta.subcategory,
		        recs[i]->meta.first_seen);
	}
	rc = 0;
out:
	free(recs);
	for (int s = 0; s < UPDATE_N_SOURCES; s++)
		free(text[s]);
	free(seen);
	publish_set_free(set);
	return rc;
}
