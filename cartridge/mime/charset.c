/*
 * charset.c - conversion of declared charsets to UTF-8.
 *
 * us-ascii, utf-8, iso-8859-1 and windows-1252 (and their aliases) convert
 * here without iconv; iso-8859-1 is decoded as windows-1252, its superset,
 * as mail clients do; UTF-16 and UTF-32 in unicode.c. Other charsets go
 * through iconv descriptors cached in a struct charset_cache (one per
 * scanning thread). Unknown charsets decode as windows-1252 and report *bad;
 * invalid sequences become U+FFFD.
 *
 * A conversion depends on its own input only: the shift state a cached
 * descriptor carries (ISO-2022-*, UTF-7) is reset before and flushed after
 * every conversion; the other state glibc keeps in a descriptor across calls
 * (the byte order the UTF-16/UTF-32/UNICODE converters find on their first
 * call only) is never reached, because those names never reach iconv.
 *
 * Not for: guessing a charset from content beyond "valid UTF-8 or not".
 */
#include "mime_int.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

/* iconv descriptors kept per cache; the least recently used is replaced. */
#define CHARSET_CACHE_SLOTS 16

enum cs_kind {
	CS_AUTO,
	CS_UTF8,
	CS_CP1252,
	CS_ICONV
};

struct charset_slot {
	char name[CHARSET_NAME_MAX + 1]; /* normalised name, "" when free */
	iconv_t cd;                      /* (iconv_t)-1: iconv does not know it */
	unsigned long used;
};

struct charset_cache {
	struct charset_slot slot[CHARSET_CACHE_SLOTS];
	unsigned long clock;
};

struct cs_alias {
	const char *name;
	enum cs_kind kind;
	const char *iconv_name; /* for CS_ICONV: what to ask iconv for */
};

/* Names mail uses that iconv spells differently, and our built-ins. */
static const struct cs_alias cs_aliases[] = {
	{ "us-ascii", CS_AUTO, NULL },
	{ "ascii", CS_AUTO, NULL },
	{ "us", CS_AUTO, NULL },
	{ "ansi_x3.4-1968", CS_AUTO, NULL },
	{ "iso646-us", CS_AUTO, NULL },
	{ "cp367", CS_AUTO, NULL },
	{ "default", CS_AUTO, NULL },
	{ "unknown-8bit", CS_AUTO, NULL },
	{ "x-unknown", CS_AUTO, NULL },
	{ "utf-8", CS_UTF8, NULL },
	{ "utf8", CS_UTF8, NULL },
	{ "x-utf8", CS_UTF8, NULL },
	{ "unicode-1-1-utf-8", CS_UTF8, NULL },
	{ "iso-8859-1", CS_CP1252, NULL },
	{ "iso8859-1", CS_CP1252, NULL },
	{ "iso_8859-1", CS_CP1252, NULL },
	{ "iso_8859-1:1987", CS_CP1252, NULL },
	{ "latin1", CS_CP1252, NULL },
	{ "latin-1", CS_CP1252, NULL },
	{ "l1", CS_CP1252, NULL },
	{ "8859-1", CS_CP1252, NULL },
	{ "cp819", CS_CP1252, NULL },
	{ "ibm819", CS_CP1252, NULL },
	{ "iso-ir-100", CS_CP1252, NULL },
	{ "csisolatin1", CS_CP1252, NULL },
	{ "windows-1252", CS_CP1252, NULL },
	{ "cp1252", CS_CP1252, NULL },
	{ "win-1252", CS_CP1252, NULL },
	{ "x-cp1252", CS_CP1252, NULL },
	{ "cp-1252", CS_CP1252, NULL },
	{ "windows1252", CS_CP1252, NULL },
	{ "ks_c_5601-1987", CS_ICONV, "CP949" },
	{ "gb2312", CS_ICONV, "GBK" },
	{ "x-gbk", CS_ICONV, "GBK" },
	{ "x-sjis", CS_ICONV, "SHIFT_JIS" },
	{ "shift-jis", CS_ICONV, "SHIFT_JIS" },
	{ "x-euc-jp", CS_ICONV, "EUC-JP" },
	{ "iso-8859-8-i", CS_ICONV, "ISO-8859-8" },
	{ "x-mac-roman", CS_ICONV, "MACINTOSH" },
};

/* windows-1252 0x80..0x9F; undefined slots map to the C1 controls (WHATWG). */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

