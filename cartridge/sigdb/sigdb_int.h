/*
 * sigdb_int.h - the private layout of a snapshot and the helpers the files of
 * cartridge/sigdb/ share. A snapshot is a directory of immutable, separately
 * reference-counted parts (exact-table shards, one sketch part), so a new
 * snapshot shares every part an update did not change.
 *
 * Not for use outside cartridge/sigdb/.
 */
#ifndef WHORL_SIGDB_INT_H
#define WHORL_SIGDB_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sigdb.h"

/* One entry of the exact table: 16 bytes. Any key, 0 included. */
struct sigdb_slot {
	uint64_t key;
	struct sigdb_meta meta;
};

/* A shard of the exact table (table.c): the keys whose top `bits` bits give
 * its index in the directory, ascending, in one exact-size allocation.
 * Immutable once made and shared by every snapshot whose directory points at
 * it; the last sigdb_shard_unref frees it. The one empty shard is a static
 * constant (n == 0): it is never counted, referenced or freed. */
struct sigdb_shard {
	_Atomic uint32_t refs;
	uint32_t n;
	struct sigdb_slot slots[];
};

extern const struct sigdb_shard sigdb_shard_empty;

/* Exact fingerprints: a directory of 2^bits shards (see table.c). */
#define SIGDB_SHARD_BITS_MIN 4      /* never 0: a shift by 64 is undefined */
#define SIGDB_SHARD_BITS_MAX 24
#define SIGDB_SHARD_TARGET 16       /* keys per shard on average, roughly */

/* A directory entry: the shard and its count (read together, see table.c). */
struct sigdb_dirent {
	const struct sigdb_shard *s;      /* never NULL */
	uint64_t n;                       /* = s->n */
};

struct sigdb_table {
	struct sigdb_dirent *dir;         /* 1 << bits */
	unsigned bits;
	unsigned shift;                   /* 64 - bits */
	size_t count;                     /* keys in all shards */
};

static inline uint32_t sigdb_shard_of(uint64_t key, unsigned shift)
{
	return (uint32_t)(key >> shift);
}

/* One stored sketch: 24 bytes; its bytes are store[offset, offset + len). */
struct sigdb_sketch_rec {
	uint64_t id;
	uint32_t offset;
	uint8_t len;
	uint8_t engine;
	uint8_t algo;
	uint8_t pad;
	struct sigdb_meta meta;
};

/* The anchor index (see sketches.c): postings sorted by their 32-bit anchor
 * key, cut into 2^dir_bits buckets by the key's top bits. A posting is 6
 * bytes: the sketch index (24 bits) and the key's low 24 bits. */
#define SIGDB_IDX_BITS 24
#define SIGDB_IDX_MASK ((1u << SIGDB_IDX_BITS) - 1)
#define SIGDB_DIR_BITS_MIN 8    /* so bucket + stored 24 bits give the whole key */
#define SIGDB_DIR_BITS_MAX 26
#define SIGDB_BUCKET_TARGET 4   /* postings per bucket, on average at least */

struct sigdb_anchors {
	uint32_t *dir;              /* (1 << dir_bits) + 1 bucket starts */
	uint32_t *post_hi;          /* sketch index | key bits 16..23 << 24 */
	uint16_t *post_lo;          /* key bits 0..15 */
	uint32_t n_post;
	unsigned dir_bits;
	uint64_t *dropped;          /* postings of over-shared anchors, as packed by
	                             * sigdb_posting(), sorted; kept for deltas only */
	uint32_t n_dropped;
};

/* The sketch part of a snapshot: one allocation with its own count of
 * references, so snapshots whose sketches did not change share it whole.
 * Records are sorted by (engine, id). */
struct sigdb_sketches {
	_Atomic unsigned long refs;
	struct sigdb_sketch_rec *recs;
	uint32_t count;
	uint8_t *store;             /* all sketch bytes, back to back */
	size_t store_len;
	struct sigdb_anchors anchors;
};

struct sigdb {
	_Atomic unsigned long refs;
	struct sigdb_table table;
	struct sigdb_sketches *sk;             /* never NULL once built */
	uint64_t serial[SIGDB_N_SOURCES][2];   /* complete, incremental */
	uint8_t digest[SIGDB_DIGEST_BYTES];    /* digest.c, set when built */
};

/* 32-bit anchor key: a bijection of the anchor for each engine, so that keys
 * of one engine never collide and the anchor can be recovered for deltas. */
#define SIGDB_ANCHOR_SALT 0x9e3779b9u

static inline uint32_t sigdb_mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static inline uint32_t sigdb_anchor_key(uint8_t engine, uint32_t anchor)
{
	return sigdb_mix32(anchor ^ (engine * SIGDB_ANCHOR_SALT));
}

