/*
 * mutate.c - makes variants of a spam message the way spammers permute a
 * campaign, for the accuracy benchmark (tests/bench/accuracy.sh).
 *
 *   mutate --kind K --seed S IN.eml > OUT.eml
 *   mutate --all --seed S --out DIR FILES...        writes DIR/<kind>/<basename>
 *   mutate --kind K --seed S --out DIR FILES...      one kind, same layout
 *
 * Kinds: hashbuster invisible personalise urlrotate wordswap reorder
 * reencode headers html combo (see kind_table below for what each does).
 * The program parses the message's MIME tree itself, decodes base64 and
 * quoted-printable text parts, mutates the decoded text and encodes it again
 * (as it was, or as the kind says), so every variant stays a valid RFC 822 /
 * MIME message.  Parts it does not understand (attachments, unknown transfer
 * encodings, broken multiparts) are copied through byte for byte.  Output is
 * a function of (seed, kind, file basename) only.  When a kind finds nothing
 * to change (e.g. urlrotate on a message without URL or address), a fresh
 * Message-ID is written so that the variant still differs from the original;
 * batch mode counts those on stderr.
 *
 * Not for: the engine (no engine code is used); not a general MIME library.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mutate_words.h"

/* Limits; anything past them is copied through untouched. */
#define MUT_MAX_INPUT (32u << 20) /* largest message read, bytes */
#define MUT_MAX_DEPTH 16          /* MIME nesting followed */
#define MUT_MAX_PARTS 512         /* MIME parts per message */
#define MUT_MAX_BOUNDARY 200      /* RFC 2046 allows 70; be lenient */
#define MUT_MAX_CHARSET 40
#define MUT_MAX_HOSTS 64  /* distinct URL hosts remapped per message */
#define MUT_MAX_GROUP 256 /* sibling elements shuffled together */
#define MUT_WRAP_MIN 56   /* re-wrap width range */
#define MUT_WRAP_SPAN 22

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ buffers */

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t add)
{
	if (b->len + add + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + add + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		fprintf(stderr, "mutate: out of memory\n");
		exit(3);
	}
	b->p = p;
	b->cap = cap;
}

static void buf_put(struct buf *b, const void *s, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}
static void buf_putc(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}

__attribute__((format(printf, 2, 3))) static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static const char *buf_cstr(struct buf *b)
{
	buf_reserve(b, 0);
	b->p[b->len] = '\0';
	return b->p;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void buf_take(struct buf *dst, struct buf *src)
{
	buf_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

/* Case-insensitive search; returns the offset or SIZE_MAX. */
static size_t ci_find(const char *hay, size_t n, size_t from, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = from; m && i + m <= n; i++)
		if (strncasecmp(hay + i, needle, m) == 0)
			return i;
	return SIZE_MAX;
}

static int ci_prefix(const char *s, size_t n, const char *pre)
{
	size_t m = strlen(pre);
	return n >= m && strncasecmp(s, pre, m) == 0;
}

/* ---------------------------------------------------------------------- rng */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t rng_below(struct rng *r, size_t n)
{
	return n ? (size_t)(rng_next(r) % n) : 0;
}
static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}
static int rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}
static size_t rng_range(struct rng *r, size_t lo, size_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

#define RNG_PICK(r, arr) ((arr)[rng_below((r), N_ELEMS(arr))])

static const char *rng_word(struct rng *r)
{
	return RNG_PICK(r, MUTATE_WORDS);
}

static void rng_token(struct rng *r, struct buf *b, size_t len)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	for (size_t i = 0; i < len; i++)
		buf_putc(b, alnum[rng_below(r, sizeof(alnum) - 1)]);
}

static void rng_digits(struct rng *r, struct buf *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf_putc(b, (char)('0' + (i == 0 ? 1 + rng_below(r, 9) : rng_below(r, 10))));
}

static void rng_shuffle(struct rng *r, size_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = rng_below(r, i), t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
	if (n >= 2 && idx[0] == 0 && idx[1] == 1) { /* never leave the order as it was */
		int identity = 1;
		for (size_t i = 0; i < n && identity; i++)
			identity = idx[i] == i;
		if (identity) {
			idx[0] = 1;
			idx[1] = 0;
		}
	}
}

/* ------------------------------------------------------------ message model */

struct hdr {
	char *text; /* "Name: value", folded lines joined by '\n', no final EOL */
	size_t len;
};

struct hdrs {
	struct hdr *v;
	size_t n, cap;
};

enum part_kind {
	PART_OPAQUE,
	PART_TEXT,
	PART_MULTI
};
enum cte {
	CTE_7BIT,
	CTE_8BIT,
	CTE_BASE64,
	CTE_QP,
	CTE_OTHER
};

struct part {
	struct hdrs hdrs;
	int has_separator;    /* a blank line ended the header block */
	const char *raw_body; /* points into the input */
	size_t raw_body_len;
	enum part_kind kind;
	/* PART_MULTI */
	char boundary[MUT_MAX_BOUNDARY + 1];
	const char *preamble, *epilogue;
	size_t preamble_len, epilogue_len;
	struct part **kids;
	size_t n_kids;
	/* PART_TEXT */
	int is_html, in_alternative;
	char charset[MUT_MAX_CHARSET + 1];
	enum cte cte;
	struct buf text; /* decoded, '\n' line ends, bytes in charset */
	int dirty;
};

struct msg {
	struct part *root;
	const char *eol;
	size_t n_parts;
	struct part *text_parts[MUT_MAX_PARTS];
	size_t n_text;
};

static void hdrs_add(struct hdrs *h, size_t at, const char *text, size_t len)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->v = realloc(h->v, h->cap * sizeof(*h->v));
		if (!h->v) {
			fprintf(stderr, "mutate: out of memory\n");
			exit(3);
		}
	}
	if (at > h->n)
		at = h->n;
	memmove(h->v + at + 1, h->v + at, (h->n - at) * sizeof(*h->v));
	h->v[at].text = malloc(len + 1);
	if (!h->v[at].text) {
		fprintf(stderr, "mutate: out of memory\n");
		exit(3);
	}
	memcpy(h->v[at].text, text, len);
	h->v[at].text[len] = '\0';
	h->v[at].len = len;
	h->n++;
}

static void hdrs_free(struct hdrs *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].text);
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* Index of the first field called name, or SIZE_MAX. */
static size_t hdrs_find(const struct hdrs *h, const char *name)
{
	size_t m = strlen(name);
	for (size_t i = 0; i < h->n; i++) {
		const char *t = h->v[i].text;
		if (h->v[i].len > m && strncasecmp(t, name, m) == 0) {
			size_t j = m;
			while (t[j] == ' ' || t[j] == '\t')
				j++;
			if (t[j] == ':')
				return i;
		}
	}
	return SIZE_MAX;
}

/* The unfolded, trimmed value of field i into out (NUL terminated). */
static void hdr_value(const struct hdr *f, struct buf *out)
{
	out->len = 0;
	const char *c = memchr(f->text, ':', f->len);
	size_t i = c ? (size_t)(c - f->text) + 1 : f->len;
	while (i < f->len && (f->text[i] == ' ' || f->text[i] == '\t'))
		i++;
	for (; i < f->len; i++)
		if (f->text[i] != '\n' && f->text[i] != '\r')
			buf_putc(out, f->text[i]);
	while (out->len && isspace((unsigned char)out->p[out->len - 1]))
		out->len--;
	buf_cstr(out);
}

static int hdrs_get(const struct hdrs *h, const char *name, struct buf *out)
{
	size_t i = hdrs_find(h, name);
	out->len = 0;
	buf_cstr(out);
	if (i == SIZE_MAX)
		return 0;
	hdr_value(&h->v[i], out);
	return 1;
}

/* Replaces the first field called name, or appends it. */
static void hdrs_set(struct hdrs *h, const char *name, const char *value)
{
	struct buf t = { 0 };
	buf_printf(&t, "%s: %s", name, value);
	size_t i = hdrs_find(h, name);
	if (i == SIZE_MAX) {
		hdrs_add(h, h->n, t.p, t.len);
	} else {
		free(h->v[i].text);
		h->v[i].text = t.p;
		h->v[i].len = t.len;
		t.p = NULL;
	}
	buf_free(&t);
}

/* Where new trace fields go: after an mbox "From " line if there is one. */
static size_t hdrs_top(const struct hdrs *h)
{
	return h->n && strncmp(h->v[0].text, "From ", 5) == 0 ? 1 : 0;
}

/* Splits a header block; *body_off is where the body starts. */
static void hdrs_parse(struct hdrs *h, const char *p, size_t n, size_t *body_off, int *has_sep)
{
	size_t i = 0;
	struct buf field = { 0 };
	int open = 0;
	*has_sep = 0;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) : n, next = nl ? end + 1 : n;
		size_t len = end - i;
		if (len && p[i + len - 1] == '\r')
			len--;
		if (len == 0) {
			i = next;
			*has_sep = 1;
			break;
		}
		if ((p[i] == ' ' || p[i] == '\t') && open) {
			buf_putc(&field, '\n');
			buf_put(&field, p + i, len);
		} else {
			if (open)
				hdrs_add(h, h->n, field.p, field.len);
			field.len = 0;
			buf_put(&field, p + i, len);
			open = 1;
		}
		i = next;
	}
	if (open)
		hdrs_add(h, h->n, field.p, field.len);
	buf_free(&field);
	*body_off = i;
}

/* ------------------------------------------------------ Content-Type fields */

static void ct_type(const char *v, char *type, size_t tn, char *sub, size_t sn)
{
	size_t i = 0, k = 0;
	while (v[i] == ' ')
		i++;
	for (; v[i] && v[i] != '/' && v[i] != ';' && !isspace((unsigned char)v[i]); i++)
		if (k + 1 < tn)
			type[k++] = (char)tolower((unsigned char)v[i]);
	type[k] = '\0';
	k = 0;
	if (v[i] == '/')
		for (i++; v[i] && v[i] != ';' && !isspace((unsigned char)v[i]); i++)
			if (k + 1 < sn)
				sub[k++] = (char)tolower((unsigned char)v[i]);
	sub[k] = '\0';
}

/* Parameter name of a Content-Type value, unquoted, into out; 1 if found. */
static int ct_param(const char *v, const char *name, char *out, size_t on)
{
	size_t m = strlen(name);
	for (const char *s = v; *s; s++) {
		if (*s == '"') { /* skip quoted text */
			for (s++; *s && *s != '"'; s++)
				if (*s == '\\' && s[1])
					s++;
			if (!*s)
				break;
			continue;
		}
		if (*s != ';')
			continue;
		const char *q = s + 1;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncasecmp(q, name, m) != 0)
			continue;
		q += m;
		while (*q == ' ')
			q++;
		if (*q != '=')
			continue;
		for (q++; *q == ' '; q++)
			;
		size_t k = 0;
		int quoted = *q == '"';
		for (q += quoted;
		     *q && (quoted ? *q != '"' : (*q != ';' && !isspace((unsigned char)*q))); q++) {
			if (quoted && *q == '\\' && q[1])
				q++;
			if (k + 1 < on)
				out[k++] = *q;
		}
		out[k] = '\0';
		return k > 0;
	}
	return 0;
}

static enum cte cte_parse(const char *v)
{
	if (!*v || !strcasecmp(v, "7bit"))
		return CTE_7BIT;
	if (!strcasecmp(v, "8bit") || !strcasecmp(v, "binary"))
		return CTE_8BIT;
	if (!strcasecmp(v, "base64"))
		return CTE_BASE64;
	if (!strcasecmp(v, "quoted-printable"))
		return CTE_QP;
	return CTE_OTHER;
}

static const char *cte_name(enum cte c)
{
	static const char *const names[] = { "7bit", "8bit", "base64", "quoted-printable", "7bit" };
	return names[c];
}

