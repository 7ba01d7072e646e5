/*
 * counters.c - counting scanned messages into a period: per score and size
 * bucket, per engine, per whitelist list and type, per category and
 * subcategory, and (when enabled) per fingerprint seen.
 *
 * Everything here runs on the scan path: relaxed atomic adds and
 * compare-and-swap into fixed tables, never a lock, a syscall or a malloc.
 * The category and fingerprint tables are open-addressed with linear
 * probing; a full table counts what it could not place instead of growing.
 *
 * Not for: turning counts into report lines (report.c).
 */
#include <string.h>

#include "stats.h"
#include "../util/hash.h"

const unsigned stats_size_kb[STATS_N_SIZES] = { 0, 2, 4, 8, 16, 32, 64, 128, 256, 1024 };

#define STATS_PROBES 32 /* slots tried before a pair or key counts as dropped */

unsigned stats_size_bucket(size_t bytes)
{
	size_t kb = bytes / 1024;
	unsigned b = 0;
	while (b + 1 < STATS_N_SIZES && kb >= stats_size_kb[b + 1])
		b++;
	return b;
}

static void add(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* Finds or claims the slot of key in cats; NULL when none is free nearby. */
static struct stats_cat_slot *cat_slot(struct stats_period *p, unsigned key)
{
	size_t h = (size_t)whorl_mix64(key) & (STATS_CAT_SLOTS - 1);
	for (unsigned i = 0; i < STATS_PROBES; i++, h = (h + 1) & (STATS_CAT_SLOTS - 1)) {
		struct stats_cat_slot *s = &p->cats[h];
		unsigned cur = atomic_load_explicit(&s->key, memory_order_acquire);
		if (cur == key)
			return s;
		if (cur == 0 && atomic_compare_exchange_strong(&s->key, &cur, key))
			return s;
		if (cur == key) /* another scan claimed it for the same pair */
			return s;
	}
	return NULL;
}

static void count_category(struct stats_period *p, unsigned cat, unsigned sub)
{
	unsigned keys[2] = { ((cat & 0xffffu) << 16 | STATS_CAT_WHOLE) + 1,
		             ((cat & 0xffffu) << 16 | (sub & 0xffffu)) + 1 };
	for (int i = 0; i < 2; i++) {
		struct stats_cat_slot *s = cat_slot(p, keys[i]);
		add(s != NULL ? &s->count : &p->cats_dropped);
	}
}

void stats_count_message(struct stats_period *p, const struct stats_msg *m)
{
	unsigned b = stats_size_bucket(m->bytes);
	add(&p->score[m->score <= 100 ? m->score : 100][b]);
	for (unsigned e = 1; e < STATS_N_ENGINES; e++)
		if (m->engines & (1u << e))
			add(&p->engine[e][b]);
	if (m->wl_kind >= 0 && m->wl_kind < WL_N_KINDS && m->wl_type >= 0 &&
	    m->wl_type < WL_N_TYPES)
		add(&p->wl[m->wl_kind][m->wl_type][b]);
	if (m->category != 0 || m->subcategory != 0)
		count_category(p, m->category, m->subcategory);
}

void stats_count_sig(struct stats_period *p, unsigned engine, uint64_t key)
{
	uint64_t k = key != 0 ? key : 1;
	size_t h = (size_t)whorl_mix64(k ^ engine) & (STATS_SIG_SLOTS - 1);
	for (unsigned i = 0; i < STATS_PROBES; i++, h = (h + 1) & (STATS_SIG_SLOTS - 1)) {
		struct stats_sig_slot *s = &p->sigs[h];
		uint64_t cur = atomic_load_explicit(&s->key, memory_order_acquire);
		if (cur == 0) {
			if (atomic_compare_exchange_strong(&s->key, &cur, k)) {
				atomic_store_explicit(&s->engine, engine, memory_order_relaxed);
				add(&s->count);
				return;
			}
		}
		/* The same key from another engine gets its own slot. */
		if (cur == k && atomic_load_explicit(&s->engine, memory_order_relaxed) == engine) {
			add(&s->count);
			return;
		}
	}
	add(&p->sigs_dropped);
}

struct stats_period *stats_flip(struct stats *s)
{
	unsigned old = atomic_fetch_xor_explicit(&s->active, 1u, memory_order_acq_rel) & 1u;
	return &s->period[old];
}

void stats_period_clear(struct stats_period *p)
{
	/* No scan counts into p any more (the caller waited a grace period). */
	memset((void *)p, 0, sizeof(*p));
}