struct charset_cache *charset_cache_new(void)
{
	struct charset_cache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < CHARSET_CACHE_SLOTS; i++)
		c->slot[i].cd = (iconv_t)-1;
	return c;
}

void charset_cache_free(struct charset_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < CHARSET_CACHE_SLOTS; i++)
		if (c->slot[i].cd != (iconv_t)-1)
			iconv_close(c->slot[i].cd);
	free(c);
}

/* Lower-cases and trims `charset` into buf; cuts a comment, a parameter
 * tail or an RFC 2231 "*lang" suffix. Returns 0 when the name holds
 * characters no charset name has (it is then unknown).
 *
 * The characters kept are exactly those glibc's iconv_open keeps when it
 * looks a name up (letters, digits, '-', '_', '.', ':'; it drops the others
 * silently), so the name this file classifies is the name iconv would open.
 * Were one dropped there and kept here ("ut+f-16"), a name of the stateful
 * UTF-16 family would pass the checks below as unknown and reach iconv as
 * "UTF-16", whose byte order then carries over to the next message. */
static int cs_normalise(const char *charset, char buf[CHARSET_NAME_MAX + 1])
{
	const char *s = charset;
	size_t n = 0;
	while (*s == ' ' || *s == '\t' || *s == '"' || *s == '\'')
		s++;
	for (; *s != '\0'; s++) {
		int c = mime_lower((unsigned char)*s);
		if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ';' || c == '(' ||
		    c == '*')
			break;
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		         c == '.' || c == ':';
		if (!ok || n == CHARSET_NAME_MAX)
			return 0;
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return 1;
}

static const struct cs_alias *cs_alias_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cs_aliases) / sizeof(cs_aliases[0]); i++)
		if (strcmp(cs_aliases[i].name, name) == 0)
			return &cs_aliases[i];
	return NULL;
}

/* Length of the valid UTF-8 sequence at p[0..n), or 0 if invalid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	if (c < 0xC2 || c > 0xF4)
		return 0;
	size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
	    (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
		return 0;
	return need;
}

/* Length of the leading ASCII run of p[0..n), eight bytes at a time. */
static size_t ascii_prefix(const unsigned char *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < n && p[i] < 0x80)
		i++;
	return i;
}

static int utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		i += ascii_prefix(p + i, n - i);
		if (i == n)
			break;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_seq(p + i, n - i);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* UTF-8 input: valid sequences copied, each invalid byte becomes U+FFFD. */
static size_t cv_utf8(const unsigned char *in, size_t n, unsigned char *out, int *bad)
{
	size_t o = 0, i = 0;
	while (i < n) {
		size_t k = in[i] < 0x80 ? 1 : utf8_seq(in + i, n - i);
		if (k == 0) {
			o += mime_utf8_put(out + o, 0xFFFD);
			*bad = 1;
			i++;
			continue;
		}
		memcpy(out + o, in + i, k);
		o += k;
		i += k;
	}
	return o;
}

/* Windows-1252 (and Latin-1, its subset where text uses it) input: ASCII
 * runs copied as they are (found eight bytes at a time), each other byte
 * written as its character in UTF-8. */
static size_t cv_cp1252(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t o = 0, i = 0;
	while (i < n) {
		size_t k = ascii_prefix(in + i, n - i);
		memcpy(out + o, in + i, k);
		o += k;
		i += k;
		if (i < n) {
			unsigned char c = in[i++];
			o += mime_utf8_put(out + o, c < 0xA0 ? cp1252_high[c - 0x80] : c);
		}
	}
	return o;
}

/* The cache slot for a normalised name, opening iconv on a miss. */
static struct charset_slot *cs_slot_get(struct charset_cache *c, const char *name,
                                        const char *iconv_name)
{
	struct charset_slot *victim = &c->slot[0];
	c->clock++;
	for (size_t i = 0; i < CHARSET_CACHE_SLOTS; i++) {
		struct charset_slot *s = &c->slot[i];
		if (strcmp(s->name, name) == 0 && s->name[0] != '\0') {
			s->used = c->clock;
			return s;
		}
		if (s->used < victim->used)
			victim = s;
	}
	if (victim->cd != (iconv_t)-1)
		iconv_close(victim->cd);
	victim->cd = iconv_open("UTF-8", iconv_name);
	memcpy(victim->name, name, strlen(name) + 1);
	victim->used = c->clock;
	return victim;
}

