/*
 * uudecode.c - uuencoded data: decoding, and finding "begin ... end" blocks
 * inside text bodies (the parser exposes each block as an attachment).
 *
 * Tolerant: short lines are padded with zero bits, characters outside the
 * uuencode alphabet are masked into it; both are counted as errors. Output
 * never passes cap.
 *
 * Not for: xxencode or yEnc.
 */
#include "mime_int.h"

#include <string.h>

/* Length of the line at p[0..len) without its line end; *next is where the
 * following line starts. */
static size_t uu_line(const char *p, size_t len, size_t *next)
{
	const char *nl = memchr(p, '\n', len);
	size_t n = nl != NULL ? (size_t)(nl - p) : len;
	*next = nl != NULL ? n + 1 : len;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

static int uu_is_end_line(const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n == 3 && memcmp(p, "end", 3) == 0;
}

static unsigned uu_sextet(unsigned char c, unsigned *errs)
{
	if (c < 32 || c > 96)
		(*errs)++;
	return (unsigned)(c - 32) & 63;
}

/* Decodes one encoded line into out; returns bytes written. */
static size_t uu_decode_line(const unsigned char *p, size_t n, unsigned char *out, size_t cap,
                             unsigned *errs)
{
	size_t want = (size_t)((p[0] - 32) & 63), o = 0, i = 1;
	while (o < want && o < cap) {
		unsigned char q[4];
		int missing = 0;
		for (int k = 0; k < 4; k++) {
			missing |= i + (size_t)k >= n;
			q[k] = i + (size_t)k < n ? p[i + k] : '`';
		}
		if (missing)
			(*errs)++;
		uint32_t acc = uu_sextet(q[0], errs) << 18 | uu_sextet(q[1], errs) << 12 |
		               uu_sextet(q[2], errs) << 6 | uu_sextet(q[3], errs);
		for (int k = 0; k < 3 && o < want && o < cap; k++)
			out[o++] = (unsigned char)(acc >> (16 - 8 * k));
		i += 4;
	}
	return o;
}

size_t mime_uu_decode(const char *in, size_t len, unsigned char *out, size_t cap, unsigned *errors)
{
	size_t pos = 0, o = 0, next;
	unsigned errs = 0;

	if (len >= 6 && memcmp(in, "begin ", 6) == 0)
		(void)uu_line(in, len, &pos);
	while (pos < len && o < cap) {
		size_t n = uu_line(in + pos, len - pos, &next);
		const unsigned char *line = (const unsigned char *)in + pos;
		pos += next;
		if (n == 0)
			continue;
		if (uu_is_end_line((const char *)line, n) || ((line[0] - 32) & 63) == 0)
			break;
		o += uu_decode_line(line, n, out + o, cap - o, &errs);
	}
	if (errors != NULL)
		*errors += errs;
	return o;
}

/* Checks "begin NNN name" at p[0..n); fills the name. */
static int uu_begin_line(const char *p, size_t n, struct mime_uu_block *out)
{
	size_t i = 6, digits = 0;
	if (n < 6 || memcmp(p, "begin ", 6) != 0)
		return 0;
	while (i < n && p[i] >= '0' && p[i] <= '7') {
		i++;
		digits++;
	}
	if (digits < 3 || digits > 4 || i >= n || p[i] != ' ')
		return 0;
	i++;
	while (n > i && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (i >= n)
		return 0;
	out->name = p + i;
	out->name_len = n - i;
	return 1;
}

/* Offset just past the block's "end" line, or len when there is none. */
static size_t uu_block_end(const char *p, size_t pos, size_t len)
{
	size_t next;
	while (pos < len) {
		size_t n = uu_line(p + pos, len - pos, &next);
		int is_end = uu_is_end_line(p + pos, n);
		pos += next;
		if (is_end)
			return pos;
	}
	return len;
}

int mime_uu_find(const char *p, size_t len, struct mime_uu_block *out)
{
	size_t pos = 0;
	while (pos < len) {
		size_t at = mime_line_find(p, len, pos, "begin ", 6), next, dn;
		if (at == len)
			return 0;
		pos = at + 6;
		size_t n = uu_line(p + at, len - at, &next);
		if (!uu_begin_line(p + at, n, out))
			continue;
		/* The first data line must look like uuencode: a length character. */
		size_t data = at + next;
		dn = uu_line(p + data, len - data, &next);
		if (dn < 2 || (unsigned char)p[data] < 33 || (unsigned char)p[data] > 96)
			continue;
		out->begin = at;
		out->data = data;
		out->end = uu_block_end(p, data, len);
		return 1;
	}
	return 0;
}
