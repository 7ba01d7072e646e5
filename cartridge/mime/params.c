/*
 * params.c - structured header values: the leading token of Content-Type /
 * Content-Disposition / Content-Transfer-Encoding and their parameters,
 * with quoted strings, RFC 2231 continuations (name*0, name*1*, ...) and
 * charset'lang'%XX values, and RFC 2047 words in plain values (as Outlook
 * writes file names). Parameter names compare case-insensitively.
 *
 * Not for: unfolding (headers.c) or free text headers (rfc2047.c).
 */
#include "mime_int.h"
#include "../util/hex.h"

#include <string.h>

/* Highest RFC 2231 continuation index we join; later segments are ignored. */
#define PARAM_MAX_SEGMENTS 64

int mime_ieq(const char *s, size_t n, const char *lit)
{
	size_t i = 0;
	for (; i < n && lit[i] != '\0'; i++)
		if (mime_lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return 0;
	return i == n && lit[i] == '\0';
}

size_t mime_value_token(const char *v, size_t len, char *buf, size_t cap)
{
	size_t i = 0, n = 0;
	while (i < len && (mime_is_wsp(v[i]) || v[i] == '"'))
		i++;
	for (; i < len && v[i] != ';' && v[i] != '(' && v[i] != '"' && !mime_is_wsp(v[i]); i++)
		if (n + 1 < cap)
			buf[n++] = (char)mime_lower((unsigned char)v[i]);
	if (cap > 0)
		buf[n] = '\0';
	return n;
}

struct param {
	const char *name;
	size_t name_len;
	const char *value; /* inside the quotes when quoted, escapes kept */
	size_t value_len;
	int quoted;
};

/* The next "name=value" after offset *pos; 0 at the end. */
static int param_next(const char *v, size_t len, size_t *pos, struct param *p)
{
	size_t i = *pos;
	for (;;) {
		while (i < len && (mime_is_wsp(v[i]) || v[i] == ';'))
			i++;
		if (i >= len)
			return 0;
		p->name = v + i;
		while (i < len && v[i] != '=' && v[i] != ';' && !mime_is_wsp(v[i]))
			i++;
		p->name_len = (size_t)(v + i - p->name);
		while (i < len && mime_is_wsp(v[i]))
			i++;
		if (i < len && v[i] == '=')
			break;
		while (i < len && v[i] != ';') /* no value: skip this one */
			i++;
	}
	i++;
	while (i < len && mime_is_wsp(v[i]))
		i++;
	p->quoted = i < len && v[i] == '"';
	if (p->quoted) {
		size_t s = ++i;
		while (i < len && v[i] != '"')
			i += v[i] == '\\' && i + 1 < len ? 2 : 1;
		p->value = v + s;
		p->value_len = (i < len ? i : len) - s;
		while (i < len && v[i] != ';') /* junk after the closing quote */
			i++;
	} else {
		size_t s = i;
		while (i < len && v[i] != ';')
			i++;
		size_t e = i;
		while (e > s && mime_is_wsp(v[e - 1]))
			e--;
		p->value = v + s;
		p->value_len = e - s;
	}
	*pos = i;
	return 1;
}

/* Offset just past the value's leading token (its parameters follow). */
static size_t params_start(const char *v, size_t len)
{
	const char *semi = memchr(v, ';', len);
	return semi != NULL ? (size_t)(semi - v) : len;
}

/* Copies a value, removing quoted-pair backslashes when quoted. */
static size_t param_unquote(const struct param *p, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < p->value_len; i++) {
		if (p->quoted && p->value[i] == '\\' && i + 1 < p->value_len)
			i++;
		out[n++] = p->value[i];
	}
	return n;
}

