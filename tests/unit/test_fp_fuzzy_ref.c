/*
 * test_fp_fuzzy_ref.c - the fuzzy engine's comparisons against the plain
 * formulas they compute, written out here as the engine had them before
 * they were made faster (bins compared 16 at a time, the Jaccard table,
 * size ratios on integers, containment stopped at an exact integer bound).
 * Random sketch pairs, built to land on every branch (equal-bin counts
 * 0..64, size ratios at and around 3 and 4, seen bitmaps around the chance
 * limit, hit counts around the threshold); results must be equal to the
 * last bit.
 *
 * The layout constants below restate the stored form of fuzzy.c's header
 * comment (docs/FORMATS.md); a change there must change this reference too.
 */
#include <check.h>

#include "check_main.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cartridge/fp/sketch.h"

#define REF_K 64
#define REF_FORMAT 2
#define REF_SKETCH_BYTES (6 + 2 * REF_K + 2 * 4 * 4)
#define REF_SEEN_BYTES (REF_K * 4 * 8)
#define REF_EXTRA_BYTES (2 * REF_SEEN_BYTES + 8)
#define REF_MIN_WORDS 8
#define REF_MIN_GRAMS 40
#define REF_THRESHOLD 0.70
#define REF_ROUNDS 200000

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

static double ref_view_similarity(const uint8_t *q, const uint8_t *s, unsigned nq, unsigned ns,
                                  unsigned contained_min)
{
	unsigned same = 0;
	for (unsigned i = 0; i < REF_K; i++)
		same += q[i] == s[i];
	double p = (double)same / REF_K;
	double j = (p - 1.0 / 256) / (1.0 - 1.0 / 256);
	if (j <= 0)
		return 0;
	double lo = nq < ns ? nq : ns, hi = nq < ns ? ns : nq;
	double max_ratio = ns < nq && ns >= contained_min ? 4.0 : 3.0;
	if (lo <= 0 || hi / lo > max_ratio)
		return j;
	double overlap = j * (lo + hi) / ((1 + j) * lo);
	if (overlap > 1)
		overlap = 1;
	if (hi / lo > 3.0 && overlap < REF_THRESHOLD)
		return j;
	return overlap > j ? overlap : j;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static double ref_similarity(const uint8_t *q, const uint8_t *s)
{
	unsigned qw = get16(q + 2), qc = get16(q + 4), sw = get16(s + 2), sc = get16(s + 4);
	int use_w = qw >= REF_MIN_WORDS && sw >= REF_MIN_WORDS;
	int use_c = qc >= REF_MIN_GRAMS && sc >= REF_MIN_GRAMS;
	double simw = use_w ? ref_view_similarity(q + 6, s + 6, qw, sw, 3 * REF_MIN_WORDS) : 0;
	double simc =
	    use_c ? ref_view_similarity(q + 6 + REF_K, s + 6 + REF_K, qc, sc, 3 * REF_MIN_GRAMS)
	          : 0;
	if (use_w && use_c)
		return (simw > simc ? simw : simc) * 0.75 + (simw + simc) / 2 * 0.25;
	return use_w ? simw : simc;
}

/* Every bin counted, no early stop; a result under the threshold is 0 for
 * the caller either way. */
static double ref_view_containment(const uint8_t *seen, uint32_t present, const uint8_t *s,
                                   unsigned nq, unsigned ns, unsigned contained_min)
{
	if (ns < contained_min || nq <= ns)
		return 0;
	double chance = present / 256.0, mean_chance = chance / REF_K;
	if (mean_chance > 0.25)
		return 0;
	double scale = REF_K * (1 - pow(1 - 1.0 / REF_K, ns)) * (1 - mean_chance);
	unsigned hits = 0;
	for (unsigned k = 0; k < REF_K; k++)
		hits += (seen[k * 32 + (s[k] >> 3)] >> (s[k] & 7)) & 1u;
	double c = (hits - chance) / scale;
	return c < 0 ? 0 : c > 1 ? 1 : c;
}

static double ref_containment(const uint8_t *extra, const uint8_t *q, const uint8_t *s)
{
	unsigned qw = get16(q + 2), qc = get16(q + 4), sw = get16(s + 2), sc = get16(s + 4);
	if (qw < REF_MIN_WORDS || sw < REF_MIN_WORDS || qc < REF_MIN_GRAMS || sc < REF_MIN_GRAMS)
		return 0;
	const uint8_t *counts = extra + 2 * REF_SEEN_BYTES;
	uint32_t pw = counts[0] | counts[1] << 8 | counts[2] << 16 | (uint32_t)counts[3] << 24;
	uint32_t pc = counts[4] | counts[5] << 8 | counts[6] << 16 | (uint32_t)counts[7] << 24;
	double cc = ref_view_containment(extra + REF_SEEN_BYTES, pc, s + 6 + REF_K, qc, sc,
	                                 3 * REF_MIN_GRAMS);
	if (cc < REF_THRESHOLD)
		return 0;
	double cw = ref_view_containment(extra, pw, s + 6, qw, sw, REF_MIN_WORDS);
	double c = cw < cc ? cw : cc;
	return c >= REF_THRESHOLD ? c : 0;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* A size near lo: the same, a ratio of about 3 or 4 either way (exactly,
 * or one off), or anything up to 65535. */
static unsigned size_near(unsigned lo)
{
	static const unsigned mul[] = { 1, 2, 3, 4, 5 };
	unsigned m = mul[rnd(5)], v = lo * m + rnd(3) - 1;
	if (rnd(4) == 0)
		v = rnd(65536);
	return v > 65535 ? 65535 : v;
}

/* A query and a stored sketch whose bins agree in about `same` places per
 * view, with sizes around every ratio the similarity tests. */
static void make_pair(uint8_t *q, uint8_t *s)
{
	memset(q, 0, REF_SKETCH_BYTES);
	memset(s, 0, REF_SKETCH_BYTES);
	q[0] = s[0] = REF_FORMAT;
	for (unsigned v = 0; v < 2; v++) {
		unsigned same = rnd(REF_K + 1);
		for (unsigned i = 0; i < REF_K; i++) {
			q[6 + v * REF_K + i] = (uint8_t)rnd(256);
			s[6 + v * REF_K + i] =
			    rnd(REF_K) < same ? q[6 + v * REF_K + i] : (uint8_t)rnd(256);
		}
		unsigned lo = rnd(4) == 0 ? rnd(60) : 1 + rnd(2000);
		put16(q + 2 + 2 * v, rnd(2) ? lo : size_near(lo));
		put16(s + 2 + 2 * v, rnd(2) ? lo : size_near(lo));
	}
}

/* The query's seen bitmaps: each bit set with chance 1/2 to 1/32 (the
 * densest past the chance limit), and the stored bins found there in about
 * `share` of the bins. */
static void make_extra(uint8_t *extra, const uint8_t *s)
{
	memset(extra, 0, REF_EXTRA_BYTES);
	for (unsigned v = 0; v < 2; v++) {
		uint8_t *seen = extra + v * REF_SEEN_BYTES;
		unsigned thin = rnd(5), share = 30 + rnd(71), present = 0;
		for (unsigned k = 0; k < REF_K; k++) {
			for (unsigned b = 0; b < 32; b++) {
				uint8_t m = (uint8_t)rnd(256);
				for (unsigned t = 0; t < thin; t++)
					m &= (uint8_t)rnd(256);
				seen[k * 32 + b] = m;
			}
			unsigned val = s[6 + v * REF_K + k];
			if (rnd(100) < share)
				seen[k * 32 + val / 8] |= (uint8_t)(1u << (val % 8));
			for (unsigned b = 0; b < 32; b++)
				present += (unsigned)__builtin_popcount(seen[k * 32 + b]);
		}
		uint8_t *c = extra + 2 * REF_SEEN_BYTES + 4 * v;
		c[0] = (uint8_t)present, c[1] = (uint8_t)(present >> 8),
		c[2] = (uint8_t)(present >> 16);
	}
}

START_TEST(test_fuzzy_similarity_equals_reference)
{
	uint8_t q[REF_SKETCH_BYTES], s[REF_SKETCH_BYTES];
	unsigned positive = 0;
	for (unsigned r = 0; r < REF_ROUNDS; r++) {
		make_pair(q, s);
		double want = ref_similarity(q, s);
		double got = fp_fuzzy_similarity(q, sizeof(q), s, sizeof(s));
		if (memcmp(&want, &got, sizeof(want)) != 0)
			ck_abort_msg("round %u: similarity %.17g, reference %.17g", r, got, want);
		positive += want > 0.5;
	}
	ck_assert_uint_gt(positive, REF_ROUNDS / 20); /* the pairs reach the thresholds */
}
END_TEST

START_TEST(test_fuzzy_containment_equals_reference)
{
	static uint8_t extra[REF_EXTRA_BYTES];
	uint8_t q[REF_SKETCH_BYTES], s[REF_SKETCH_BYTES];
	unsigned contained = 0;
	for (unsigned r = 0; r < REF_ROUNDS / 10; r++) {
		make_pair(q, s);
		make_extra(extra, s);
		double want = ref_containment(extra, q, s);
		double got = fp_fuzzy_containment(extra, sizeof(extra), q, sizeof(q), s, sizeof(s));
		if (memcmp(&want, &got, sizeof(want)) != 0)
			ck_abort_msg("round %u: containment %.17g, reference %.17g", r, got, want);
		contained += want > 0;
	}
	ck_assert_uint_gt(contained, REF_ROUNDS / 2000); /* some pairs are contained */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_fuzzy_ref");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fuzzy_similarity_equals_reference);
	tcase_add_test(tc, test_fuzzy_containment_equals_reference);
	suite_add_tcase(s, tc);
	return check_run(s);
}
