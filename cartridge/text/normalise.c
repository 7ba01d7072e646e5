/*
 * normalise.c - text_normalise(): visible text to the canonical form the
 * fingerprint engines hash (see text.h).
 *
 * ASCII bytes take a fast path through a 256-entry table; other code points
 * are decoded (strict UTF-8; an invalid byte counts as U+FFFD and is
 * skipped) and folded through the generated run table (fold_table.c).
 * Output bound: every code point folds to at most as many bytes as it was
 * encoded in, and a space is only written for one or more separator bytes
 * already consumed, so the output never exceeds the input; with the NUL,
 * cap >= len + 1 always suffices. A smaller cap truncates at a code point.
 *
 * Not for: HTML (html_render.c) or splitting into words (words.c).
 */
#include "text.h"

#include <string.h>

#include "fold_table.h"
#include "text_internal.h"

/* Byte classes of the ASCII fast path: letters/digits map to themselves
 * (lower-cased), every other ASCII byte is a separator, bytes >= 0x80 start
 * (or break) a multi-byte sequence. */
#define NC_SEP 0x00
#define NC_MULTI 0x80

#define R4(x) x, x, x, x
#define R16(x) R4(x), R4(x), R4(x), R4(x)
static const uint8_t norm_ascii[256] = {
	R16(NC_SEP),   R16(NC_SEP), /* 0x00-0x1f */
	R16(NC_SEP),                /* 0x20-0x2f */
	'0',           '1',           '2',           '3',           '4',    '5',
	'6',           '7',           '8',           '9', /* 0x30-0x39 */
	NC_SEP,        NC_SEP,        NC_SEP,        NC_SEP,        NC_SEP, NC_SEP,
	NC_SEP, /* 0x3a-0x40 */
	'a',           'b',           'c',           'd',           'e',    'f',
	'g',           'h',           'i',           'j',           'k',    'l',
	'm',           'n',           'o',           'p',           'q',    'r',
	's',           't',           'u',           'v',           'w',    'x',
	'y',           'z',           NC_SEP,        NC_SEP,        NC_SEP, NC_SEP,
	NC_SEP,        NC_SEP, /* 0x5b-0x60 */
	'a',           'b',           'c',           'd',           'e',    'f',
	'g',           'h',           'i',           'j',           'k',    'l',
	'm',           'n',           'o',           'p',           'q',    'r',
	's',           't',           'u',           'v',           'w',    'x',
	'y',           'z',           NC_SEP,        NC_SEP,        NC_SEP, NC_SEP,
	NC_SEP,                                                     /* 0x7b-0x7f */
	R16(NC_MULTI), R16(NC_MULTI), R16(NC_MULTI), R16(NC_MULTI), /* 0x80-0xff */
	R16(NC_MULTI), R16(NC_MULTI), R16(NC_MULTI), R16(NC_MULTI),
};
#undef R4
#undef R16

/* Decodes one strict UTF-8 sequence at s[0..n) (s[0] >= 0x80). Returns its
 * length and sets *cp, or returns 0 when s[0] does not start a valid
 * sequence (overlong, surrogate, past U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	if (c >= 0xC2 && c <= 0xDF) {
		if (n < 2 || (s[1] & 0xC0) != 0x80)
			return 0;
		*cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))
			return 0;
		*cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
			return 0;
		*cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
		      ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		return 4;
	}
	return 0;
}

/* The run holding cp (>= 0x80). */
static const struct fold_run *fold_find(uint32_t cp)
{
	if (cp < 0x800)
		return &fold_runs[fold_index_2b[cp - 0x80]];
	size_t lo = fold_index_2b[0x800 - 0x80 - 1], hi = fold_n_runs - 1;
	while (lo < hi) { /* last run with run.lo <= cp */
		size_t mid = lo + (hi - lo + 1) / 2;
		if (fold_runs[mid].lo <= cp)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &fold_runs[lo];
}

/* Output state: bytes written, and whether a separator is pending (a space
 * is written lazily before the next letter, never at either end). */
struct norm_out {
	char *buf;
	size_t len;
	size_t room; /* cap - 1: the NUL always fits */
	int sep_pending;
	int after_sep; /* last code point was a separator (or start) */
	int full;
};

static void norm_put(struct norm_out *o, const char *s, size_t n)
{
	size_t need = n + (o->sep_pending ? 1 : 0);
	if (o->len + need > o->room) {
		o->full = 1;
		return;
	}
	if (o->sep_pending)
		o->buf[o->len++] = ' ';
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->sep_pending = 0;
	o->after_sep = 0;
}

static void norm_sep(struct norm_out *o)
{
	o->sep_pending = o->len > 0;
	o->after_sep = 1;
}

/* Folds one non-ASCII code point cp (encoded in n bytes at src). */
static void norm_fold(struct norm_out *o, uint32_t cp, const char *src, size_t n, unsigned *flags)
{
	const struct fold_run *r = fold_find(cp);
	char tmp[4];
	switch (r->kind) {
	case FOLD_MAP:
		if (r->delta == 0) {
			norm_put(o, src, n);
		} else {
			uint32_t m = (uint32_t)((int32_t)cp + r->delta);
			if (m < 0x80 && norm_ascii[m] == NC_SEP)
				norm_sep(o);
			else
				norm_put(o, tmp, text_utf8_encode(m, tmp));
		}
		break;
	case FOLD_STR: norm_put(o, r->str, r->len); break;
	case FOLD_INVISIBLE:
		/* A joiner or variation selector after a symbol (emoji
		 * sequences) is ordinary; inside or beside a word it is a
		 * hash-buster. */
		if (!o->after_sep)
			*flags |= TEXT_F_INVISIBLE;
		break;
	case FOLD_DROP: break;
	default: norm_sep(o); break;
	}
}

size_t text_normalise(const char *in, size_t len, char *out, size_t cap, unsigned *flags)
{
	unsigned dummy = 0;
	if (flags == NULL)
		flags = &dummy;
	if (cap == 0)
		return 0;
	struct norm_out o = { .buf = out, .room = cap - 1, .after_sep = 1 };
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
	while (i < len && !o.full) {
		uint8_t m = norm_ascii[s[i]];
		if (m != NC_SEP && m != NC_MULTI) {
			/* Fast path: a run of ASCII letters and digits, after the
			 * pending space when there is room for it and a letter. */
			if (o.sep_pending && o.len + 2 <= o.room) {
				o.buf[o.len++] = ' ';
				o.sep_pending = 0;
			}
			if (o.sep_pending || o.len >= o.room) {
				char c = (char)m; /* no room: norm_put marks it full */
				norm_put(&o, &c, 1);
				i++;
				continue;
			}
			size_t end = o.room - o.len < len - i ? i + (o.room - o.len) : len;
			char *dst = o.buf + o.len;
			size_t j = i;
			while (j < end && (m = norm_ascii[s[j]]) != NC_SEP && m != NC_MULTI)
				*dst++ = (char)m, j++;
			o.len += j - i;
			o.after_sep = 0;
			i = j;
		} else if (m == NC_SEP) {
			/* A run of ASCII separators is one separator. */
			do
				i++;
			while (i < len && norm_ascii[s[i]] == NC_SEP);
			norm_sep(&o);
		} else {
			uint32_t cp;
			size_t n = utf8_decode(s + i, len - i, &cp);
			if (n == 0) {
				i++; /* invalid byte: U+FFFD, skipped */
				continue;
			}
			norm_fold(&o, cp, in + i, n, flags);
			i += n;
		}
	}
	out[o.len] = '\0';
	return o.len;
}
