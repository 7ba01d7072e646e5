/*
 * test_mime_decode.c - golden vectors and broken inputs for the MIME
 * decoders: base64, quoted-printable, uuencode, charsets, RFC 2047 words.
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/mime/mime.h"
#include "cartridge/util/hex.h"

static struct arena arena;

static void setup(void)
{
	arena_init(&arena);
}

static void teardown(void)
{
	arena_destroy(&arena);
}

static size_t b64(const char *in, unsigned char *out, size_t cap, unsigned *errs)
{
	*errs = 0;
	return mime_base64_decode(in, strlen(in), out, cap, errs);
}

START_TEST(base64_golden)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "" },
		{ "Zg==", "f" },
		{ "Zm8=", "fo" },
		{ "Zm9v", "foo" },
		{ "Zm9vYg==", "foob" },
		{ "Zm9vYmE=", "fooba" },
		{ "Zm9vYmFy", "foobar" },
		{ "Zm9v\r\nYmFy\r\n", "foobar" },
		{ "  Zm9v YmFy\t", "foobar" },
	};
	unsigned char out[64];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned errs;
		size_t n = b64(v[i].in, out, sizeof(out), &errs);
		ck_assert_uint_eq(n, strlen(v[i].out));
		ck_assert(memcmp(out, v[i].out, n) == 0);
		ck_assert_uint_eq(errs, 0);
	}
}
END_TEST

START_TEST(base64_broken)
{
	unsigned char out[64];
	unsigned errs;
	size_t n = b64("Zm9vYg", out, sizeof(out), &errs); /* missing padding */
	ck_assert_uint_eq(n, 4);
	ck_assert(memcmp(out, "foob", 4) == 0);
	ck_assert_uint_eq(errs, 1);
	n = b64("Zm9v*YmFy!", out, sizeof(out), &errs); /* junk characters */
	ck_assert_uint_eq(n, 6);
	ck_assert(memcmp(out, "foobar", 6) == 0);
	ck_assert_uint_eq(errs, 2);
	n = b64("Zg==Zm8=", out, sizeof(out), &errs); /* concatenated chunks */
	ck_assert_uint_eq(n, 3);
	ck_assert(memcmp(out, "ffo", 3) == 0);
	n = b64("Zm9vYmFy", out, 4, &errs); /* bounded by cap */
	ck_assert_uint_eq(n, 4);
	ck_assert(memcmp(out, "foob", 4) == 0);
	n = b64("Z", out, sizeof(out), &errs);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(errs, 1);
}
END_TEST

static size_t qp(const char *in, unsigned char *out, size_t cap, int hdr, unsigned *errs)
{
	*errs = 0;
	size_t n = mime_qp_decode(in, strlen(in), out, cap, hdr, errs);
	out[n < cap ? n : cap - 1] = '\0';
	return n;
}

START_TEST(qp_golden)
{
	unsigned char out[128];
	unsigned errs;
	qp("caf=C3=A9 ok", out, sizeof(out), 0, &errs);
	ck_assert_str_eq((char *)out, "caf\xc3\xa9 ok");
	ck_assert_uint_eq(errs, 0);
	qp("soft=\r\nbreak", out, sizeof(out), 0, &errs);
	ck_assert_str_eq((char *)out, "softbreak");
	qp("soft=  \nbreak=\t \r\nend", out, sizeof(out), 0, &errs);
	ck_assert_str_eq((char *)out, "softbreakend");
	ck_assert_uint_eq(errs, 0);
	qp("trailing   \r\nspace\t\nkept in  middle", out, sizeof(out), 0, &errs);
	ck_assert_str_eq((char *)out, "trailing\r\nspace\nkept in  middle");
	qp("lower=e9case", out, sizeof(out), 0, &errs);
	ck_assert_str_eq((char *)out, "lower\xe9"
	                              "case");
	qp("a_b=5F", out, sizeof(out), 1, &errs);
	ck_assert_str_eq((char *)out, "a b_");
}
END_TEST

START_TEST(qp_broken)
{
	unsigned char out[128];
	unsigned errs;
	qp("bad =ZZ escape and =4", out, sizeof(out), 0, &errs);
	ck_assert_str_eq((char *)out, "bad =ZZ escape and =4");
	ck_assert_uint_eq(errs, 2);
	qp("ends with =", out, sizeof(out), 0, &errs);
	ck_assert_str_eq((char *)out, "ends with ");
	size_t n = qp("=41=42=43=44", out, 3, 0, &errs);
	ck_assert_uint_eq(n, 3);
}
END_TEST

