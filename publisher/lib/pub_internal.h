/*
 * pub_internal.h - what the publisher library's files share: the record
 * table of a set and the secret key accessor.
 *
 * Not for: programs (they use publish.h).
 */
#ifndef WHORL_PUB_INTERNAL_H
#define WHORL_PUB_INTERNAL_H

#include "../../cartridge/update/update_format.h"
#include "publish.h"

struct pub_rec {
	uint8_t tag; /* UPDATE_REC_FP_PUT or UPDATE_REC_SK_PUT */
	uint8_t engine, algo;
	uint8_t live; /* 0 once removed */
	uint16_t len; /* sketch bytes */
	uint64_t key; /* fp key or sketch id */
	struct sigdb_meta meta;
	uint8_t *bytes; /* sketch bytes, malloc'd */
};

struct publish_set {
	struct pub_rec *recs; /* in insertion order */
	size_t n, cap;
	uint32_t *slots; /* open addressing: record index + 1, 0 = empty */
	size_t n_slots;  /* power of two */
	size_t n_live;
};

#define PUBLISH_MAX_RECORDS ((size_t)UPDATE_MAX_RECORDS)

const uint8_t *publish_key_secret(const struct publish_key *k);

/* The record with this identity, or NULL. */
struct pub_rec *pub_set_find(const struct publish_set *s, uint8_t tag, uint8_t engine,
                             uint64_t key);
/* Adds or replaces a copy of r (bytes copied). 0 or WHORL_E*. */
int pub_set_put(struct publish_set *s, const struct pub_rec *r);
/* Live records in file order (exact fingerprints by key, then sketches by
 * (engine, id); set.c rec_order) into a malloc'd array of
 * pointers; *n set. NULL when out of memory (and n > 0). */
const struct pub_rec **pub_set_sorted(const struct publish_set *s, size_t *n);
int pub_rec_same(const struct pub_rec *a, const struct pub_rec *b);

/* Reads the set the mirror publishes now (verified with pk): records of
 * sigs into *prev, text sources into text[] (malloc'd). 0, WHORL_ENODATA
 * when the mirror has no manifest, else WHORL_E* with err set. */
int pub_mirror_read(const char *dir, const uint8_t pk[UPDATE_KEY_BYTES], struct update_manifest *m,
                    struct publish_set *prev, uint8_t *text[UPDATE_N_SOURCES],
                    size_t text_len[UPDATE_N_SOURCES], char *err, size_t errlen);

#endif
