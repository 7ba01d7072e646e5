/*
 * test_scratch_slots.c - the scratch slots a process keeps memory in follow
 * the number of scans running at once, not the pool's size: scans one after
 * another on one thread reuse one slot, and two scans at once use two.
 *
 * Each scan here takes a slot, allocates SCAN_BYTES from its arena (as a
 * scan of a large message does; the arena keeps its chunks after release)
 * and gives it back. A pool that rotated over all ENGINE_SCRATCH_SLOTS slots
 * kept that memory in every one of them (a busy whorld grew by ~150 MiB).
 *
 * Not for: grace periods (test_scratch_grace.c), what a slot carries between
 * scans (determinism.sh, fuzz_scan_pair.c).
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>

#include "../../cartridge/engine.h"

#define N_SCANS 500
#define SCAN_BYTES ((size_t)1 << 20)

/* Slots whose arena holds memory. */
static int slots_holding(const struct whorl_engine *e)
{
	int n = 0;
	for (size_t i = 0; i < ENGINE_SCRATCH_SLOTS; i++)
		n += e->scratch[i].arena.total > 0;
	return n;
}

static struct whorl_engine *engine_with_slots(void)
{
	struct whorl_engine *e = calloc(1, sizeof(*e));
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(engine_scratch_init(e), 0);
	return e;
}

START_TEST(test_sequential_scans_keep_one_slot)
{
	struct whorl_engine *e = engine_with_slots();
	for (int k = 0; k < N_SCANS; k++) {
		struct scan_scratch *s = engine_scratch_acquire(e);
		ck_assert_ptr_nonnull(s);
		ck_assert_ptr_nonnull(arena_alloc(&s->arena, SCAN_BYTES));
		engine_scratch_release(e, s);
	}
	ck_assert_int_eq(slots_holding(e), 1);
	engine_scratch_destroy(e);
	free(e);
}
END_TEST

START_TEST(test_two_at_once_keep_two_slots)
{
	struct whorl_engine *e = engine_with_slots();
	for (int k = 0; k < N_SCANS; k++) {
		struct scan_scratch *a = engine_scratch_acquire(e), *b = engine_scratch_acquire(e);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_ptr_ne(a, b);
		ck_assert_ptr_nonnull(arena_alloc(&a->arena, SCAN_BYTES));
		ck_assert_ptr_nonnull(arena_alloc(&b->arena, SCAN_BYTES));
		engine_scratch_release(e, k % 2 ? a : b);
		engine_scratch_release(e, k % 2 ? b : a);
	}
	ck_assert_int_eq(slots_holding(e), 2);
	engine_scratch_destroy(e);
	free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scratch_slots");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_sequential_scans_keep_one_slot);
	tcase_add_test(tc, test_two_at_once_keep_two_slots);
	suite_add_tcase(s, tc);
	return check_run(s);
}