START_TEST(uu_golden)
{
	/* "Cat" and a second line, as produced by uuencode(1). */
	const char *in = "begin 644 cat.txt\n#0V%T\n`\nend\n";
	unsigned char out[64];
	unsigned errs = 0;
	size_t n = mime_uu_decode(in, strlen(in), out, sizeof(out), &errs);
	ck_assert_uint_eq(n, 3);
	ck_assert(memcmp(out, "Cat", 3) == 0);
	ck_assert_uint_eq(errs, 0);
	const char *two =
	    "M5&AE('%U:6-K(&)R;W=N(&9O>\"!J=6UP<R!O=F5R('1H92!L87IY(&1O9RX*\n`\nend\n";
	n = mime_uu_decode(two, strlen(two), out, sizeof(out), &errs);
	ck_assert_uint_eq(n, 45);
	ck_assert(memcmp(out, "The quick brown fox jumps over the lazy dog.\n", 45) == 0);
}
END_TEST

START_TEST(uu_broken)
{
	unsigned char out[64];
	unsigned errs = 0;
	/* Line claims 3 bytes but is cut short: padded, counted. */
	size_t n = mime_uu_decode("#0V\nend\n", 8, out, sizeof(out), &errs);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_ge(errs, 1);
	n = mime_uu_decode("M", 1, out, 2, &errs);
	ck_assert_uint_le(n, 2);
}
END_TEST

static const char *conv(const char *cs, struct charset_cache *cache, const char *in, int *bad)
{
	*bad = 0;
	return charset_to_utf8(&arena, cache, cs, (const unsigned char *)in, strlen(in), NULL, bad);
}

/* Windows-1252 text converted in one call equals its bytes converted one
 * at a time (charset.c copies ASCII runs whole): runs of every length
 * around the 8-byte steps, high bytes between and at both ends. */
/* mime_qp_decode as qp.c had it before it copied runs of plain bytes and
 * single spaces at once: one byte at a time. */
static size_t ref_qp_ws(const unsigned char *p, size_t i, size_t len, int *at_eol)
{
	size_t j = i;
	while (j < len && (p[j] == ' ' || p[j] == '\t'))
		j++;
	*at_eol = j == len || p[j] == '\n' || (p[j] == '\r' && j + 1 < len && p[j + 1] == '\n');
	return j;
}

static size_t ref_qp(const char *in, size_t len, unsigned char *out, size_t cap, int header_mode,
                     unsigned *errors)
{
	const unsigned char *p = (const unsigned char *)in;
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
			size_t j = i + 1, next = 0;
			while (!header_mode && j < len && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (!header_mode) {
				if (j == len)
					next = len;
				else if (p[j] == '\n')
					next = j + 1;
				else if (p[j] == '\r' && (j + 1 == len || p[j + 1] == '\n'))
					next = j + 1 < len ? j + 2 : len;
			}
			if (next != 0) {
				i = next;
				continue;
			}
			(*errors)++;
			out[o++] = '=';
			i++;
		} else if ((c == ' ' || c == '\t') && !header_mode) {
			int at_eol;
			size_t end = ref_qp_ws(p, i, len, &at_eol);
			while (!at_eol && i < end && o < cap)
				out[o++] = p[i++];
			i = end;
		} else {
			out[o++] = header_mode && c == '_' ? ' ' : c;
			i++;
		}
	}
	return o;
}

START_TEST(qp_equals_the_byte_decoder)
{
	static const char alphabet[] = "ab= \t\r\n_3F=\r\nxyz  =20\t=\n";
	uint64_t x = 0x2545f4914f6cdd1dull;
	char in[80];
	unsigned char got[96], want[96];
	for (int round = 0; round < 20000; round++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t n = (size_t)(x % sizeof(in));
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			unsigned v = (unsigned)(x >> 32);
			in[i] = v % 3 == 0 ? alphabet[(v >> 8) % (sizeof(alphabet) - 1)]
			                   : (char)('A' + (v >> 8) % 26);
		}
		size_t cap = round % 4 == 0 ? (size_t)(x >> 50) % (n + 1) : sizeof(got);
		int header = round % 5 == 0;
		unsigned eg = 0, ew = 0;
		size_t lg = mime_qp_decode(in, n, got, cap, header, &eg);
		size_t lw = ref_qp(in, n, want, cap, header, &ew);
		ck_assert_uint_eq(lg, lw);
		ck_assert_uint_eq(eg, ew);
		ck_assert_mem_eq(got, want, lw);
	}
}
END_TEST