/* ------------------------------------------------- transfer encoding codecs */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static void b64_decode(const char *s, size_t n, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64_value((unsigned char)s[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
}

static void b64_encode(const char *s, size_t n, const char *eol, struct buf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		buf_putc(out, tab[(v >> 18) & 63]);
		buf_putc(out, tab[(v >> 12) & 63]);
		buf_putc(out, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		buf_putc(out, i + 2 < n ? tab[v & 63] : '=');
		col += 4;
		if (col >= 76) {
			buf_puts(out, eol);
			col = 0;
		}
	}
	if (col)
		buf_puts(out, eol);
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)toupper(c);
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void qp_decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=') {
			buf_putc(out, s[i]);
			continue;
		}
		size_t j = i + 1;
		while (j < n && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j < n && (s[j] == '\n' || (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n'))) {
			i = s[j] == '\r' ? j + 1 : j; /* soft line break */
			continue;
		}
		if (j >= n) {
			i = j;
			continue;
		}
		int hi = i + 1 < n ? hex_value((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < n ? hex_value((unsigned char)s[i + 2]) : -1;
		if (hi >= 0 && lo >= 0) {
			buf_putc(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			buf_putc(out, '=');
		}
	}
}

static void qp_encode_line(const char *s, size_t n, const char *eol, struct buf *out)
{
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int last = i + 1 == n;
		int plain = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
		size_t w = plain ? 1 : 3;
		if (col + w > 75) {
			buf_putc(out, '=');
			buf_puts(out, eol);
			col = 0;
		}
		if (plain)
			buf_putc(out, (char)c);
		else
			buf_printf(out, "=%02X", c);
		col += w;
	}
}

static void qp_encode(const char *s, size_t n, const char *eol, struct buf *out)
{
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		qp_encode_line(s + i, end - i, eol, out);
		if (nl)
			buf_puts(out, eol);
		i = nl ? end + 1 : n;
	}
	if (n && s[n - 1] != '\n')
		buf_puts(out, eol);
}

/* Text with '\n' line ends into out with eol line ends. */
static void put_lines(const char *s, size_t n, const char *eol, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			buf_puts(out, eol);
		else
			buf_putc(out, s[i]);
	}
}

static void crlf_to_lf(struct buf *b)
{
	size_t k = 0;
	for (size_t i = 0; i < b->len; i++)
		if (!(b->p[i] == '\r' && i + 1 < b->len && b->p[i + 1] == '\n'))
			b->p[k++] = b->p[i];
	b->len = k;
	buf_cstr(b);
}

/* ----------------------------------------------------------------- charsets */

static int bytes_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

static int bytes_have_c1(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 && (unsigned char)s[i] < 0xa0)
			return 1;
	return 0;
}

static void latin1_to_utf8(struct buf *t)
{
	struct buf o = { 0 };
	for (size_t i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->p[i];
		if (c < 0x80) {
			buf_putc(&o, (char)c);
		} else {
			buf_putc(&o, (char)(0xc0 | (c >> 6)));
			buf_putc(&o, (char)(0x80 | (c & 0x3f)));
		}
	}
	buf_take(t, &o);
}

/* Converts UTF-8 to ISO-8859-1; -1 (text unchanged) if not representable. */
static int utf8_to_latin1(struct buf *t)
{
	struct buf o = { 0 };
	for (size_t i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->p[i];
		if (c < 0x80) {
			buf_putc(&o, (char)c);
		} else if ((c == 0xc2 || c == 0xc3) && i + 1 < t->len &&
		           ((unsigned char)t->p[i + 1] & 0xc0) == 0x80) {
			buf_putc(&o,
			         (char)(((c & 0x03) << 6) | ((unsigned char)t->p[i + 1] & 0x3f)));
			i++;
		} else {
			buf_free(&o);
			return -1;
		}
	}
	buf_take(t, &o);
	return 0;
}

static int cs_is(const char *cs, const char *a)
{
	return strcmp(cs, a) == 0;
}

static int cs_latin1_like(const char *cs)
{
	return !*cs || cs_is(cs, "us-ascii") || cs_is(cs, "ascii") || cs_is(cs, "iso-8859-1") ||
	       cs_is(cs, "latin1") || cs_is(cs, "iso_8859-1") || cs_is(cs, "iso8859-1");
}

/* Makes the part's text UTF-8 if its charset allows it; 0 on success. */
static int part_make_utf8(struct part *p)
{
	if (cs_is(p->charset, "utf-8") || cs_is(p->charset, "utf8"))
		return 0;
	int c1_free = !bytes_have_c1(p->text.p, p->text.len);
	if (!(cs_latin1_like(p->charset) || (cs_is(p->charset, "windows-1252") && c1_free)))
		return -1;
	latin1_to_utf8(&p->text);
	snprintf(p->charset, sizeof(p->charset), "utf-8");
	p->dirty = 1;
	return 0;
}

/* -------------------------------------------------------------- MIME parse */

static void part_parse(struct msg *m, struct part *p, const char *s, size_t n, int depth);

static struct part *part_new(struct msg *m)
{
	struct part *p = calloc(1, sizeof(*p));
	if (!p) {
		fprintf(stderr, "mutate: out of memory\n");
		exit(3);
	}
	m->n_parts++;
	return p;
}

/* Is the line at s (n bytes left) a delimiter of boundary b?  1 = part,
 * 2 = close delimiter, 0 = not one. */
static int line_is_delim(const char *s, size_t n, const char *b)
{
	size_t bl = strlen(b);
	if (n < 2 + bl || s[0] != '-' || s[1] != '-' || memcmp(s + 2, b, bl) != 0)
		return 0;
	size_t i = 2 + bl;
	int close = i + 1 < n && s[i] == '-' && s[i + 1] == '-';
	if (close)
		i += 2;
	for (; i < n && s[i] != '\n'; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return close ? 2 : 1;
}

/* Content end before the EOL that precedes a delimiter line at d. */
static size_t before_eol(const char *s, size_t start, size_t d)
{
	if (d > start && s[d - 1] == '\n')
		d--;
	if (d > start && s[d - 1] == '\r')
		d--;
	return d;
}

static void multi_add_kid(struct msg *m, struct part *p, const char *s, size_t n, int depth)
{
	struct part **k = realloc(p->kids, (p->n_kids + 1) * sizeof(*k));
	if (!k) {
		fprintf(stderr, "mutate: out of memory\n");
		exit(3);
	}
	p->kids = k;
	struct part *kid = part_new(m);
	p->kids[p->n_kids++] = kid;
	part_parse(m, kid, s, n, depth + 1);
}

/* Splits a multipart body at its delimiters; 0 if it has none. */
static int multi_parse(struct msg *m, struct part *p, int depth)
{
	const char *s = p->raw_body;
	size_t n = p->raw_body_len, i = 0, kid_start = 0;
	int open = 0;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t next = nl ? (size_t)(nl - s) + 1 : n;
		int d = line_is_delim(s + i, next - i, p->boundary);
		if (d && !open) {
			p->preamble = s;
			p->preamble_len = i;
		} else if (d) {
			multi_add_kid(m, p, s + kid_start, before_eol(s, kid_start, i) - kid_start,
			              depth);
		}
		if (d == 2) {
			p->epilogue = s + next;
			p->epilogue_len = n - next;
			return open || p->n_kids ? 1 : 0;
		}
		if (d) {
			open = 1;
			kid_start = next;
		}
		i = next;
	}
	if (open) /* no close delimiter: the last part runs to the end */
		multi_add_kid(m, p, s + kid_start, n - kid_start, depth);
	return open;
}

static void part_decode_text(struct part *p)
{
	if (p->cte == CTE_BASE64)
		b64_decode(p->raw_body, p->raw_body_len, &p->text);
	else if (p->cte == CTE_QP)
		qp_decode(p->raw_body, p->raw_body_len, &p->text);
	else
		buf_put(&p->text, p->raw_body, p->raw_body_len);
	crlf_to_lf(&p->text);
}

static void part_classify(struct msg *m, struct part *p, const char *ctv, int depth)
{
	char type[64], sub[64];
	struct buf v = { 0 };
	ct_type(ctv, type, sizeof(type), sub, sizeof(sub));
	if (!strcmp(type, "multipart") && depth < MUT_MAX_DEPTH && m->n_parts < MUT_MAX_PARTS &&
	    ct_param(ctv, "boundary", p->boundary, sizeof(p->boundary))) {
		p->kind = PART_MULTI;
		if (!multi_parse(m, p, depth))
			p->kind = PART_OPAQUE;
		if (!strcmp(sub, "alternative"))
			for (size_t i = 0; i < p->n_kids; i++)
				p->kids[i]->in_alternative = 1;
		goto done;
	}
	hdrs_get(&p->hdrs, "Content-Transfer-Encoding", &v);
	p->cte = cte_parse(v.p);
	int is_text = (!*type && depth == 0) || (!*type && !p->in_alternative) ||
	              (!strcmp(type, "text") && (!strcmp(sub, "plain") || !strcmp(sub, "html")));
	hdrs_get(&p->hdrs, "Content-Disposition", &v);
	if (!is_text || p->cte == CTE_OTHER || ci_prefix(v.p, v.len, "attachment") ||
	    m->n_text >= MUT_MAX_PARTS)
		goto done;
	p->kind = PART_TEXT;
	p->is_html = !strcmp(sub, "html");
	if (ct_param(ctv, "charset", p->charset, sizeof(p->charset)))
		for (char *c = p->charset; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	part_decode_text(p);
	m->text_parts[m->n_text++] = p;
done:
	buf_free(&v);
}

static void part_parse(struct msg *m, struct part *p, const char *s, size_t n, int depth)
{
	size_t body_off;
	struct buf ctv = { 0 };
	hdrs_parse(&p->hdrs, s, n, &body_off, &p->has_separator);
	p->raw_body = s + body_off;
	p->raw_body_len = n - body_off;
	hdrs_get(&p->hdrs, "Content-Type", &ctv);
	part_classify(m, p, ctv.p, depth);
	buf_free(&ctv);
}

static void part_free(struct part *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_kids; i++)
		part_free(p->kids[i]);
	free(p->kids);
	hdrs_free(&p->hdrs);
	buf_free(&p->text);
	free(p);
}

static void msg_parse(struct msg *m, const char *s, size_t n)
{
	memset(m, 0, sizeof(*m));
	const char *nl = memchr(s, '\n', n);
	m->eol = nl && nl > s && nl[-1] == '\r' ? "\r\n" : "\n";
	m->root = part_new(m);
	part_parse(m, m->root, s, n, 0);
}

/* -------------------------------------------------------------- MIME write */

static enum cte part_output_cte(const struct part *p)
{
	int ascii = bytes_ascii(p->text.p, p->text.len);
	int long_line = 0;
	for (size_t i = 0, col = 0; i < p->text.len && !long_line; i++) {
		col = p->text.p[i] == '\n' ? 0 : col + 1;
		long_line = col > 900;
	}
	if (p->cte == CTE_BASE64 || p->cte == CTE_QP)
		return p->cte;
	if (long_line || (!ascii && p->cte == CTE_7BIT))
		return CTE_QP;
	return p->cte;
}

static void part_sync_headers(struct msg *m, struct part *p)
{
	struct buf v = { 0 };
	buf_printf(&v, "text/%s", p->is_html ? "html" : "plain");
	if (*p->charset)
		buf_printf(&v, "; charset=\"%s\"", p->charset);
	hdrs_set(&p->hdrs, "Content-Type", v.p);
	p->cte = part_output_cte(p);
	hdrs_set(&p->hdrs, "Content-Transfer-Encoding", cte_name(p->cte));
	if (p == m->root && hdrs_find(&p->hdrs, "MIME-Version") == SIZE_MAX)
		hdrs_set(&p->hdrs, "MIME-Version", "1.0");
	buf_free(&v);
}

static void part_write_text(struct msg *m, struct part *p, struct buf *out)
{
	if (p->cte == CTE_BASE64) {
		struct buf canon = { 0 };
		put_lines(p->text.p, p->text.len, "\r\n", &canon);
		b64_encode(canon.p, canon.len, m->eol, out);
		buf_free(&canon);
	} else if (p->cte == CTE_QP) {
		qp_encode(p->text.p, p->text.len, m->eol, out);
	} else {
		put_lines(p->text.p, p->text.len, m->eol, out);
	}
}

