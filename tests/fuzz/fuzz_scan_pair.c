/*
 * fuzz_scan_pair.c - libFuzzer target: a verdict never depends on what was
 * scanned before it (issue 9).
 *
 * The input is split in two messages A and B (its first two bytes pick the
 * cut). B is scored and fingerprinted on scratch slot 1, renewed as a new
 * engine would have it ("alone"); then A and B are scanned in sequence on
 * slot 0, which keeps everything every earlier input left in it (arena
 * chunks, iconv descriptors, fingerprint list). B's verdict (score,
 * category, rescan, analysis, names) and fingerprint set must be the same
 * both times, byte for byte; any difference aborts with both printed.
 * Built with AddressSanitizer, the arena scrubs and poisons what a reset
 * frees (util/arena.h), so a read of bytes an earlier scan left differs
 * here, and a pointer kept across scans faults.
 *
 * Not for: the scan path's invariants on one input (fuzz_scan.c).
 */
#include "fuzz_engine.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_engine_open("fuzz_scan_pair");
	return 0;
}

/* Slot 1 as engine_open made it: nothing left by earlier scans. */
static void slot_renew(struct scan_scratch *s)
{
	arena_destroy(&s->arena);
	arena_init(&s->arena);
	s->arena.limit = ENGINE_SCAN_ARENA_LIMIT;
	charset_cache_free(s->charsets);
	s->charsets = charset_cache_new();
	if (s->charsets == NULL)
		fuzz_die("charset cache");
	s->fps.n_fps = s->fps.n_sketches = 0;
	s->fps.overflow = 0;
}

/* The next scan on this thread takes slot k (engine_scratch_acquire starts
 * at the hint, and every slot is free between inputs). */
static void use_slot(unsigned k)
{
	atomic_store(&fuzz_engine->scratch_hint, k);
}

struct pair_result {
	int score_rc, fp_rc;
	struct whorl_verdict *v;
	struct whorl_fpset *fps;
};

/* Scores and fingerprints msg on slot k; slot 1 is renewed before each. */
static void scan_both(const char *msg, size_t len, unsigned k, struct pair_result *r)
{
	if (k == 1)
		slot_renew(&fuzz_engine->scratch[1]);
	use_slot(k);
	r->score_rc = scan_score(fuzz_engine, NULL, msg, len, &r->v);
	if (k == 1)
		slot_renew(&fuzz_engine->scratch[1]);
	use_slot(k);
	r->fp_rc = scan_fingerprint(fuzz_engine, msg, len, &r->fps);
}

static void pair_free(struct pair_result *r)
{
	if (r->v != NULL)
		scan_verdict_free(fuzz_engine, r->v);
	if (r->fps != NULL)
		scan_fpset_free(fuzz_engine, r->fps);
}

static int same_str(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int same_verdict(const struct whorl_verdict *a, const struct whorl_verdict *b)
{
	return a->score == b->score && a->is_spam == b->is_spam && a->category == b->category &&
	       a->subcategory == b->subcategory && a->rescan == b->rescan &&
	       same_str(a->analysis, b->analysis) && same_str(a->category_desc, b->category_desc) &&
	       same_str(a->subcategory_desc, b->subcategory_desc);
}

static int same_fpset(const struct whorl_fpset *a, const struct whorl_fpset *b)
{
	if (a->n_fps != b->n_fps || a->n_sketches != b->n_sketches || a->rescan != b->rescan ||
	    memcmp(a->fps, b->fps, a->n_fps * sizeof(*a->fps)) != 0)
		return 0;
	for (size_t i = 0; i < a->n_sketches; i++) {
		const struct whorl_sketch *x = &a->sketches[i], *y = &b->sketches[i];
		if (x->engine != y->engine || x->algo_version != y->algo_version ||
		    x->len != y->len || memcmp(x->bytes, y->bytes, x->len) != 0)
			return 0;
	}
	return 1;
}

static void pair_check(const struct pair_result *alone, const struct pair_result *after)
{
	if (alone->score_rc != after->score_rc || alone->fp_rc != after->fp_rc)
		fuzz_die("the second message's status depends on the first");
	if (alone->score_rc == 0 && !same_verdict(alone->v, after->v)) {
		fprintf(stderr, "alone: score=%u rescan=%d %s\nafter: score=%u rescan=%d %s\n",
		        alone->v->score, alone->v->rescan, alone->v->analysis, after->v->score,
		        after->v->rescan, after->v->analysis);
		fuzz_die("the second message's verdict depends on the first");
	}
	if (alone->fp_rc == 0 && !same_fpset(alone->fps, after->fps))
		fuzz_die("the second message's fingerprints depend on the first");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t body = size - 2;
	size_t cut = ((size_t)data[0] << 8 | data[1]) % (body + 1);
	/* Private copies so reads past either end are caught by ASan. */
	char *a = malloc(cut ? cut : 1), *b = malloc(body - cut ? body - cut : 1);
	struct pair_result alone = { 0 }, first = { 0 }, after = { 0 };
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return 0;
	}
	memcpy(a, data + 2, cut);
	memcpy(b, data + 2 + cut, body - cut);
	scan_both(b, body - cut, 1, &alone);
	scan_both(a, cut, 0, &first);
	scan_both(b, body - cut, 0, &after);
	pair_check(&alone, &after);
	pair_free(&alone);
	pair_free(&first);
	pair_free(&after);
	free(a);
	free(b);
	return 0;
}
