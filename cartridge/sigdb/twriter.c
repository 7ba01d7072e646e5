/*
 * twriter.c - lays out a new exact table from entries in ascending key
 * order, one shard at a time: the entries of the open shard gather in a
 * buffer, and when a key of a later shard arrives the shard is closed. A
 * closed shard equal (keys and metadata) to the shard at the same index of
 * `share` (a base with the same bits) is that very shard, referenced once
 * more; otherwise it gets a new exact-size allocation. A caller that knows a
 * shard is unchanged places the base's shard directly (sigdb_twriter_place)
 * without pushing its keys.
 *
 * So a complete file written in key order streams into shards without ever
 * holding an array of all its keys, and a delta allocates only the shards it
 * changes.
 *
 * Not for: deciding what goes in (builder.c), lookups (table.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

#define TWRITER_BUF_MIN 64 /* entries; grows when a shard is fuller */

int sigdb_twriter_init(struct sigdb_twriter *w, unsigned bits, const struct sigdb_table *share)
{
	memset(w, 0, sizeof(*w));
	if (share != NULL && share->dir != NULL && share->bits == bits)
		w->share = share;
	return sigdb_table_init(&w->t, bits);
}

static int shard_equal(const struct sigdb_shard *s, const struct sigdb_slot *v, size_t n)
{
	return s->n == n && memcmp(s->slots, v, n * sizeof(*v)) == 0;
}

static int twriter_close(struct sigdb_twriter *w)
{
	if (w->n == 0)
		return 0;
	const struct sigdb_shard *s = NULL;
	if (w->share != NULL && shard_equal(w->share->dir[w->open].s, w->buf, w->n)) {
		s = w->share->dir[w->open].s;
		sigdb_shard_ref(s);
	} else if ((s = sigdb_shard_new(w->buf, w->n)) == NULL) {
		return WHORL_ENOMEM;
	}
	w->t.dir[w->open] = (struct sigdb_dirent){ s, s->n };
	w->t.count += w->n;
	w->n = 0;
	return 0;
}

static int twriter_grow(struct sigdb_twriter *w)
{
	size_t cap = w->cap < TWRITER_BUF_MIN ? TWRITER_BUF_MIN : 2 * w->cap;
	struct sigdb_slot *buf = realloc(w->buf, cap * sizeof(*buf));
	if (buf == NULL)
		return WHORL_ENOMEM;
	w->buf = buf;
	w->cap = cap;
	return 0;
}

int sigdb_twriter_push(struct sigdb_twriter *w, uint64_t key, const struct sigdb_meta *m)
{
	if (w->any && key <= w->last_key) {
		if (key < w->last_key || w->n == 0)
			return 1;
		w->buf[w->n - 1].meta = *m; /* the last of equal keys wins */
		return 0;
	}
	uint32_t i = sigdb_shard_of(key, w->t.shift);
	int rc = i != w->open ? twriter_close(w) : 0;
	if (rc != 0)
		return rc;
	if (w->t.count + w->n >= SIGDB_MAX_ENTRIES)
		return WHORL_ELIMIT;
	if (w->n == w->cap && (rc = twriter_grow(w)) != 0)
		return rc;
	w->open = i;
	w->buf[w->n].key = key;
	w->buf[w->n].meta = *m;
	w->n++;
	w->any = 1;
	w->last_key = key;
	return 0;
}

int sigdb_twriter_place(struct sigdb_twriter *w, uint32_t i, const struct sigdb_shard *s)
{
	int rc = twriter_close(w);
	if (rc != 0)
		return rc;
	sigdb_shard_ref(s);
	sigdb_shard_unref(w->t.dir[i].s);
	w->t.dir[i] = (struct sigdb_dirent){ s, s->n };
	w->t.count += s->n;
	w->any = 1;
	/* The last key of shard i's range (wraps to UINT64_MAX for the last). */
	w->last_key = ((uint64_t)(i + 1) << w->t.shift) - 1;
	return 0;
}

int sigdb_twriter_finish(struct sigdb_twriter *w, struct sigdb_table *out)
{
	int rc = twriter_close(w);
	if (rc != 0)
		return rc;
	*out = w->t;
	memset(&w->t, 0, sizeof(w->t));
	free(w->buf);
	w->buf = NULL;
	w->n = w->cap = 0;
	return 0;
}

void sigdb_twriter_free(struct sigdb_twriter *w)
{
	free(w->buf);
	sigdb_table_release(&w->t);
	memset(w, 0, sizeof(*w));
}