static void part_write(struct msg *m, struct part *p, struct buf *out)
{
	if (p->kind == PART_TEXT && p->dirty)
		part_sync_headers(m, p);
	for (size_t i = 0; i < p->hdrs.n; i++) {
		put_lines(p->hdrs.v[i].text, p->hdrs.v[i].len, m->eol, out);
		buf_puts(out, m->eol);
	}
	if (p->has_separator || p->raw_body_len || p->dirty || p->kind == PART_MULTI)
		buf_puts(out, m->eol);
	if (p->kind == PART_TEXT && p->dirty) {
		part_write_text(m, p, out);
	} else if (p->kind == PART_MULTI) {
		buf_put(out, p->preamble, p->preamble_len);
		for (size_t i = 0; i < p->n_kids; i++) {
			buf_printf(out, "--%s%s", p->boundary, m->eol);
			part_write(m, p->kids[i], out);
			buf_puts(out, m->eol);
		}
		buf_printf(out, "--%s--%s", p->boundary, m->eol);
		buf_put(out, p->epilogue, p->epilogue_len);
	} else {
		buf_put(out, p->raw_body, p->raw_body_len);
	}
}

/* ----------------------------------------------------------- HTML scanning */

/* Does the tag at s ('<' ...) have this name? */
static int tag_is(const char *s, size_t n, const char *name)
{
	size_t m = strlen(name);
	return n > m + 1 && strncasecmp(s + 1, name, m) == 0 && !isalnum((unsigned char)s[m + 1]);
}

/* End of the markup starting at s[i], or i when s[i] starts no markup.
 * Script and style elements count as markup as a whole. */
static size_t html_markup_end(const char *s, size_t n, size_t i)
{
	if (i + 1 >= n || s[i] != '<')
		return i;
	unsigned char c = (unsigned char)s[i + 1];
	if (!(isalpha(c) || c == '/' || c == '!' || c == '?'))
		return i;
	if (ci_prefix(s + i, n - i, "<!--")) {
		size_t e = ci_find(s, n, i + 4, "-->");
		return e == SIZE_MAX ? n : e + 3;
	}
	const char *gt = memchr(s + i, '>', n - i);
	size_t end = gt ? (size_t)(gt - s) + 1 : n;
	const char *raw = tag_is(s + i, n - i, "script")  ? "</script"
	                  : tag_is(s + i, n - i, "style") ? "</style"
	                                                  : NULL;
	if (raw) {
		size_t e = ci_find(s, n, end, raw);
		if (e == SIZE_MAX)
			return n;
		gt = memchr(s + e, '>', n - e);
		end = gt ? (size_t)(gt - s) + 1 : n;
	}
	return end;
}

/* --------------------------------------------------------------- mutations */

enum tok_kind {
	TOK_SPACE,
	TOK_WORD,
	TOK_OTHER
};

struct tok {
	size_t off, len;  /* in the run */
	size_t pre, core; /* TOK_WORD: leading punctuation and letters */
	enum tok_kind kind;
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

struct host_map {
	char orig[128];
	char repl[128];
};

struct mut {
	struct msg *m;
	struct rng rng;
	struct toks toks;
	/* per-kind state */
	double prob;     /* per-word probability of the current kind */
	double frac;     /* hashbuster: share of the text to add */
	size_t added;    /* bytes or items inserted so far */
	size_t count;    /* words seen by a counting pass */
	size_t eligible; /* words a kind could change */
	char name_first[32], name_last[32], email[96], old_to[128];
	struct host_map hosts[MUT_MAX_HOSTS];
	size_t n_hosts;
	const char *(*syn_index)[2];
	size_t n_syn;
};

static void toks_push(struct toks *t, struct tok k)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
		if (!t->v) {
			fprintf(stderr, "mutate: out of memory\n");
			exit(3);
		}
	}
	t->v[t->n++] = k;
}

static int is_lead_punct(char c)
{
	return c && strchr("\"'([", c) != NULL;
}
static int is_trail_punct(char c)
{
	return c && strchr(".,;:!?\"')]", c) != NULL;
}

static struct tok tok_classify(const char *s, size_t off, size_t len)
{
	struct tok t = { off, len, 0, 0, TOK_OTHER };
	size_t i = off, end = off + len;
	while (i < end && is_lead_punct(s[i]))
		i++;
	size_t core_start = i;
	while (i < end && isalpha((unsigned char)s[i]))
		i++;
	size_t core_end = i;
	while (i < end && is_trail_punct(s[i]))
		i++;
	if (i == end && core_end > core_start) {
		t.kind = TOK_WORD;
		t.pre = core_start - off;
		t.core = core_end - core_start;
	}
	return t;
}

/* Splits a run of visible text into space and word tokens. */
static void toks_split(struct toks *t, const char *s, size_t n)
{
	t->n = 0;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		int space = isspace((unsigned char)s[i]) != 0;
		while (j < n && (isspace((unsigned char)s[j]) != 0) == space)
			j++;
		if (space)
			toks_push(t, (struct tok){ i, j - i, 0, 0, TOK_SPACE });
		else
			toks_push(t, tok_classify(s, i, j - i));
		i = j;
	}
}

typedef void (*run_fn)(struct mut *mt, const char *s, size_t n, struct buf *out);

/* Rebuilds the part's text: visible text runs go through fn, markup through
 * markup_fn (copied when NULL).  Plain text is a single run. */
static void text_map(struct mut *mt, struct part *p, run_fn fn, run_fn markup_fn)
{
	struct buf out = { 0 };
	const char *s = p->text.p;
	size_t n = p->text.len, i = 0, run = 0;
	if (!p->is_html) {
		if (fn)
			fn(mt, s, n, &out);
		else
			buf_put(&out, s, n);
		goto done;
	}
	while (i < n) {
		size_t e = html_markup_end(s, n, i);
		if (e == i) {
			i++;
			continue;
		}
		if (i > run) {
			if (fn)
				fn(mt, s + run, i - run, &out);
			else
				buf_put(&out, s + run, i - run);
		}
		if (markup_fn)
			markup_fn(mt, s + i, e - i, &out);
		else
			buf_put(&out, s + i, e - i);
		i = run = e;
	}
	if (n > run) {
		if (fn)
			fn(mt, s + run, n - run, &out);
		else
			buf_put(&out, s + run, n - run);
	}
done:
	buf_take(&p->text, &out);
	p->dirty = 1;
}

static void count_run(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	toks_split(&mt->toks, s, n);
	for (size_t i = 0; i < mt->toks.n; i++)
		mt->count += mt->toks.v[i].kind == TOK_WORD;
	mt->added += n; /* visible bytes */
	buf_put(out, s, n);
}

/* Counts words (mt->count) and visible bytes (mt->added) of a part. */
static void part_count(struct mut *mt, struct part *p)
{
	int dirty = p->dirty;
	mt->count = mt->added = 0;
	text_map(mt, p, count_run, NULL);
	p->dirty = dirty;
}

/* Inserts s at byte offset at of the part's text. */
static void text_insert_at(struct part *p, size_t at, const char *s)
{
	struct buf out = { 0 };
	buf_put(&out, p->text.p, at);
	buf_puts(&out, s);
	buf_put(&out, p->text.p + at, p->text.len - at);
	buf_take(&p->text, &out);
	p->dirty = 1;
}

/* Inserts s before the first close_tag (case-insensitive), else at the end. */
static void text_insert_before(struct part *p, const char *close_tag, const char *s)
{
	size_t at = ci_find(p->text.p, p->text.len, 0, close_tag);
	text_insert_at(p, at == SIZE_MAX ? p->text.len : at, s);
}

/* Inserts s after the opening tag open_tag (e.g. "<body"), else at the start. */
static void text_insert_after(struct part *p, const char *open_tag, const char *s)
{
	size_t at = ci_find(p->text.p, p->text.len, 0, open_tag);
	if (at != SIZE_MAX) {
		const char *gt = memchr(p->text.p + at, '>', p->text.len - at);
		at = gt ? (size_t)(gt - p->text.p) + 1 : SIZE_MAX;
	}
	text_insert_at(p, at == SIZE_MAX ? 0 : at, s);
}

static void html_escape(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '&')
			buf_puts(out, "&amp;");
		else if (s[i] == '<')
			buf_puts(out, "&lt;");
		else if (s[i] == '>')
			buf_puts(out, "&gt;");
		else if (s[i] == '"')
			buf_puts(out, "&quot;");
		else
			buf_putc(out, s[i]);
	}
}

/* Length of a URL at s[i] ("http://", "https://", "www."), 0 if none. */
static size_t url_len_at(const char *s, size_t n, size_t i)
{
	size_t j;
	if (ci_prefix(s + i, n - i, "http://")) /* glued to text is still a link */
		j = i + 7;
	else if (ci_prefix(s + i, n - i, "https://"))
		j = i + 8;
	else if (ci_prefix(s + i, n - i, "www.") &&
	         !(i > 0 && (isalnum((unsigned char)s[i - 1]) || strchr("./-_@", s[i - 1]))))
		j = i + 4;
	else
		return 0;
	if (j >= n || !isalnum((unsigned char)s[j]))
		return 0;
	while (j < n && !isspace((unsigned char)s[j]) && !strchr("\"'<>`", s[j]) &&
	       (unsigned char)s[j] >= 0x20)
		j++;
	while (j > i && strchr(".,;:!?)]", s[j - 1]))
		j--;
	return j - i;
}

/* Plain text into HTML: paragraphs, line breaks, links. */
static void part_to_html(struct part *p)
{
	struct buf out = { 0 };
	const char *s = p->text.p;
	size_t n = p->text.len;
	buf_puts(&out, "<html><body>\n<p>");
	for (size_t i = 0; i < n;) {
		size_t ul = url_len_at(s, n, i);
		if (ul) {
			buf_puts(&out, "<a href=\"");
			if (ci_prefix(s + i, n - i, "www."))
				buf_puts(&out, "http://");
			html_escape(s + i, ul, &out);
			buf_puts(&out, "\">");
			html_escape(s + i, ul, &out);
			buf_puts(&out, "</a>");
			i += ul;
		} else if (s[i] == '\n' && i + 1 < n && s[i + 1] == '\n') {
			while (i < n && s[i] == '\n')
				i++;
			buf_puts(&out, "</p>\n<p>");
		} else if (s[i] == '\n') {
			buf_puts(&out, "<br>\n");
			i++;
		} else {
			html_escape(s + i, 1, &out);
			i++;
		}
	}
	buf_puts(&out, "</p>\n</body></html>\n");
	buf_take(&p->text, &out);
	p->is_html = 1;
	p->dirty = 1;
}

/* Words joined by spaces, wrapped at about 70 columns. */
static void put_filler(struct mut *mt, size_t bytes, struct buf *out)
{
	size_t col = 0, start = out->len;
	while (out->len - start < bytes) {
		struct buf w = { 0 };
		if (rng_chance(&mt->rng, 0.2))
			rng_token(&mt->rng, &w, rng_range(&mt->rng, 4, 10));
		else
			buf_puts(&w, rng_word(&mt->rng));
		if (col + w.len > 70) {
			buf_putc(out, '\n');
			col = 0;
		} else if (out->len > start) {
			buf_putc(out, ' ');
			col++;
		}
		buf_put(out, w.p, w.len);
		col += w.len;
		buf_free(&w);
	}
}

/* ---- hashbuster: random words and tokens, 10-40% of the text */

static void hashbuster_run(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	toks_split(&mt->toks, s, n);
	for (size_t i = 0; i < mt->toks.n; i++) {
		const struct tok *t = &mt->toks.v[i];
		if (t->kind == TOK_WORD && rng_chance(&mt->rng, mt->prob)) {
			size_t before = out->len;
			if (rng_chance(&mt->rng, 0.2))
				rng_token(&mt->rng, out, rng_range(&mt->rng, 4, 9));
			else
				buf_puts(out, rng_word(&mt->rng));
			buf_putc(out, ' ');
			mt->added += out->len - before;
		}
		buf_put(out, s + t->off, t->len);
	}
}

