/*
 * live.c - the live snapshot of an engine: readers take a reference without
 * locks; an update publishes a new snapshot with one atomic swap.
 *
 * Why "load the pointer, then increment its count" is not enough: between a
 * reader's load and its increment, a publisher can swap the pointer and drop
 * the last reference, and the reader then increments freed memory. The gap
 * has to be covered by something the publisher waits on.
 *
 * Scheme (two-phase reader counts, a tiny RCU): live->phase selects one of
 * two counters of acquirers in flight.
 *
 *   acquire:  ph = phase; readers[ph&1]++; if phase != ph: undo and retry;
 *             db = current; ref(db); readers[ph&1]--
 *   publish:  (publishers serialised by a flag)
 *             old = exchange(current, new); ph = phase++;
 *             wait until readers[ph&1] == 0; unref(old)
 *
 * All of these are sequentially consistent operations, so they fall into one
 * total order S. Suppose a reader loads `old` from current. Its load precedes
 * the publisher's exchange in S, hence so does its re-check of phase, which
 * therefore saw the phase from before the publisher's increment: the reader
 * counted itself in readers[ph&1] before that increment. The publisher reads
 * readers[ph&1] after its increment, so it sees the reader's count and
 * waits until the reader's release-decrement, which comes after ref(old).
 * The publisher's unref(old) thus cannot drop the last reference while the
 * reader still needs it. A reader whose re-check sees the phase has moved
 * retries under the new phase; without the re-check, a reader counted under
 * a stale phase would be invisible to the *next* publisher, which waits on
 * the other counter.
 *
 * acquire() never waits: it retries only when a publish moved the phase in
 * the few instructions between its two loads (lock-free). publish() waits
 * only for readers already inside acquire(), each of which finishes in a
 * bounded number of steps, so the wait is short; it spins, then yields.
 *
 * Not for: lookups (table.c, sketches.c).
 */
#include <sched.h>

#include "sigdb_int.h"

#define LIVE_SPINS 64 /* busy polls before publish() yields */

void sigdb_live_init(struct sigdb_live *live, struct sigdb *initial)
{
	atomic_init(&live->current, initial);
	atomic_init(&live->readers[0], 0);
	atomic_init(&live->readers[1], 0);
	atomic_init(&live->phase, 0);
	atomic_init(&live->publishing, 0);
}

struct sigdb *sigdb_live_acquire(struct sigdb_live *live)
{
	for (;;) {
		unsigned ph = atomic_load(&live->phase);
		atomic_fetch_add(&live->readers[ph & 1], 1);
		if (atomic_load(&live->phase) == ph) {
			struct sigdb *db = atomic_load(&live->current);
			sigdb_ref(db);
			atomic_fetch_sub_explicit(&live->readers[ph & 1], 1, memory_order_release);
			return db;
		}
		atomic_fetch_sub(&live->readers[ph & 1], 1);
	}
}

static void live_wait_zero(_Atomic unsigned long *count)
{
	for (unsigned spins = 0; atomic_load(count) != 0; spins++)
		if (spins >= LIVE_SPINS)
			sched_yield();
}

void sigdb_live_publish(struct sigdb_live *live, struct sigdb *db)
{
	int expected = 0;
	for (unsigned spins = 0; !atomic_compare_exchange_weak(&live->publishing, &expected, 1);
	     spins++) {
		expected = 0;
		if (spins >= LIVE_SPINS)
			sched_yield();
	}
	struct sigdb *old = atomic_exchange(&live->current, db);
	unsigned ph = atomic_fetch_add(&live->phase, 1);
	live_wait_zero(&live->readers[ph & 1]);
	atomic_store_explicit(&live->publishing, 0, memory_order_release);
	sigdb_unref(old);
}

void sigdb_live_destroy(struct sigdb_live *live)
{
	sigdb_unref(atomic_exchange(&live->current, NULL));
}
