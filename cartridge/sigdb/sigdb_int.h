/*
 * sigdb_int.h - the private layout of a snapshot and the helpers the files of
 * cartridge/sigdb/ share. A snapshot is a directory of immutable, separately
 * reference-counted parts (exact-table shards, sketch segments), so a new
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
#define SIGDB_SHARD_BITS_MIN 4 /* never 0: a shift by 64 is undefined */
#define SIGDB_SHARD_BITS_MAX 24
#define SIGDB_SHARD_TARGET 16 /* keys per shard on average, roughly */

/* A directory entry: the shard and its count (read together, see table.c). */
struct sigdb_dirent {
	const struct sigdb_shard *s; /* never NULL */
	uint64_t n;                  /* = s->n */
};

struct sigdb_table {
	struct sigdb_dirent *dir; /* 1 << bits */
	unsigned bits;
	unsigned shift; /* 64 - bits */
	size_t count;   /* keys in all shards */
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
#define SIGDB_DIR_BITS_MIN 8 /* so bucket + stored 24 bits give the whole key */
#define SIGDB_DIR_BITS_MAX 26
#define SIGDB_BUCKET_TARGET 4 /* postings per bucket, on average at least */

struct sigdb_anchors {
	uint32_t *dir;     /* (1 << dir_bits) + 1 bucket starts */
	uint32_t *post_hi; /* sketch index | key bits 16..23 << 24 */
	uint16_t *post_lo; /* key bits 0..15 */
	uint32_t n_post;
	unsigned dir_bits;
	uint64_t *dropped; /* postings of over-shared anchors, as packed by
	                             * sigdb_posting(), sorted; kept for deltas only */
	uint32_t n_dropped;
};

/* One sketch segment: one allocation with its own count of references, so
 * snapshots share the segments an update did not change. Records are sorted
 * by (engine, id); the anchor index is the segment's own. */
/* The values a sketch record's engine byte can take (engine_first). */
#define SIGDB_ENGINE_VALUES 256

struct sigdb_sketches {
	_Atomic unsigned long refs;
	struct sigdb_sketch_rec *recs;
	uint32_t count;
	/* The records of engine e are [engine_first[e], engine_first[e + 1]):
	 * recs are sorted by engine, so a candidate's engine is known from its
	 * index without reading its record (sigdb_sketches_index_engines). */
	uint32_t engine_first[SIGDB_ENGINE_VALUES + 1];
	uint8_t *store; /* all sketch bytes, back to back */
	size_t store_len;
	struct sigdb_anchors anchors;
};

/* The sketches of a snapshot (skview.c): a few immutable segments, oldest
 * (and normally largest) first, and the sorted handles masked out of them
 * (deleted, or replaced by a newer segment). A handle is segment <<
 * SIGDB_IDX_BITS | index in the segment. Every live (engine, id) is in
 * exactly one segment and not dead. A frozen snapshot has at most
 * SIGDB_MAX_SEGS segments; the slot beyond is used only while one is built
 * (skcompact.c merges it away). */
#define SIGDB_MAX_SEGS 4
#define SIGDB_DEAD_FRACTION 4 /* rebuild when dead + newer > oldest / this */

struct sigdb_skview {
	struct sigdb_sketches *seg[SIGDB_MAX_SEGS + 1];
	unsigned n_seg;
	uint32_t *dead; /* sorted; NULL when none */
	uint32_t n_dead;
	uint32_t count; /* live sketches */
	/* Sealed (sigdb_skview_seal) for the scan path: the dead as one bit per
	 * record, at seg_first[s] + index; NULL when none is dead. */
	uint64_t *dead_bits;
	uint32_t seg_first[SIGDB_MAX_SEGS + 1];
};

static inline uint32_t sigdb_handle(unsigned seg, uint32_t i)
{
	return (uint32_t)seg << SIGDB_IDX_BITS | i;
}

struct sigdb {
	_Atomic unsigned long refs;
	struct sigdb_table table;
	struct sigdb_skview skv;             /* sketches */
	uint64_t serial[SIGDB_N_SOURCES][2]; /* complete, incremental */
	/* digest.c: made the first time it is asked for, then kept. */
	_Atomic int digest_state;           /* SIGDB_DIGEST_* */
	uint8_t digest[SIGDB_DIGEST_BYTES]; /* valid once digest_state is _SET */
};

/* digest_state: none yet, one caller storing it, stored. */
enum {
	SIGDB_DIGEST_NONE = 0,
	SIGDB_DIGEST_BUSY,
	SIGDB_DIGEST_SET
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
	const struct sigdb_table *share; /* NULL, or a table with t's bits */
	struct sigdb_slot *buf;          /* the open shard's entries */
	size_t n, cap;
	uint32_t open; /* index of the open shard when n > 0 */
	int any;       /* a key was pushed: last_key is set */
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
/* Fills s->engine_first from s->recs[0..count), which must be sorted by
 * engine (both builders write them in (engine, id) order); WHORL_EINVAL
 * when they are not. */
int sigdb_sketches_index_engines(struct sigdb_sketches *s);
/* A sketch part with one reference and nothing in it; NULL on ENOMEM. */
struct sigdb_sketches *sigdb_sketches_new(void);
void sigdb_sketches_ref(struct sigdb_sketches *s);
void sigdb_sketches_unref(struct sigdb_sketches *s);
size_t sigdb_sketches_bytes(const struct sigdb_sketches *s);
/* Calls fn for every (handle, anchor) segment s (number seg in its view) was
 * built with, dropped anchors included. */
void sigdb_anchors_each(const struct sigdb_sketches *s, unsigned seg,
                        void (*fn)(void *ctx, uint32_t h, uint32_t anchor), void *ctx);

/* skview.c: the live view over the segments. */
void sigdb_skview_release(struct sigdb_skview *v);
/* dst = src, segments referenced, dead copied; 0 or WHORL_ENOMEM. */
int sigdb_skview_copy(struct sigdb_skview *dst, const struct sigdb_skview *src);
/* Builds dead_bits from dead once the view is final; 0 or WHORL_ENOMEM. */
int sigdb_skview_seal(struct sigdb_skview *v);
int sigdb_skview_is_dead(const struct sigdb_skview *v, uint32_t h);
/* 1 and *h when (engine, id) is live in v, else 0. */
int sigdb_skview_find(const struct sigdb_skview *v, uint8_t engine, uint64_t id, uint32_t *h);
/* Calls fn for every live sketch of segments [from, to) in (engine, id)
 * order (a merge over the segments). */
void sigdb_skview_each(const struct sigdb_skview *v, unsigned from, unsigned to,
                       void (*fn)(void *ctx, uint32_t h, const struct sigdb_sketches *s,
                                  const struct sigdb_sketch_rec *r),
                       void *ctx);
/* Records of all segments, dead ones included. */
size_t sigdb_skview_recs(const struct sigdb_skview *v);
size_t sigdb_skview_bytes(const struct sigdb_skview *v);
/* Sets count from the segments and dead. */
void sigdb_skview_recount(struct sigdb_skview *v);

/* skcompact.c: bounds a view being built (see there); 0 or WHORL_E*. */
int sigdb_skview_compact(struct sigdb_skview *v);

/* blog.c: a builder's exact changes in arrival order, puts and deletes.
 * The index key -> latest entry exists only once a delete has come (a delete
 * must say at once whether its key is there); until then puts only append. */
struct sigdb_blog {
	struct sigdb_slot *v;
	size_t n, cap;
	uint8_t *is_del;   /* per entry, once indexed */
	uint32_t *idx;     /* latest entry + 1 per key; 0 = empty */
	unsigned idx_bits; /* 0 = no index yet */
	size_t idx_used;
	size_t n_del; /* entries with is_del set */
};

void sigdb_blog_free(struct sigdb_blog *l);
int sigdb_blog_reserve(struct sigdb_blog *l, size_t n);
int sigdb_blog_put(struct sigdb_blog *l, uint64_t key, const struct sigdb_meta *m);
/* Records a delete of key; in_base says whether base holds it. 0, or
 * WHORL_ENODATA when the key is neither in base nor put since. */
int sigdb_blog_del(struct sigdb_blog *l, uint64_t key,
                   int (*in_base)(const void *ctx, uint64_t key), const void *ctx);
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
                        const uint8_t *bytes, size_t len, const uint32_t *anchors, size_t n_anchors,
                        const struct sigdb_meta *m);
int sigdb_bsketches_del(struct sigdb_bsketches *s, uint8_t engine, uint64_t id);
/* bsk_match.c: the sketches of a builder's base, as its changes see them.
 * A bitmap over the base's handles marks those a delta deleted (or
 * replaced), or those a complete file repeated (kept); anchor hashes of the
 * base's sketches are computed at the first comparison. */
struct sigdb_skbase {
	const struct sigdb_skview *v;     /* NULL: no base sketches */
	size_t start[SIGDB_MAX_SEGS + 2]; /* flat index of each segment's first record */
	uint64_t *mark;                   /* one bit per record, NULL until one is set */
	uint64_t *ahash;                  /* per record, NULL until needed */
	size_t n_marked;
};
void sigdb_skbase_init(struct sigdb_skbase *kb, const struct sigdb_skview *v);
void sigdb_skbase_free(struct sigdb_skbase *kb);
/* 1 and *h when (engine, id) is live in the base view (marks aside). */
int sigdb_skbase_find(const struct sigdb_skbase *kb, uint8_t engine, uint64_t id, uint32_t *h);
int sigdb_skbase_marked(const struct sigdb_skbase *kb, uint32_t h);
int sigdb_skbase_mark(struct sigdb_skbase *kb, uint32_t h, int on);
/* 1 when the base's sketch h equals the given one, anchors included (as an
 * order-free set); 0 when not; WHORL_ENOMEM. */
int sigdb_skbase_same(struct sigdb_skbase *kb, uint32_t h, uint8_t algo, const uint8_t *bytes,
                      size_t len, const uint32_t *anchors, size_t n_anchors,
                      const struct sigdb_meta *m);
/* Sets v to the base's segments (referenced) with dead = the base's dead
 * and the marked handles (kept == 0) or the unmarked live ones (kept). */
int sigdb_skbase_view(const struct sigdb_skbase *kb, int kept, struct sigdb_skview *v);

/* builder.c, for tests: sketches the builder holds in its own pools now
 * (0 while a replacing builder's sketches only repeat its base's). */
size_t sigdb_builder_held_sketches(const struct sigdb_builder *b);

/* Freezes s into out (records sorted by (engine, id)); the caller releases
 * out on failure. */
int sigdb_bsketches_freeze(const struct sigdb_bsketches *s, struct sigdb_sketches *out);

/* snapshot.c: a zeroed snapshot with one reference, NULL on ENOMEM. */
struct sigdb *sigdb_alloc(void);

#endif
