/*
 * table.c - the exact-fingerprint table of a snapshot: open addressing with
 * linear probing over 64-bit keys, frozen once and then only read.
 *
 * Layout: one array of 16-byte slots {key, meta} (a hit reads one cache
 * line). The home of a key is fastrange(key, cap) = (key * cap) >> 64 with
 * cap ~ n / SIGDB_TABLE_LOAD, not a power of two. Keys are already well
 * mixed (whorl_fp_key), so the top bits are uniform.
 *
 * Because the table is built all at once, keys are placed in ascending order
 * (each at max(home, previous position + 1)), an "ordered hash table": the
 * keys along any probe run ascend, so a lookup stops at the first slot whose
 * key is >= the one sought, or empty. Hits and misses then both cost about
 * the length of the run up to the key, instead of misses scanning to the end
 * of the cluster. Runs never wrap: the table has overflow slots past cap and
 * an empty sentinel at the very end, so a probe needs no bounds check.
 * Key 0 marks an empty slot; a real key 0 lives in a side slot.
 *
 * Not for: building (builder.c collects entries and calls sigdb_table_freeze).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

/* Load factor, in percent: 80 keeps memory at ~20 bytes per key and runs
 * short (a lookup reads ~3 slots on average). */
#define SIGDB_TABLE_LOAD_PCT 80

static inline uint32_t table_home(uint64_t key, uint32_t cap)
{
	return (uint32_t)(((unsigned __int128)key * cap) >> 64);
}

static uint32_t table_cap_for(size_t n)
{
	return (uint32_t)(n * 100 / SIGDB_TABLE_LOAD_PCT + 1);
}

/* Groups sharing a home are tiny (Poisson, mean 0.8): insertion sort. */
static void slots_sort(struct sigdb_slot *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sigdb_slot x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1].key > x.key) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Counting sort of items by home slot into out; start[h] = first of home h.
 * Within a home, keys are put in ascending order. */
static void table_sort_by_home(const struct sigdb_slot *items, size_t n, uint32_t cap,
                               uint32_t *start, struct sigdb_slot *out)
{
	memset(start, 0, ((size_t)cap + 1) * sizeof(*start));
	for (size_t i = 0; i < n; i++)
		start[table_home(items[i].key, cap) + 1]++;
	for (uint32_t h = 0; h < cap; h++)
		start[h + 1] += start[h];
	for (size_t i = 0; i < n; i++)
		out[start[table_home(items[i].key, cap)]++] = items[i];
	/* start[h] now ends home h; shift back so it starts it again. */
	memmove(start + 1, start, (size_t)cap * sizeof(*start));
	start[0] = 0;
	for (uint32_t h = 0; h < cap; h++)
		if (start[h + 1] - start[h] > 1)
			slots_sort(out + start[h], start[h + 1] - start[h]);
}

/* Slots needed to place sorted items from their homes on: the position
 * after the last one, at least cap. */
static size_t table_extent(const uint32_t *start, uint32_t cap)
{
	size_t pos = 0;
	for (uint32_t h = 0; h < cap; h++) {
		uint32_t c = start[h + 1] - start[h];
		if (c != 0)
			pos = (pos > h ? pos : h) + c;
	}
	return pos > cap ? pos : cap;
}

static void table_place(struct sigdb_slot *slots, const struct sigdb_slot *sorted,
                        const uint32_t *start, uint32_t cap)
{
	size_t pos = 0;
	for (uint32_t h = 0; h < cap; h++) {
		if (start[h] == start[h + 1])
			continue;
		if (pos < h)
			pos = h;
		for (uint32_t i = start[h]; i < start[h + 1]; i++)
			slots[pos++] = sorted[i];
	}
}