static int kind_hashbuster(struct mut *mt)
{
	double frac = 0.10 + 0.30 * rng_unit(&mt->rng);
	for (size_t k = 0; k < mt->m->n_text; k++) {
		struct part *p = mt->m->text_parts[k];
		part_count(mt, p);
		size_t target = (size_t)((double)mt->added * frac) + 8;
		mt->prob = mt->count ? (double)target / 2.0 / 7.0 / (double)mt->count : 0;
		if (mt->prob > 0.5)
			mt->prob = 0.5;
		mt->added = 0;
		text_map(mt, p, hashbuster_run, NULL);
		struct buf block = { 0 };
		buf_puts(&block, p->is_html ? "\n<p>" : "\n\n");
		put_filler(mt, target > mt->added ? target - mt->added : 8, &block);
		buf_puts(&block, p->is_html ? "</p>\n" : "\n");
		if (p->is_html) {
			text_insert_before(p, "</body", block.p);
		} else {
			while (p->text.len && p->text.p[p->text.len - 1] == '\n')
				p->text.len--;
			buf_put(&p->text, block.p, block.len);
		}
		buf_free(&block);
	}
	return 0; /* text changes are seen by msg_text_digest() */
}

/* ---- invisible: hidden text the reader never sees */

static void hidden_words(struct mut *mt, struct buf *out)
{
	size_t n = rng_range(&mt->rng, 1, 6);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(out, ' ');
		buf_puts(out, rng_word(&mt->rng));
	}
}

/* Splits word w (core of length core at s) with the string ins. */
static void put_split_word(struct mut *mt, const char *s, const struct tok *t, const char *ins,
                           struct buf *out)
{
	size_t cut = t->pre + 1 + rng_below(&mt->rng, t->core - 1);
	buf_put(out, s + t->off, cut);
	buf_puts(out, ins);
	buf_put(out, s + t->off + cut, t->len - cut);
}

/* One hidden element: opening tag, hidden words, closing tag, a space. */
static void put_hidden_element(struct mut *mt, size_t how, struct buf *out)
{
	static const char *const open[][3] = {
		{ "<div style=\"display:none\">", "<span style=\"display: none;\">",
		  "<div style=\"visibility:hidden;height:0\">" },
		{ "<span style=\"font-size:0\">", "<span style=\"font-size:0px\">",
		  "<font style=\"font-size:0pt\">" },
		{ "<font color=\"#ffffff\">", "<font color=#FFFFFF>", "<font color=\"white\">" },
	};
	static const char *const close[][3] = {
		{ "</div>", "</span>", "</div>" },
		{ "</span>", "</span>", "</font>" },
		{ "</font>", "</font>", "</font>" },
	};
	size_t v = rng_below(&mt->rng, 3);
	buf_puts(out, open[how][v]);
	hidden_words(mt, out);
	buf_puts(out, close[how][v]);
	buf_putc(out, ' ');
}

/* Hides text before the word or inside it (comment, zero-width entity). */
static void invisible_html_word(struct mut *mt, const char *s, const struct tok *t, struct buf *out)
{
	static const char *const zw[] = { "&#8203;", "&shy;", "&#173;", "&#x200B;" };
	size_t how = rng_below(&mt->rng, 5);
	if (how >= 3 && t->core < 2)
		how = rng_below(&mt->rng, 3);
	mt->added++;
	if (how < 3) {
		put_hidden_element(mt, how, out);
		buf_put(out, s + t->off, t->len);
	} else if (how == 3) {
		struct buf c = { 0 };
		buf_puts(&c, "<!-- ");
		rng_token(&mt->rng, &c, rng_range(&mt->rng, 3, 8));
		buf_puts(&c, " -->");
		put_split_word(mt, s, t, c.p, out);
		buf_free(&c);
	} else {
		put_split_word(mt, s, t, RNG_PICK(&mt->rng, zw), out);
	}
}

static void invisible_html_run(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	toks_split(&mt->toks, s, n);
	for (size_t i = 0; i < mt->toks.n; i++) {
		const struct tok *t = &mt->toks.v[i];
		if (t->kind == TOK_WORD && rng_chance(&mt->rng, mt->prob))
			invisible_html_word(mt, s, t, out);
		else
			buf_put(out, s + t->off, t->len);
	}
}

static void invisible_plain_run(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	toks_split(&mt->toks, s, n);
	for (size_t i = 0; i < mt->toks.n; i++) {
		const struct tok *t = &mt->toks.v[i];
		if (t->kind == TOK_WORD && t->core >= 4 && rng_chance(&mt->rng, mt->prob)) {
			put_split_word(
			    mt, s, t, rng_chance(&mt->rng, 0.7) ? "\xe2\x80\x8b" : "\xc2\xad", out);
			mt->added++;
		} else {
			buf_put(out, s + t->off, t->len);
		}
	}
}

static void invisible_html(struct mut *mt, struct part *p)
{
	part_count(mt, p);
	size_t want = mt->count / 10 > 3 ? mt->count / 10 : 3;
	mt->prob = mt->count ? (double)want / (double)mt->count : 0;
	mt->added = 0;
	text_map(mt, p, invisible_html_run, NULL);
	if (!mt->added) {
		struct buf d = { 0 };
		buf_puts(&d, "<div style=\"display:none\">");
		hidden_words(mt, &d);
		buf_puts(&d, "</div>\n");
		text_insert_before(p, "</body", d.p);
		buf_free(&d);
	}
}

static int kind_invisible(struct mut *mt)
{
	for (size_t k = 0; k < mt->m->n_text; k++) {
		struct part *p = mt->m->text_parts[k];
		if (!p->is_html && (p->in_alternative || rng_chance(&mt->rng, 0.5)) &&
		    part_make_utf8(p) == 0) {
			part_count(mt, p);
			mt->prob = 0.35;
			mt->added = 0;
			text_map(mt, p, invisible_plain_run, NULL);
			if (mt->added)
				continue;
		}
		if (!p->is_html)
			part_to_html(p);
		invisible_html(mt, p);
	}
	return 0; /* text changes are seen by msg_text_digest() */
}

/* ---- personalise: greeting, recipient, reference number */

static void lower_into(char *dst, size_t dn, const char *src)
{
	size_t k = 0;
	for (; *src && k + 1 < dn; src++)
		dst[k++] = (char)tolower((unsigned char)*src);
	dst[k] = '\0';
}

static void person_pick(struct mut *mt)
{
	char f[32], l[32];
	snprintf(mt->name_first, sizeof(mt->name_first), "%s", RNG_PICK(&mt->rng, FIRST_NAMES));
	snprintf(mt->name_last, sizeof(mt->name_last), "%s", RNG_PICK(&mt->rng, LAST_NAMES));
	lower_into(f, sizeof(f), mt->name_first);
	lower_into(l, sizeof(l), mt->name_last);
	const char *dom = RNG_PICK(&mt->rng, MAIL_DOMAINS);
	switch (rng_below(&mt->rng, 4)) {
	case 0: snprintf(mt->email, sizeof(mt->email), "%c%s@%s", f[0], l, dom); break;
	case 1: snprintf(mt->email, sizeof(mt->email), "%s.%s@%s", f, l, dom); break;
	case 2:
		snprintf(mt->email, sizeof(mt->email), "%s%zu@%s", f, rng_range(&mt->rng, 1, 99),
		         dom);
		break;
	default: snprintf(mt->email, sizeof(mt->email), "%s_%c@%s", l, f[0], dom);
	}
}

static void greeting_text(struct mut *mt, struct buf *g, size_t style)
{
	char local[64];
	size_t k = 0;
	for (const char *c = mt->email; *c && *c != '@' && k + 1 < sizeof(local); c++)
		local[k++] = *c;
	local[k] = '\0';
	switch (style) {
	case 0: buf_printf(g, "Dear %s %s,", mt->name_first, mt->name_last); break;
	case 1: buf_printf(g, "Hi %s,", local); break;
	case 2: buf_printf(g, "Hello %s,", mt->name_first); break;
	case 3: buf_printf(g, "Dear %s,", mt->email); break;
	default: buf_printf(g, "%s %s, this is for you.", mt->name_first, mt->name_last);
	}
}

static void reference_text(struct mut *mt, struct buf *r, size_t style)
{
	static const char *const fmt[] = { "Your reference number: ", "Order #",
		                           "Ref: ", "Customer ID: ", "Confirmation code: " };
	buf_puts(r, fmt[style % N_ELEMS(fmt)]);
	if (style % 2) {
		rng_digits(&mt->rng, r, rng_range(&mt->rng, 6, 9));
	} else {
		buf_putc(r, (char)('A' + rng_below(&mt->rng, 26)));
		buf_putc(r, (char)('A' + rng_below(&mt->rng, 26)));
		buf_putc(r, '-');
		rng_digits(&mt->rng, r, rng_range(&mt->rng, 5, 7));
	}
}

/* Replaces every occurrence of the old recipient address in the text. */
static void text_replace_all(struct part *p, const char *from, const char *to)
{
	size_t fl = strlen(from), i = 0;
	struct buf out = { 0 };
	if (fl < 5)
		return;
	for (;;) {
		size_t at = ci_find(p->text.p, p->text.len, i, from);
		if (at == SIZE_MAX)
			break;
		buf_put(&out, p->text.p + i, at - i);
		buf_puts(&out, to);
		i = at + fl;
	}
	if (i == 0)
		return;
	buf_put(&out, p->text.p + i, p->text.len - i);
	buf_take(&p->text, &out);
	p->dirty = 1;
}

/* The bare address in an address header value into out. */
static void addr_extract(const char *v, char *out, size_t on)
{
	const char *lt = strchr(v, '<'), *s = v;
	size_t k = 0;
	if (lt) {
		s = lt + 1;
	} else {
		const char *at = strchr(v, '@');
		if (!at) {
			out[0] = '\0';
			return;
		}
		while (at > v && !isspace((unsigned char)at[-1]) && at[-1] != ',' && at[-1] != '"')
			at--;
		s = at;
	}
	for (; *s && *s != '>' && *s != ',' && !isspace((unsigned char)*s) && k + 1 < on; s++)
		out[k++] = *s;
	out[k] = '\0';
}

static void personalise_part(struct mut *mt, struct part *p, size_t gstyle, const char *ref)
{
	struct buf g = { 0 }, ins = { 0 };
	greeting_text(mt, &g, gstyle);
	if (*mt->old_to)
		text_replace_all(p, mt->old_to, mt->email);
	if (p->is_html) {
		buf_printf(&ins, "\n<p>%s</p>\n", g.p);
		text_insert_after(p, "<body", ins.p);
		ins.len = 0;
		buf_printf(&ins, "<p>%s</p>\n", ref);
		text_insert_before(p, "</body", ins.p);
	} else {
		buf_printf(&ins, "%s\n\n", g.p);
		text_insert_at(p, 0, ins.p);
		while (p->text.len && p->text.p[p->text.len - 1] == '\n')
			p->text.len--;
		buf_printf(&p->text, "\n\n%s\n", ref);
	}
	buf_free(&g);
	buf_free(&ins);
}

static int kind_personalise(struct mut *mt)
{
	struct buf v = { 0 }, ref = { 0 }, to = { 0 };
	person_pick(mt);
	hdrs_get(&mt->m->root->hdrs, "To", &v);
	addr_extract(v.p, mt->old_to, sizeof(mt->old_to));
	size_t gstyle = rng_below(&mt->rng, 5);
	reference_text(mt, &ref, rng_below(&mt->rng, 5));
	for (size_t k = 0; k < mt->m->n_text; k++)
		personalise_part(mt, mt->m->text_parts[k], gstyle, ref.p);
	if (rng_chance(&mt->rng, 0.5))
		buf_printf(&to, "\"%s %s\" <%s>", mt->name_first, mt->name_last, mt->email);
	else
		buf_puts(&to, mt->email);
	hdrs_set(&mt->m->root->hdrs, "To", to.p);
	buf_free(&v);
	buf_free(&ref);
	buf_free(&to);
	return 1;
}

/* ---- urlrotate: fresh host for every URL, random path and query tokens */

