/*
 * unicode.c - UTF-16 and UTF-32 (and their UCS-2/UCS-4 names) to UTF-8,
 * with the byte order found again for every call.
 *
 * Why not iconv: glibc's UTF-16/UTF-32/UNICODE converters look for a byte
 * order mark only on the first call a descriptor ever makes, and keep the
 * byte order they found in the descriptor for good (iconv(cd, NULL, ...)
 * resets the shift state, not that). With descriptors cached per scanning
 * thread, a big-endian message decided how every later little-endian one
 * on that thread was read. Decoding these forms here makes each call
 * depend on its own bytes only.
 *
 * Byte order: a byte order mark decides (and is dropped), whatever the name
 * says, as browsers do; without one, the name's order (utf-16le, ...), and
 * for the plain names the order whose zero bytes fall where ASCII-heavy text
 * puts them (RFC 2781 says big-endian; real mail without a mark is mostly
 * little-endian). Unpaired surrogates, code points past U+10FFFF and a
 * trailing partial unit become U+FFFD and report *bad.
 *
 * Not for: other charsets (charset.c).
 */
#include "mime_int.h"

#include <string.h>

#include "../util/arena.h"

enum uni_order {
	UNI_SNIFF,
	UNI_BE,
	UNI_LE
};

struct uni_name {
	const char *name;
	unsigned unit; /* 2 or 4 bytes */
	enum uni_order order;
};

/* Normalised names (lower case) of the forms, as mail and iconv spell them. */
static const struct uni_name uni_names[] = {
	{ "utf-16", 2, UNI_SNIFF },
	{ "utf16", 2, UNI_SNIFF },
	{ "ucs-2", 2, UNI_SNIFF },
	{ "ucs2", 2, UNI_SNIFF },
	{ "iso-10646-ucs-2", 2, UNI_SNIFF },
	{ "csunicode", 2, UNI_SNIFF },
	{ "unicode", 2, UNI_SNIFF },
	{ "x-unicode20utf16", 2, UNI_SNIFF },
	{ "utf-16be", 2, UNI_BE },
	{ "utf16be", 2, UNI_BE },
	{ "ucs-2be", 2, UNI_BE },
	{ "unicodebig", 2, UNI_BE },
	{ "unicodefffe", 2, UNI_BE },
	{ "utf-16le", 2, UNI_LE },
	{ "utf16le", 2, UNI_LE },
	{ "ucs-2le", 2, UNI_LE },
	{ "unicodelittle", 2, UNI_LE },
	{ "utf-32", 4, UNI_SNIFF },
	{ "utf32", 4, UNI_SNIFF },
	{ "ucs-4", 4, UNI_SNIFF },
	{ "ucs4", 4, UNI_SNIFF },
	{ "iso-10646-ucs-4", 4, UNI_SNIFF },
	{ "utf-32be", 4, UNI_BE },
	{ "utf32be", 4, UNI_BE },
	{ "ucs-4be", 4, UNI_BE },
	{ "utf-32le", 4, UNI_LE },
	{ "utf32le", 4, UNI_LE },
	{ "ucs-4le", 4, UNI_LE },
};

/* Substrings that mark a name of this family we do not list (iconv would
 * take some of them, with the same first-call state). */
static const char *const uni_families[] = {
	"utf-16", "utf16", "ucs-2", "ucs2", "utf-32", "utf32", "ucs-4", "ucs4", "10646",
};

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && strcmp(s + n - t, tail) == 0;
}

int mime_unicode_form(const char *name, unsigned *unit, int *order)
{
	for (size_t i = 0; i < sizeof(uni_names) / sizeof(uni_names[0]); i++)
		if (strcmp(uni_names[i].name, name) == 0) {
			*unit = uni_names[i].unit;
			*order = (int)uni_names[i].order;
			return 1;
		}
	for (size_t i = 0; i < sizeof(uni_families) / sizeof(uni_families[0]); i++)
		if (strstr(name, uni_families[i]) != NULL) {
			*unit = strstr(name, "32") != NULL || strstr(name, "ucs-4") != NULL ||
			                strstr(name, "ucs4") != NULL
			            ? 4
			            : 2;
			*order = ends_with(name, "be")   ? UNI_BE
			         : ends_with(name, "le") ? UNI_LE
			                                 : UNI_SNIFF;
			return 1;
		}
	return 0;
}

size_t mime_utf8_put(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

static uint32_t unit_at(const unsigned char *p, unsigned unit, int le)
{
	if (unit == 2)
		return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : (uint32_t)p[0] << 8 | p[1];
	return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	                (uint32_t)p[3] << 24
	          : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Bytes scanned to guess the order of a text without a byte order mark. */
#define UNI_SNIFF_BYTES 1024

/* 1 when in[0..n) reads as little-endian: its zero bytes sit at the high
 * end of the units, as ASCII-heavy text puts them. */
static int sniff_le(const unsigned char *in, size_t n, unsigned unit)
{
	size_t low_zero = 0, high_zero = 0;
	size_t end = n < UNI_SNIFF_BYTES ? n : UNI_SNIFF_BYTES;
	for (size_t i = 0; i + unit <= end; i += unit) {
		low_zero += in[i] == 0;             /* first byte zero: big-endian text */
		high_zero += in[i + unit - 1] == 0; /* last byte zero: little-endian text */
	}
	return high_zero > low_zero;
}

/* Byte order of in[0..n) and the length of its byte order mark. */
static int find_order(const unsigned char *in, size_t n, unsigned unit, int order, size_t *skip)
{
	*skip = 0;
	if (unit == 4 && n >= 4) {
		if (unit_at(in, 4, 0) == 0xFEFF)
			return *skip = 4, 0;
		if (unit_at(in, 4, 1) == 0xFEFF)
			return *skip = 4, 1;
	}
	if (unit == 2 && n >= 2) {
		if (in[0] == 0xFE && in[1] == 0xFF)
			return *skip = 2, 0;
		if (in[0] == 0xFF && in[1] == 0xFE)
			return *skip = 2, 1;
	}
	if (order != UNI_SNIFF)
		return order == UNI_LE;
	return sniff_le(in, n, unit);
}

/* Decodes the units of in[0..n) (n a multiple of unit) into out; returns the
 * bytes written. */
static size_t decode_units(const unsigned char *in, size_t n, unsigned unit, int le,
                           unsigned char *out, int *bad)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += unit) {
		uint32_t cp = unit_at(in + i, unit, le);
		if (unit == 2 && cp >= 0xD800 && cp <= 0xDBFF && i + 4 <= n) {
			uint32_t lo = unit_at(in + i + 2, 2, le);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			}
		}
		if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
			cp = 0xFFFD;
			*bad = 1;
		}
		o += mime_utf8_put(out + o, cp);
	}
	return o;
}

unsigned char *mime_unicode_to_utf8(struct arena *a, unsigned unit, int order,
                                    const unsigned char *in, size_t n, size_t *out_len, int *bad)
{
	size_t skip;
	int le = find_order(in, n, unit, order, &skip);
	in += skip;
	n -= skip;
	size_t whole = n - n % unit;
	/* At most 4 bytes of UTF-8 per 2-byte unit (a pair is 4 bytes), 3 per
	 * unpaired one; 4 per 4-byte unit; 3 for the U+FFFD of a partial unit. */
	unsigned char *out = arena_alloc(a, whole * 2 + 4);
	if (out == NULL)
		return NULL;
	size_t o = decode_units(in, whole, unit, le, out, bad);
	if (whole != n) {
		o += mime_utf8_put(out + o, 0xFFFD);
		*bad = 1;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}
