/*
 * headers.c - RFC 5322 header blocks: finding the end of the block (blank
 * line, or the first line that is not a header field), unfolding, and
 * lookup by name.
 *
 * Tolerant of LF or CRLF line ends, an mbox "From " line first, white space
 * before the colon, and a missing blank line (the body then starts at the
 * first line that is not a field; MIME_F_EMPTY). Fields past
 * MIME_MAX_HEADERS or MIME_MAX_HEADER_BYTES are skipped (MIME_F_HEADERS);
 * values longer than MIME_MAX_LINE are cut (MIME_F_LINE).
 *
 * Not for: decoding values (rfc2047.c, params.c).
 */
#include "mime_int.h"

#include <string.h>

/* First size of the growing header array. */
#define HEADERS_INITIAL 32

/* End of the line starting at i (index of its '\n', or len). */
static size_t line_end(const char *p, size_t len, size_t i)
{
	const char *nl = memchr(p + i, '\n', len - i);
	return nl != NULL ? (size_t)(nl - p) : len;
}

/* Length of a field name at the start of p[0..n) followed by optional
 * white space and ':', with *colon its index; 0 when the line is no field. */
static size_t field_name(const char *p, size_t n, size_t *colon)
{
	size_t i = 0;
	while (i < n && (unsigned char)p[i] > 32 && (unsigned char)p[i] < 127 && p[i] != ':')
		i++;
	size_t name_len = i;
	while (i < n && mime_is_wsp(p[i]))
		i++;
	if (name_len == 0 || i >= n || p[i] != ':')
		return 0;
	*colon = i;
	return name_len;
}

static int is_blank_line(const char *p, size_t ls, size_t le)
{
	return le == ls || (le == ls + 1 && p[ls] == '\r');
}

/* Stores the field p[fs..fe) (name_len, colon known) unfolded in the arena. */
static int field_store(struct arena *a, const char *p, size_t fs, size_t fe, size_t name_len,
                       size_t colon, struct mime_header *h, unsigned *flags)
{
	size_t vs = fs + colon + 1;
	while (vs < fe && mime_is_wsp(p[vs]))
		vs++;
	if (fe - vs > MIME_MAX_LINE) {
		fe = vs + MIME_MAX_LINE;
		*flags |= MIME_F_LINE;
	}
	char *buf = arena_alloc(a, name_len + 1 + (fe - vs) + 1);
	if (buf == NULL)
		return -1;
	memcpy(buf, p + fs, name_len);
	buf[name_len] = '\0';
	char *val = buf + name_len + 1;
	size_t n = 0, i = vs;
	while (i < fe) { /* copy line by line, leaving out the line ends */
		const char *nl = memchr(p + i, '\n', fe - i);
		size_t e = nl != NULL ? (size_t)(nl - p) : fe, ce = e;
		if (ce > i && p[ce - 1] == '\r')
			ce--;
		memcpy(val + n, p + i, ce - i);
		n += ce - i;
		i = e + 1;
	}
	while (n > 0 && mime_is_wsp(val[n - 1]))
		n--;
	val[n] = '\0';
	h->name = buf;
	h->raw = val;
	h->raw_len = n;
	return 0;
}

static struct mime_header *headers_grow(struct arena *a, struct mime_header *h, size_t *cap)
{
	size_t ncap = *cap == 0 ? HEADERS_INITIAL : *cap * 2;
	if (ncap > MIME_MAX_HEADERS)
		ncap = MIME_MAX_HEADERS;
	h = arena_realloc(a, h, *cap * sizeof(*h), ncap * sizeof(*h));
	if (h != NULL)
		*cap = ncap;
	return h;
}

/* Records one field unless a limit or the arena stops it. */
static void field_add(struct arena *a, const char *p, size_t fs, size_t fe, size_t name_len,
                      size_t colon, struct mime_hblock *out, size_t *cap)
{
	if (fs > MIME_MAX_HEADER_BYTES || out->n_headers == MIME_MAX_HEADERS) {
		out->flags |= MIME_F_HEADERS;
		return;
	}
	if (out->n_headers == *cap) {
		struct mime_header *h = headers_grow(a, out->headers, cap);
		if (h == NULL) {
			out->flags |= MIME_F_NOMEM;
			return;
		}
		out->headers = h;
	}
	if (field_store(a, p, fs, fe, name_len, colon, &out->headers[out->n_headers],
	                &out->flags) != 0)
		out->flags |= MIME_F_NOMEM;
	else
		out->n_headers++;
}

void mime_headers_parse(struct arena *a, const char *p, size_t len, struct mime_hblock *out)
{
	size_t cap = 0, i = 0, fs = 0, fe = 0, name_len = 0, colon = 0;
	int in_field = 0;

	memset(out, 0, sizeof(*out));
	if (len >= 5 && memcmp(p, "From ", 5) == 0)
		i = line_end(p, len, 0) + 1; /* mbox separator */
	while (i < len) {
		size_t le = line_end(p, len, i), nl = le < len ? le + 1 : len;
		if (is_blank_line(p, i, le)) {
			out->body_off = nl;
			goto done;
		}
		if (mime_is_wsp(p[i]) && in_field) {
			fe = le; /* continuation line */
			i = nl;
			continue;
		}
		if (in_field)
			field_add(a, p, fs, fe, name_len, colon, out, &cap);
		name_len = field_name(p + i, le - i, &colon);
		if (name_len == 0) {
			/* Not a field: the body starts here without a blank line. */
			in_field = 0;
			out->body_off = i;
			out->flags |= MIME_F_EMPTY;
			goto done;
		}
		in_field = 1;
		fs = i;
		fe = le;
		i = nl;
	}
	out->body_off = len;
	out->flags |= MIME_F_EMPTY;
done:
	if (in_field)
		field_add(a, p, fs, fe, name_len, colon, out, &cap);
}

const struct mime_header *mime_header_find(const struct mime_header *h, size_t n, const char *name)
{
	size_t name_len = strlen(name);
	for (size_t i = 0; i < n; i++) {
		const char *hn = h[i].name;
		size_t k = 0;
		while (k < name_len && hn[k] != '\0' &&
		       mime_lower((unsigned char)hn[k]) == mime_lower((unsigned char)name[k]))
			k++;
		if (k == name_len && hn[k] == '\0')
			return &h[i];
	}
	return NULL;
}
