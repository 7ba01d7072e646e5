/*
 * snapshot.c - life and plain accessors of an immutable snapshot: reference
 * counting, counts, memory, serials and iteration. A snapshot holds one
 * reference to each of its parts (shards, sketch segments); the last unref of the
 * snapshot drops them, and a part goes when no snapshot holds it.
 *
 * Not for: lookups (table.c, sketches.c), building (builder.c), swapping
 * (live.c).
 */
#include <stdlib.h>
#include <string.h>

#include "sigdb_int.h"

struct sigdb *sigdb_alloc(void)
{
	struct sigdb *db = calloc(1, sizeof(*db));
	if (db != NULL) {
		atomic_init(&db->refs, 1);
		atomic_init(&db->digest_state, SIGDB_DIGEST_NONE);
	}
	return db;
}

struct sigdb *sigdb_empty(void)
{
	struct sigdb *db = sigdb_alloc();
	if (db == NULL)
		return NULL;
	if (sigdb_table_init(&db->table, SIGDB_SHARD_BITS_MIN) != 0) {
		sigdb_unref(db);
		return NULL;
	}
	return db;
}

void sigdb_ref(struct sigdb *db)
{
	if (db != NULL)
		atomic_fetch_add_explicit(&db->refs, 1, memory_order_relaxed);
}

void sigdb_unref(struct sigdb *db)
{
	if (db == NULL)
		return;
	/* acq_rel: every use by other holders happens before the free. */
	if (atomic_fetch_sub_explicit(&db->refs, 1, memory_order_acq_rel) != 1)
		return;
	sigdb_table_release(&db->table); /* unrefs its shards */
	sigdb_skview_release(&db->skv);  /* unrefs its segments */
	free(db);
}

size_t sigdb_count(const struct sigdb *db)
{
	return db == NULL ? 0 : db->table.count;
}

size_t sigdb_sketch_count(const struct sigdb *db)
{
	return db == NULL ? 0 : db->skv.count;
}

size_t sigdb_memory_bytes(const struct sigdb *db)
{
	if (db == NULL)
		return 0;
	return sigdb_heap_bytes(sizeof(*db)) + sigdb_table_bytes(&db->table) +
	       sigdb_skview_bytes(&db->skv);
}

void sigdb_serial(const struct sigdb *db, enum sigdb_source src, uint64_t *complete,
                  uint64_t *incremental)
{
	int ok = db != NULL && (unsigned)src < SIGDB_N_SOURCES;
	if (complete != NULL)
		*complete = ok ? db->serial[src][0] : 0;
	if (incremental != NULL)
		*incremental = ok ? db->serial[src][1] : 0;
}

static void foreach_exact(const struct sigdb *db,
                          void (*fp_fn)(void *ctx, uint64_t key, const struct sigdb_meta *m),
                          void *ctx)
{
	const struct sigdb_table *t = &db->table;
	/* Shards in directory order hold ascending key ranges. */
	for (size_t i = 0; i < ((size_t)1 << t->bits); i++)
		for (uint32_t j = 0; j < t->dir[i].s->n; j++)
			fp_fn(ctx, t->dir[i].s->slots[j].key, &t->dir[i].s->slots[j].meta);
}

struct foreach_sk {
	void (*fn)(void *ctx, uint8_t engine, uint8_t algo, uint64_t id, const uint8_t *bytes,
	           size_t len, const struct sigdb_meta *m);
	void *ctx;
};

static void foreach_sketch(void *ctx, uint32_t h, const struct sigdb_sketches *s,
                           const struct sigdb_sketch_rec *r)
{
	const struct foreach_sk *f = ctx;
	(void)h;
	f->fn(f->ctx, r->engine, r->algo, r->id, s->store + r->offset, r->len, &r->meta);
}

void sigdb_foreach(const struct sigdb *db,
                   void (*fp_fn)(void *ctx, uint64_t key, const struct sigdb_meta *m),
                   void (*sk_fn)(void *ctx, uint8_t engine, uint8_t algo, uint64_t id,
                                 const uint8_t *bytes, size_t len, const struct sigdb_meta *m),
                   void *ctx)
{
	if (db == NULL)
		return;
	if (fp_fn != NULL)
		foreach_exact(db, fp_fn, ctx);
	if (sk_fn != NULL) {
		struct foreach_sk f = { sk_fn, ctx };
		sigdb_skview_each(&db->skv, 0, db->skv.n_seg, foreach_sketch, &f);
	}
}