START_TEST(charset_cp1252_runs_as_bytes)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char in[96], one[2] = { 0, 0 }, want[400];
	for (int round = 0; round < 2000; round++) {
		size_t n = 0, w = 0;
		while (n + 1 < sizeof(in)) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			unsigned v = (unsigned)(x >> 40);
			/* mostly ASCII, a high byte now and then */
			in[n++] = (char)(v % 5 == 0 ? 0x80 + (v >> 8) % 128 : 1 + (v >> 8) % 127);
			if (v % 97 == 0)
				break;
		}
		in[n] = '\0';
		for (size_t i = 0; i < n; i++) {
			int bad;
			one[0] = in[i];
			const char *c = conv("windows-1252", NULL, one, &bad);
			memcpy(want + w, c, strlen(c));
			w += strlen(c);
		}
		want[w] = '\0';
		int bad;
		ck_assert_str_eq(conv("windows-1252", NULL, in, &bad), want);
	}
}
END_TEST

START_TEST(charset_builtin)
{
	int bad;
	ck_assert_str_eq(conv("us-ascii", NULL, "plain", &bad), "plain");
	ck_assert_int_eq(bad, 0);
	ck_assert_str_eq(conv("ISO-8859-1", NULL, "caf\xe9", &bad), "caf\xc3\xa9");
	ck_assert_str_eq(conv("latin-1", NULL, "\xe9", &bad), "\xc3\xa9");
	ck_assert_str_eq(conv("cp1252", NULL, "\x80\x93", &bad), "\xe2\x82\xac\xe2\x80\x9c");
	ck_assert_str_eq(conv("Windows-1252", NULL, "\x9f", &bad), "\xc5\xb8");
	ck_assert_str_eq(conv("utf8", NULL, "\xc3\xa9", &bad), "\xc3\xa9");
	ck_assert_int_eq(bad, 0);
	/* Invalid UTF-8: each bad byte becomes U+FFFD. */
	ck_assert_str_eq(conv("UTF-8", NULL,
	                      "a\xff"
	                      "b\xc0\xaf",
	                      &bad),
	                 "a\xef\xbf\xbd"
	                 "b\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_int_eq(bad, 1);
	ck_assert_str_eq(conv("utf-8", NULL, "\xed\xa0\x80", &bad),
	                 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* No charset / us-ascii: valid UTF-8 stays UTF-8, else windows-1252. */
	ck_assert_str_eq(conv("", NULL, "\xc3\xa9", &bad), "\xc3\xa9");
	ck_assert_int_eq(bad, 0);
	ck_assert_str_eq(conv("us-ascii", NULL, "\xe9t\xe9", &bad), "\xc3\xa9t\xc3\xa9");
	ck_assert_int_eq(bad, 1);
	/* Unknown charset: windows-1252 and bad. */
	ck_assert_str_eq(conv("x-no-such-charset", NULL, "\xe9", &bad), "\xc3\xa9");
	ck_assert_int_eq(bad, 1);
	ck_assert_str_eq(conv("evil/../name", NULL, "a", &bad), "a");
	ck_assert_int_eq(bad, 1);
}
END_TEST

START_TEST(charset_iconv)
{
	struct charset_cache *cache = charset_cache_new();
	int bad;
	ck_assert_ptr_nonnull(cache);
	/* koi8-r "Привет" */
	ck_assert_str_eq(conv("koi8-r", cache, "\xf0\xd2\xc9\xd7\xc5\xd4", &bad),
	                 "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	ck_assert_int_eq(bad, 0);
	/* iso-8859-2 "Łódź" */
	ck_assert_str_eq(conv("ISO-8859-2", cache, "\xa3\xf3\x64\xbc", &bad),
	                 "\xc5\x81\xc3\xb3\x64\xc5\xba");
	/* Cached descriptor reused after an invalid sequence left state behind. */
	ck_assert_str_eq(conv("shift_jis", cache, "\x82\xa0\x82", &bad),
	                 "\xe3\x81\x82\xef\xbf\xbd");
	ck_assert_int_eq(bad, 1);
	ck_assert_str_eq(conv("shift_jis", cache, "\x82\xa0", &bad), "\xe3\x81\x82");
	ck_assert_int_eq(bad, 0);
	/* Many charsets: the fixed table evicts and still converts. */
	static const char *names[] = { "iso-8859-2",  "iso-8859-3",  "iso-8859-4",  "iso-8859-5",
		                       "iso-8859-6",  "iso-8859-7",  "iso-8859-9",  "iso-8859-10",
		                       "iso-8859-13", "iso-8859-14", "iso-8859-15", "koi8-u",
		                       "cp1250",      "cp1251",      "cp1253",      "cp1254",
		                       "cp1255",      "cp1256",      "cp1257",      "koi8-r" };
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			ck_assert_str_eq(conv(names[i], cache, "abc", &bad), "abc");
			ck_assert_int_eq(bad, 0);
		}
	ck_assert_str_eq(conv("x-bogus-cs", cache, "\xe9", &bad), "\xc3\xa9");
	ck_assert_int_eq(bad, 1);
	charset_cache_free(cache);
}
END_TEST

/* Like conv() for inputs with NUL bytes. */
static const char *convn(const char *cs, struct charset_cache *cache, const char *in, size_t n,
                         int *bad)
{
	*bad = 0;
	return charset_to_utf8(&arena, cache, cs, (const unsigned char *)in, n, NULL, bad);
}
#define CONVN(cs, cache, lit, bad) convn(cs, cache, lit, sizeof(lit) - 1, bad)

START_TEST(charset_utf16)
{
	struct charset_cache *cache = charset_cache_new();
	int bad;
	ck_assert_ptr_nonnull(cache);
	/* Byte order marks decide, and are dropped; the issue 9 sequence:
	 * big-endian first on the same cache must not change little-endian. */
	ck_assert_str_eq(CONVN("utf-16", cache, "\xfe\xff\0H\0i", &bad), "Hi");
	ck_assert_int_eq(bad, 0);
	ck_assert_str_eq(CONVN("utf-16", cache, "\xff\xfeH\0i\0", &bad), "Hi");
	ck_assert_str_eq(CONVN("UTF-16", cache, "\xfe\xff\0H\0i", &bad), "Hi");
	ck_assert_str_eq(CONVN("utf-16le", cache, "\xfe\xff\0H\0i", &bad), "Hi");
	/* No mark: the declared order, else where the zero bytes are. */
	ck_assert_str_eq(CONVN("utf-16be", cache, "\0H\0i", &bad), "Hi");
	ck_assert_str_eq(CONVN("utf-16le", cache, "H\0i\0", &bad), "Hi");
	ck_assert_str_eq(CONVN("ucs-2", cache, "H\0i\0", &bad), "Hi");
	ck_assert_str_eq(CONVN("unicode", cache, "\0H\0i", &bad), "Hi");
	/* A surrogate pair (U+1F600), an unpaired surrogate, an odd tail. */
	ck_assert_str_eq(CONVN("utf-16be", cache, "\xd8\x3d\xde\x00", &bad), "\xf0\x9f\x98\x80");
	ck_assert_int_eq(bad, 0);
	ck_assert_str_eq(CONVN("utf-16be", cache, "\xd8\x3d\0a", &bad), "\xef\xbf\xbd"
	                                                                "a");
	ck_assert_int_eq(bad, 1);
	ck_assert_str_eq(CONVN("utf-16le", cache, "a\0b", &bad), "a\xef\xbf\xbd");
	ck_assert_int_eq(bad, 1);
	/* UTF-32 and an out-of-range unit. */
	ck_assert_str_eq(CONVN("utf-32", cache, "\xff\xfe\0\0H\0\0\0", &bad), "H");
	ck_assert_str_eq(CONVN("utf-32", cache, "\0\0\xfe\xff\0\0\0H", &bad), "H");
	ck_assert_str_eq(CONVN("utf-32be", cache, "\0\x11\0\0", &bad), "\xef\xbf\xbd");
	ck_assert_int_eq(bad, 1);
	charset_cache_free(cache);
}
END_TEST

/* What every charset name is tried with: both byte orders of UTF-16 and
 * UTF-32 with a mark, shift sequences left open (ISO-2022, UTF-7), double
 * byte text and plain ASCII. */
static const struct {
	const char *p;
	size_t n;
} stateless_in[] = {
	{ "\xfe\xff\0A\0B", 6 },
	{ "\xff\xfe"
	  "A\0B\0",
	  6 },
	{ "\0\0\xfe\xff\0\0\0A", 8 },
	{ "\xff\xfe\0\0A\0\0\0", 8 },
	{ "\x1b$B$\"\x1b(B", 8 },
	{ "\x1b$B$\"", 5 },
	{ "+AGEAYgBj-x", 11 },
	{ "+AGEAYgBj", 9 },
	{ "\x82\xa0\x82", 3 },
	{ "\xb0\xa1\xb0", 3 },
	{ "ab", 2 },
};
#define N_STATELESS_IN (sizeof(stateless_in) / sizeof(stateless_in[0]))

/* Converts every input under `name` on the cache `shared` (which keeps what
 * earlier names and inputs left in it), in an order set by `salt`, and
 * checks each result against a fresh cache's. */
static void check_stateless(const char *name, struct charset_cache *shared, size_t salt)
{
	for (size_t k = 0; k < N_STATELESS_IN; k++) {
		size_t i = (k * 7 + salt) % N_STATELESS_IN;
		struct charset_cache *fresh = charset_cache_new();
		ck_assert_ptr_nonnull(fresh);
		int bad1, bad2;
		const char *a = convn(name, shared, stateless_in[i].p, stateless_in[i].n, &bad1);
		const char *b = convn(name, fresh, stateless_in[i].p, stateless_in[i].n, &bad2);
		ck_assert_msg(strcmp(a, b) == 0 && bad1 == bad2,
		              "%s input %zu: cached and fresh results differ", name, i);
		charset_cache_free(fresh);
	}
}

/* Every charset converts an input the same whatever the same cache
 * converted before: each result is compared with a fresh cache's. */
START_TEST(charset_stateless)
{
	static const char *names[] = { "utf-16",    "utf-16le", "utf-32", "iso-2022-jp", "utf-7",
		                       "shift_jis", "gb2312",   "koi8-r", "euc-kr",      "big5",
		                       "ucs-2",     "unicode",  "x-utf16" };
	struct charset_cache *shared = charset_cache_new();
	ck_assert_ptr_nonnull(shared);
	for (size_t round = 0; round < 3; round++)
		for (size_t c = 0; c < sizeof(names) / sizeof(names[0]); c++)
			check_stateless(names[c], shared, c * 3 + round);
	charset_cache_free(shared);
}
END_TEST

/* The spellings of one iconv name a message may use: as listed, upper
 * case, '_' for '-', and with characters iconv_open drops when it looks a
 * name up ("ut+f-16" opens UTF-16). */
static void name_spellings(const char *name, char out[4][128])
{
	size_t n = strlen(name);
	snprintf(out[0], 128, "%s", name);
	snprintf(out[1], 128, "%s", name);
	for (char *p = out[1]; *p != '\0'; p++)
		*p = *p == '-' ? '_' : (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	snprintf(out[2], 128, "%.2s+%s", name, n > 2 ? name + 2 : "");
	snprintf(out[3], 128, "%s+", name);
}

/* The same for every name glibc's iconv knows (`iconv -l`), each in several
 * spellings: a name of a stateful converter this file does not list (the
 * UTF-16 family under a name only iconv folds) fails here, not in mail. */
START_TEST(charset_stateless_every_iconv_name)
{
	FILE *f = popen("iconv -l", "r");
	ck_assert_ptr_nonnull(f);
	struct charset_cache *shared = charset_cache_new();
	ck_assert_ptr_nonnull(shared);
	char tok[96], sp[4][128];
	size_t names = 0, len = 0;
	int ch;
	while ((ch = getc(f)) != EOF) {
		if (ch != ',' && ch != ' ' && ch != '\n' && ch != '/') {
			if (len + 1 < sizeof(tok))
				tok[len++] = (char)ch;
			continue;
		}
		if (len == 0)
			continue;
		tok[len] = '\0';
		len = 0;
		name_spellings(tok, sp);
		for (size_t k = 0; k < 4; k++)
			check_stateless(sp[k], shared, names + k);
		names++;
		arena_reset(&arena);
	}
	ck_assert_int_eq(pclose(f), 0);
	charset_cache_free(shared);
	ck_assert_msg(names >= 500, "iconv -l listed only %zu names", names);
}
END_TEST

static const char *hdr(const char *in)
{
	size_t n;
	char *s = mime_header_decode(&arena, in, strlen(in), &n);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(n, strlen(s));
	return s;
}

START_TEST(rfc2047_golden)
{
	ck_assert_str_eq(hdr("plain text"), "plain text");
	ck_assert_str_eq(hdr("=?ISO-8859-1?Q?a?="), "a");
	ck_assert_str_eq(hdr("=?ISO-8859-1?Q?a?= b"), "a b");
	ck_assert_str_eq(hdr("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?="), "ab");
	ck_assert_str_eq(hdr("=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?="), "ab");
	ck_assert_str_eq(hdr("=?ISO-8859-1?Q?a_b?="), "a b");
	ck_assert_str_eq(hdr("=?utf-8?B?w6k=?= caf=?UTF-8?q?=C3=A9?="), "\xc3\xa9 caf\xc3\xa9");
	ck_assert_str_eq(hdr("Re: =?windows-1252?Q?=93hi=94?="), "Re: \xe2\x80\x9chi\xe2\x80\x9d");
	/* A UTF-8 character split across two words is joined first. */
	ck_assert_str_eq(hdr("=?UTF-8?B?ww==?= =?UTF-8?B?qQ==?="), "\xc3\xa9");
	ck_assert_str_eq(hdr("=?utf-8?Q?=C3?= =?utf-8?Q?=A9?="), "\xc3\xa9");
	/* RFC 2231 language suffix. */
	ck_assert_str_eq(hdr("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
	/* Raw 8-bit: kept when valid UTF-8, else windows-1252. */
	ck_assert_str_eq(hdr("na\xc3\xafve"), "na\xc3\xafve");
	ck_assert_str_eq(hdr("na\xefve"), "na\xc3\xafve");
}
END_TEST

START_TEST(rfc2047_malformed)
{
	ck_assert_str_eq(hdr("=?utf-8?X?abc?="), "=?utf-8?X?abc?=");
	ck_assert_str_eq(hdr("=?utf-8?Q?abc"), "=?utf-8?Q?abc");
	ck_assert_str_eq(hdr("=??Q?abc?="), "=??Q?abc?=");
	ck_assert_str_eq(hdr("=?utf-8?Q?a b?="), "=?utf-8?Q?a b?=");
	ck_assert_str_eq(hdr("x =?utf-8?Q?ok?= y =? z"), "x ok y =? z");
	ck_assert_str_eq(hdr("=?"), "=?");
	ck_assert_str_eq(hdr(""), "");
	/* Unknown charset: bytes read as windows-1252. */
	ck_assert_str_eq(hdr("=?x-unknown-cs?Q?=E9?="), "\xc3\xa9");
}
END_TEST

/* Many unterminated words must not take quadratic time. */
START_TEST(rfc2047_linear)
{
	size_t n = 1 << 20;
	char *s = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = "=?a?Q?x"[i % 7];
	s[n] = '\0';
	size_t out_len;
	char *r = mime_header_decode(&arena, s, n, &out_len);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(out_len, n);
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mime_decode");
	TCase *tc = tcase_create("decoders");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, base64_golden);
	tcase_add_test(tc, charset_cp1252_runs_as_bytes);
	tcase_add_test(tc, base64_broken);
	tcase_add_test(tc, qp_golden);
	tcase_add_test(tc, qp_equals_the_byte_decoder);
	tcase_add_test(tc, qp_broken);
	tcase_add_test(tc, uu_golden);
	tcase_add_test(tc, uu_broken);
	tcase_add_test(tc, charset_builtin);
	tcase_add_test(tc, charset_iconv);
	tcase_add_test(tc, charset_utf16);
	tcase_add_test(tc, charset_stateless);
	tcase_add_test(tc, charset_stateless_every_iconv_name);
	tcase_add_test(tc, rfc2047_golden);
	tcase_add_test(tc, rfc2047_malformed);
	tcase_add_test(tc, rfc2047_linear);
	suite_add_tcase(s, tc);
	return check_run(s);
}
