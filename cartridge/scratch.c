/*
 * scratch.c - a lock-free pool of per-scan working memory.
 *
 * Each slot holds an arena, iconv descriptors and a fingerprint list that
 * survive across scans, so a warmed-up scan allocates nothing. A scan claims
 * a slot with one compare-and-swap, probing from the hint (slot 0 unless a
 * test moves it), so the slots in use, and the memory they keep (up to
 * SCRATCH_KEEP_BYTES of arena each, and their iconv descriptors), follow the
 * number of scans running at once, not all 64 slots: a rotating hint visited
 * every slot in turn and a busy whorld grew by ~150 MiB (docs/BENCHMARKS.md,
 * whorld soak). When every slot is busy a scan gets a private one from
 * malloc instead of waiting.
 *
 * What a slot carries from one scan to the next, and why no verdict can
 * depend on it (issue 9: the same bytes always get the same verdict):
 *  - the arena: reset at release; its limit counts only what this scan asked
 *    for, and blocks are written before they are read (util/arena.h);
 *  - the charset cache: iconv descriptors whose shift state is reset around
 *    every conversion, and none of the converters that keep a byte order in
 *    the descriptor (mime/charset.c, mime/unicode.c);
 *  - the fingerprint list: its counts and overflow flag cleared at release,
 *    each entry written whole before it is counted (fp/fp_list.c).
 * A slot whose charset cache cannot be made is never handed out: a scan
 * without one would read other charsets than the same message elsewhere.
 * tests/integration/determinism.sh and tests/fuzz/fuzz_scan_pair.c check it.
 *
 * Grace periods: a writer that swapped a table pointer waits until every
 * slot busy at the swap has been released (its seq moved on) and every
 * private slot taken before the swap has been released; a scan claims its
 * slot (seq_cst) before it loads any table pointer, so no scan can still
 * hold the old table afterwards. Private slots are counted per generation
 * (two counters, picked by the generation's low bit, as in Linux's SRCU):
 * the writer moves the generation on and waits for the old counter only,
 * so scans that start after the switch go to the other counter and cannot
 * keep it from draining. Waiting for one count of all private scans would
 * never end while more scans than slots run all the time (issue 10.5).
 */
#include <sched.h>
#include <stdlib.h>

#include "engine.h"

#define SCRATCH_KEEP_BYTES ((size_t)8 << 20) /* arena kept in a slot after a scan */

/* Returns -1 when the charset cache cannot be made (nothing to free then). */
static int scratch_setup(struct scan_scratch *s)
{
	atomic_init(&s->busy, 0);
	atomic_init(&s->seq, 0);
	arena_init(&s->arena);
	s->arena.limit = ENGINE_SCAN_ARENA_LIMIT;
	s->charsets = charset_cache_new();
	s->fps.n_fps = s->fps.n_sketches = 0;
	s->fps.overflow = 0;
	return s->charsets != NULL ? 0 : -1;
}

static void scratch_teardown(struct scan_scratch *s)
{
	arena_destroy(&s->arena);
	charset_cache_free(s->charsets);
}

int engine_scratch_init(struct whorl_engine *e)
{
	e->scratch = calloc(ENGINE_SCRATCH_SLOTS, sizeof(*e->scratch));
	if (e->scratch == NULL)
		return WHORL_ENOMEM;
	atomic_init(&e->private_gen, 0);
	atomic_init(&e->private_scans[0], 0);
	atomic_init(&e->private_scans[1], 0);
	pthread_mutex_init(&e->grace_lock, NULL);
	for (size_t i = 0; i < ENGINE_SCRATCH_SLOTS; i++)
		if (scratch_setup(&e->scratch[i]) != 0) {
			engine_scratch_destroy(e);
			return WHORL_ENOMEM;
		}
	atomic_init(&e->scratch_hint, 0);
	return 0;
}

void engine_scratch_destroy(struct whorl_engine *e)
{
	if (e->scratch == NULL)
		return;
	for (size_t i = 0; i < ENGINE_SCRATCH_SLOTS; i++)
		scratch_teardown(&e->scratch[i]);
	free(e->scratch);
	e->scratch = NULL;
	pthread_mutex_destroy(&e->grace_lock);
}

