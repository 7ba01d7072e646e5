/*
 * publish.h - write signed update sets (docs/FORMATS.md §2) from records in
 * memory: the library behind whorl-publish and whorl-keygen, also used by
 * benchmarks to publish synthetic fingerprints without mail.
 *
 * A set is the complete truth of what should be published. publish_write()
 * compares it with the set already in the output directory (verified with
 * the same key) and writes a delta on the last serial, or a complete file
 * on the first run, every full_every deltas after the last complete file, or
 * when asked (with keep_deltas, also the delta to that serial, so the chain
 * goes on across complete files). Output is atomic: files are written under
 * temporary names and renamed, the manifest last; then data files named by
 * neither the new nor the previous manifest are removed.
 *
 * Not thread safe per object; different objects may be used from different
 * threads. Not for: computing fingerprints (libwhorl does, via cartridge.so).
 */
#ifndef WHORL_PUBLISH_H
#define WHORL_PUBLISH_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "../../cartridge/sigdb/sigdb.h"

#define PUBLISH_SECRET_KEY_FILE "publisher.key" /* 128 hex digits, mode 0600 */
#define PUBLISH_PUBLIC_KEY_FILE "publisher.pub" /* 64 hex digits */
#define PUBLISH_DEFAULT_FULL_EVERY 10
#define PUBLISH_DEFAULT_EXPIRY_DAYS 7
#define PUBLISH_MAX_EXPIRY_DAYS 365

struct publish_key;
struct publish_set;

/* Creates dir/publisher.key (0600) and dir/publisher.pub; refuses to
 * overwrite an existing key. 0 or WHORL_EIO / WHORL_EINVAL with err set. */
int publish_keygen(const char *dir, char *err, size_t errlen);
/* Reads a secret key file into sodium_malloc'd memory. NULL with err set. */
struct publish_key *publish_key_load(const char *path, char *err, size_t errlen);
void publish_key_free(struct publish_key *k);
const uint8_t *publish_key_public(const struct publish_key *k); /* 32 bytes */

struct publish_set *publish_set_new(void);
void publish_set_free(struct publish_set *s);
/* Adds or replaces (same key: the later one wins, whatever its engine, so a
 * set never holds one key twice) an exact fingerprint; key is already
 * whorl_fp_key()-tagged. 0, WHORL_EINVAL,
 * WHORL_ENOMEM or WHORL_ELIMIT. */
int publish_set_add_fp(struct publish_set *s, uint64_t key, uint8_t engine, uint8_t algo,
                       const struct sigdb_meta *m);
/* Adds or replaces a sketch (its id is update_sketch_id(bytes)); bytes are
 * copied. len 1..240. */
int publish_set_add_sketch(struct publish_set *s, uint8_t engine, uint8_t algo,
                           const uint8_t *bytes, size_t len, const struct sigdb_meta *m);
/* Removes one; 1 when it was there. */
int publish_set_remove_fp(struct publish_set *s, uint8_t engine, uint64_t key);
int publish_set_remove_sketch(struct publish_set *s, uint8_t engine, uint64_t id);
/* Whether the set holds it (and its metadata). */
int publish_set_get_fp(const struct publish_set *s, uint8_t engine, uint64_t key,
                       struct sigdb_meta *m);
size_t publish_set_count(const struct publish_set *s); /* live records */

struct publish_options {
	const char *out_dir;          /* the mirror directory; created if missing */
	int64_t now;                  /* unix seconds; 0: time() */
	unsigned expiry_days;         /* 0: PUBLISH_DEFAULT_EXPIRY_DAYS */
	unsigned check_interval;      /* seconds; 0: 60 */
	unsigned full_interval;       /* seconds; 0: 10800 */
	unsigned statistics_interval; /* seconds (1-CFG_MAX_STATS_INTERVAL) the acf
	                                 gives gateways' statistics periods; 0:
	                                 not in the acf (gateways: one hour) */
	unsigned full_every;          /* 0: PUBLISH_DEFAULT_FULL_EVERY */
	int force_full;               /* write a complete sigs file now */
	int keep_deltas;              /* a complete file keeps the delta chain (the
	                                  newest UPDATE_MAX_DELTAS) and adds the delta
	                                  to its serial; 0: it starts a new chain */
	const char *cats;             /* categories text; NULL: no cats source */
	size_t cats_len;
	const char *awl; /* backend whitelist text; NULL: empty */
	size_t awl_len;
};

/* What publish_write() did, for the program's report. */
struct publish_result {
	uint64_t manifest_serial;
	uint64_t sigs_complete, sigs_incremental;
	int wrote_complete;  /* a complete sigs file was written */
	size_t n_put, n_del; /* records in the file written */
	size_t n_removed;    /* files no longer named, removed */
};

/* Writes the set to o->out_dir. 0, or a negative WHORL_E* with err set
 * (the directory is then unchanged as far as clients can see). */
int publish_write(const struct publish_key *k, const struct publish_set *s,
                  const struct publish_options *o, struct publish_result *res, char *err,
                  size_t errlen);

/* The fingerprints gateways reported seeing (`sigs seen`, as whorl-collect
 * stores them: 16 hex digits and an engine name), distinct, at most
 * PUBLISH_SEEN_MAX. Filled with publish_seen_add (publisher/collectdb reads
 * them from the collector's database), freed with publish_seen_free. */
#define PUBLISH_SEEN_MAX ((size_t)1 << 24)
struct publish_seen_key {
	uint64_t key;
	unsigned engine;
};
struct publish_seen {
	struct publish_seen_key *v; /* malloc'd */
	size_t n, cap;
	int sorted;
};
/* Adds one (hex: 16 lowercase hex digits, engine: a fingerprint engine's
 * name). 0; 1 when it is not a fingerprint (skipped); WHORL_ENOMEM, or
 * WHORL_ELIMIT past PUBLISH_SEEN_MAX. */
int publish_seen_add(struct publish_seen *s, const char *hex, const char *engine);
void publish_seen_free(struct publish_seen *s);

/* One abuse fingerprint published and never seen (meta: its category,
 * first-seen day, ...). */
typedef void (*publish_never_fn)(void *ctx, uint64_t key, unsigned engine,
                                 const struct sigdb_meta *meta);

/* Calls fn, in the set's order, for every abuse fingerprint the mirror
 * publishes now (verified with the publisher public key pk) that is not in
 * seen (sorted here). Counts into *n_never and *n_published. 0, or a
 * negative WHORL_E* with err set. A candidate list for expiry: nothing is
 * expired. Not thread safe on one seen. */
int publish_never_seen(const uint8_t pk[32], const char *mirror, struct publish_seen *seen,
                       publish_never_fn fn, void *ctx, size_t *n_never, size_t *n_published,
                       char *err, size_t errlen);

#endif
