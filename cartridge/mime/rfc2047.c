/*
 * rfc2047.c - decoding of RFC 2047 encoded words in header values to UTF-8.
 *
 * "=?charset?B|Q?text?=" words are decoded; white space between adjacent
 * words is dropped, and adjacent words of one charset are joined before
 * conversion so a character split across words survives. Malformed words
 * (bad encoding letter, white space inside, no "?=") stay as written.
 * Unencoded 8-bit text is kept when it is valid UTF-8, else read as
 * windows-1252. The scan is linear in the value's length.
 *
 * Not for: RFC 2231 parameters (params.c).
 */
#include "mime_int.h"

#include <string.h>

/* Longest charset name inside a word; longer ones make the word malformed. */
#define RFC2047_MAX_CHARSET 64

/* A growing NUL-terminated output in the arena. */
struct hd_buf {
	struct arena *a;
	char *p;
	size_t len, cap;
	int nomem;
};

static int hd_reserve(struct hd_buf *b, size_t n)
{
	if (b->nomem)
		return -1;
	if (b->cap - b->len > n)
		return 0;
	size_t ncap = (b->cap + n) * 2 + 32;
	char *p = arena_realloc(b->a, b->p, b->cap, ncap);
	if (p == NULL) {
		b->nomem = 1;
		return -1;
	}
	b->p = p;
	b->cap = ncap;
	return 0;
}

static void hd_put(struct hd_buf *b, const void *s, size_t n)
{
	if (n == 0 || hd_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Appends bytes converted from charset (NULL: UTF-8 if valid, else windows-1252). */
static void hd_put_converted(struct hd_buf *b, struct charset_cache *cs, const char *charset,
                             const char *s, size_t n)
{
	size_t i = 0;
	while (charset == NULL && i < n && (unsigned char)s[i] < 0x80)
		i++;
	if (i == n) {
		hd_put(b, s, n);
		return;
	}
	size_t cl;
	char *conv = charset_to_utf8(b->a, cs, charset != NULL ? charset : "",
	                             (const unsigned char *)s, n, &cl, NULL);
	if (conv == NULL)
		b->nomem = 1;
	else
		hd_put(b, conv, cl);
}

struct ew { /* one encoded word */
	const char *charset;
	size_t charset_len;
	char enc; /* 'b' or 'q' */
	const char *text;
	size_t text_len;
	size_t end; /* offset just past "?=" */
};

/* Parses a word at v[q..len) (v[q] is "=?"). Returns 1 when well formed;
 * else 0 with *skip_to set to where the next attempt may start. */
static int ew_parse(const char *v, size_t len, size_t q, struct ew *w, size_t *skip_to)
{
	size_t i = q + 2, cs = i;
	*skip_to = q + 2;
	while (i < len && v[i] != '?' && i - cs <= RFC2047_MAX_CHARSET && !mime_is_wsp(v[i]))
		i++;
	if (i >= len || v[i] != '?' || i == cs || i + 3 > len)
		return 0;
	w->charset = v + cs;
	w->charset_len = i - cs;
	w->enc = (char)mime_lower((unsigned char)v[i + 1]);
	if ((w->enc != 'b' && w->enc != 'q') || v[i + 2] != '?')
		return 0;
	size_t t = i + 3, e = t;
	while (e < len && !(v[e] == '?' && e + 1 < len && v[e + 1] == '=') && !mime_is_wsp(v[e]) &&
	       v[e] != '\r' && v[e] != '\n')
		e++;
	if (e >= len || v[e] != '?') {
		/* No later word can find a terminator before e either. */
		*skip_to = e > *skip_to ? e : *skip_to;
		return 0;
	}
	w->text = v + t;
	w->text_len = e - t;
	w->end = e + 2;
	return 1;
}

/* Decoded bytes of consecutive words in one charset, not yet converted. */
struct hd_pending {
	struct hd_buf bytes;
	char charset[RFC2047_MAX_CHARSET + 2];
	int active;
};

static void pending_flush(struct hd_pending *pd, struct hd_buf *out, struct charset_cache *cs)
{
	if (pd->active && pd->bytes.len > 0)
		hd_put_converted(out, cs, pd->charset, pd->bytes.p, pd->bytes.len);
	pd->bytes.len = 0;
	pd->active = 0;
}

static void pending_add(struct hd_pending *pd, struct hd_buf *out, struct charset_cache *cs,
                        const struct ew *w)
{
	int same = pd->active && strlen(pd->charset) == w->charset_len;
	for (size_t k = 0; same && k < w->charset_len; k++)
		same = mime_lower((unsigned char)w->charset[k]) == (unsigned char)pd->charset[k];
	if (!same) {
		pending_flush(pd, out, cs);
		for (size_t k = 0; k < w->charset_len; k++)
			pd->charset[k] = (char)mime_lower((unsigned char)w->charset[k]);
		pd->charset[w->charset_len] = '\0';
		pd->active = 1;
	}
	if (hd_reserve(&pd->bytes, w->text_len) != 0)
		return;
	unsigned char *dst = (unsigned char *)pd->bytes.p + pd->bytes.len;
	pd->bytes.len += w->enc == 'b'
	                     ? mime_base64_decode(w->text, w->text_len, dst, w->text_len, NULL)
	                     : mime_qp_decode(w->text, w->text_len, dst, w->text_len, 1, NULL);
}

static int all_wsp(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!mime_is_wsp(s[i]) && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

char *mime_header_decode_cs(struct arena *a, struct charset_cache *cs, const char *value,
                            size_t len, size_t *out_len)
{
	struct hd_buf out = { a, NULL, 0, 0, 0 };
	struct hd_pending pd = { { a, NULL, 0, 0, 0 }, "", 0 };
	size_t i = 0, lit = 0, dummy;
	int after_word = 0;

	if (out_len == NULL)
		out_len = &dummy;
	if (hd_reserve(&out, len + 1) != 0)
		return NULL;
	while (i + 1 < len) {
		const char *hit = memmem(value + i, len - i, "=?", 2);
		struct ew w;
		size_t skip;
		if (hit == NULL)
			break;
		size_t q = (size_t)(hit - value);
		if (!ew_parse(value, len, q, &w, &skip)) {
			i = skip;
			continue;
		}
		/* White space between two encoded words is not part of the text. */
		if (!(after_word && all_wsp(value + lit, q - lit))) {
			pending_flush(&pd, &out, cs);
			hd_put_converted(&out, cs, NULL, value + lit, q - lit);
		}
		pending_add(&pd, &out, cs, &w);
		after_word = 1;
		i = lit = w.end;
	}
	pending_flush(&pd, &out, cs);
	hd_put_converted(&out, cs, NULL, value + lit, len - lit);
	if (out.nomem || pd.bytes.nomem || hd_reserve(&out, 1) != 0)
		return NULL;
	out.p[out.len] = '\0';
	*out_len = out.len;
	return out.p;
}

char *mime_header_decode(struct arena *a, const char *value, size_t len, size_t *out_len)
{
	return mime_header_decode_cs(a, NULL, value, len, out_len);
}
