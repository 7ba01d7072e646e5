/*
 * sigdb.h - immutable snapshots of known fingerprints.
 *
 * A snapshot holds exact fingerprints (64-bit keys, already tagged with their
 * engine by whorl_fp_key) in a directory of small sorted shards, and
 * similarity sketches in a few immutable segments (each a store indexed by
 * 32-bit anchors) with the handles of sketches since deleted masked out.
 * Lookups are lock-free: a snapshot never changes after
 * sigdb_builder_finish(). Updates build a new snapshot beside the old one,
 * sharing every shard and sketch segment they did not change, and publish
 * it with one atomic pointer swap (sigdb_live_*); readers hold a reference
 * while they use one, and the last reader frees it.
 *
 * Not for: reading update files (update/) or computing fingerprints (fp/).
 */
#ifndef WHORL_SIGDB_H
#define WHORL_SIGDB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SIGDB_MAX_ENTRIES (64u << 20)  /* exact fingerprints per snapshot */
#define SIGDB_MAX_SKETCHES (16u << 20) /* sketches per snapshot */
#define SIGDB_MAX_ANCHOR_FANOUT 64     /* sketches sharing one anchor; more are not indexed */
#define SIGDB_N_SOURCES 8              /* serial slots: see enum sigdb_source */
#define SIGDB_MAX_SKETCH_BYTES 240     /* one stored sketch (= FP_MAX_SKETCH_BYTES) */
#define SIGDB_MAX_SKETCH_ANCHORS 16    /* anchors one stored sketch is indexed by */

#define SIGDB_F_LEGIT (1u << 0) /* marks legitimate mail, not abuse */

struct sigdb_meta {
	uint8_t category;
	uint8_t subcategory;
	uint8_t confidence;  /* 0-100 */
	uint8_t flags;       /* SIGDB_F_* */
	uint16_t first_seen; /* days since 1970-01-01 */
	uint16_t last_seen;
};

enum sigdb_source {
	SIGDB_SRC_SIGS = 0,
	SIGDB_SRC_AWL,
	SIGDB_SRC_CATS,
	SIGDB_SRC_ACF
};

struct sigdb;         /* immutable snapshot */
struct sigdb_builder; /* mutable, single-threaded */

/* A builder, empty or holding everything in `base` (may be NULL; the
 * builder holds a reference to it). Changes are logged, not applied to a
 * copy: finishing shares every part of base they did not touch. */
struct sigdb_builder *sigdb_builder_new(const struct sigdb *base);
/* A builder for a set that replaces base's content whole (a complete file),
 * empty at first. base (may be NULL) is only a source of parts to share:
 * parts of the new snapshot equal to base's are shared, not copied, so a
 * complete file that changes little costs little memory. Exact fingerprints
 * put in ascending key order stream straight into the new table; any other
 * order still works, at the cost of buffering them. */
struct sigdb_builder *sigdb_builder_new_replace(const struct sigdb *base);
void sigdb_builder_free(struct sigdb_builder *b);
/* Makes room for n more exact fingerprints at once, so that loading a
 * complete file does not grow the builder step by step. A hint only:
 * 0, or WHORL_ENOMEM (the builder is unchanged). */
int sigdb_builder_reserve(struct sigdb_builder *b, size_t n);
/* Adds or replaces an exact fingerprint. 0, or WHORL_ENOMEM / WHORL_ELIMIT. */
int sigdb_builder_put(struct sigdb_builder *b, uint64_t key, const struct sigdb_meta *m);
/* Removes one; 0 when it was there, WHORL_ENODATA when not. */
int sigdb_builder_del(struct sigdb_builder *b, uint64_t key);
/* Adds or replaces a sketch, identified by (engine, id). It is indexed by
 * anchors[0..n_anchors). */
int sigdb_builder_put_sketch(struct sigdb_builder *b, uint8_t engine, uint8_t algo, uint64_t id,
                             const uint8_t *bytes, size_t len, const uint32_t *anchors,
                             size_t n_anchors, const struct sigdb_meta *m);
int sigdb_builder_del_sketch(struct sigdb_builder *b, uint8_t engine, uint64_t id);
/* Records the serial of a source (complete.incremental) in the snapshot. */
void sigdb_builder_set_serial(struct sigdb_builder *b, enum sigdb_source src, uint64_t complete,
                              uint64_t incremental);
/* Freezes the builder into a snapshot with one reference; frees the builder
 * either way. NULL on allocation failure. */
struct sigdb *sigdb_builder_finish(struct sigdb_builder *b);

/* An empty snapshot (serials 0). */
struct sigdb *sigdb_empty(void);

/* Reference counting, atomic and safe from any thread; NULL is ignored.
 * The last unref frees the snapshot. */
void sigdb_ref(struct sigdb *db);
void sigdb_unref(struct sigdb *db);