/* Makes room for `need` more bytes after o in *out (capacity *cap). */
static int cv_reserve(struct arena *a, unsigned char **out, size_t *cap, size_t o, size_t need)
{
	if (*cap - o >= need)
		return 0;
	size_t ncap = *cap * 2 + need;
	unsigned char *p = arena_realloc(a, *out, *cap + 1, ncap + 1);
	if (p == NULL)
		return -1;
	*out = p;
	*cap = ncap;
	return 0;
}

/* iconv conversion into the arena; invalid input becomes U+FFFD. */
static unsigned char *cv_iconv(struct arena *a, iconv_t cd, const unsigned char *in, size_t n,
                               size_t *out_len, int *bad)
{
	size_t cap = n * 3 + 16, o = 0;
	unsigned char *out = arena_alloc(a, cap + 1);
	char *ip = (char *)(uintptr_t)in;
	size_t il = n;

	if (out == NULL)
		return NULL;
	iconv(cd, NULL, NULL, NULL, NULL);
	while (il > 0) {
		char *op = (char *)out + o;
		size_t ol = cap - o;
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		int err = errno;
		o = (size_t)((unsigned char *)op - out);
		if (r != (size_t)-1)
			continue;
		if (err == E2BIG) {
			if (cv_reserve(a, &out, &cap, o, cap) != 0)
				return NULL;
			continue;
		}
		if (err != EILSEQ && err != EINVAL)
			break;
		/* Invalid (EILSEQ) or truncated (EINVAL) input: one U+FFFD, skip a byte. */
		*bad = 1;
		if (cv_reserve(a, &out, &cap, o, 3) != 0)
			return NULL;
		o += mime_utf8_put(out + o, 0xFFFD);
		ip++;
		il--;
	}
	/* Stateful encodings (ISO-2022-*) may still owe a shift sequence. */
	if (cv_reserve(a, &out, &cap, o, 16) != 0)
		return NULL;
	char *op = (char *)out + o;
	size_t ol = cap - o;
	iconv(cd, NULL, NULL, &op, &ol);
	o = (size_t)((unsigned char *)op - out);
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* Built-in conversion of one kind into the arena. */
static unsigned char *cv_builtin(struct arena *a, enum cs_kind kind, const unsigned char *in,
                                 size_t n, size_t *out_len, int *bad)
{
	unsigned char *out;
	size_t o;

	if (kind == CS_AUTO || kind == CS_UTF8) {
		if (utf8_valid(in, n)) {
			out = arena_alloc(a, n + 1);
			if (out == NULL)
				return NULL;
			memcpy(out, in, n);
			o = n;
			goto done;
		}
		*bad = 1;
	}
	out = arena_alloc(a, n * 3 + 1);
	if (out == NULL)
		return NULL;
	o = kind == CS_UTF8 ? cv_utf8(in, n, out, bad) : cv_cp1252(in, n, out);
done:
	out[o] = '\0';
	*out_len = o;
	return out;
}

char *charset_to_utf8(struct arena *a, struct charset_cache *cache, const char *charset,
                      const unsigned char *in, size_t len, size_t *out_len, int *bad)
{
	char name[CHARSET_NAME_MAX + 1];
	int bad_local = 0;
	size_t n_local;
	unsigned char *out;

	if (bad == NULL)
		bad = &bad_local;
	if (out_len == NULL)
		out_len = &n_local;
	if (charset == NULL || !cs_normalise(charset, name)) {
		*bad = 1;
		return (char *)cv_builtin(a, CS_CP1252, in, len, out_len, bad);
	}
	const struct cs_alias *al = name[0] == '\0' ? &cs_aliases[0] : cs_alias_find(name);
	if (al != NULL && al->kind != CS_ICONV)
		return (char *)cv_builtin(a, al->kind, in, len, out_len, bad);
	unsigned unit;
	int order;
	if (al == NULL && mime_unicode_form(name, &unit, &order))
		return (char *)mime_unicode_to_utf8(a, unit, order, in, len, out_len, bad);
	struct charset_slot *slot =
	    cache != NULL ? cs_slot_get(cache, name, al != NULL ? al->iconv_name : name) : NULL;
	if (slot == NULL || slot->cd == (iconv_t)-1) {
		*bad = 1;
		return (char *)cv_builtin(a, CS_CP1252, in, len, out_len, bad);
	}
	out = cv_iconv(a, slot->cd, in, len, out_len, bad);
	return (char *)out;
}