/* Decodes %XX escapes of an RFC 2231 extended value. */
static size_t pct_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hex_digit_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_digit_value((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

/* How a parameter's name relates to the wanted one: -1 unrelated, else the
 * segment index (0 for "name" and "name*"); *ext tells a trailing '*'. */
static int param_segment(const struct param *p, const char *want, size_t want_len, int *ext)
{
	const char *n = p->name;
	size_t len = p->name_len, i = want_len;
	*ext = 0;
	if (len < want_len || !mime_ieq(n, want_len, want))
		return -1;
	if (i == len)
		return 0;
	if (n[i] != '*')
		return -1;
	if (++i == len) {
		*ext = 1;
		return 0;
	}
	int idx = 0;
	size_t digits = 0;
	while (i < len && n[i] >= '0' && n[i] <= '9' && digits < 3) {
		idx = idx * 10 + (n[i++] - '0');
		digits++;
	}
	if (digits == 0 || idx >= PARAM_MAX_SEGMENTS)
		return -1;
	if (i < len && n[i] == '*' && i + 1 == len) {
		*ext = 1;
		return idx;
	}
	return i == len ? idx : -1;
}

struct seg_set {
	struct param plain; /* "name=" */
	int have_plain;
	struct param seg[PARAM_MAX_SEGMENTS];
	unsigned char seg_ext[PARAM_MAX_SEGMENTS];
	uint64_t have;  /* bit i: segment i (or "name*" as 0) seen */
	int single_ext; /* "name*=" without an index */
	size_t total;   /* bytes of every kept value */
};

static void segs_collect(const char *v, size_t len, const char *name, struct seg_set *s)
{
	size_t pos = params_start(v, len), want_len = strlen(name);
	struct param p;
	memset(s, 0, sizeof(*s));
	while (param_next(v, len, &pos, &p)) {
		int ext, idx = param_segment(&p, name, want_len, &ext);
		if (idx < 0)
			continue;
		int is_plain = idx == 0 && !ext && p.name_len == want_len;
		if (is_plain && !s->have_plain) {
			s->plain = p;
			s->have_plain = 1;
			s->total += p.value_len;
		} else if (!is_plain && !(s->have >> idx & 1)) {
			s->seg[idx] = p;
			s->seg_ext[idx] = (unsigned char)ext;
			s->have |= (uint64_t)1 << idx;
			s->single_ext |= idx == 0 && ext && p.name_len == want_len + 1;
			s->total += p.value_len;
		}
	}
}

/* Joins RFC 2231 segments 0.. (up to the first gap) and converts them. */
static char *segs_join(struct arena *a, struct charset_cache *cs, const struct seg_set *s,
                       size_t *out_len)
{
	char *raw = arena_alloc(a, s->total + 1), charset[CHARSET_NAME_MAX + 1] = "";
	size_t n = 0;
	if (raw == NULL)
		return NULL;
	for (int i = 0; i < PARAM_MAX_SEGMENTS && (s->have >> i & 1); i++) {
		char *seg = raw + n;
		size_t sl = param_unquote(&s->seg[i], seg);
		if (i == 0 && s->seg_ext[0]) {
			/* charset'language'value: the charset names the joined bytes. */
			const char *q1 = memchr(seg, '\'', sl);
			const char *q2 =
			    q1 != NULL ? memchr(q1 + 1, '\'', sl - (size_t)(q1 + 1 - seg)) : NULL;
			if (q2 != NULL) {
				size_t cl =
				    (size_t)(q1 - seg) < CHARSET_NAME_MAX ? (size_t)(q1 - seg) : 0;
				memcpy(charset, seg, cl);
				charset[cl] = '\0';
				size_t skip = (size_t)(q2 + 1 - seg);
				memmove(seg, seg + skip, sl - skip);
				sl -= skip;
			}
		}
		n += s->seg_ext[i] ? pct_decode(seg, sl, seg) : sl;
	}
	return charset_to_utf8(a, cs, charset, (const unsigned char *)raw, n, out_len, NULL);
}

char *mime_param_get(struct arena *a, struct charset_cache *cs, const char *v, size_t len,
                     const char *name, enum mime_param_mode mode, size_t *out_len)
{
	struct seg_set s;
	size_t dummy;
	if (out_len == NULL)
		out_len = &dummy;
	segs_collect(v, len, name, &s);
	if (mode == MIME_PARAM_TEXT && (s.have & 1))
		return segs_join(a, cs, &s, out_len);
	const struct param *p = s.have_plain ? &s.plain : (s.have & 1) ? &s.seg[0] : NULL;
	if (p == NULL)
		return NULL;
	char *raw = arena_alloc(a, p->value_len + 1);
	if (raw == NULL)
		return NULL;
	size_t n = param_unquote(p, raw);
	raw[n] = '\0';
	if (mode == MIME_PARAM_RAW) {
		*out_len = n;
		return raw;
	}
	return mime_header_decode_cs(a, cs, raw, n, out_len);
}
