/*
 * lines.c - finding lines that start with a given prefix.
 *
 * A line that can match starts right after a '\n' with the prefix's first
 * byte: with SSE2 (the x86-64 baseline) sixteen positions are tested at a
 * time for that pair, so a part's lines cost no call each (the multipart
 * boundary and uuencode searches read every line of every part); elsewhere
 * one position at a time. Linear in the input either way.
 *
 * Not for: parsing what the lines hold.
 */
#include "mime_int.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The first j' >= j (j >= 1) with p[j' - 1] == '\n' and p[j'] == c, or len. */
static size_t line_start_with(const char *p, size_t len, size_t j, char c)
{
#if defined(__SSE2__)
	const __m128i nl = _mm_set1_epi8('\n'), first = _mm_set1_epi8(c);
	while (j < len && len - j >= 16) {
		__m128i before = _mm_loadu_si128((const __m128i *)(const void *)(p + j - 1));
		__m128i at = _mm_loadu_si128((const __m128i *)(const void *)(p + j));
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_and_si128(_mm_cmpeq_epi8(before, nl), _mm_cmpeq_epi8(at, first)));
		if (m != 0)
			return j + (size_t)__builtin_ctz(m);
		j += 16;
	}
#endif
	for (; j < len; j++)
		if (p[j - 1] == '\n' && p[j] == c)
			return j;
	return len;
}

size_t mime_line_find(const char *p, size_t len, size_t from, const char *prefix, size_t plen)
{
	size_t i = from;
	if (i > 0 && i < len && p[i - 1] != '\n') {
		const char *nl = memchr(p + i, '\n', len - i);
		i = nl != NULL ? (size_t)(nl - p) + 1 : len;
	}
	if (i >= len)
		return len;
	/* i starts a line; every later line start follows a '\n'. */
	if (len - i >= plen && p[i] == prefix[0] && memcmp(p + i, prefix, plen) == 0)
		return i;
	for (size_t j = i + 1; (j = line_start_with(p, len, j, prefix[0])) < len; j++)
		if (len - j >= plen && memcmp(p + j, prefix, plen) == 0)
			return j;
	return len;
}
