/*
 * builder.c - a mutable, single-threaded set of fingerprints that freezes
 * into an immutable snapshot (sigdb_builder_finish), sharing with a base
 * snapshot every part it did not change.
 *
 * Two kinds of builder:
 *
 * - On a base (sigdb_builder_new(base), a delta): the base's content carries
 *   over, but it is not copied. Exact puts and deletes go to a change log
 *   (blog.c). At finish the log is settled (last change of each key wins)
 *   and walked shard by shard: a shard without changes is the base's shard,
 *   referenced once more; a changed shard is merged from the base's shard
 *   and its changes into a new exact-size allocation (twriter.c). The base's
 *   shard bits are kept unless the count moved far from the target of
 *   SIGDB_SHARD_TARGET keys per shard (then every shard is rebuilt).
 *   Sketches are copied into the builder only when the delta touches one;
 *   otherwise the new snapshot shares the base's sketch part whole.
 *
 * - Replacing (sigdb_builder_new_replace(base), a complete file; also
 *   sigdb_builder_new(NULL)): the content starts empty and base is only a
 *   source of parts to share. Exact puts in ascending key order stream
 *   straight into shards (twriter.c), each closed shard equal to base's
 *   shard at the same index being base's shard: no array of all keys is ever
 *   held. A key out of order turns what was streamed so far into the change
 *   log, sorted at finish and still shared where equal. Streaming needs the
 *   shard bits up front: base's bits, or from the count hint of
 *   sigdb_builder_reserve when there is no base or when the hint is far from
 *   base's count. With neither, puts go to the log (sorted once at finish).
 *   If the count at finish is far from what the bits were chosen for, the
 *   table is laid out again with fitting bits (only costs memory when
 *   nothing could be shared anyway). Sketches that repeat base's in its
 *   order are only compared, not stored (bsk_match.c): a complete file with
 *   the live sketches shares their part without copying it. Otherwise a
 *   finished sketch part equal to base's is dropped for base's.
 *
 * Not for: concurrent use (one thread per builder), lookups at scan time.
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

struct sigdb_builder {
	struct sigdb *content;      /* entries carried over: a delta's base, or NULL */
	struct sigdb *share;        /* parts to share: content, or a replaced base */
	int started;                /* the first exact change chose the mode */
	int streaming;              /* exact puts go to w */
	struct sigdb_twriter w;
	size_t hint;                /* count hint from reserve (0: none) */
	struct sigdb_blog log;
	struct sigdb_bsketches sk;
	int sk_own;                 /* sk is the whole sketch set (else content's is) */
	struct sigdb_skmatch skm;   /* replacing: sketches so far repeat share's first
	                               skm.n, which sk does not hold (bsk_match.c) */
	uint64_t serial[SIGDB_N_SOURCES][2];
};

static struct sigdb_builder *builder_new(const struct sigdb *content, const struct sigdb *share)
{
	struct sigdb_builder *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->content = (struct sigdb *)content;
	b->share = (struct sigdb *)share;
	sigdb_ref(b->content);
	sigdb_ref(b->share);
	b->sk_own = content == NULL;
	sigdb_skmatch_init(&b->skm, content == NULL ? share : NULL);
	if (content != NULL)
		memcpy(b->serial, content->serial, sizeof(b->serial));
	return b;
}

struct sigdb_builder *sigdb_builder_new(const struct sigdb *base)
{
	return builder_new(base, base);
}

struct sigdb_builder *sigdb_builder_new_replace(const struct sigdb *base)
{
	return builder_new(NULL, base);
}

void sigdb_builder_free(struct sigdb_builder *b)
{
	if (b == NULL)
		return;
	sigdb_twriter_free(&b->w);
	sigdb_blog_free(&b->log);
	sigdb_bsketches_free(&b->sk);
	sigdb_skmatch_free(&b->skm);
	sigdb_unref(b->content);
	sigdb_unref(b->share);
	free(b);
}

/* Keeps bits `have` when the wanted ones are within one of it (12-24 keys
 * per shard stretched to 6-48): sharing is worth more than the exact fit. */
