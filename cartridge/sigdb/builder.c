/*
 * builder.c - a mutable, single-threaded set of fingerprints that freezes
 * into an immutable snapshot (sigdb_builder_finish).
 *
 * Exact fingerprints sit in a power-of-two open-addressing map with linear
 * probing and backward-shift deletion; key 0 has a side slot. A builder made
 * from a base snapshot starts as a copy of it, so a delta is applied as puts
 * and dels on top. Finishing reuses the map's own slot array as the input of
 * sigdb_table_freeze (live slots packed to the front), so freezing a million
 * keys costs one counting sort and one pass, no extra copy.
 *
 * A builder made empty (no base) starts in flat mode instead: puts are
 * appended to a plain array of 16-byte slots, which finishing sorts (last of
 * equal keys wins) and lays out directly (sigdb_table_freeze_flat), so a
 * complete file never holds a hash map beside the new table. The first
 * delete, or an array at the entry limit, turns the array into the map,
 * inserting in order, so the result is the same either way.
 *
 * Not for: concurrent use (one thread per builder), lookups at scan time.
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

#define BMAP_BITS_MIN 6
#define BMAP_LOAD_PCT 60        /* the map doubles past this load */
#define BMAP_MULT 0x9e3779b97f4a7c15ull

struct bmap {
	struct sigdb_slot *slots;   /* 1 << bits */
	unsigned bits;
	size_t count;               /* non-zero keys */
	int has_zero;
	struct sigdb_meta zero_meta;
};

/* Flat mode: puts in arrival order (key 0 goes to exact's side slot). */
struct bflat {
	struct sigdb_slot *v;
	size_t n, cap;
	int on;
};

struct sigdb_builder {
	struct bmap exact;
	struct bflat flat;
	struct sigdb_bsketches sk;
	uint64_t serial[SIGDB_N_SOURCES][2];
};

static size_t bmap_home(uint64_t key, unsigned bits)
{
	return (size_t)((key * BMAP_MULT) >> (64 - bits));
}

static size_t bmap_find(const struct bmap *m, uint64_t key)
{
	size_t mask = ((size_t)1 << m->bits) - 1;
	size_t i = bmap_home(key, m->bits);
	while (m->slots[i].key != 0 && m->slots[i].key != key)
		i = (i + 1) & mask;
	return i;
}

static int bmap_resize(struct bmap *m, unsigned bits)
{
	struct bmap fresh = { .bits = bits, .count = m->count };
	fresh.slots = calloc((size_t)1 << bits, sizeof(*fresh.slots));
	if (fresh.slots == NULL)
		return WHORL_ENOMEM;
	for (size_t i = 0; m->slots != NULL && i < ((size_t)1 << m->bits); i++)
		if (m->slots[i].key != 0)
			fresh.slots[bmap_find(&fresh, m->slots[i].key)] = m->slots[i];
	free(m->slots);
	m->slots = fresh.slots;
	m->bits = bits;
	return 0;
}

static unsigned bmap_bits_for(size_t n)
{
	unsigned bits = BMAP_BITS_MIN;
	while (n * 100 > ((size_t)BMAP_LOAD_PCT << bits))
		bits++;
	return bits;
}

static int bmap_put(struct bmap *m, uint64_t key, const struct sigdb_meta *meta)
{
	if (key == 0) {
		m->has_zero = 1;
		m->zero_meta = *meta;
		return 0;
	}
	if (m->slots == NULL || (m->count + 1) * 100 > ((size_t)BMAP_LOAD_PCT << m->bits)) {
		int rc = bmap_resize(m, bmap_bits_for(m->count + 1));
		if (rc != 0)
			return rc;
	}
	size_t i = bmap_find(m, key);
	if (m->slots[i].key == 0) {
		if (m->count >= SIGDB_MAX_ENTRIES)
			return WHORL_ELIMIT;
		m->count++;
	}
	m->slots[i].key = key;
	m->slots[i].meta = *meta;
	return 0;
}

