/*
 * table.c - the exact-fingerprint table of a snapshot: a directory of shards,
 * each an immutable sorted array shared by every snapshot that did not
 * change it.
 *
 * Why shards: an update must not double memory. With one big table, every
 * delta rebuilt all of it; here a key's shard is its top `bits` bits (keys
 * are well mixed 64-bit hashes, whorl_fp_key, so shards fill evenly), and a
 * new snapshot points at the old shards a delta did not touch. Shards are
 * small (SIGDB_SHARD_TARGET keys on average) so that a delta of 1% of the
 * keys still leaves most shards untouched: 10,000 changes on a million keys
 * (65,536 shards) touch about 14% of them.
 *
 * Memory per key: a slot is 16 bytes; each shard costs an 8-byte header and
 * 8 bytes of malloc chunk header (an exact-size request of 8 + 16n bytes is a
 * 16n + 16 byte chunk), plus its 16-byte directory entry: 32 bytes per shard,
 * 1.3-2.7 bytes per key at 12-24 keys per shard. ~18 bytes per key in all.
 *
 * Lookup: one directory load, then the shard. A directory entry carries the
 * shard's count beside its pointer, so the slot to read is known without
 * first reading the shard's header (one dependent cache miss, not two: a
 * million keys ran at 21 M lookups/s with the count in the header, ~30 M with
 * it in the directory; the directory costs 16 bytes a shard, 1 a key). Within a shard the keys are
 * uniform over the shard's range, so the position is guessed by interpolation,
 * guess = ((key << bits) * n) >> 64, which is off by about sqrt(n)/2 slots:
 * a step or two, all in the cache lines the guess already brought in. Empty
 * shards point at one static empty shard, so the path has no NULL check.
 *
 * Not for: building (twriter.c lays out shards; builder.c decides what).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

const struct sigdb_shard sigdb_shard_empty = { 0 };

const struct sigdb_shard *sigdb_shard_new(const struct sigdb_slot *v, size_t n)
{
	if (n == 0)
		return &sigdb_shard_empty;
	struct sigdb_shard *s = malloc(sizeof(*s) + n * sizeof(*v));
	if (s == NULL)
		return NULL;
	atomic_init(&s->refs, 1);
	s->n = (uint32_t)n;
	memcpy(s->slots, v, n * sizeof(*v));
	return s;
}

/* The empty shard is a constant: its count is never touched (n == 0 tells
 * it apart, as every allocated shard holds at least one key). */
void sigdb_shard_ref(const struct sigdb_shard *s)
{
	if (s->n != 0)
		atomic_fetch_add_explicit((_Atomic uint32_t *)&s->refs, 1, memory_order_relaxed);
}

void sigdb_shard_unref(const struct sigdb_shard *s)
{
	if (s->n == 0)
		return;
	/* acq_rel: every reader's use happens before the free. */
	if (atomic_fetch_sub_explicit((_Atomic uint32_t *)&s->refs, 1, memory_order_acq_rel) == 1)
		free((void *)s);
}

/* Rounds log2(n / TARGET): 12 to 24 keys per shard on average. */
unsigned sigdb_table_bits_for(size_t n)
{
	unsigned bits = SIGDB_SHARD_BITS_MIN;
	while (bits < SIGDB_SHARD_BITS_MAX && n * 2 > ((size_t)SIGDB_SHARD_TARGET * 3) << bits)
		bits++;
	return bits;
}

int sigdb_table_init(struct sigdb_table *t, unsigned bits)
{
	size_t n = (size_t)1 << bits;
	t->dir = malloc(n * sizeof(*t->dir));
	if (t->dir == NULL)
		return WHORL_ENOMEM;
	for (size_t i = 0; i < n; i++)
		t->dir[i] = (struct sigdb_dirent){ &sigdb_shard_empty, 0 };
	t->bits = bits;
	t->shift = 64 - bits;
	t->count = 0;
	return 0;
}

void sigdb_table_release(struct sigdb_table *t)
{
	for (size_t i = 0; t->dir != NULL && i < ((size_t)1 << t->bits); i++)
		sigdb_shard_unref(t->dir[i].s);
	free(t->dir);
	memset(t, 0, sizeof(*t));
}

size_t sigdb_table_bytes(const struct sigdb_table *t)
{
	if (t->dir == NULL)
		return 0;
	size_t n_dir = (size_t)1 << t->bits;
	size_t bytes = sigdb_heap_bytes(n_dir * sizeof(*t->dir));
	for (size_t i = 0; i < n_dir; i++)
		if (t->dir[i].s->n != 0)
			bytes += sigdb_heap_bytes(sizeof(struct sigdb_shard) +
			                          t->dir[i].s->n * sizeof(struct sigdb_slot));
	return bytes;
}

size_t sigdb_shared_shards(const struct sigdb *a, const struct sigdb *b)
{
	if (a == NULL || b == NULL || a->table.bits != b->table.bits)
		return 0;
	size_t same = 0;
	for (size_t i = 0; i < ((size_t)1 << a->table.bits); i++)
		same += a->table.dir[i].s == b->table.dir[i].s && a->table.dir[i].s->n != 0;
	return same;
}

/* Where sigdb_lookup's search for key starts in a shard of n slots: keys
 * are spread evenly, so the key's position within the shard's range. It is
 * < n for n > 0 (key << bits < 2^64). */
static inline uint32_t first_guess(const struct sigdb_table *t, uint64_t key, uint32_t n)
{
	return (uint32_t)(((unsigned __int128)(key << t->bits) * n) >> 64);
}

void sigdb_prefetch_key(const struct sigdb *db, uint64_t key)
{
	if (db == NULL)
		return;
	const struct sigdb_table *t = &db->table;
	const struct sigdb_dirent *e = &t->dir[sigdb_shard_of(key, t->shift)];
	if (e->n != 0)
		__builtin_prefetch(&e->s->slots[first_guess(t, key, e->n)]);
}

int sigdb_lookup(const struct sigdb *db, uint64_t key, struct sigdb_meta *m)
{
	if (db == NULL)
		return 0;
	const struct sigdb_table *t = &db->table;
	const struct sigdb_dirent *e = &t->dir[sigdb_shard_of(key, t->shift)];
	uint32_t n = e->n;
	uint32_t i = first_guess(t, key, n);
	const struct sigdb_slot *v = e->s->slots;
	if (n == 0)
		return 0;
	if (v[i].key < key) {
		do
			i++;
		while (i < n && v[i].key < key);
		if (i == n)
			return 0;
	} else {
		while (i > 0 && v[i - 1].key >= key)
			i--;
	}
	if (v[i].key != key)
		return 0;
	if (m != NULL)
		*m = v[i].meta;
	return 1;
}