/* Counts a private scan in the current generation and returns it. The
 * count is made (seq_cst) before the generation is read again: when that
 * second read still finds it, the count is in place before any grace
 * period can move the generation on, so that period waits for it. When a
 * grace period moved it in between, count again in the new one (lock-free:
 * it moves once per grace period, and a grace period waits for scans). */
static unsigned private_enter(struct whorl_engine *e)
{
	for (;;) {
		unsigned gen = atomic_load(&e->private_gen);
		atomic_fetch_add(&e->private_scans[gen & 1], 1);
		if (atomic_load(&e->private_gen) == gen)
			return gen;
		atomic_fetch_sub(&e->private_scans[gen & 1], 1);
	}
}

struct scan_scratch *engine_scratch_acquire(struct whorl_engine *e)
{
	unsigned start = atomic_load_explicit(&e->scratch_hint, memory_order_relaxed);
	for (unsigned k = 0; k < ENGINE_SCRATCH_SLOTS; k++) {
		struct scan_scratch *s = &e->scratch[(start + k) % ENGINE_SCRATCH_SLOTS];
		int expected = 0;
		/* seq_cst: the claim must be visible before this scan reads any
		 * table pointer, or a grace period could miss it. */
		if (atomic_load_explicit(&s->busy, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_strong_explicit(
		        &s->busy, &expected, 1, memory_order_seq_cst, memory_order_relaxed))
			return s;
	}
	unsigned gen = private_enter(e);
	struct scan_scratch *s = malloc(sizeof(*s));
	if (s == NULL || scratch_setup(s) != 0) {
		free(s);
		atomic_fetch_sub(&e->private_scans[gen & 1], 1);
		return NULL;
	}
	s->private_gen = gen;
	atomic_store(&s->busy, 2); /* 2: private, freed on release */
	return s;
}

void engine_scratch_release(struct whorl_engine *e, struct scan_scratch *s)
{
	/* One huge message must not pin its memory in the slot for good. */
	if (s->arena.total > SCRATCH_KEEP_BYTES) {
		arena_destroy(&s->arena);
		arena_init(&s->arena);
		s->arena.limit = ENGINE_SCAN_ARENA_LIMIT;
	}
	arena_reset(&s->arena);
	s->fps.n_fps = s->fps.n_sketches = 0;
	s->fps.overflow = 0;
	if (atomic_load_explicit(&s->busy, memory_order_relaxed) == 2) {
		unsigned gen = s->private_gen;
		scratch_teardown(s);
		free(s);
		atomic_fetch_sub_explicit(&e->private_scans[gen & 1], 1, memory_order_release);
		return;
	}
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
	atomic_store_explicit(&s->busy, 0, memory_order_release);
}

void engine_grace_period(struct whorl_engine *e)
{
	unsigned seen[ENGINE_SCRATCH_SLOTS];
	int busy[ENGINE_SCRATCH_SLOTS];
	/* One at a time: two periods moving the generation at once could
	 * each wait on the counter that new scans are entering. */
	pthread_mutex_lock(&e->grace_lock);
	atomic_thread_fence(memory_order_seq_cst);
	for (size_t i = 0; i < ENGINE_SCRATCH_SLOTS; i++) {
		seen[i] = atomic_load(&e->scratch[i].seq);
		busy[i] = atomic_load(&e->scratch[i].busy) != 0;
	}
	/* Scans on private slots: new ones count in the next generation from
	 * here on; wait for the ones counted in the old one. */
	unsigned old_gen = atomic_fetch_add(&e->private_gen, 1);
	for (size_t i = 0; i < ENGINE_SCRATCH_SLOTS; i++)
		while (busy[i] && atomic_load(&e->scratch[i].busy) != 0 &&
		       atomic_load(&e->scratch[i].seq) == seen[i])
			sched_yield();
	while (atomic_load(&e->private_scans[old_gen & 1]) != 0)
		sched_yield();
	pthread_mutex_unlock(&e->grace_lock);
}
