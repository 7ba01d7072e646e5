/*
 * parts.c - text_normalise_parts(): text_normalise() line by line, with
 * the range of each paragraph and line in the output (see text.h).
 *
 * Each line is normalised on its own and non-empty lines are joined by one
 * space. text_normalise() keeps no state across a separator but the pending
 * space, and a line break is a separator, so the output is byte for byte
 * what text_normalise() makes of the whole text (test_text checks it); the
 * ranges come for free. A line that normalises to nothing (a separator
 * line, punctuation only) adds nothing and ends no paragraph; a line of
 * white space only ends one.
 *
 * Not for: folding code points (normalise.c), choosing which parts are
 * fingerprinted (fp/body.c).
 */
#include "text.h"

#include <string.h>

static int line_is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
			return 0;
	return 1;
}

struct parts_out {
	struct text_part *p;
	size_t cap, n;
};

static void part_note(struct parts_out *o, size_t from, size_t to)
{
	if (o->n < o->cap)
		o->p[o->n++] = (struct text_part){ (uint32_t)from, (uint32_t)to };
}

size_t text_normalise_parts(const char *in, size_t len, char *out, struct text_part *parts,
                            size_t cap, size_t *n_parts, unsigned *flags)
{
	struct parts_out o = { .p = parts, .cap = len <= UINT32_MAX ? cap : 0 };
	size_t pos = 0, para = 0, lines = 0;
	for (size_t i = 0; i <= len; i++) {
		const char *nl = i < len ? memchr(in + i, '\n', len - i) : NULL;
		size_t e = nl != NULL ? (size_t)(nl - in) : len;
		if (line_is_blank(in + i, e - i)) {
			if (lines > 1)
				part_note(&o, para, pos);
			lines = 0;
		} else {
			size_t at = pos + (pos > 0);
			size_t n = text_normalise(in + i, e - i, out + at, len + 1 - at, flags);
			if (n > 0) {
				if (pos > 0)
					out[pos] = ' ';
				if (lines++ == 0)
					para = at;
				part_note(&o, at, at + n);
				pos = at + n;
			}
		}
		i = e;
	}
	if (lines > 1)
		part_note(&o, para, pos);
	out[pos] = '\0';
	*n_parts = o.n;
	return pos;
}