static unsigned bits_keep(unsigned have, unsigned want)
{
	return have != 0 && want + 1 >= have && want <= have + 1 ? have : want;
}

static unsigned share_bits(const struct sigdb_builder *b)
{
	return b->share != NULL ? b->share->table.bits : 0;
}

/* The first exact change: a replacing builder streams when it can tell the
 * bits (a base or a count hint). */
static int builder_start(struct sigdb_builder *b)
{
	b->started = 1;
	if (b->content != NULL || (b->share == NULL && b->hint == 0))
		return 0;
	unsigned bits = b->hint != 0 ? bits_keep(share_bits(b), sigdb_table_bits_for(b->hint))
	                             : share_bits(b);
	int rc = sigdb_twriter_init(&b->w, bits, b->share ? &b->share->table : NULL);
	b->streaming = rc == 0;
	return rc;
}

/* A key came out of order: what was streamed so far goes to the log. */
static int builder_unstream(struct sigdb_builder *b)
{
	struct sigdb_twriter *w = &b->w;
	int rc = sigdb_blog_reserve(&b->log, w->t.count + w->n + 1);
	for (size_t i = 0; rc == 0 && i < ((size_t)1 << w->t.bits); i++)
		for (uint32_t j = 0; rc == 0 && j < w->t.dir[i].s->n; j++)
			rc = sigdb_blog_put(&b->log, w->t.dir[i].s->slots[j].key, &w->t.dir[i].s->slots[j].meta);
	for (size_t j = 0; rc == 0 && j < w->n; j++)
		rc = sigdb_blog_put(&b->log, w->buf[j].key, &w->buf[j].meta);
	if (rc != 0)
		return rc;
	sigdb_twriter_free(w);
	b->streaming = 0;
	return 0;
}

int sigdb_builder_reserve(struct sigdb_builder *b, size_t n)
{
	if (b == NULL)
		return WHORL_EINVAL;
	if (n > SIGDB_MAX_ENTRIES)
		n = SIGDB_MAX_ENTRIES;
	if (!b->started) {
		b->hint += n;
		return 0;
	}
	return b->streaming ? 0 : sigdb_blog_reserve(&b->log, n);
}

int sigdb_builder_put(struct sigdb_builder *b, uint64_t key, const struct sigdb_meta *m)
{
	if (b == NULL || m == NULL)
		return WHORL_EINVAL;
	int rc = b->started ? 0 : builder_start(b);
	if (rc == 0 && b->streaming) {
		if ((rc = sigdb_twriter_push(&b->w, key, m)) != 1)
			return rc;
		rc = builder_unstream(b);
	}
	if (rc == 0 && b->log.n == 0 && b->hint != 0 && b->content == NULL)
		rc = sigdb_blog_reserve(&b->log, b->hint);   /* a complete file out of order */
	return rc != 0 ? rc : sigdb_blog_put(&b->log, key, m);
}

static int in_content(const void *ctx, uint64_t key)
{
	return sigdb_lookup(ctx, key, NULL);
}

int sigdb_builder_del(struct sigdb_builder *b, uint64_t key)
{
	if (b == NULL)
		return WHORL_EINVAL;
	b->started = 1;
	int rc = b->streaming ? builder_unstream(b) : 0;
	return rc != 0 ? rc : sigdb_blog_del(&b->log, key, b->content ? in_content : NULL, b->content);
}

/* A delta's first sketch change: the builder takes over the whole set. A
 * replacing builder whose sketches so far repeated the base's: it takes
 * over those. */
static int builder_own_sketches(struct sigdb_builder *b)
{
	if (b->skm.base != NULL) {
		int rc = sigdb_bsketches_copy(&b->sk, b->skm.base, b->skm.n, &b->skm);
		sigdb_skmatch_free(&b->skm);
		return rc;
	}
	if (b->sk_own)
		return 0;
	b->sk_own = 1;
	return sigdb_bsketches_copy(&b->sk, b->content, b->content->sk->count, NULL);
}

