/*
 * words.c - text_next_word(): words of normalised text, with spaced-out
 * words ("f r e e") joined back together.
 *
 * Not for: anything but text_normalise() output (single spaces between
 * runs of letters and digits).
 */
#include "text.h"

#include <string.h>

/* Runs of this many one-letter words or more are joined. */
#define WORDS_JOIN_MIN 3

/* Length of the UTF-8 sequence starting with byte c (1 for stray bytes). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xF0)
		return 4;
	if (c >= 0xE0)
		return 3;
	if (c >= 0xC0)
		return 2;
	return 1;
}

/* The word at norm[p..): sets *end past it; true when it is one letter. */
static int word_at(const char *norm, size_t len, size_t p, size_t *end)
{
	size_t e = p;
	while (e < len && norm[e] != ' ')
		e++;
	*end = e;
	return e - p == utf8_len((unsigned char)norm[p]);
}

static size_t skip_spaces(const char *norm, size_t len, size_t p)
{
	while (p < len && norm[p] == ' ')
		p++;
	return p;
}

/* Counts the one-letter words from p on (at most 'limit' needed). */
static size_t single_run(const char *norm, size_t len, size_t p, size_t limit)
{
	size_t count = 0, end;
	while (count < limit && (p = skip_spaces(norm, len, p)) < len &&
	       word_at(norm, len, p, &end)) {
		count++;
		p = end;
	}
	return count;
}

const char *text_next_word(const char *norm, size_t len, size_t *pos, size_t *wlen, char *joinbuf,
                           size_t joincap)
{
	size_t p = skip_spaces(norm, len, *pos), end;
	if (p >= len) {
		*pos = len;
		return NULL;
	}
	int single = word_at(norm, len, p, &end);
	if (!single || joinbuf == NULL || joincap < 2 ||
	    single_run(norm, len, p, WORDS_JOIN_MIN) < WORDS_JOIN_MIN) {
		*pos = end;
		*wlen = end - p;
		return norm + p;
	}
	size_t o = 0;
	while ((p = skip_spaces(norm, len, p)) < len && word_at(norm, len, p, &end) &&
	       o + (end - p) < joincap) {
		memcpy(joinbuf + o, norm + p, end - p);
		o += end - p;
		p = end;
	}
	if (o == 0) { /* not even one letter fits joinbuf: plain word */
		*pos = end;
		*wlen = end - p;
		return norm + p;
	}
	joinbuf[o] = '\0';
	*pos = p;
	*wlen = o;
	return joinbuf;
}
