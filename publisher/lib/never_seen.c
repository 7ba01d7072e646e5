/*
 * never_seen.c - the fingerprints a mirror publishes that no gateway ever
 * reported seeing: the live abuse records of the mirror's set (read back
 * and verified as a delta run would) minus the `sigs seen` the gateways
 * reported (publish_seen, filled from the collector's database by
 * publisher/collectdb). A candidate list for expiry; nothing is removed
 * here.
 *
 * Not for: reading the collector's database (publisher/collectdb/store.c)
 * or expiring anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cartridge/fp/fp.h"
#include "pub_internal.h"

static int seen_cmp(const void *a, const void *b)
{
	const struct publish_seen_key *x = a, *y = b;
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

int publish_seen_add(struct publish_seen *s, const char *hex, const char *engine)
{
	unsigned e = engine != NULL ? engine_id(engine) : 0;
	if (e == 0 || hex == NULL || strlen(hex) != 16 || strspn(hex, "0123456789abcdef") != 16)
		return 1;
	if (s->n == PUBLISH_SEEN_MAX)
		return WHORL_ELIMIT;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct publish_seen_key *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return WHORL_ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct publish_seen_key){ strtoull(hex, NULL, 16), e };
	s->sorted = 0;
	return 0;
}

void publish_seen_free(struct publish_seen *s)
{
	free(s->v);
	*s = (struct publish_seen){ 0 };
}

int publish_never_seen(const uint8_t pk[32], const char *mirror, struct publish_seen *seen,
                       publish_never_fn fn, void *ctx, size_t *n_never, size_t *n_published,
                       char *err, size_t errlen)
{
	size_t n = 0;
	struct update_manifest m;
	uint8_t *text[UPDATE_N_SOURCES] = { 0 };
	size_t text_len[UPDATE_N_SOURCES] = { 0 };
	struct publish_set *set = publish_set_new();
	int rc = WHORL_ENOMEM;
	const struct pub_rec **recs = NULL;
	*n_never = *n_published = 0;
	if (set == NULL)
		goto out;
	if (!seen->sorted && seen->n > 0)
		qsort(seen->v, seen->n, sizeof(*seen->v), seen_cmp);
	seen->sorted = 1;
	rc = pub_mirror_read(mirror, pk, &m, set, text, text_len, err, errlen);
	if (rc != 0)
		goto out;
	rc = WHORL_ENOMEM;
	if ((recs = pub_set_sorted(set, &n)) == NULL && n > 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct publish_seen_key want = { recs[i]->key, recs[i]->engine };
		if (recs[i]->meta.flags & SIGDB_F_LEGIT)
			continue; /* legitimate mail's fingerprints never "fire" */
		(*n_published)++;
		if (seen->n > 0 && bsearch(&want, seen->v, seen->n, sizeof(*seen->v), seen_cmp))
			continue;
		(*n_never)++;
		fn(ctx, recs[i]->key, recs[i]->engine, &recs[i]->meta);
	}
	rc = 0;
out:
	if (rc == WHORL_ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(recs);
	for (int s = 0; s < UPDATE_N_SOURCES; s++)
		free(text[s]);
	publish_set_free(set);
	return rc;
}