int sigdb_builder_put_sketch(struct sigdb_builder *b, uint8_t engine, uint8_t algo, uint64_t id,
                             const uint8_t *bytes, size_t len, const uint32_t *anchors,
                             size_t n_anchors, const struct sigdb_meta *m)
{
	if (b == NULL)
		return WHORL_EINVAL;
	int rc = b->skm.base == NULL ? 0
	         : sigdb_skmatch_put(&b->skm, engine, algo, id, bytes, len, anchors, n_anchors, m);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = builder_own_sketches(b);
	return rc != 0 ? rc
	               : sigdb_bsketches_put(&b->sk, engine, algo, id, bytes, len, anchors, n_anchors, m);
}

int sigdb_builder_del_sketch(struct sigdb_builder *b, uint8_t engine, uint64_t id)
{
	if (b == NULL)
		return WHORL_EINVAL;
	int rc = builder_own_sketches(b);
	return rc != 0 ? rc : sigdb_bsketches_del(&b->sk, engine, id);
}

size_t sigdb_builder_held_sketches(const struct sigdb_builder *b)
{
	return b->sk.n_live;
}

void sigdb_builder_set_serial(struct sigdb_builder *b, enum sigdb_source src, uint64_t complete,
                              uint64_t incremental)
{
	if (b == NULL || (unsigned)src >= SIGDB_N_SOURCES)
		return;
	b->serial[src][0] = complete;
	b->serial[src][1] = incremental;
}

/* Pushes base shard s merged with puts p[0..np) (which win) minus deleted
 * keys d[0..nd); all sorted, p and d disjoint. */
static int merge_shard(struct sigdb_twriter *w, const struct sigdb_shard *s,
                       const struct sigdb_slot *p, size_t np, const uint64_t *d, size_t nd)
{
	size_t i = 0, j = 0, k = 0;
	int rc = 0;
	while (rc == 0 && (i < s->n || j < np)) {
		if (j == np || (i < s->n && s->slots[i].key < p[j].key)) {
			uint64_t key = s->slots[i].key;
			while (k < nd && d[k] < key)
				k++;
			if (k == nd || d[k] != key)
				rc = sigdb_twriter_push(w, key, &s->slots[i].meta);
			i++;
		} else {
			if (i < s->n && s->slots[i].key == p[j].key)
				i++;
			rc = sigdb_twriter_push(w, p[j].key, &p[j].meta);
			j++;
		}
	}
	return rc;
}

/* Entries of v[from..n) in shard i (by shift): the end of that run. */
static size_t run_end_slots(const struct sigdb_slot *v, size_t from, size_t n, uint32_t i,
                            unsigned shift)
{
	while (from < n && sigdb_shard_of(v[from].key, shift) == i)
		from++;
	return from;
}

static size_t run_end_keys(const uint64_t *v, size_t from, size_t n, uint32_t i, unsigned shift)
{
	while (from < n && sigdb_shard_of(v[from], shift) == i)
		from++;
	return from;
}

/* The settled changes p (puts) and d (deletes) on top of content (may be
 * NULL), written through w. */
static int merge_all(struct sigdb_twriter *w, const struct sigdb *content,
                     const struct sigdb_slot *p, size_t np, const uint64_t *d, size_t nd)
{
	if (content == NULL)
		return merge_shard(w, &sigdb_shard_empty, p, np, d, nd);
	const struct sigdb_table *t = &content->table;
	size_t j = 0, k = 0;
	int rc = 0;
	for (uint32_t i = 0; rc == 0 && i < ((size_t)1 << t->bits); i++) {
		size_t j2 = run_end_slots(p, j, np, i, t->shift), k2 = run_end_keys(d, k, nd, i, t->shift);
		if (j2 == j && k2 == k && t->bits == w->t.bits)
			rc = sigdb_twriter_place(w, i, t->dir[i].s);
		else
			rc = merge_shard(w, t->dir[i].s, p + j, j2 - j, d + k, k2 - k);
		j = j2;
		k = k2;
	}
	return rc;
}