static void fresh_domain(struct mut *mt, char *out, size_t on)
{
	struct buf d = { 0 };
	buf_puts(&d, rng_word(&mt->rng));
	if (rng_chance(&mt->rng, 0.6)) {
		if (rng_chance(&mt->rng, 0.3))
			buf_putc(&d, '-');
		buf_puts(&d, rng_word(&mt->rng));
	}
	if (rng_chance(&mt->rng, 0.4))
		rng_digits(&mt->rng, &d, rng_range(&mt->rng, 1, 3));
	buf_printf(&d, ".%s", RNG_PICK(&mt->rng, TLDS));
	snprintf(out, on, "%s", d.p);
	buf_free(&d);
}

static const char *host_map_get(struct mut *mt, const char *host, int had_www)
{
	for (size_t i = 0; i < mt->n_hosts; i++)
		if (!strcasecmp(mt->hosts[i].orig, host))
			return mt->hosts[i].repl;
	size_t slot = mt->n_hosts < MUT_MAX_HOSTS ? mt->n_hosts++ : MUT_MAX_HOSTS - 1;
	struct host_map *h = &mt->hosts[slot];
	char dom[100];
	snprintf(h->orig, sizeof(h->orig), "%s", host);
	fresh_domain(mt, dom, sizeof(dom));
	snprintf(h->repl, sizeof(h->repl), "%s%s", had_www ? "www." : "", dom);
	return h->repl;
}

/* Path and query: segments holding digits or long ones become random. */
static void rotate_path(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		int digit = 0;
		while (j < n && !strchr("/?&=#;.", s[j]))
			digit |= isdigit((unsigned char)s[j++]);
		for (size_t k = i; k < j; k++) {
			unsigned char c = (unsigned char)s[k];
			if (!(digit || j - i >= 10))
				buf_putc(out, (char)c);
			else if (isdigit(c))
				buf_putc(out, (char)('0' + rng_below(&mt->rng, 10)));
			else if (islower(c))
				buf_putc(out, (char)('a' + rng_below(&mt->rng, 26)));
			else if (isupper(c))
				buf_putc(out, (char)('A' + rng_below(&mt->rng, 26)));
			else
				buf_putc(out, (char)c);
		}
		if (j < n)
			buf_putc(out, s[j++]);
		i = j;
	}
}

#define URL_MAX_NESTING 4 /* redirector URLs inside URLs followed */

/* Offset of a URL embedded in s (a redirector's target), or SIZE_MAX. */
static size_t url_inner_at(const char *s, size_t n)
{
	size_t a = ci_find(s, n, 0, "http://"), b = ci_find(s, n, 0, "https://");
	size_t c = ci_find(s, n, 0, "=www.");
	c = c == SIZE_MAX ? c : c + 1;
	a = a < b ? a : b;
	return a < c ? a : c;
}

static void rotate_url(struct mut *mt, const char *s, size_t n, struct buf *out, int depth)
{
	static const char *const keys[] = { "id", "ref", "u", "r", "cid", "track", "src", "m" };
	size_t h = ci_prefix(s, n, "https://") ? 8 : ci_prefix(s, n, "http://") ? 7 : 0;
	size_t he = h;
	while (he < n && (isalnum((unsigned char)s[he]) || strchr(".-_", s[he])))
		he++;
	char host[128];
	snprintf(host, sizeof(host), "%.*s", (int)(he - h), s + h);
	int www = ci_prefix(host, strlen(host), "www.");
	buf_put(out, s, h);
	buf_puts(out, host_map_get(mt, host, www));
	mt->added++;
	size_t inner = depth < URL_MAX_NESTING ? url_inner_at(s + he, n - he) : SIZE_MAX;
	if (inner != SIZE_MAX) {
		rotate_path(mt, s + he, inner, out);
		rotate_url(mt, s + he + inner, n - he - inner, out, depth + 1);
		return;
	}
	rotate_path(mt, s + he, n - he, out);
	if (rng_chance(&mt->rng, 0.5)) {
		buf_putc(out, memchr(s + he, '?', n - he) ? '&' : (he == n ? '/' : '?'));
		if (he == n)
			buf_putc(out, '?');
		buf_printf(out, "%s=", RNG_PICK(&mt->rng, keys));
		rng_token(&mt->rng, out, rng_range(&mt->rng, 5, 12));
	}
}

/* Address domain at s[i] == '@': returns the domain length, 0 if none. */
static size_t email_domain_at(const char *s, size_t n, size_t i)
{
	if (i == 0 || !(isalnum((unsigned char)s[i - 1]) || strchr("._%+-", s[i - 1])))
		return 0;
	size_t j = i + 1;
	int dot = 0;
	while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '.' || s[j] == '-'))
		dot |= s[j++] == '.';
	while (j > i + 1 && s[j - 1] == '.')
		j--;
	return dot ? j - i - 1 : 0;
}

static void urlrotate_text(struct mut *mt, struct part *p, int emails)
{
	struct buf out = { 0 };
	const char *s = p->text.p;
	size_t n = p->text.len;
	for (size_t i = 0; i < n;) {
		size_t ul = emails ? 0 : url_len_at(s, n, i);
		size_t dl = emails && s[i] == '@' ? email_domain_at(s, n, i) : 0;
		if (ul) {
			rotate_url(mt, s + i, ul, &out, 0);
			i += ul;
		} else if (dl) {
			char host[128];
			snprintf(host, sizeof(host), "%.*s", (int)dl, s + i + 1);
			buf_printf(&out, "@%s", host_map_get(mt, host, 0));
			mt->added++;
			i += 1 + dl;
		} else {
			buf_putc(&out, s[i++]);
		}
	}
	buf_take(&p->text, &out);
	p->dirty = 1;
}

static int kind_urlrotate(struct mut *mt)
{
	mt->added = 0;
	for (size_t k = 0; k < mt->m->n_text; k++)
		urlrotate_text(mt, mt->m->text_parts[k], 0);
	if (!mt->added) /* no link: the campaign's payload is a reply address */
		for (size_t k = 0; k < mt->m->n_text; k++)
			urlrotate_text(mt, mt->m->text_parts[k], 1);
	return mt->added > 0;
}

/* ---- wordswap: synonyms for 10-20% of the words, some neighbours swapped */

static int syn_cmp(const void *a, const void *b)
{
	return strcasecmp((*(const char *const(*)[2])a)[0], (*(const char *const(*)[2])b)[0]);
}

/* Both directions of every pair, sorted by the first word. */
static void syn_build(struct mut *mt)
{
	size_t n = N_ELEMS(MUTATE_SYNONYMS);
	mt->syn_index = malloc(2 * n * sizeof(*mt->syn_index));
	if (!mt->syn_index) {
		fprintf(stderr, "mutate: out of memory\n");
		exit(3);
	}
	for (size_t i = 0; i < n; i++) {
		mt->syn_index[2 * i][0] = MUTATE_SYNONYMS[i][0];
		mt->syn_index[2 * i][1] = MUTATE_SYNONYMS[i][1];
		mt->syn_index[2 * i + 1][0] = MUTATE_SYNONYMS[i][1];
		mt->syn_index[2 * i + 1][1] = MUTATE_SYNONYMS[i][0];
	}
	mt->n_syn = 2 * n;
	qsort(mt->syn_index, mt->n_syn, sizeof(*mt->syn_index), syn_cmp);
}

/* A random synonym of the word (core letters), or NULL. */
static const char *syn_lookup(struct mut *mt, const char *w, size_t len)
{
	char key[40];
	if (len >= sizeof(key))
		return NULL;
	memcpy(key, w, len);
	key[len] = '\0';
	size_t lo = 0, hi = mt->n_syn;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcasecmp(mt->syn_index[mid][0], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t k = 0;
	while (lo + k < mt->n_syn && !strcasecmp(mt->syn_index[lo + k][0], key))
		k++;
	return k ? mt->syn_index[lo + rng_below(&mt->rng, k)][1] : NULL;
}

/* Writes w in the letter case of the model word. */
static void put_cased(const char *w, const char *model, size_t mlen, struct buf *out)
{
	int all_up = mlen > 1, first_up = isupper((unsigned char)model[0]);
	for (size_t i = 0; i < mlen; i++)
		all_up &= isupper((unsigned char)model[i]) != 0;
	for (size_t i = 0; w[i]; i++) {
		char c = w[i];
		if (all_up || (i == 0 && first_up))
			c = (char)toupper((unsigned char)c);
		buf_putc(out, c);
	}
}

static void wordswap_count_run(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	toks_split(&mt->toks, s, n);
	for (size_t i = 0; i < mt->toks.n; i++) {
		const struct tok *t = &mt->toks.v[i];
		if (t->kind != TOK_WORD)
			continue;
		mt->count++;
		mt->eligible += syn_lookup(mt, s + t->off + t->pre, t->core) != NULL;
	}
	buf_put(out, s, n);
}

static void put_word_as(const char *s, const struct tok *t, const char *w, const char *model,
                        size_t mlen, struct buf *out)
{
	buf_put(out, s + t->off, t->pre);
	put_cased(w, model, mlen, out);
	buf_put(out, s + t->off + t->pre + t->core, t->len - t->pre - t->core);
}

/* Swaps the words of tokens a and c (b the space between), keeping case slots. */
static void put_swapped(const char *s, const struct tok *a, const struct tok *b,
                        const struct tok *c, struct buf *out)
{
	char wa[64], wc[64];
	snprintf(wa, sizeof(wa), "%.*s", (int)c->core, s + c->off + c->pre);
	snprintf(wc, sizeof(wc), "%.*s", (int)a->core, s + a->off + a->pre);
	lower_into(wa, sizeof(wa), wa);
	lower_into(wc, sizeof(wc), wc);
	put_word_as(s, a, wa, s + a->off + a->pre, a->core, out);
	buf_put(out, s + b->off, b->len);
	put_word_as(s, c, wc, s + c->off + c->pre, c->core, out);
}

static int swappable(const struct tok *t)
{
	return t->kind == TOK_WORD && t->pre == 0 && t->len == t->core && t->core < 60;
}

static void wordswap_run(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	toks_split(&mt->toks, s, n);
	const struct tok *v = mt->toks.v;
	for (size_t i = 0; i < mt->toks.n; i++) {
		const struct tok *t = &v[i];
		const char *syn = NULL;
		if (i + 2 < mt->toks.n && swappable(t) && v[i + 1].kind == TOK_SPACE &&
		    swappable(&v[i + 2]) && !memchr(s + v[i + 1].off, '\n', v[i + 1].len) &&
		    rng_chance(&mt->rng, 0.04)) {
			put_swapped(s, t, &v[i + 1], &v[i + 2], out);
			mt->added++;
			i += 2;
			continue;
		}
		if (t->kind == TOK_WORD && rng_chance(&mt->rng, mt->prob))
			syn = syn_lookup(mt, s + t->off + t->pre, t->core);
		if (syn) {
			put_word_as(s, t, syn, s + t->off + t->pre, t->core, out);
			mt->added++;
		} else {
			buf_put(out, s + t->off, t->len);
		}
	}
}

static int kind_wordswap(struct mut *mt)
{
	double rate = 0.10 + 0.10 * rng_unit(&mt->rng);
	mt->count = mt->eligible = mt->added = 0;
	for (size_t k = 0; k < mt->m->n_text; k++) {
		struct part *p = mt->m->text_parts[k];
		int dirty = p->dirty;
		text_map(mt, p, wordswap_count_run, NULL);
		p->dirty = dirty;
	}
	mt->prob = mt->eligible ? rate * (double)mt->count / (double)mt->eligible : 0;
	if (mt->prob > 1)
		mt->prob = 1;
	mt->added = 0;
	for (size_t k = 0; k < mt->m->n_text; k++)
		text_map(mt, mt->m->text_parts[k], wordswap_run, NULL);
	return mt->added > 0;
}

/* ---- reorder: sentences within paragraphs, then paragraphs */

struct span {
	size_t off, len;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

static void spans_push(struct spans *s, size_t off, size_t len)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v) {
			fprintf(stderr, "mutate: out of memory\n");
			exit(3);
		}
	}
	s->v[s->n++] = (struct span){ off, len };
}

