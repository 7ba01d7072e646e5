/*
 * sort.c - LSD radix sorts, used when a builder freezes: of 64-bit values
 * (postings, deleted keys) and, stably, of exact-table slots by key (a change
 * log, where the last of equal keys must stay last). Linear time, one
 * scratch copy of the input.
 *
 * Not for the scan path (it allocates).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

#define SORT_DIGIT_BITS 8
#define SORT_RADIX (1u << SORT_DIGIT_BITS)
#define SORT_PASSES (64 / SORT_DIGIT_BITS)
#define SORT_SMALL 64 /* below this, insertion sort */

static void sort_insertion(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* One histogram per digit, all gathered in a single read of the input. */
static void sort_histograms(const uint64_t *v, size_t n, size_t hist[SORT_PASSES][SORT_RADIX])
{
	memset(hist, 0, sizeof(size_t) * SORT_PASSES * SORT_RADIX);
	for (size_t i = 0; i < n; i++)
		for (unsigned p = 0; p < SORT_PASSES; p++)
			hist[p][(v[i] >> (p * SORT_DIGIT_BITS)) & (SORT_RADIX - 1)]++;
}

/* Scatters src into dst by digit p; hist[p] becomes bucket starts. */
static void sort_pass(const uint64_t *src, uint64_t *dst, size_t n, unsigned p, size_t *hist)
{
	size_t start = 0;
	for (unsigned d = 0; d < SORT_RADIX; d++) {
		size_t c = hist[d];
		hist[d] = start;
		start += c;
	}
	for (size_t i = 0; i < n; i++)
		dst[hist[(src[i] >> (p * SORT_DIGIT_BITS)) & (SORT_RADIX - 1)]++] = src[i];
}

int sigdb_sort_u64(uint64_t *v, size_t n)
{
	if (n < SORT_SMALL) {
		sort_insertion(v, n);
		return 0;
	}
	size_t(*hist)[SORT_RADIX] = malloc(sizeof(size_t) * SORT_PASSES * SORT_RADIX);
	uint64_t *tmp = malloc(n * sizeof(*tmp));
	int rc = WHORL_ENOMEM;
	if (hist == NULL || tmp == NULL)
		goto out;
	sort_histograms(v, n, hist);
	uint64_t *src = v, *dst = tmp;
	for (unsigned p = 0; p < SORT_PASSES; p++) {
		/* A digit every value shares needs no pass. */
		if (hist[p][(src[0] >> (p * SORT_DIGIT_BITS)) & (SORT_RADIX - 1)] == n)
			continue;
		sort_pass(src, dst, n, p, hist[p]);
		uint64_t *t = src;
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

static void slots_insertion(struct sigdb_slot *v, size_t n)
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

/* LSD passes are stable, so equal keys keep their arrival order. */
int sigdb_sort_slots(struct sigdb_slot *v, size_t n)
{
	if (n < SORT_SMALL) {
		slots_insertion(v, n);
		return 0;
	}
	size_t(*hist)[SORT_RADIX] = calloc(SORT_PASSES, sizeof(*hist));
	struct sigdb_slot *tmp = malloc(n * sizeof(*tmp));
	struct sigdb_slot *src = v, *dst = tmp;
	int rc = WHORL_ENOMEM;
	if (hist == NULL || tmp == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		for (unsigned p = 0; p < SORT_PASSES; p++)
			hist[p][(v[i].key >> (p * SORT_DIGIT_BITS)) & (SORT_RADIX - 1)]++;
	for (unsigned p = 0; p < SORT_PASSES; p++) {
		unsigned sh = p * SORT_DIGIT_BITS;
		if (hist[p][(src[0].key >> sh) & (SORT_RADIX - 1)] == n)
			continue;
		size_t start = 0;
		for (unsigned d = 0; d < SORT_RADIX; d++) {
			size_t c = hist[p][d];
			hist[p][d] = start;
			start += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[hist[p][(src[i].key >> sh) & (SORT_RADIX - 1)]++] = src[i];
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