static int finish_from_log(struct sigdb_builder *b, struct sigdb_table *out)
{
	size_t np, nd;
	uint64_t *d;
	struct sigdb_twriter w;
	int rc = sigdb_blog_settle(&b->log, &np, &d, &nd);
	if (rc != 0)
		return rc;
	size_t base_n = b->content ? b->content->table.count : 0;
	size_t est = base_n + np > nd ? base_n + np - nd : 0;
	unsigned have = b->content ? b->content->table.bits : share_bits(b);
	unsigned bits = bits_keep(have, sigdb_table_bits_for(est));
	rc = sigdb_twriter_init(&w, bits, b->share ? &b->share->table : NULL);
	if (rc == 0)
		rc = merge_all(&w, b->content, b->log.v, np, d, nd);
	if (rc == 0)
		rc = sigdb_twriter_finish(&w, out);
	sigdb_twriter_free(&w);
	free(d);
	sigdb_blog_free(&b->log);
	return rc;
}

/* Lays t out again with bits fitting its count, when they are far off. */
static int table_refit(struct sigdb_table *t, const struct sigdb_table *share)
{
	unsigned bits = bits_keep(t->bits, sigdb_table_bits_for(t->count));
	if (bits == t->bits)
		return 0;
	struct sigdb_twriter w;
	int rc = sigdb_twriter_init(&w, bits, share);
	for (size_t i = 0; rc == 0 && i < ((size_t)1 << t->bits); i++)
		for (uint32_t j = 0; rc == 0 && j < t->dir[i].s->n; j++)
			rc = sigdb_twriter_push(&w, t->dir[i].s->slots[j].key, &t->dir[i].s->slots[j].meta);
	if (rc == 0) {
		sigdb_table_release(t);
		rc = sigdb_twriter_finish(&w, t);
	}
	sigdb_twriter_free(&w);
	return rc;
}

static int finish_exact(struct sigdb_builder *b, struct sigdb_table *out)
{
	const struct sigdb_table *share = b->share ? &b->share->table : NULL;
	int rc;
	if (b->streaming)
		rc = sigdb_twriter_finish(&b->w, out);
	else if (b->log.n != 0 || b->content != NULL)
		rc = finish_from_log(b, out);
	else
		rc = sigdb_table_init(out, share ? share->bits : SIGDB_SHARD_BITS_MIN);
	return rc != 0 ? rc : table_refit(out, share);
}

static int finish_sketches(struct sigdb_builder *b, struct sigdb *db)
{
	int rc = 0;
	if (b->skm.base != NULL && sigdb_skmatch_whole(&b->skm)) {
		sigdb_sketches_ref(b->skm.base->sk);
		db->sk = b->skm.base->sk;
		return 0;
	}
	if (b->skm.base != NULL && (rc = builder_own_sketches(b)) != 0)
		return rc;   /* a replacing builder takes over what it repeated */
	if (!b->sk_own) {
		sigdb_sketches_ref(b->content->sk);
		db->sk = b->content->sk;
		return 0;
	}
	if ((db->sk = sigdb_sketches_new()) == NULL)
		return WHORL_ENOMEM;
	rc = sigdb_bsketches_freeze(&b->sk, db->sk);
	if (rc == 0 && b->share != NULL && sigdb_sketches_equal(db->sk, b->share->sk)) {
		sigdb_sketches_unref(db->sk);
		sigdb_sketches_ref(b->share->sk);
		db->sk = b->share->sk;
	}
	return rc;
}

struct sigdb *sigdb_builder_finish(struct sigdb_builder *b)
{
	if (b == NULL)
		return NULL;
	struct sigdb *db = sigdb_alloc();
	if (db == NULL)
		goto fail;
	memcpy(db->serial, b->serial, sizeof(db->serial));
	if (finish_exact(b, &db->table) != 0 || finish_sketches(b, db) != 0 ||
	    sigdb_digest_compute(db) != 0)
		goto fail;
	sigdb_builder_free(b);
	return db;
fail:
	sigdb_unref(db);
	sigdb_builder_free(b);
	return NULL;
}
