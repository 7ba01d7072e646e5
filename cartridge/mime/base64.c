/*
 * base64.c - tolerant base64 decoding (RFC 2045 section 6.8).
 *
 * White space is skipped silently; other junk characters are skipped and
 * counted; '=' closes the current quantum, so concatenated padded chunks
 * decode; a missing padding is repaired and counted. Output never passes cap.
 *
 * Not for: RFC 2047 framing (rfc2047.c) or deciding what is base64 (parse.c).
 */
#include "mime.h"

#include <stdint.h>

#define B64_WS 0x40   /* white space: skipped, not an error */
#define B64_PAD 0x41  /* '=' */
#define B64_JUNK 0x42 /* anything else */

static const uint8_t b64_table[256] = {
#define J B64_JUNK
	J,  J,    J,  J,  J,  J,  J,  J,  J,  0x40, 0x40, J,  0x40, 0x40, J,  J,  J,  J,  J,  J,
	J,  J,    J,  J,  J,  J,  J,  J,  J,  J,    J,    J,  0x40, J,    J,  J,  J,  J,  J,  J,
	J,  J,    J,  62, J,  J,  J,  63, 52, 53,   54,   55, 56,   57,   58, 59, 60, 61, J,  J,
	J,  0x41, J,  J,  J,  0,  1,  2,  3,  4,    5,    6,  7,    8,    9,  10, 11, 12, 13, 14,
	15, 16,   17, 18, 19, 20, 21, 22, 23, 24,   25,   J,  J,    J,    J,  J,  J,  26, 27, 28,
	29, 30,   31, 32, 33, 34, 35, 36, 37, 38,   39,   40, 41,   42,   43, 44, 45, 46, 47, 48,
	49, 50,   51, J,  J,  J,  J,  J,  J,  J,    J,    J,  J,    J,    J,  J,  J,  J,  J,  J,
	J,  J,    J,  J,  J,  J,  J,  J,  J,  J,    J,    J,  J,    J,    J,  J,  J,  J,  J,  J,
	J,  J,    J,  J,  J,  J,  J,  J,  J,  J,    J,    J,  J,    J,    J,  J,  J,  J,  J,  J,
	J,  J,    J,  J,  J,  J,  J,  J,  J,  J,    J,    J,  J,    J,    J,  J,  J,  J,  J,  J,
	J,  J,    J,  J,  J,  J,  J,  J,  J,  J,    J,    J,  J,    J,    J,  J,  J,  J,  J,  J,
	J,  J,    J,  J,  J,  J,  J,  J,  J,  J,    J,    J,  J,    J,    J,  J,  J,  J,  J,  J,
	J,  J,    J,  J,  J,  J,  J,  J,  J,  J,    J,    J,  J,    J,    J,  J,
#undef J
};

/* Writes the complete bytes of a partial quantum of `have` sextets. */
static size_t b64_flush(uint32_t acc, int have, unsigned char *out, size_t o, size_t cap)
{
	if (have >= 2 && o < cap)
		out[o++] = (unsigned char)(acc >> (6 * have - 8));
	if (have == 3 && o < cap)
		out[o++] = (unsigned char)(acc >> 2);
	return o;
}

size_t mime_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap,
                          unsigned *errors)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned errs = 0;
	uint32_t acc = 0;
	int have = 0;
	size_t o = 0;

	for (size_t i = 0; i < len && o < cap; i++) {
		unsigned v = b64_table[p[i]];
		if (v < 64) {
			acc = (acc << 6) | v;
			if (++have == 4) {
				if (cap - o < 3) {
					o = b64_flush(acc >> 6, 3, out, o, cap);
					break;
				}
				out[o] = (unsigned char)(acc >> 16);
				out[o + 1] = (unsigned char)(acc >> 8);
				out[o + 2] = (unsigned char)acc;
				o += 3;
				have = 0;
				acc = 0;
			}
		} else if (v == B64_PAD) {
			/* A quantum of 1 sextet carries no byte; 0 is a stray pad. */
			if (have == 1)
				errs++;
			o = b64_flush(acc, have, out, o, cap);
			have = 0;
			acc = 0;
		} else if (v == B64_JUNK) {
			errs++;
		}
	}
	if (have != 0 && o < cap) {
		errs++; /* missing padding, or a lone sextet */
		o = b64_flush(acc, have, out, o, cap);
	}
	if (errors != NULL)
		*errors += errs;
	return o;
}