static int bmap_del(struct bmap *m, uint64_t key)
{
	if (key == 0) {
		int had = m->has_zero;
		m->has_zero = 0;
		return had ? 0 : WHORL_ENODATA;
	}
	if (m->slots == NULL)
		return WHORL_ENODATA;
	size_t i = bmap_find(m, key);
	if (m->slots[i].key == 0)
		return WHORL_ENODATA;
	size_t mask = ((size_t)1 << m->bits) - 1;
	/* Backward shift: pull later members of the run into the hole when
	 * that keeps them at or after their home. */
	for (size_t j = (i + 1) & mask; m->slots[j].key != 0; j = (j + 1) & mask) {
		size_t home = bmap_home(m->slots[j].key, m->bits);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = 0;
	m->count--;
	return 0;
}

static int bmap_copy(struct bmap *m, const struct sigdb_table *t)
{
	int rc = bmap_resize(m, bmap_bits_for(t->count));
	for (uint32_t i = 0; rc == 0 && i < t->n_slots; i++) {
		const struct sigdb_slot *s = &t->slots[i];
		if (s->key != 0) {
			m->slots[bmap_find(m, s->key)] = *s;
			m->count++;
		}
	}
	m->has_zero = (int)t->has_zero;
	m->zero_meta = t->zero_meta;
	return rc;
}

struct sigdb_builder *sigdb_builder_new(const struct sigdb *base)
{
	struct sigdb_builder *b = calloc(1, sizeof(*b));
	if (b != NULL && base == NULL)
		b->flat.on = 1;
	if (b == NULL || base == NULL)
		return b;
	memcpy(b->serial, base->serial, sizeof(b->serial));
	if (bmap_copy(&b->exact, &base->table) != 0 || sigdb_bsketches_copy(&b->sk, base) != 0) {
		sigdb_builder_free(b);
		return NULL;
	}
	return b;
}

struct sigdb_builder *sigdb_builder_new_replace(const struct sigdb *base)
{
	(void)base;        /* nothing shared yet: a plain empty builder */
	return sigdb_builder_new(NULL);
}

void sigdb_builder_free(struct sigdb_builder *b)
{
	if (b == NULL)
		return;
	free(b->exact.slots);
	free(b->flat.v);
	sigdb_bsketches_free(&b->sk);
	free(b);
}

static int bflat_grow(struct bflat *f, size_t want)
{
	if (want <= f->cap)
		return 0;
	struct sigdb_slot *v = realloc(f->v, want * sizeof(*v));
	if (v == NULL)
		return WHORL_ENOMEM;
	f->v = v;
	f->cap = want;
	return 0;
}

/* Leaves flat mode: the array's entries go into the map in arrival order. */
static int bflat_to_map(struct sigdb_builder *b)
{
	int rc = b->flat.n ? bmap_resize(&b->exact, bmap_bits_for(b->flat.n)) : 0;
	for (size_t i = 0; rc == 0 && i < b->flat.n; i++)
		rc = bmap_put(&b->exact, b->flat.v[i].key, &b->flat.v[i].meta);
	if (rc != 0)
		return rc;
	free(b->flat.v);
	memset(&b->flat, 0, sizeof(b->flat));
	return 0;
}

static int bflat_put(struct sigdb_builder *b, uint64_t key, const struct sigdb_meta *m)
{
	struct bflat *f = &b->flat;
	if (key == 0)
		return bmap_put(&b->exact, key, m);
	if (f->n >= SIGDB_MAX_ENTRIES) {   /* repeats may still fit: count them in the map */
		int rc = bflat_to_map(b);
		return rc != 0 ? rc : bmap_put(&b->exact, key, m);
	}
	if (f->n == f->cap && bflat_grow(f, f->cap < 64 ? 64 : f->cap + f->cap / 2) != 0)
		return WHORL_ENOMEM;
	f->v[f->n].key = key;
	f->v[f->n].meta = *m;
	f->n++;
	return 0;
}

int sigdb_builder_reserve(struct sigdb_builder *b, size_t n)
{
	if (b == NULL)
		return WHORL_EINVAL;
	if (n > SIGDB_MAX_ENTRIES)
		n = SIGDB_MAX_ENTRIES;
	if (b->flat.on)
		return bflat_grow(&b->flat, b->flat.n + n);
	unsigned bits = bmap_bits_for(b->exact.count + n);
	if (b->exact.slots != NULL && bits <= b->exact.bits)
		return 0;
	return bmap_resize(&b->exact, bits);
}

int sigdb_builder_put(struct sigdb_builder *b, uint64_t key, const struct sigdb_meta *m)
{
	if (b == NULL || m == NULL)
		return WHORL_EINVAL;
	return b->flat.on ? bflat_put(b, key, m) : bmap_put(&b->exact, key, m);
}

int sigdb_builder_del(struct sigdb_builder *b, uint64_t key)
{
	if (b == NULL)
		return WHORL_EINVAL;
	if (b->flat.on) {
		int rc = bflat_to_map(b);
		if (rc != 0)
			return rc;
	}
	return bmap_del(&b->exact, key);
}

int sigdb_builder_put_sketch(struct sigdb_builder *b, uint8_t engine, uint8_t algo, uint64_t id,
                             const uint8_t *bytes, size_t len, const uint32_t *anchors,
                             size_t n_anchors, const struct sigdb_meta *m)
{
	if (b == NULL)
		return WHORL_EINVAL;
	return sigdb_bsketches_put(&b->sk, engine, algo, id, bytes, len, anchors, n_anchors, m);
}

int sigdb_builder_del_sketch(struct sigdb_builder *b, uint8_t engine, uint64_t id)
{
	return b == NULL ? WHORL_EINVAL : sigdb_bsketches_del(&b->sk, engine, id);
}

void sigdb_builder_set_serial(struct sigdb_builder *b, enum sigdb_source src, uint64_t complete,
                              uint64_t incremental)
{
	if (b == NULL || (unsigned)src >= SIGDB_N_SOURCES)
		return;
	b->serial[src][0] = complete;
	b->serial[src][1] = incremental;
}

/* Packs the map's live slots to the front of its array; returns how many. */
static size_t bmap_pack(struct bmap *m)
{
	size_t n = 0;
	for (size_t i = 0; m->slots != NULL && i < ((size_t)1 << m->bits); i++)
		if (m->slots[i].key != 0)
			m->slots[n++] = m->slots[i];
	return n;
}

struct sigdb *sigdb_builder_finish(struct sigdb_builder *b)
{
	if (b == NULL)
		return NULL;
	struct sigdb *db = sigdb_alloc();
	if (db == NULL)
		goto fail;
	memcpy(db->serial, b->serial, sizeof(db->serial));
	if (b->flat.on) {
		if (sigdb_table_freeze_flat(&db->table, b->flat.v, b->flat.n) != 0)
			goto fail;
		free(b->flat.v);
		memset(&b->flat, 0, sizeof(b->flat));
	} else if (sigdb_table_freeze(&db->table, b->exact.slots, bmap_pack(&b->exact)) != 0) {
		goto fail;
	}
	db->table.has_zero = (uint32_t)b->exact.has_zero;
	db->table.zero_meta = b->exact.zero_meta;
	if (sigdb_bsketches_freeze(&b->sk, &db->sk) != 0 || sigdb_digest_compute(db) != 0)
		goto fail;
	sigdb_builder_free(b);
	return db;
fail:
	sigdb_unref(db);
	sigdb_builder_free(b);
	return NULL;
}
