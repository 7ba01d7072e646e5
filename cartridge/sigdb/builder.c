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
 *   Sketches are never copied: puts go to the builder's pools, and a put or
 *   delete of a base sketch marks it dead (bsk_match.c); the new snapshot
 *   keeps the base's sketch segments, adds one of the puts and masks the
 *   dead (skview.c), compacted now and then (skcompact.c).
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
 *   nothing could be shared anyway). Sketches equal to base's live ones
 *   are only compared, not stored (bsk_match.c): the new snapshot keeps
 *   base's segments, masks out the base sketches the file did not repeat
 *   and adds one segment of those that differ.
 *
 * Not for: concurrent use (one thread per builder), lookups at scan time.
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

struct sigdb_builder {
	struct sigdb *content; /* entries carried over: a delta's base, or NULL */
	struct sigdb *share;   /* parts to share: content, or a replaced base */
	int started;           /* the first exact change chose the mode */
	int streaming;         /* exact puts go to w */
	struct sigdb_twriter w;
	size_t hint; /* count hint from reserve (0: none) */
	struct sigdb_blog log;
	struct sigdb_bsketches sk; /* sketches put, not in (or not equal to) base's */
	struct sigdb_skbase skb;   /* base's sketches: marked dead (delta) or kept */
	int sk_touched;            /* a sketch was put or deleted */
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
	sigdb_skbase_init(&b->skb, share != NULL ? &share->skv : NULL);
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
	sigdb_skbase_free(&b->skb);
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
	unsigned bits =
	    b->hint != 0 ? bits_keep(share_bits(b), sigdb_table_bits_for(b->hint)) : share_bits(b);
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
			rc = sigdb_blog_put(&b->log, w->t.dir[i].s->slots[j].key,
			                    &w->t.dir[i].s->slots[j].meta);
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
		rc = sigdb_blog_reserve(&b->log, b->hint); /* a complete file out of order */
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
	return rc != 0 ? rc
	               : sigdb_blog_del(&b->log, key, b->content ? in_content : NULL, b->content);
}

/* A delta: a put replaces, a delete removes, the base's live sketch. A
 * complete file: a put equal to the base's live sketch keeps that one
 * instead of holding a copy; any other put drops it. */
int sigdb_builder_put_sketch(struct sigdb_builder *b, uint8_t engine, uint8_t algo, uint64_t id,
                             const uint8_t *bytes, size_t len, const uint32_t *anchors,
                             size_t n_anchors, const struct sigdb_meta *m)
{
	uint32_t h;
	int rc = 0;
	if (b == NULL || m == NULL || (bytes == NULL && len != 0) ||
	    (anchors == NULL && n_anchors != 0))
		return WHORL_EINVAL;
	if (len > SIGDB_MAX_SKETCH_BYTES || n_anchors > SIGDB_MAX_SKETCH_ANCHORS)
		return WHORL_ELIMIT;
	b->sk_touched = 1;
	if (sigdb_skbase_find(&b->skb, engine, id, &h)) {
		if (b->content != NULL) {
			rc = sigdb_skbase_mark(&b->skb, h, 1);
		} else {
			rc = sigdb_skbase_same(&b->skb, h, algo, bytes, len, anchors, n_anchors, m);
			if (rc == 1) {
				sigdb_bsketches_del(&b->sk, engine,
				                    id); /* an earlier put, if any */
				return sigdb_skbase_mark(&b->skb, h, 1);
			}
			if (rc == 0)
				rc = sigdb_skbase_mark(&b->skb, h, 0);
		}
	}
	return rc != 0 ? rc
	               : sigdb_bsketches_put(&b->sk, engine, algo, id, bytes, len, anchors,
	                                     n_anchors, m);
}

int sigdb_builder_del_sketch(struct sigdb_builder *b, uint8_t engine, uint64_t id)
{
	uint32_t h;
	if (b == NULL)
		return WHORL_EINVAL;
	b->sk_touched = 1;
	int held = sigdb_bsketches_del(&b->sk, engine, id) == 0, in_base = 0, rc = 0;
	if (sigdb_skbase_find(&b->skb, engine, id, &h)) {
		/* delta: live unless marked dead; complete file: only when kept */
		int marked = sigdb_skbase_marked(&b->skb, h);
		in_base = b->content != NULL ? !marked : marked;
		if (in_base)
			rc = sigdb_skbase_mark(&b->skb, h, b->content != NULL);
	}
	if (rc != 0)
		return rc;
	return held || in_base ? 0 : WHORL_ENODATA;
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
		size_t j2 = run_end_slots(p, j, np, i, t->shift),
		       k2 = run_end_keys(d, k, nd, i, t->shift);
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
			rc = sigdb_twriter_push(&w, t->dir[i].s->slots[j].key,
			                        &t->dir[i].s->slots[j].meta);
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

/* The new view: base's segments (a delta's base, or a replaced base's)
 * with what died masked out, plus one segment of the sketches held; then
 * bounded (skcompact.c). A delta without sketch changes shares the base's
 * view as it is. */
static int finish_sketches(struct sigdb_builder *b, struct sigdb *db)
{
	struct sigdb_sketches *seg = NULL;
	int rc;
	if (b->content != NULL && !b->sk_touched)
		return sigdb_skview_copy(&db->skv, &b->content->skv);
	rc = sigdb_skbase_view(&b->skb, b->content == NULL, &db->skv);
	if (rc != 0 || b->sk.n_live == 0)
		goto out;
	rc = WHORL_ENOMEM;
	if ((seg = sigdb_sketches_new()) == NULL)
		goto out;
	if ((rc = sigdb_bsketches_freeze(&b->sk, seg)) != 0)
		goto out;
	db->skv.seg[db->skv.n_seg++] = seg;
	seg = NULL;
out:
	sigdb_sketches_unref(seg);
	sigdb_bsketches_free(&b->sk); /* the pools go before any merge */
	sigdb_skbase_free(&b->skb);
	if (rc == 0)
		rc = sigdb_skview_compact(&db->skv);
	return rc != 0 ? rc : sigdb_skview_seal(&db->skv);
}

struct sigdb *sigdb_builder_finish(struct sigdb_builder *b)
{
	if (b == NULL)
		return NULL;
	struct sigdb *db = sigdb_alloc();
	if (db == NULL)
		goto fail;
	memcpy(db->serial, b->serial, sizeof(db->serial));
	if (finish_exact(b, &db->table) != 0 || finish_sketches(b, db) != 0)
		goto fail;
	sigdb_builder_free(b);
	return db;
fail:
	sigdb_unref(db);
	sigdb_builder_free(b);
	return NULL;
}
