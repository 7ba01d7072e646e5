/*
 * blog.c - the change log of a builder: exact puts and deletes recorded in
 * arrival order instead of applied to a copy of the base, so a delta costs
 * memory for what it changes, not for what it keeps. At finish the log is
 * settled into the last change of each key (sorted puts, sorted deletes),
 * which builder.c merges with the base shard by shard.
 *
 * Puts only append while no delete has come (a complete file loaded out of
 * order costs 16 bytes a key and one sort). The first delete builds an index
 * key -> latest entry (open addressing over entry positions, linear probing,
 * never shrinks: a key's latest entry only moves forward), because a delete
 * must answer at once whether its key is there (the loader counts misses):
 * in the log (its latest entry is a put) or, failing that, in the base.
 *
 * Not for: keys in key order without deletes (they stream, twriter.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

#define BLOG_MAX (2 * (size_t)SIGDB_MAX_ENTRIES) /* entries, repeats included */
#define BLOG_MIN 64
#define BLOG_IDX_BITS_MIN 6
#define BLOG_IDX_MULT 0x9e3779b97f4a7c15ull /* spreads clustered test keys too */

void sigdb_blog_free(struct sigdb_blog *l)
{
	free(l->v);
	free(l->is_del);
	free(l->idx);
	memset(l, 0, sizeof(*l));
}

static int blog_grow(struct sigdb_blog *l, size_t want)
{
	if (want <= l->cap)
		return 0;
	if (want > BLOG_MAX)
		return WHORL_ELIMIT;
	struct sigdb_slot *v = realloc(l->v, want * sizeof(*v));
	if (v == NULL)
		return WHORL_ENOMEM;
	l->v = v;
	if (l->idx_bits != 0) {
		uint8_t *d = realloc(l->is_del, want);
		if (d == NULL)
			return WHORL_ENOMEM;
		l->is_del = d;
	}
	l->cap = want;
	return 0;
}

int sigdb_blog_reserve(struct sigdb_blog *l, size_t n)
{
	return blog_grow(l, l->n + (n < BLOG_MAX ? n : BLOG_MAX));
}

static size_t idx_find(const struct sigdb_blog *l, uint64_t key)
{
	size_t mask = ((size_t)1 << l->idx_bits) - 1;
	size_t i = (size_t)((key * BLOG_IDX_MULT) >> (64 - l->idx_bits));
	while (l->idx[i] != 0 && l->v[l->idx[i] - 1].key != key)
		i = (i + 1) & mask;
	return i;
}

static int idx_resize(struct sigdb_blog *l, unsigned bits)
{
	uint32_t *old = l->idx;
	size_t old_n = l->idx_bits ? (size_t)1 << l->idx_bits : 0;
	l->idx = calloc((size_t)1 << bits, sizeof(*l->idx));
	if (l->idx == NULL) {
		l->idx = old;
		return WHORL_ENOMEM;
	}
	l->idx_bits = bits;
	for (size_t i = 0; i < old_n; i++)
		if (old[i] != 0)
			l->idx[idx_find(l, l->v[old[i] - 1].key)] = old[i];
	free(old);
	return 0;
}

/* Points key's index slot at entry e (the latest for key). */
static int idx_set(struct sigdb_blog *l, size_t e)
{
	if ((l->idx_used + 1) * 2 > ((size_t)1 << l->idx_bits)) {
		int rc = idx_resize(l, l->idx_bits + 1);
		if (rc != 0)
			return rc;
	}
	size_t i = idx_find(l, l->v[e].key);
	l->idx_used += l->idx[i] == 0;
	l->idx[i] = (uint32_t)(e + 1);
	return 0;
}

/* Builds the index over the entries so far (all puts). */
static int blog_index(struct sigdb_blog *l)
{
	unsigned bits = BLOG_IDX_BITS_MIN;
	while (((size_t)1 << bits) < 2 * l->n + 2)
		bits++;
	l->is_del = calloc(l->cap ? l->cap : 1, 1);
	int rc = l->is_del == NULL ? WHORL_ENOMEM : idx_resize(l, bits);
	for (size_t e = 0; rc == 0 && e < l->n; e++)
		rc = idx_set(l, e);
	if (rc != 0) {
		free(l->idx);
		free(l->is_del);
		l->idx = NULL;
		l->is_del = NULL;
		l->idx_bits = 0;
		l->idx_used = 0;
	}
	return rc;
}

static int blog_append(struct sigdb_blog *l, uint64_t key, const struct sigdb_meta *m, int del)
{
	if (l->n == l->cap) {
		int rc = blog_grow(l, l->cap < BLOG_MIN ? BLOG_MIN : l->cap + l->cap / 2);
		if (rc != 0)
			return rc;
	}
	size_t e = l->n;
	l->v[e].key = key;
	l->v[e].meta = *m;
	if (l->idx_bits == 0) {
		l->n++;
		return 0;
	}
	int rc = idx_set(l, e);
	if (rc != 0)
		return rc;
	l->is_del[e] = (uint8_t)del;
	l->n_del += (size_t)del;
	l->n++;
	return 0;
}

int sigdb_blog_put(struct sigdb_blog *l, uint64_t key, const struct sigdb_meta *m)
{
	return blog_append(l, key, m, 0);
}

int sigdb_blog_del(struct sigdb_blog *l, uint64_t key,
                   int (*in_base)(const void *ctx, uint64_t key), const void *ctx)
{
	static const struct sigdb_meta none;
	int rc = l->idx_bits == 0 ? blog_index(l) : 0;
	if (rc != 0)
		return rc;
	uint32_t e = l->idx[idx_find(l, key)];
	int present = e != 0 ? !l->is_del[e - 1] : in_base != NULL && in_base(ctx, key);
	return present ? blog_append(l, key, &none, 1) : WHORL_ENODATA;
}

/* Keeps the last of each run of equal keys in sorted v; the new count. */
static size_t slots_dedupe_last(struct sigdb_slot *v, size_t n)
{
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && v[out - 1].key == v[i].key)
			out--;
		v[out++] = v[i];
	}
	return out;
}

/* With an index: the latest entry of each key, puts packed to the front of
 * v (in place: the write position never passes the read one), deletes out. */
static int blog_split(struct sigdb_blog *l, size_t *n_put, uint64_t **dels, size_t *n_dels)
{
	uint64_t *d = malloc((l->n_del ? l->n_del : 1) * sizeof(*d));
	size_t np = 0, nd = 0;
	if (d == NULL)
		return WHORL_ENOMEM;
	for (size_t e = 0; e < l->n; e++) {
		if (l->idx[idx_find(l, l->v[e].key)] != e + 1)
			continue;
		if (l->is_del[e])
			d[nd++] = l->v[e].key;
		else
			l->v[np++] = l->v[e];
	}
	*n_put = np;
	*dels = d;
	*n_dels = nd;
	return 0;
}

int sigdb_blog_settle(struct sigdb_blog *l, size_t *n_put, uint64_t **dels, size_t *n_dels)
{
	*dels = NULL;
	*n_dels = 0;
	if (l->idx_bits == 0) {
		int rc = sigdb_sort_slots(l->v, l->n);
		*n_put = rc == 0 ? slots_dedupe_last(l->v, l->n) : 0;
		return rc;
	}
	int rc = blog_split(l, n_put, dels, n_dels);
	if (rc == 0)
		rc = sigdb_sort_slots(l->v, *n_put);
	if (rc == 0)
		rc = sigdb_sort_u64(*dels, *n_dels);
	if (rc != 0) {
		free(*dels);
		*dels = NULL;
	}
	return rc;
}