/* Sentences of s: each ends after [.!?]+ followed by white space. */
static void sentences_split(const char *s, size_t n, struct spans *out)
{
	size_t start = 0;
	out->n = 0;
	while (start < n && isspace((unsigned char)s[start]))
		start++;
	for (size_t i = start; i < n; i++) {
		if (!strchr(".!?", s[i]) || s[i] == '\0')
			continue;
		size_t e = i;
		while (e + 1 < n && strchr(".!?", s[e + 1]) && s[e + 1])
			e++;
		if (e + 1 < n && !isspace((unsigned char)s[e + 1])) {
			i = e;
			continue;
		}
		spans_push(out, start, e + 1 - start);
		start = e + 1;
		while (start < n && isspace((unsigned char)s[start]))
			start++;
		i = start - 1 < e ? e : start - 1;
	}
	size_t end = n;
	while (end > start && isspace((unsigned char)s[end - 1]))
		end--;
	if (end > start)
		spans_push(out, start, end - start);
}

/* Words of s re-flowed at width (0: one line). */
static void put_wrapped(const char *s, size_t n, size_t width, struct buf *out)
{
	size_t col = 0, i = 0;
	while (i < n) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		size_t j = i;
		while (j < n && !isspace((unsigned char)s[j]))
			j++;
		if (j == i)
			break;
		if (col && width && col + 1 + (j - i) > width) {
			buf_putc(out, '\n');
			col = 0;
		} else if (col) {
			buf_putc(out, ' ');
			col++;
		}
		buf_put(out, s + i, j - i);
		col += j - i;
		i = j;
	}
}

/* Writes the sentences of s (n bytes) in a shuffled order; 0 if fewer than two. */
static int put_shuffled_sentences(struct mut *mt, const char *s, size_t n, size_t width,
                                  struct buf *out)
{
	struct spans sent = { 0 };
	struct buf joined = { 0 };
	size_t *idx = NULL;
	int done = 0;
	sentences_split(s, n, &sent);
	if (sent.n < 2 || sent.n > 4096)
		goto out;
	idx = malloc(sent.n * sizeof(*idx));
	if (!idx)
		goto out;
	rng_shuffle(&mt->rng, idx, sent.n);
	for (size_t i = 0; i < sent.n; i++) {
		if (i)
			buf_putc(&joined, ' ');
		buf_put(&joined, s + sent.v[idx[i]].off, sent.v[idx[i]].len);
	}
	put_wrapped(joined.p, joined.len, width, out);
	done = 1;
out:
	free(idx);
	free(sent.v);
	buf_free(&joined);
	return done;
}

/* Paragraph (lines joined by '\n'): prose gets its sentences shuffled,
 * a list of lines gets its lines shuffled. */
static void reorder_paragraph(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	struct spans lines = { 0 };
	size_t maxlen = 0, i = 0;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;
		spans_push(&lines, i, e - i);
		maxlen = e - i > maxlen ? e - i : maxlen;
		i = e + 1;
	}
	size_t width = lines.n > 1 ? (maxlen < 60 ? 60 : maxlen > 78 ? 78 : maxlen) : 0;
	if (maxlen > 30 && put_shuffled_sentences(mt, s, n, width, out))
		goto out;
	if (lines.n >= 2 && lines.n <= 4096) {
		size_t idx[4096];
		rng_shuffle(&mt->rng, idx, lines.n);
		for (size_t k = 0; k < lines.n; k++) {
			buf_put(out, s + lines.v[idx[k]].off, lines.v[idx[k]].len);
			if (k + 1 < lines.n)
				buf_putc(out, '\n');
		}
		goto out;
	}
	buf_put(out, s, n);
out:
	free(lines.v);
}

static int line_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Paragraphs: maximal runs of non-blank lines. */
static void paragraphs_split(const char *s, size_t n, struct spans *out)
{
	size_t i = 0, start = SIZE_MAX;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;
		int blank = line_blank(s + i, e - i);
		if (!blank && start == SIZE_MAX)
			start = i;
		if (blank && start != SIZE_MAX) {
			spans_push(out, start, before_eol(s, start, i) - start);
			start = SIZE_MAX;
		}
		i = e + 1;
	}
	if (start != SIZE_MAX)
		spans_push(out, start, before_eol(s, start, n) - start);
}

static void reorder_plain(struct mut *mt, struct part *p)
{
	struct spans para = { 0 };
	struct buf out = { 0 };
	size_t *idx = NULL;
	paragraphs_split(p->text.p, p->text.len, &para);
	if (!para.n)
		goto out;
	idx = malloc(para.n * sizeof(*idx));
	if (!idx)
		goto out;
	rng_shuffle(&mt->rng, idx, para.n);
	for (size_t i = 0; i < para.n; i++) {
		reorder_paragraph(mt, p->text.p + para.v[idx[i]].off, para.v[idx[i]].len, &out);
		buf_puts(&out, i + 1 < para.n ? "\n\n" : "\n");
	}
	buf_take(&p->text, &out);
	p->dirty = 1;
out:
	free(idx);
	free(para.v);
	buf_free(&out);
}

static void reorder_html_run(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	size_t a = 0, b = n;
	while (a < n && isspace((unsigned char)s[a]))
		a++;
	while (b > a && isspace((unsigned char)s[b - 1]))
		b--;
	buf_put(out, s, a);
	if (!put_shuffled_sentences(mt, s + a, b - a, 0, out))
		buf_put(out, s + a, b - a);
	buf_put(out, s + b, n - b);
}

static int tag_open_named(const char *s, size_t n, size_t i, const char *name)
{
	return s[i] == '<' && tag_is(s + i, n - i, name);
}

static int tag_close_named(const char *s, size_t n, size_t i, const char *name)
{
	return i + 1 < n && s[i] == '<' && s[i + 1] == '/' && tag_is(s + i + 1, n - i - 1, name);
}

/* End of the element starting at s[i] (an open tag of name), 0 if unclosed.
 * implicit: the element also ends before the next one of its kind or before a
 * closing tag of something else (as <p> and <li> do). */
static size_t html_element_end(const char *s, size_t n, size_t i, const char *name, int implicit)
{
	int depth = 0;
	while (i < n) {
		size_t e = html_markup_end(s, n, i);
		if (e == i) {
			i++;
			continue;
		}
		if (tag_open_named(s, n, i, name)) {
			if (implicit && depth)
				return i;
			depth++;
		} else if (tag_close_named(s, n, i, name)) {
			if (--depth == 0)
				return e;
		} else if (implicit && depth && s[i + 1] == '/') {
			return i;
		}
		i = e;
	}
	return implicit && depth ? n : 0;
}

/* Shuffles each group of sibling elements called name (at least two). */
static void html_shuffle_siblings(struct mut *mt, struct part *p, const char *name, int implicit)
{
	const char *s = p->text.p;
	size_t n = p->text.len, i = 0, copied = 0;
	struct buf out = { 0 };
	struct span el[MUT_MAX_GROUP];
	while (i < n) {
		size_t k = 0, j = i, e;
		while (k < MUT_MAX_GROUP && j < n && tag_open_named(s, n, j, name) &&
		       (e = html_element_end(s, n, j, name, implicit)) > j) {
			el[k++] = (struct span){ j, e - j };
			j = e;
			while (j < n && isspace((unsigned char)s[j]))
				j++;
		}
		if (k < 2) {
			size_t me = html_markup_end(s, n, i);
			i = me > i ? me : i + 1;
			continue;
		}
		size_t idx[MUT_MAX_GROUP];
		rng_shuffle(&mt->rng, idx, k);
		buf_put(&out, s + copied, i - copied);
		for (size_t g = 0; g < k; g++) {
			buf_put(&out, s + el[idx[g]].off, el[idx[g]].len);
			if (g + 1 < k) /* keep the white space that stood between */
				buf_put(&out, s + el[g].off + el[g].len,
				        el[g + 1].off - el[g].off - el[g].len);
		}
		copied = i = el[k - 1].off + el[k - 1].len;
		mt->added++;
	}
	if (!mt->added && !copied)
		goto out;
	buf_put(&out, s + copied, n - copied);
	buf_take(&p->text, &out);
	p->dirty = 1;
out:
	buf_free(&out);
}

/* Tags that may sit inside a <br>-separated line; any other tag ends a group. */
static int tag_inline(const char *s, size_t n, int *depth_change)
{
	static const char *const names[] = { "a",      "font", "b",   "i",     "u",   "span",
		                             "strong", "em",   "big", "small", "img", "br" };
	int closing = n > 1 && s[1] == '/';
	*depth_change = 0;
	if (n > 1 && s[1] == '!')
		return 1;
	for (size_t i = 0; i < N_ELEMS(names); i++) {
		if (!tag_is(s + closing, n - (size_t)closing, names[i]))
			continue;
		if (i < N_ELEMS(names) - 2) /* img and br are void */
			*depth_change = closing ? -1 : 1;
		return 1;
	}
	return 0;
}

#define BR_MAX_PREFIX 8 /* inline containers opened before a group's first line */

/* Lines separated by <br> inside one block element.  depth runs over the
 * whole group; every line must end at the depth the first one ended at
 * (base) and never drop below it, so moving lines keeps tags nested.  Inline
 * tags opened before any text are containers: the first line starts after
 * the ones still open at its end. */
struct br_group {
	struct span line[MUT_MAX_GROUP];
	size_t n, start, line_start;
	size_t prefix_end[BR_MAX_PREFIX];
	size_t n_prefix;
	int depth, base, min_depth, text_seen;
};

static void br_group_reset(struct br_group *g, size_t start)
{
	g->n = g->n_prefix = 0;
	g->start = g->line_start = start;
	g->depth = g->min_depth = 0;
	g->base = -1;
	g->text_seen = 0;
}

/* Writes the group's lines shuffled when there are two or more and they
 * nest cleanly; returns the offset copied up to. */
static size_t br_group_flush(struct mut *mt, struct br_group *g, const char *s, size_t copied,
                             struct buf *out)
{
	size_t idx[MUT_MAX_GROUP];
	if (g->n >= 2) {
		rng_shuffle(&mt->rng, idx, g->n);
		buf_put(out, s + copied, g->line[0].off - copied);
		for (size_t k = 0; k < g->n; k++)
			buf_put(out, s + g->line[idx[k]].off, g->line[idx[k]].len);
		copied = g->line[g->n - 1].off + g->line[g->n - 1].len;
		mt->added++;
	}
	return copied;
}

/* Ends a line at a <br>; -1 (line not taken) when it breaks the nesting. */
static int br_group_line_end(struct br_group *g, size_t end)
{
	if (g->base < 0) { /* the first line fixes the base depth */
		if (g->depth < 0 || (size_t)g->depth > g->n_prefix)
			return -1;
		g->base = g->depth;
		if (g->depth > 0)
			g->line_start = g->prefix_end[g->depth - 1];
	} else if (g->depth != g->base || g->min_depth < g->base || g->n == MUT_MAX_GROUP) {
		return -1;
	}
	g->line[g->n++] = (struct span){ g->line_start, end - g->line_start };
	g->line_start = end;
	g->min_depth = g->depth;
	return 0;
}

static void br_group_tag(struct br_group *g, int dc, size_t end)
{
	g->depth += dc;
	if (g->depth < g->min_depth)
		g->min_depth = g->depth;
	if (dc > 0 && !g->text_seen && g->n == 0 && g->n_prefix < BR_MAX_PREFIX)
		g->prefix_end[g->n_prefix++] = end;
}

