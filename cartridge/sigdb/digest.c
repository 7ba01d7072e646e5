/*
 * digest.c - a snapshot's content digest: BLAKE2b-128 over its serials, its
 * exact fingerprints in key order with their metadata, and its sketches in
 * (engine, id) order with algo, bytes and metadata, so two snapshots holding
 * the same data have the same digest however they were built (complete file
 * or deltas). Shown in the statistics as `snapshot digest = <hex>`; tests
 * compare it to prove that a refused update left the live data unchanged.
 * Computed the first time it is asked for, then kept in the snapshot: most
 * snapshots are never asked (a whorl-scan run, a daemon between statistics
 * requests), and hashing every fingerprint was 7 % of whorl-scan's start-up.
 * A snapshot is immutable, so the digest is the same whenever it is made.
 *
 * The bytes go to BLAKE2b through a buffer (struct digest_feed): one
 * update per DIGEST_FEED_BYTES instead of a few per fingerprint (tens of
 * thousands of calls for a corpus-sized set). BLAKE2b of a byte stream does
 * not depend on how it is cut, so the digest is the same.
 *
 * Not for: security (the update files are verified by signature and hash
 * before a snapshot is built) or lookups.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

#define DIGEST_FEED_BYTES 4096 /* bytes gathered per BLAKE2b update */

struct digest_feed {
	crypto_generichash_state st;
	size_t n; /* bytes waiting in buf */
	uint8_t buf[DIGEST_FEED_BYTES];
};

static void digest_flush(struct digest_feed *f)
{
	if (f->n > 0)
		crypto_generichash_update(&f->st, f->buf, f->n);
	f->n = 0;
}

static void digest_put(struct digest_feed *f, const uint8_t *p, size_t len)
{
	if (len > sizeof f->buf - f->n) {
		digest_flush(f);
		if (len > sizeof f->buf) {
			crypto_generichash_update(&f->st, p, len);
			return;
		}
	}
	memcpy(f->buf + f->n, p, len);
	f->n += len;
}

static void digest_meta(struct digest_feed *st, const struct sigdb_meta *m)
{
	uint8_t b[8] = { m->category,
		         m->subcategory,
		         m->confidence,
		         m->flags,
		         (uint8_t)(m->first_seen >> 8),
		         (uint8_t)m->first_seen,
		         (uint8_t)(m->last_seen >> 8),
		         (uint8_t)m->last_seen };
	digest_put(st, b, sizeof b);
}

static void digest_u64(struct digest_feed *st, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	digest_put(st, b, sizeof b);
}

/* Shards in directory order hold ascending key ranges, each sorted. */
static void digest_exact(struct digest_feed *st, const struct sigdb_table *t)
{
	digest_u64(st, t->count);
	for (size_t i = 0; i < ((size_t)1 << t->bits); i++) {
		const struct sigdb_shard *s = t->dir[i].s;
		for (uint32_t j = 0; j < s->n; j++) {
			digest_u64(st, s->slots[j].key);
			digest_meta(st, &s->slots[j].meta);
		}
	}
}

static void digest_sketch(void *ctx, uint32_t h, const struct sigdb_sketches *s,
                          const struct sigdb_sketch_rec *r)
{
	struct digest_feed *st = ctx;
	uint8_t head[3] = { r->engine, r->algo, r->len };
	(void)h;
	digest_u64(st, r->id);
	digest_put(st, head, sizeof head);
	digest_put(st, s->store + r->offset, r->len);
	digest_meta(st, &r->meta);
}

/* Live sketches in (engine, id) order, whatever the segments. */
static void digest_sketches(struct digest_feed *st, const struct sigdb_skview *v)
{
	digest_u64(st, v->count);
	sigdb_skview_each(v, 0, v->n_seg, digest_sketch, st);
}

static void digest_compute(const struct sigdb *db, uint8_t out[SIGDB_DIGEST_BYTES])
{
	struct digest_feed f;

	f.n = 0;
	crypto_generichash_init(&f.st, NULL, 0, sizeof db->digest);
	for (int s = 0; s < SIGDB_N_SOURCES; s++) {
		digest_u64(&f, db->serial[s][0]);
		digest_u64(&f, db->serial[s][1]);
	}
	digest_exact(&f, &db->table);
	digest_sketches(&f, &db->skv);
	digest_flush(&f);
	crypto_generichash_final(&f.st, out, SIGDB_DIGEST_BYTES);
}

/* The kept digest, or a new one kept by the first caller to claim the slot;
 * a caller that loses the claim to a concurrent one uses its own copy. */
static void digest_get(const struct sigdb *db, uint8_t out[SIGDB_DIGEST_BYTES])
{
	struct sigdb *keep = (struct sigdb *)db; /* the cache is not the content */
	int expect = SIGDB_DIGEST_NONE;

	if (atomic_load_explicit(&db->digest_state, memory_order_acquire) == SIGDB_DIGEST_SET) {
		memcpy(out, db->digest, SIGDB_DIGEST_BYTES);
		return;
	}
	digest_compute(db, out);
	if (atomic_compare_exchange_strong(&keep->digest_state, &expect, SIGDB_DIGEST_BUSY)) {
		memcpy(keep->digest, out, SIGDB_DIGEST_BYTES);
		atomic_store_explicit(&keep->digest_state, SIGDB_DIGEST_SET, memory_order_release);
	}
}

void sigdb_digest_hex(const struct sigdb *db, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[SIGDB_DIGEST_BYTES];
	size_t n = 0;

	digest_get(db, d);
	for (size_t i = 0; i < sizeof d && n + 2 < cap; i++) {
		out[n++] = hex[d[i] >> 4];
		out[n++] = hex[d[i] & 15];
	}
	if (cap)
		out[n] = 0;
}