uint32_t sigdb_anchor_from_key(uint8_t engine, uint32_t key);

/* A posting packed for sorting: key, then engine, then sketch index. */
static inline uint64_t sigdb_posting(uint32_t key, uint8_t engine, uint32_t idx)
{
	return (uint64_t)key << 32 | (uint64_t)engine << SIGDB_IDX_BITS | idx;
}

/* digest.c: fills db->digest from its content; 0 or WHORL_ENOMEM. */
int sigdb_digest_compute(struct sigdb *db);

/* sort.c: sorts v[0..n) ascending; WHORL_ENOMEM when scratch space is missing. */
int sigdb_sort_u64(uint64_t *v, size_t n);
/* sort.c: sorts v[0..n) by key, stably (equal keys keep their order). */
int sigdb_sort_slots(struct sigdb_slot *v, size_t n);

/* The bytes glibc's malloc takes for a request of n bytes, header included:
 * what the memory figures count, so that they are honest. */
static inline size_t sigdb_heap_bytes(size_t n)
{
	size_t c = (n + sizeof(size_t) + 15) & ~(size_t)15;
	return c < 32 ? 32 : c;
}

/* table.c: shards and directories. */
const struct sigdb_shard *sigdb_shard_new(const struct sigdb_slot *v, size_t n);
void sigdb_shard_ref(const struct sigdb_shard *s);
void sigdb_shard_unref(const struct sigdb_shard *s);
/* Shard-count bits for about n keys. */
unsigned sigdb_table_bits_for(size_t n);
/* A directory of 2^bits empty shards; 0 or WHORL_ENOMEM. */
int sigdb_table_init(struct sigdb_table *t, unsigned bits);
/* Unrefs every shard and frees the directory (t zeroed; safe twice). */
void sigdb_table_release(struct sigdb_table *t);
size_t sigdb_table_bytes(const struct sigdb_table *t);
/* Shards of a that are the very same objects as b's at the same index
 * (for tests: proof that an update shared what it did not change). */
size_t sigdb_shared_shards(const struct sigdb *a, const struct sigdb *b);

/* twriter.c: fills a new table from keys in ascending order, one shard at a
 * time, sharing the shards of `share` (same bits) that come out equal. */
struct sigdb_twriter {
	struct sigdb_table t;
	const struct sigdb_table *share;  /* NULL, or a table with t's bits */
	struct sigdb_slot *buf;           /* the open shard's entries */
	size_t n, cap;
	uint32_t open;                    /* index of the open shard when n > 0 */
	int any;                          /* a key was pushed: last_key is set */
	uint64_t last_key;
};
int sigdb_twriter_init(struct sigdb_twriter *w, unsigned bits, const struct sigdb_table *share);
/* Appends one entry. Keys ascend; an equal key replaces the last one.
 * 0; 1 when key is below the last one (nothing done); WHORL_ENOMEM/ELIMIT. */
int sigdb_twriter_push(struct sigdb_twriter *w, uint64_t key, const struct sigdb_meta *m);
/* Places shard s (one reference taken) at index i, above every key pushed. */
int sigdb_twriter_place(struct sigdb_twriter *w, uint32_t i, const struct sigdb_shard *s);
/* Closes the open shard and moves the table to *out; w is then empty. */
int sigdb_twriter_finish(struct sigdb_twriter *w, struct sigdb_table *out);
/* Releases whatever w holds (after finish, nothing). */
void sigdb_twriter_free(struct sigdb_twriter *w);

/* sketches.c: builds the anchor index from packed postings (sorted here,
 * duplicates and over-shared anchors removed; the array is scratch). */
int sigdb_anchors_freeze(struct sigdb_anchors *a, uint64_t *post, size_t n);
/* A sketch part with one reference and nothing in it; NULL on ENOMEM. */
struct sigdb_sketches *sigdb_sketches_new(void);
void sigdb_sketches_ref(struct sigdb_sketches *s);
void sigdb_sketches_unref(struct sigdb_sketches *s);
/* 1 when a and b hold the same records, bytes and anchor index. */
int sigdb_sketches_equal(const struct sigdb_sketches *a, const struct sigdb_sketches *b);
size_t sigdb_sketches_bytes(const struct sigdb_sketches *s);
/* Calls fn for every (sketch index, anchor) the snapshot was built with,
 * dropped anchors included. */
void sigdb_anchors_each(const struct sigdb *db, void (*fn)(void *ctx, uint32_t idx, uint32_t anchor),
                        void *ctx);

/* blog.c: a builder's exact changes in arrival order, puts and deletes.
 * The index key -> latest entry exists only once a delete has come (a delete
 * must say at once whether its key is there); until then puts only append. */