int sigdb_table_freeze(struct sigdb_table *t, const struct sigdb_slot *items, size_t n)
{
	if (n > SIGDB_MAX_ENTRIES)
		return WHORL_ELIMIT;
	uint32_t cap = table_cap_for(n);
	uint32_t *start = malloc(((size_t)cap + 1) * sizeof(*start));
	struct sigdb_slot *sorted = malloc((n ? n : 1) * sizeof(*sorted));
	int rc = WHORL_ENOMEM;
	if (start == NULL || sorted == NULL)
		goto out;
	table_sort_by_home(items, n, cap, start, sorted);
	size_t n_slots = table_extent(start, cap) + 1;   /* + the empty sentinel */
	t->slots = calloc(n_slots, sizeof(*t->slots));
	if (t->slots == NULL)
		goto out;
	table_place(t->slots, sorted, start, cap);
	t->cap = cap;
	t->n_slots = (uint32_t)n_slots;
	t->count = (uint32_t)n;
	rc = 0;
out:
	free(start);
	free(sorted);
	return rc;
}

/* Stable LSD radix sort of v[0..n) by key, one byte a pass; passes on a
 * byte every key shares are skipped. */
static int slots_radix_sort(struct sigdb_slot *v, size_t n)
{
	size_t (*hist)[256] = calloc(8, sizeof(*hist));
	struct sigdb_slot *tmp = malloc((n ? n : 1) * sizeof(*tmp));
	struct sigdb_slot *src = v, *dst = tmp;
	int rc = WHORL_ENOMEM;

	if (hist == NULL || tmp == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		for (unsigned p = 0; p < 8; p++)
			hist[p][(v[i].key >> (8 * p)) & 0xff]++;
	for (unsigned p = 0; n > 0 && p < 8; p++) {
		size_t start = 0;
		if (hist[p][(v[0].key >> (8 * p)) & 0xff] == n)
			continue;
		for (unsigned d = 0; d < 256; d++) {
			size_t c = hist[p][d];
			hist[p][d] = start;
			start += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[hist[p][(src[i].key >> (8 * p)) & 0xff]++] = src[i];
		struct sigdb_slot *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	rc = 0;
out:
	free(hist);
	free(tmp);
	return rc;
}

/* Keeps the last of each run of equal keys in sorted v; the new count. */
static size_t slots_dedupe_last(struct sigdb_slot *v, size_t n)
{
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && v[out - 1].key == v[i].key)
			out--;
		v[out++] = v[i];
	}
	return out;
}

int sigdb_table_freeze_flat(struct sigdb_table *t, struct sigdb_slot *v, size_t n)
{
	int rc = slots_radix_sort(v, n);
	if (rc != 0)
		return rc;
	n = slots_dedupe_last(v, n);
	if (n > SIGDB_MAX_ENTRIES)
		return WHORL_ELIMIT;
	/* home() is monotone in the key: sorted by key is sorted by home,
	 * ascending within a home, which is the order table_place wants. */
	uint32_t cap = table_cap_for(n);
	size_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t h = table_home(v[i].key, cap);
		pos = (pos > h ? pos : h) + 1;
	}
	size_t n_slots = (pos > cap ? pos : cap) + 1;   /* + the empty sentinel */
	t->slots = calloc(n_slots, sizeof(*t->slots));
	if (t->slots == NULL)
		return WHORL_ENOMEM;
	pos = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t h = table_home(v[i].key, cap);
		pos = pos > h ? pos : h;
		t->slots[pos++] = v[i];
	}
	t->cap = cap;
	t->n_slots = (uint32_t)n_slots;
	t->count = (uint32_t)n;
	return 0;
}

void sigdb_table_release(struct sigdb_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

size_t sigdb_table_bytes(const struct sigdb_table *t)
{
	return (size_t)t->n_slots * sizeof(*t->slots);
}

int sigdb_lookup(const struct sigdb *db, uint64_t key, struct sigdb_meta *m)
{
	if (db == NULL)
		return 0;
	const struct sigdb_table *t = &db->table;
	if (key == 0) {
		if (!t->has_zero)
			return 0;
		if (m != NULL)
			*m = t->zero_meta;
		return 1;
	}
	if (t->slots == NULL)
		return 0;
	const struct sigdb_slot *s = t->slots + table_home(key, t->cap);
	/* Skip smaller keys; an empty slot (0 - 1 wraps to the maximum) or a
	 * key >= the one sought ends the run. */
	while (s->key - 1 < key - 1)
		s++;
	if (s->key != key)
		return 0;
	if (m != NULL)
		*m = s->meta;
	return 1;
}