/* Shuffles runs of lines separated by <br> within one block element. */
static void html_shuffle_br_lines(struct mut *mt, struct part *p)
{
	const char *s = p->text.p;
	size_t n = p->text.len, i = 0, copied = 0;
	struct buf out = { 0 };
	struct br_group *g = calloc(1, sizeof(*g));
	if (!g)
		return;
	br_group_reset(g, 0);
	while (i < n) {
		size_t e = html_markup_end(s, n, i);
		int dc;
		if (e == i) {
			g->text_seen |= !isspace((unsigned char)s[i]);
			i++;
			continue;
		}
		if (!tag_inline(s + i, e - i, &dc)) {
			copied = br_group_flush(mt, g, s, copied, &out);
			br_group_reset(g, e);
		} else if (tag_is(s + i, e - i, "br")) {
			if (br_group_line_end(g, e) != 0) {
				copied = br_group_flush(mt, g, s, copied, &out);
				br_group_reset(g, e);
			}
		} else {
			br_group_tag(g, dc, e);
		}
		i = e;
	}
	copied = br_group_flush(mt, g, s, copied, &out);
	if (copied) {
		buf_put(&out, s + copied, n - copied);
		buf_take(&p->text, &out);
		p->dirty = 1;
	}
	buf_free(&out);
	free(g);
}

static int kind_reorder(struct mut *mt)
{
	mt->added = 0;
	for (size_t k = 0; k < mt->m->n_text; k++) {
		struct part *p = mt->m->text_parts[k];
		if (!p->is_html) {
			reorder_plain(mt, p);
			continue;
		}
		html_shuffle_siblings(mt, p, "tr", 0);
		html_shuffle_siblings(mt, p, "li", 1);
		html_shuffle_siblings(mt, p, "p", 1);
		html_shuffle_siblings(mt, p, "div", 0);
		html_shuffle_br_lines(mt, p);
		text_map(mt, p, reorder_html_run, NULL);
	}
	return 0; /* text changes are seen by msg_text_digest() */
}

/* ---- reencode: transfer encoding, charset, line wrapping */

static void reencode_charset(struct mut *mt, struct part *p)
{
	const char *cs = p->charset;
	if (cs_is(cs, "utf-8") || cs_is(cs, "utf8")) {
		if (utf8_to_latin1(&p->text) == 0)
			snprintf(p->charset, sizeof(p->charset), "iso-8859-1");
	} else if (cs_is(cs, "us-ascii") && bytes_ascii(p->text.p, p->text.len)) {
		snprintf(p->charset, sizeof(p->charset), "%s",
		         rng_chance(&mt->rng, 0.5) ? "utf-8" : "iso-8859-1");
	} else {
		part_make_utf8(p);
	}
}

static void rewrap_plain(struct part *p, size_t width)
{
	struct spans para = { 0 };
	struct buf out = { 0 };
	const char *s = p->text.p;
	size_t at = 0;
	paragraphs_split(s, p->text.len, &para);
	for (size_t i = 0; i < para.n; i++) {
		const char *q = s + para.v[i].off;
		size_t n = para.v[i].len, longest = 0, lines = 1, cur = 0;
		for (size_t k = 0; k < n; k++) {
			lines += q[k] == '\n';
			cur = q[k] == '\n' ? 0 : cur + 1;
			longest = cur > longest ? cur : longest;
		}
		int prose = (lines >= 2 && longest > 40) || longest > width;
		buf_put(&out, s + at, para.v[i].off - at);
		if (prose)
			put_wrapped(q, n, width, &out);
		else
			buf_put(&out, q, n);
		at = para.v[i].off + n;
	}
	buf_put(&out, s + at, p->text.len - at);
	buf_take(&p->text, &out);
	free(para.v);
}

static void rewrap_html(struct part *p, size_t width)
{
	static const char *const keep[] = { "<pre", "<script", "<textarea", "<xmp", "<plaintext" };
	for (size_t i = 0; i < N_ELEMS(keep); i++)
		if (ci_find(p->text.p, p->text.len, 0, keep[i]) != SIZE_MAX)
			return;
	struct buf out = { 0 };
	put_wrapped(p->text.p, p->text.len, width, &out);
	buf_putc(&out, '\n');
	buf_take(&p->text, &out);
}

static int kind_reencode(struct mut *mt)
{
	for (size_t k = 0; k < mt->m->n_text; k++) {
		struct part *p = mt->m->text_parts[k];
		enum cte old = p->cte == CTE_8BIT ? CTE_7BIT : p->cte;
		reencode_charset(mt, p);
		size_t width = MUT_WRAP_MIN + rng_below(&mt->rng, MUT_WRAP_SPAN);
		if (p->is_html)
			rewrap_html(p, width);
		else
			rewrap_plain(p, width);
		enum cte choice[3];
		size_t nc = 0;
		int ascii = bytes_ascii(p->text.p, p->text.len);
		if (old != CTE_7BIT && ascii)
			choice[nc++] = CTE_7BIT;
		if (old != CTE_BASE64)
			choice[nc++] = CTE_BASE64;
		if (old != CTE_QP)
			choice[nc++] = CTE_QP;
		p->cte = choice[rng_below(&mt->rng, nc)];
		p->dirty = 1;
	}
	return 0; /* text changes are seen by msg_text_digest() */
}

/* ---- headers: trace, identity and subject churn */

static void rand_date(struct mut *mt, char *out, size_t on)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static const int zones[] = { -800, -700, -600, -500, -400, 0, 100, 200, 300, 800, 900 };
	int zone = RNG_PICK(&mt->rng, zones);
	time_t t = (time_t)(1009843200 + rng_below(&mt->rng, 730u * 86400u)) + zone / 100 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, on, "%s, %d %s %d %02d:%02d:%02d %c%04d", days[tm.tm_wday], tm.tm_mday,
	         mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         zone < 0 ? '-' : '+', zone < 0 ? -zone : zone);
}

static void rand_ip(struct mut *mt, struct buf *out)
{
	size_t a = rng_range(&mt->rng, 24, 222);
	if (a == 127 || a == 10 || a == 172 || a == 192)
		a++;
	buf_printf(out, "%zu.%zu.%zu.%zu", a, rng_below(&mt->rng, 256), rng_below(&mt->rng, 256),
	           rng_range(&mt->rng, 1, 254));
}

static void new_message_id(struct mut *mt)
{
	struct buf id = { 0 };
	char dom[100];
	fresh_domain(mt, dom, sizeof(dom));
	buf_putc(&id, '<');
	rng_token(&mt->rng, &id, rng_range(&mt->rng, 10, 20));
	buf_putc(&id, '.');
	rng_digits(&mt->rng, &id, rng_range(&mt->rng, 4, 8));
	buf_printf(&id, "@%s>", dom);
	hdrs_set(&mt->m->root->hdrs, "Message-ID", id.p);
	buf_free(&id);
}

static void churn_subject(struct mut *mt)
{
	struct buf v = { 0 }, s = { 0 };
	if (!hdrs_get(&mt->m->root->hdrs, "Subject", &v) || !v.len) {
		buf_puts(&v, rng_word(&mt->rng));
		buf_printf(&v, " %s", rng_word(&mt->rng));
	}
	size_t how = rng_below(&mt->rng, 6);
	if (how == 2)
		buf_puts(&s, "Re: ");
	else if (how == 5)
		buf_puts(&s, "Fw: ");
	buf_put(&s, v.p, v.len);
	if (how == 0) {
		buf_puts(&s, " [");
		rng_digits(&mt->rng, &s, rng_range(&mt->rng, 4, 6));
		buf_putc(&s, ']');
	} else if (how == 1 || how == 5) {
		buf_puts(&s, "   ");
		rng_token(&mt->rng, &s, rng_range(&mt->rng, 4, 8));
	} else if (how == 3) {
		buf_puts(&s, " #");
		rng_digits(&mt->rng, &s, rng_range(&mt->rng, 3, 7));
	} else if (how == 4) {
		buf_puts(&s, " (ID ");
		rng_token(&mt->rng, &s, 6);
		buf_putc(&s, ')');
	}
	hdrs_set(&mt->m->root->hdrs, "Subject", s.p);
	buf_free(&v);
	buf_free(&s);
}

static void churn_from(struct mut *mt)
{
	static const char *const roles[] = { "Customer Service", "Member Services",
		                             "Special Offers",   "Account Manager",
		                             "Support Team",     "Rewards Center" };
	struct buf v = { 0 }, f = { 0 };
	char addr[160];
	hdrs_get(&mt->m->root->hdrs, "From", &v);
	addr_extract(v.p, addr, sizeof(addr));
	if (!*addr) {
		char dom[100];
		fresh_domain(mt, dom, sizeof(dom));
		snprintf(addr, sizeof(addr), "%s@%s", rng_word(&mt->rng), dom);
	}
	if (rng_chance(&mt->rng, 0.3))
		buf_printf(&f, "\"%s\" <%s>", RNG_PICK(&mt->rng, roles), addr);
	else
		buf_printf(&f, "\"%s %s\" <%s>", RNG_PICK(&mt->rng, FIRST_NAMES),
		           RNG_PICK(&mt->rng, LAST_NAMES), addr);
	hdrs_set(&mt->m->root->hdrs, "From", f.p);
	buf_free(&v);
	buf_free(&f);
}

static void add_received(struct mut *mt)
{
	struct buf r = { 0 }, ip = { 0 }, id = { 0 };
	char from_dom[100], by_dom[100], date[64];
	fresh_domain(mt, from_dom, sizeof(from_dom));
	fresh_domain(mt, by_dom, sizeof(by_dom));
	rand_ip(mt, &ip);
	rand_date(mt, date, sizeof(date));
	for (size_t i = 0; i < 10; i++)
		buf_putc(&id, "0123456789ABCDEF"[rng_below(&mt->rng, 16)]);
	buf_printf(
	    &r, "Received: from %s (%s [%s])\n\tby mail.%s (Postfix) with SMTP id %s\n\t; %s",
	    rng_chance(&mt->rng, 0.5) ? "User" : from_dom, from_dom, ip.p, by_dom, id.p, date);
	hdrs_add(&mt->m->root->hdrs, hdrs_top(&mt->m->root->hdrs), r.p, r.len);
	buf_free(&r);
	buf_free(&ip);
	buf_free(&id);
}

/* New addresses for every dotted quad in the lowest Received field. */
static void churn_origin_ip(struct mut *mt)
{
	struct hdrs *h = &mt->m->root->hdrs;
	size_t last = SIZE_MAX;
	for (size_t i = 0; i < h->n; i++)
		if (!strncasecmp(h->v[i].text, "Received:", 9))
			last = i;
	if (last == SIZE_MAX)
		return;
	const char *s = h->v[last].text;
	size_t n = h->v[last].len, i = 0;
	struct buf out = { 0 };
	while (i < n) {
		unsigned a, b, c, d;
		int used = 0;
		if (isdigit((unsigned char)s[i]) && (i == 0 || !isalnum((unsigned char)s[i - 1])) &&
		    sscanf(s + i, "%3u.%3u.%3u.%3u%n", &a, &b, &c, &d, &used) == 4 && a != 127) {
			rand_ip(mt, &out);
			i += (size_t)used;
		} else {
			buf_putc(&out, s[i++]);
		}
	}
	free(h->v[last].text);
	h->v[last].text = out.p;
	h->v[last].len = out.len;
}

static int kind_headers(struct mut *mt)
{
	char date[64];
	new_message_id(mt);
	rand_date(mt, date, sizeof(date));
	hdrs_set(&mt->m->root->hdrs, "Date", date);
	churn_subject(mt);
	churn_from(mt);
	hdrs_set(&mt->m->root->hdrs, "X-Mailer", RNG_PICK(&mt->rng, MAILERS));
	if (rng_chance(&mt->rng, 0.6))
		churn_origin_ip(mt);
	for (size_t i = rng_range(&mt->rng, 1, 2); i > 0; i--)
		add_received(mt);
	return 1;
}

/* ---- html: entity, tag and table obfuscation */

