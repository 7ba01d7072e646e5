/*
 * urls.c - recording links, and finding bare URLs (http://, https://,
 * www.) in plain text.
 *
 * Not for: URL normalisation or host extraction (the url engine in fp/).
 */
#include "text_internal.h"

#include <string.h>

#include "../../abi/whorl_cartridge.h"

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int text_link_add(struct arena *a, struct text_link *links, size_t *n, size_t cap, const char *url,
                  size_t len, uint8_t kind)
{
	while (len > 0 && is_space((unsigned char)*url))
		url++, len--;
	while (len > 0 && is_space((unsigned char)url[len - 1]))
		len--;
	if (len == 0)
		return 0;
	if (*n >= cap)
		return 1;
	int cut = len > TEXT_MAX_URL_LEN;
	if (cut)
		len = TEXT_MAX_URL_LEN;
	char *copy = arena_alloc(a, len + 1);
	if (copy == NULL)
		return WHORL_ENOMEM;
	/* Browsers drop tabs and newlines inside URLs; so do we (and NULs,
	 * so the copy is a proper C string). */
	size_t o = 0;
	for (size_t i = 0; i < len; i++)
		if (url[i] != '\t' && url[i] != '\n' && url[i] != '\r' && url[i] != '\0')
			copy[o++] = url[i];
	copy[o] = '\0';
	links[*n] = (struct text_link){ .url = copy, .len = o, .kind = kind };
	(*n)++;
	return cut ? 2 : 0;
}

/* Bytes that end a bare URL. */
static int url_stop(unsigned char c)
{
	return c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' || c == 0x7F;
}

/* Trailing bytes that are the sentence's, not the URL's. */
static int url_trailing(unsigned char c)
{
	return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' ||
	       c == ']' || c == '}' || c == '*';
}

static int prefix_is(const char *t, size_t left, const char *p, size_t pl)
{
	if (left < pl)
		return 0;
	for (size_t i = 0; i < pl; i++)
		if ((t[i] | 0x20) != p[i] && t[i] != p[i])
			return 0;
	return 1;
}

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Where bare URLs are collected, and what was lost (TEXT_F_LIMIT: links
 * full or a link cut; TEXT_F_NOMEM). */
struct url_sink {
	struct text_link *links;
	size_t *n, cap;
	struct arena *a;
	unsigned flags;
};

/* Adds the URL starting at t[start] whose prefix is pl bytes long; returns
 * where scanning resumes, or len when links are full or memory ran out. */
static size_t url_take(const char *t, size_t len, size_t start, size_t pl, struct url_sink *k)
{
	size_t end = start + pl;
	while (end < len && !url_stop((unsigned char)t[end]))
		end++;
	size_t stop = end;
	while (end > start + pl && url_trailing((unsigned char)t[end - 1]))
		end--;
	if (end == start + pl)
		return stop;
	int rc =
	    text_link_add(k->a, k->links, k->n, k->cap, t + start, end - start, TEXT_LINK_TEXT);
	if (rc < 0)
		k->flags |= TEXT_F_NOMEM;
	else if (rc > 0)
		k->flags |= TEXT_F_LIMIT;
	return rc < 0 || rc == 1 ? len : stop;
}

/* http:// and https://, found from their "://" (rare in text, and memchr
 * skips the rest fast). */
static void find_http(const char *t, size_t len, struct url_sink *k)
{
	size_t i = 0;
	while (i < len) {
		const char *colon = memchr(t + i, ':', len - i);
		if (colon == NULL)
			return;
		size_t c = (size_t)(colon - t);
		i = c + 1;
		if (c + 3 > len || t[c + 1] != '/' || t[c + 2] != '/')
			continue;
		size_t start;
		if (c >= 4 && prefix_is(t + c - 4, 4, "http", 4))
			start = c - 4;
		else if (c >= 5 && prefix_is(t + c - 5, 5, "https", 5))
			start = c - 5;
		else
			continue;
		i = url_take(t, len, start, c + 3 - start, k);
	}
}

/* www. at a word boundary, not already inside an http URL. */
static void find_www(const char *t, size_t len, struct url_sink *k)
{
	size_t i = 0;
	while (i + 4 <= len) {
		const char *dot = memchr(t + i, '.', len - i);
		if (dot == NULL)
			return;
		size_t d = (size_t)(dot - t);
		i = d + 1;
		if (d < 3 || !prefix_is(t + d - 3, 3, "www", 3))
			continue;
		size_t start = d - 3;
		if (start > 0) {
			unsigned char p = (unsigned char)t[start - 1];
			if (is_alnum(p) || p == '.' || p == '/' || p == '@')
				continue;
		}
		i = url_take(t, len, start, 4, k);
	}
}

unsigned text_find_urls(const char *t, size_t len, struct text_link *links, size_t *n, size_t cap,
                        struct arena *a)
{
	struct url_sink k = { links, n, cap, a, 0 };
	find_http(t, len, &k);
	find_www(t, len, &k);
	return k.flags;
}
