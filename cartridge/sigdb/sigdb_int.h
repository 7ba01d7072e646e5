/*
 * sigdb_int.h - the private layout of a snapshot and the helpers the files of
 * cartridge/sigdb/ share. Every array is a plain array of fixed-size records
 * with no pointers inside, so a snapshot could be written out and mmap'd as is.
 *
 * Not for use outside cartridge/sigdb/.
 */
#ifndef WHORL_SIGDB_INT_H
#define WHORL_SIGDB_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sigdb.h"

/* One slot of the exact table: 16 bytes, key 0 means empty. */
struct sigdb_slot {
	uint64_t key;
	struct sigdb_meta meta;
};

/* Exact fingerprints: an ordered linear-probing table (see table.c). */
struct sigdb_table {
	struct sigdb_slot *slots;   /* n_slots; the last one is always empty */
	uint32_t cap;               /* home range: home(key) = (key * cap) >> 64 */
	uint32_t n_slots;           /* cap + overflow at the end + 1 sentinel */
	uint32_t count;             /* keys in slots (key 0 is not among them) */
	uint32_t has_zero;          /* key 0 lives in the side slot below */
	struct sigdb_meta zero_meta;
};

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

struct sigdb_sketches {
	struct sigdb_sketch_rec *recs;
	uint32_t count;
	uint8_t *store;             /* all sketch bytes, back to back */
	size_t store_len;
	struct sigdb_anchors anchors;
};

struct sigdb {
	_Atomic unsigned long refs;
	struct sigdb_table table;
	struct sigdb_sketches sk;
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

/* table.c: freezes items[0..n) (distinct non-zero keys, any order) into t. */
int sigdb_table_freeze(struct sigdb_table *t, const struct sigdb_slot *items, size_t n);
/* Freezes v[0..n) (non-zero keys, any order, repeats allowed: the last of
 * equal keys wins) into t. Sorts v in place; the caller still owns it.
 * Needs one scratch copy of v while sorting, none for a hash map. */
int sigdb_table_freeze_flat(struct sigdb_table *t, struct sigdb_slot *v, size_t n);
void sigdb_table_release(struct sigdb_table *t);
size_t sigdb_table_bytes(const struct sigdb_table *t);

/* sketches.c: builds the anchor index from packed postings (sorted here,
 * duplicates and over-shared anchors removed; the array is scratch). */
int sigdb_anchors_freeze(struct sigdb_anchors *a, uint64_t *post, size_t n);
void sigdb_sketches_release(struct sigdb_sketches *s);
size_t sigdb_sketches_bytes(const struct sigdb_sketches *s);
/* Calls fn for every (sketch index, anchor) the snapshot was built with,
 * dropped anchors included. */
void sigdb_anchors_each(const struct sigdb *db, void (*fn)(void *ctx, uint32_t idx, uint32_t anchor),
                        void *ctx);

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
int sigdb_bsketches_copy(struct sigdb_bsketches *s, const struct sigdb *base);
int sigdb_bsketches_freeze(const struct sigdb_bsketches *s, struct sigdb_sketches *out);

/* snapshot.c: a zeroed snapshot with one reference, NULL on ENOMEM. */
struct sigdb *sigdb_alloc(void);

#endif
