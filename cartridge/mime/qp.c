/*
 * qp.c - tolerant quoted-printable decoding (RFC 2045 section 6.7, and the
 * "Q" encoding of RFC 2047 when header_mode is set).
 *
 * "=XY" (hex digits of either case) decodes to one byte; "=" followed by
 * optional white space and a line end (LF or CRLF) is a soft break; any other
 * "=" is kept literally and counted. White space at the end of a line is
 * dropped, as the RFC asks. Line ends are kept as written. Output never
 * passes cap.
 *
 * Not for: RFC 2047 word framing (rfc2047.c).
 */
#include "mime.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../util/hex.h"

/* Index just past a soft break that starts at the '=' at i, or 0 if none. */
static size_t qp_soft_break(const unsigned char *p, size_t i, size_t len)
{
	size_t j = i + 1;
	while (j < len && (p[j] == ' ' || p[j] == '\t'))
		j++;
	if (j == len)
		return len;
	if (p[j] == '\n')
		return j + 1;
	if (p[j] == '\r' && (j + 1 == len || p[j + 1] == '\n'))
		return j + 1 < len ? j + 2 : len;
	return 0;
}

/* End of the white-space run starting at i; *at_eol tells whether a line
 * end (or the input's end) follows it. */
static size_t qp_ws_run(const unsigned char *p, size_t i, size_t len, int *at_eol)
{
	size_t j = i;
	while (j < len && (p[j] == ' ' || p[j] == '\t'))
		j++;
	*at_eol = j == len || p[j] == '\n' || (p[j] == '\r' && j + 1 < len && p[j + 1] == '\n');
	return j;
}

/* Length of the run of p[0..n) holding none of '=', ' ' and '\t' (the
 * bytes the body decoder treats specially); with SSE2 16 bytes at a time. */
static size_t qp_plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i eq = _mm_set1_epi8('='), sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, eq), _mm_cmpeq_epi8(v, sp)),
		                         _mm_cmpeq_epi8(v, tab));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		if (bits != 0)
			return i + (size_t)__builtin_ctz(bits);
	}
#endif
	while (i < n && p[i] != '=' && p[i] != ' ' && p[i] != '\t')
		i++;
	return i;
}

size_t mime_qp_decode(const char *in, size_t len, unsigned char *out, size_t cap, int header_mode,
                      unsigned *errors)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned errs = 0;
	size_t o = 0, i = 0;

	while (i < len && o < cap) {
		unsigned char c = p[i];
		if (c == '=') {
			int hi = i + 2 < len ? hex_digit_value(p[i + 1]) : -1;
			int lo = hi >= 0 ? hex_digit_value(p[i + 2]) : -1;
			if (lo >= 0) {
				out[o++] = (unsigned char)(hi << 4 | lo);
				i += 3;
				continue;
			}
			size_t next = header_mode ? 0 : qp_soft_break(p, i, len);
			if (next != 0) {
				i = next;
				continue;
			}
			errs++;
			out[o++] = '=';
			i++;
		} else if (c == ' ' && !header_mode && i + 1 < len && p[i + 1] != ' ' &&
		           p[i + 1] != '\t' && p[i + 1] != '\r' && p[i + 1] != '\n') {
			out[o++] = ' '; /* one space inside a line: the run below, shorter */
			i++;
		} else if ((c == ' ' || c == '\t') && !header_mode) {
			int at_eol;
			size_t end = qp_ws_run(p, i, len, &at_eol);
			/* Copy the whole run at once: rescanning it per byte is quadratic. */
			while (!at_eol && i < end && o < cap)
				out[o++] = p[i++];
			i = end;
		} else if (header_mode) {
			out[o++] = c == '_' ? ' ' : c;
			i++;
		} else { /* a run of bytes kept as they are, as far as cap allows */
			size_t run = qp_plain_run(p + i, len - i < cap - o ? len - i : cap - o);
			memcpy(out + o, p + i, run);
			o += run;
			i += run;
		}
	}
	if (errors != NULL)
		*errors += errs;
	return o;
}