/* The query functions below take a snapshot the caller holds a reference to
 * (NULL acts as empty); they never lock or allocate. */

/* Exact lookup; 1 and *m filled when found, else 0. Lock-free. */
int sigdb_lookup(const struct sigdb *db, uint64_t key, struct sigdb_meta *m);
/* A hint, no effect on any result: asks for the slot where sigdb_lookup of
 * key starts, so that a caller about to look up several keys, having
 * called this for each, waits on their cache misses together. */
void sigdb_prefetch_key(const struct sigdb *db, uint64_t key);

/* Sketch candidates sharing `anchor` for `engine`: writes up to cap sketch
 * handles into idx and returns how many. Handles are opaque and valid for
 * this snapshot only. */
size_t sigdb_sketch_candidates(const struct sigdb *db, uint8_t engine, uint32_t anchor,
                               uint32_t *idx, size_t cap);
/* The sketch with handle i: its bytes (length in *len), algo and metadata;
 * NULL when i is out of range. */
const uint8_t *sigdb_sketch_get(const struct sigdb *db, uint32_t i, size_t *len, uint8_t *algo,
                                struct sigdb_meta *m);

/* Hints only, no effect on any result: sigdb_sketch_prefetch_recs asks the
 * CPU to fetch the records of handles h[0..n), sigdb_sketch_prefetch (which
 * reads the record) handle i's bytes, so that a caller about to
 * sigdb_sketch_get a list of candidates waits on their cache misses
 * together, not one after the other. Out-of-range handles are ignored. */
void sigdb_sketch_prefetch_recs(const struct sigdb *db, const uint32_t *h, size_t n);
void sigdb_sketch_prefetch(const struct sigdb *db, uint32_t i);
/* A hint as well: asks for the index postings of anchors[0..n) of engine,
 * so that the sigdb_sketch_candidates calls that follow find them in cache. */
void sigdb_sketch_prefetch_anchors(const struct sigdb *db, uint8_t engine, const uint32_t *anchors,
                                   size_t n);

/* The published id of the sketch with handle i (what "sigs seen" reports);
 * 0 when i is out of range. */
uint64_t sigdb_sketch_id(const struct sigdb *db, uint32_t i);

/* The content digest (digest.c) as lower-case hex into out (cap >=
 * SIGDB_DIGEST_HEX for all of it). */
#define SIGDB_DIGEST_BYTES 16
#define SIGDB_DIGEST_HEX (2 * SIGDB_DIGEST_BYTES + 1)
void sigdb_digest_hex(const struct sigdb *db, char *out, size_t cap);
size_t sigdb_count(const struct sigdb *db); /* exact fingerprints */
size_t sigdb_sketch_count(const struct sigdb *db);
size_t sigdb_memory_bytes(const struct sigdb *db); /* heap held by the snapshot */
void sigdb_serial(const struct sigdb *db, enum sigdb_source src, uint64_t *complete,
                  uint64_t *incremental);
/* Calls fn for every exact fingerprint, keys ascending, and every sketch,
 * by (engine, id) ascending (for deltas, tests). */
void sigdb_foreach(const struct sigdb *db,
                   void (*fp_fn)(void *ctx, uint64_t key, const struct sigdb_meta *m),
                   void (*sk_fn)(void *ctx, uint8_t engine, uint8_t algo, uint64_t id,
                                 const uint8_t *bytes, size_t len, const struct sigdb_meta *m),
                   void *ctx);

/* The live snapshot of an engine: one atomic pointer, swapped by updates.
 * Readers call sigdb_live_acquire() from any number of threads without ever
 * waiting on a lock; publishers are serialised among themselves and may spin
 * briefly until readers that raced with the swap have taken their reference
 * (the reasoning is in live.c). */
struct sigdb_live {
	_Atomic(struct sigdb *) current;
	_Atomic unsigned long readers[2]; /* a two-phase count of acquirers in flight */
	_Atomic unsigned phase;           /* readers[phase & 1] is the current phase */
	_Atomic int publishing;           /* 1 while a publisher is in publish() */
};
/* Starts with `initial` (taking over its reference; NULL acts as an empty
 * snapshot: lookups on a NULL snapshot find nothing). */
void sigdb_live_init(struct sigdb_live *live, struct sigdb *initial);
/* Takes a reference to the current snapshot (release with sigdb_unref).
 * Lock-free; safe concurrently with publish(). May return NULL only when the
 * live snapshot is NULL. */
struct sigdb *sigdb_live_acquire(struct sigdb_live *live);
/* Publishes db (taking over its reference); the old one is released. Safe
 * from several threads, concurrently with acquire(). */
void sigdb_live_publish(struct sigdb_live *live, struct sigdb *db);
/* Drops the live reference. No acquire() or publish() may run concurrently;
 * references already acquired stay valid until unref'd. */
void sigdb_live_destroy(struct sigdb_live *live);

#endif
