/*
 * update_lines.c - strict line/field reader and bounded writer for the
 * signed texts of an update set. See update_lines.h.
 *
 * Not for: signatures (signed.c) or the meaning of any line.
 */
#include "update_lines.h"
#include "../util/hex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ULINE_MAX_DIGITS 20 /* UINT64_MAX has 20 digits */

static int uline_split(const char *s, size_t n, struct uline *l)
{
	size_t start = 0;

	l->n = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ')
			continue;
		if (i == start || l->n == ULINE_MAX_FIELDS)
			return -1; /* empty field, double space, or too many */
		l->field[l->n] = s + start;
		l->flen[l->n] = i - start;
		l->n++;
		start = i + 1;
	}
	return 0;
}

int uline_next(struct uline_reader *r, struct uline *l)
{
	const char *s, *nl;
	size_t n;

	if (r->pos >= r->len)
		return 0;
	s = r->p + r->pos;
	nl = memchr(s, '\n', r->len - r->pos);
	if (!nl)
		return -1;
	n = (size_t)(nl - s);
	if (memchr(s, '\0', n) || memchr(s, '\r', n))
		return -1;
	r->pos += n + 1;
	return uline_split(s, n, l) ? -1 : 1;
}

int uline_is(const struct uline *l, size_t i, const char *s)
{
	size_t n = strlen(s);

	return i < l->n && l->flen[i] == n && memcmp(l->field[i], s, n) == 0;
}

int uline_u64(const struct uline *l, size_t i, uint64_t *v)
{
	uint64_t x = 0;
	const char *s;
	size_t n;

	if (i >= l->n)
		return -1;
	s = l->field[i];
	n = l->flen[i];
	if (n == 0 || n > ULINE_MAX_DIGITS || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t k = 0; k < n; k++) {
		unsigned d = (unsigned)(unsigned char)s[k] - '0';
		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int uline_hex(const struct uline *l, size_t i, uint8_t *out, size_t n)
{
	if (i >= l->n || l->flen[i] != 2 * n)
		return -1;
	for (size_t k = 0; k < n; k++) {
		int hi = hex_digit_value((unsigned char)l->field[i][2 * k]);
		int lo = hex_digit_value((unsigned char)l->field[i][2 * k + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[k] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int uline_expect_u64(struct uline_reader *r, const char *keyword, uint64_t *v)
{
	struct uline l;

	if (uline_next(r, &l) != 1 || l.n != 2 || !uline_is(&l, 0, keyword))
		return -1;
	return uline_u64(&l, 1, v);
}

void uline_printf(struct uline_writer *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	w->len += (size_t)n;
}

void uline_hex_put(struct uline_writer *w, const uint8_t *bin, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	if (w->overflow || w->cap - w->len <= 2 * n) {
		w->overflow = 1;
		return;
	}
	for (size_t k = 0; k < n; k++) {
		w->buf[w->len++] = digits[bin[k] >> 4];
		w->buf[w->len++] = digits[bin[k] & 15];
	}
	w->buf[w->len] = '\0';
}