struct sigdb_blog {
	struct sigdb_slot *v;
	size_t n, cap;
	uint8_t *is_del;            /* per entry, once indexed */
	uint32_t *idx;              /* latest entry + 1 per key; 0 = empty */
	unsigned idx_bits;          /* 0 = no index yet */
	size_t idx_used;
	size_t n_del;               /* entries with is_del set */
};

void sigdb_blog_free(struct sigdb_blog *l);
int sigdb_blog_reserve(struct sigdb_blog *l, size_t n);
int sigdb_blog_put(struct sigdb_blog *l, uint64_t key, const struct sigdb_meta *m);
/* Records a delete of key; in_base says whether base holds it. 0, or
 * WHORL_ENODATA when the key is neither in base nor put since. */
int sigdb_blog_del(struct sigdb_blog *l, uint64_t key, int (*in_base)(const void *ctx, uint64_t key),
                   const void *ctx);
/* Turns the log into the final change of every key: puts sorted by key in
 * l->v[0..*n_put), deleted keys sorted into *dels (malloc'd, *n_dels; NULL
 * when none). The log is spent afterwards (free it). */
int sigdb_blog_settle(struct sigdb_blog *l, size_t *n_put, uint64_t **dels, size_t *n_dels);

/* One sketch held by a builder; its bytes and anchors sit in the builder's
 * pools at bytes_at and anchors_at. Replaced or deleted entries stay in the
 * pools, marked dead, until the builder compacts them. */
struct sigdb_bsketch {
	uint64_t id;
	size_t bytes_at;
	size_t anchors_at;
	struct sigdb_meta meta;
	uint8_t len;
	uint8_t engine;
	uint8_t algo;
	uint8_t n_anchors;
	uint8_t live;
};

/* The sketches of a builder (bsketch.c): entries in insertion order, pools,
 * and a map (engine, id) -> entry, open addressing over entry index + 1. */
struct sigdb_bsketches {
	struct sigdb_bsketch *v;
	size_t n, v_cap;
	size_t n_live, live_bytes, live_anchors;
	uint8_t *bytes;
	size_t n_bytes, bytes_cap;
	uint32_t *anchors;
	size_t n_anchors, anchors_cap;
	uint32_t *map;
	unsigned map_bits;
};

void sigdb_bsketches_free(struct sigdb_bsketches *s);
int sigdb_bsketches_put(struct sigdb_bsketches *s, uint8_t engine, uint8_t algo, uint64_t id,
                        const uint8_t *bytes, size_t len, const uint32_t *anchors,
                        size_t n_anchors, const struct sigdb_meta *m);
int sigdb_bsketches_del(struct sigdb_bsketches *s, uint8_t engine, uint64_t id);
/* bsk_match.c: a replacing builder's incoming sketches compared in order
 * with the sketch part of the snapshot it may share (base NULL, or without
 * sketches: matching is off). The anchors of the repeated sketches are kept
 * (4 bytes each and a count): the hook computed them, base may differ. */
struct sigdb_skmatch {
	const struct sigdb *base;   /* NULL when off */
	uint32_t n;                 /* incoming sketches equal to base's first n */
	uint8_t *counts;            /* n: anchors of each */
	uint32_t *anchors;          /* n_anchors, back to back */
	size_t n_anchors, cap_n, cap_anchors;
};
void sigdb_skmatch_init(struct sigdb_skmatch *mt, const struct sigdb *base);
void sigdb_skmatch_free(struct sigdb_skmatch *mt);
/* 1 when the sketch is the base's next one (counted, its anchors kept, its
 * bytes not), 0 when not, WHORL_ENOMEM. */
int sigdb_skmatch_put(struct sigdb_skmatch *mt, uint8_t engine, uint8_t algo, uint64_t id,
                      const uint8_t *bytes, size_t len, const uint32_t *anchors,
                      size_t n_anchors, const struct sigdb_meta *m);
/* 1 when every base sketch was repeated, with the same anchors. */
int sigdb_skmatch_whole(const struct sigdb_skmatch *mt);

/* builder.c, for tests: sketches the builder holds in its own pools now
 * (0 while a replacing builder's sketches only repeat its base's). */
size_t sigdb_builder_held_sketches(const struct sigdb_builder *b);

/* Copies base's first n sketches (all: base->sk->count); their anchors
 * are base's, or mt's when given (mt->n == n). */
int sigdb_bsketches_copy(struct sigdb_bsketches *s, const struct sigdb *base, size_t n,
                         const struct sigdb_skmatch *mt);
/* Freezes s into out (records sorted by (engine, id)); the caller releases
 * out on failure. */
int sigdb_bsketches_freeze(const struct sigdb_bsketches *s, struct sigdb_sketches *out);

/* snapshot.c: a zeroed snapshot with one reference, NULL on ENOMEM. */
struct sigdb *sigdb_alloc(void);

#endif