static void html_obfuscate_word(struct mut *mt, const char *s, const struct tok *t, struct buf *out)
{
	static const char *const empty[] = { "<b></b>", "<i></i>", "<u></u>", "<font></font>",
		                             "<span></span>" };
	static const char *const faces[] = { "Arial",           "Verdana",   "Tahoma",
		                             "Times New Roman", "Helvetica", "Georgia" };
	const char *core = s + t->off + t->pre;
	size_t how = rng_below(&mt->rng, 4);
	if (how != 3 && t->core < 2)
		how = 3;
	buf_put(out, s + t->off, t->pre);
	if (how == 0) { /* numeric entities for some letters */
		for (size_t i = 0; i < t->core; i++)
			if (rng_chance(&mt->rng, 0.4))
				buf_printf(out, rng_chance(&mt->rng, 0.5) ? "&#%u;" : "&#x%x;",
				           (unsigned)(unsigned char)core[i]);
			else
				buf_putc(out, core[i]);
	} else if (how == 1) { /* empty inline tag inside the word */
		size_t cut = 1 + rng_below(&mt->rng, t->core - 1);
		buf_put(out, core, cut);
		buf_puts(out, RNG_PICK(&mt->rng, empty));
		buf_put(out, core + cut, t->core - cut);
	} else if (how == 2) { /* span split */
		size_t cut = 1 + rng_below(&mt->rng, t->core - 1);
		buf_printf(out, "<span>%.*s</span><span>%.*s</span>", (int)cut, core,
		           (int)(t->core - cut), core + cut);
	} else { /* font tag around the word */
		buf_printf(out, "<font face=\"%s\">%.*s</font>", RNG_PICK(&mt->rng, faces),
		           (int)t->core, core);
	}
	buf_put(out, core + t->core, t->len - t->pre - t->core);
	mt->added++;
}

static void html_obfuscate_run(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	toks_split(&mt->toks, s, n);
	for (size_t i = 0; i < mt->toks.n; i++) {
		const struct tok *t = &mt->toks.v[i];
		if (t->kind == TOK_WORD && rng_chance(&mt->rng, mt->prob))
			html_obfuscate_word(mt, s, t, out);
		else
			buf_put(out, s + t->off, t->len);
	}
}

/* Adds a random attribute to some open tags. */
static void html_attr_markup(struct mut *mt, const char *s, size_t n, struct buf *out)
{
	static const char *const attrs[] = { "class", "id", "title", "lang", "name", "align" };
	static const char *const names[] = { "p",    "div", "td", "table", "font",
		                             "span", "a",   "tr", "b" };
	size_t nl = 1;
	while (nl < n && isalnum((unsigned char)s[nl]))
		nl++;
	int known = 0;
	for (size_t i = 0; i < N_ELEMS(names) && !known; i++)
		known = tag_is(s, n, names[i]);
	if (!known || s[n - 1] != '>' || !rng_chance(&mt->rng, 0.5)) {
		buf_put(out, s, n);
		return;
	}
	buf_put(out, s, nl);
	buf_printf(out, " %s=\"", RNG_PICK(&mt->rng, attrs));
	rng_token(&mt->rng, out, rng_range(&mt->rng, 3, 8));
	buf_putc(out, '"');
	buf_put(out, s + nl, n - nl);
}

static void html_wrap_table(struct mut *mt, struct part *p)
{
	struct buf open = { 0 };
	buf_printf(&open,
	           "\n<table width=\"%zu%%\" border=\"0\" cellpadding=\"%zu\" "
	           "cellspacing=\"0\" bgcolor=\"#ffffff\"><tr><td>\n",
	           rng_range(&mt->rng, 90, 100), rng_range(&mt->rng, 0, 12));
	text_insert_after(p, "<body", open.p);
	text_insert_before(p, "</body", "\n</td></tr></table>\n");
	buf_free(&open);
}

static int kind_html(struct mut *mt)
{
	for (size_t k = 0; k < mt->m->n_text; k++) {
		struct part *p = mt->m->text_parts[k];
		if (!p->is_html)
			part_to_html(p);
		mt->prob = 0.2 + 0.2 * rng_unit(&mt->rng);
		mt->added = 0;
		text_map(mt, p, html_obfuscate_run, html_attr_markup);
		if (rng_chance(&mt->rng, 0.7) || !mt->added)
			html_wrap_table(mt, p);
	}
	return 0; /* text changes are seen by msg_text_digest() */
}

/* ---- the kinds */

struct kind {
	const char *name;
	int (*apply)(struct mut *mt); /* 1 if it changed something */
	const char *what;
};

static int kind_combo(struct mut *mt);

static const struct kind kind_table[] = {
	{ "hashbuster", kind_hashbuster, "random words and tokens, 10-40% of the text" },
	{ "invisible", kind_invisible,
	  "hidden text: display:none, zero size, white, comments, ZWSP" },
	{ "personalise", kind_personalise, "recipient greeting, To:, reference number" },
	{ "urlrotate", kind_urlrotate, "fresh host and path/query tokens for every URL" },
	{ "wordswap", kind_wordswap, "synonyms for 10-20% of the words, neighbours swapped" },
	{ "reorder", kind_reorder, "sentences and paragraphs shuffled" },
	{ "reencode", kind_reencode, "transfer encoding, charset and line wrapping changed" },
	{ "headers", kind_headers, "Message-ID, Date, Subject, From name, X-Mailer, Received" },
	{ "html", kind_html, "entities, empty tags, span splits, font tags, attributes, tables" },
	{ "combo", kind_combo, "3-4 of the above" },
};
#define N_BASE_KINDS (N_ELEMS(kind_table) - 1)

static int kind_combo(struct mut *mt)
{
	size_t idx[N_BASE_KINDS], n = rng_range(&mt->rng, 3, 4);
	int changed = 0;
	rng_shuffle(&mt->rng, idx, N_BASE_KINDS);
	for (size_t i = 0; i < n; i++)
		changed |= kind_table[idx[i]].apply(mt);
	return changed;
}

static const struct kind *kind_find(const char *name)
{
	for (size_t i = 0; i < N_ELEMS(kind_table); i++)
		if (!strcmp(kind_table[i].name, name))
			return &kind_table[i];
	return NULL;
}

/* ------------------------------------------------------------------- driver */

static uint64_t seed_mix(uint64_t seed, const char *kind, const char *base)
{
	uint64_t h = 1469598103934665603ull ^ seed;
	for (const char *s = kind; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	h = (h ^ '/') * 1099511628211ull;
	for (const char *s = base; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* A digest of what the text kinds change: every text part's text, type,
 * charset and transfer encoding. */
static uint64_t msg_text_digest(const struct msg *m)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t k = 0; k < m->n_text; k++) {
		const struct part *p = m->text_parts[k];
		for (size_t i = 0; i < p->text.len; i++)
			h = (h ^ (unsigned char)p->text.p[i]) * 1099511628211ull;
		for (const char *c = p->charset; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ull;
		h = (h ^ (uint64_t)(p->is_html * 2 + 1)) * 1099511628211ull;
		h = (h ^ (uint64_t)(p->cte + 7)) * 1099511628211ull;
	}
	return h;
}

/* Makes the variant of in (n bytes) into out; returns 1 when the kind
 * found nothing to change and only a fresh Message-ID makes the variant
 * differ. */
static int mutate_message(struct mut *mt, const struct kind *k, const char *in, size_t n,
                          struct buf *out)
{
	struct msg m;
	msg_parse(&m, in, n);
	mt->m = &m;
	mt->n_hosts = 0;
	uint64_t before = msg_text_digest(&m);
	int changed = k->apply(mt);
	int fallback = !changed && msg_text_digest(&m) == before;
	if (fallback)
		new_message_id(mt);
	out->len = 0;
	part_write(&m, m.root, out);
	if (!out->len || (out->len == n && !memcmp(out->p, in, n))) {
		new_message_id(mt);
		out->len = 0;
		part_write(&m, m.root, out);
		fallback = 1;
	}
	part_free(m.root);
	return fallback;
}

static int file_read(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t got;
	b->len = 0;
	if (!f)
		return -1;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0 && b->len <= MUT_MAX_INPUT)
		buf_put(b, chunk, got);
	int bad = ferror(f) || b->len > MUT_MAX_INPUT;
	fclose(f);
	return bad ? -1 : 0;
}

static int file_write(const char *path, const struct buf *b)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int bad = fwrite(b->p, 1, b->len, f) != b->len;
	bad |= fclose(f) != 0;
	return bad ? -1 : 0;
}

static const char *path_base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int dir_make(const char *path)
{
	return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* mkdir -p */
static int dir_make_parents(const char *path)
{
	struct buf p = { 0 };
	int rc = 0;
	buf_puts(&p, path);
	for (size_t i = 1; i < p.len && rc == 0; i++) {
		if (p.p[i] != '/')
			continue;
		p.p[i] = '\0';
		rc = dir_make(p.p);
		p.p[i] = '/';
	}
	if (rc == 0)
		rc = dir_make(p.p);
	buf_free(&p);
	return rc;
}

struct options {
	const char *kind;    /* NULL with --all */
	const char *out_dir; /* NULL: write to stdout */
	uint64_t seed;
	int all;
	char **files;
	int n_files;
};

static void usage(void)
{
	fprintf(stderr, "usage: mutate --kind K --seed S IN.eml > OUT.eml\n"
	                "       mutate (--all | --kind K) --seed S --out DIR FILES...\n"
	                "kinds:\n");
	for (size_t i = 0; i < N_ELEMS(kind_table); i++)
		fprintf(stderr, "  %-12s %s\n", kind_table[i].name, kind_table[i].what);
}

static int options_parse(int argc, char **argv, struct options *o)
{
	int i = 1;
	memset(o, 0, sizeof(*o));
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--all")) {
			o->all = 1;
		} else if (!strcmp(argv[i], "--kind") && i + 1 < argc) {
			o->kind = argv[++i];
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			o->seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			o->out_dir = argv[++i];
		} else {
			return -1;
		}
	}
	o->files = argv + i;
	o->n_files = argc - i;
	if (o->all == !!o->kind || o->n_files < 1)
		return -1;
	if (o->kind && !kind_find(o->kind))
		return -1;
	if (!o->out_dir && (o->all || o->n_files != 1))
		return -1;
	return 0;
}

/* One input file, every selected kind. Returns the number of failures. */
static int run_file(struct mut *mt, const struct options *o, const char *path, size_t *fallbacks)
{
	struct buf in = { 0 }, out = { 0 }, dst = { 0 };
	int failures = 0;
	if (file_read(path, &in) != 0) {
		fprintf(stderr, "mutate: cannot read %s\n", path);
		failures = 1;
		goto done;
	}
	for (size_t i = 0; i < N_ELEMS(kind_table); i++) {
		const struct kind *k = &kind_table[i];
		if (!o->all && strcmp(k->name, o->kind))
			continue;
		mt->rng.s = seed_mix(o->seed, k->name, path_base(path));
		if (mutate_message(mt, k, in.p ? in.p : "", in.len, &out)) {
			(*fallbacks)++;
			fprintf(stderr, "mutate: %s/%s: nothing to change, new Message-ID only\n",
			        k->name, path_base(path));
		}
		if (!o->out_dir) {
			failures += fwrite(out.p, 1, out.len, stdout) != out.len;
			continue;
		}
		dst.len = 0;
		buf_printf(&dst, "%s/%s", o->out_dir, k->name);
		if (dir_make(dst.p) != 0)
			failures++;
		buf_printf(&dst, "/%s", path_base(path));
		if (file_write(dst.p, &out) != 0) {
			fprintf(stderr, "mutate: cannot write %s\n", dst.p);
			failures++;
		}
	}
done:
	buf_free(&in);
	buf_free(&out);
	buf_free(&dst);
	return failures;
}

int main(int argc, char **argv)
{
	struct options o;
	struct mut mt;
	size_t fallbacks = 0;
	int failures = 0;
	if (options_parse(argc, argv, &o) != 0) {
		usage();
		return 2;
	}
	if (o.out_dir && dir_make_parents(o.out_dir) != 0) {
		fprintf(stderr, "mutate: cannot create %s: %s\n", o.out_dir, strerror(errno));
		return 1;
	}
	memset(&mt, 0, sizeof(mt));
	syn_build(&mt);
	for (int i = 0; i < o.n_files; i++)
		failures += run_file(&mt, &o, o.files[i], &fallbacks);
	if (o.out_dir)
		fprintf(stderr,
		        "mutate: %d file(s), %zu variant(s) changed only by a new Message-ID, "
		        "%d failure(s)\n",
		        o.n_files, fallbacks, failures);
	free(mt.syn_index);
	free(mt.toks.v);
	return failures ? 1 : 0;
}
