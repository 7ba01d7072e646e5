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

int text_link_add(struct arena *a, struct text_link *links, size_t *n, size_t cap,
                  const char *url, size_t len, uint8_t kind)
{
	while (len > 0 && is_space((unsigned char)*url))
		url++, len--;
	while (len > 0 && is_space((unsigned char)url[len - 1]))
		len--;
	if (len == 0)
		return 0;
	if (*n >= cap)
		return 1;
	if (len > TEXT_MAX_URL_LEN)
		len = TEXT_MAX_URL_LEN;
	char *copy = arena_alloc(a, len + 1);
	if (copy == NULL)
		return WHORL_ENOMEM;
	/* Browsers drop tabs and newlines inside URLs; so do we. */
	size_t o = 0;
	for (size_t i = 0; i < len; i++)
		if (url[i] != '\t' && url[i] != '\n' && url[i] != '\r')
			copy[o++] = url[i];
	copy[o] = '\0';
	links[*n] = (struct text_link){ .url = copy, .len = o, .kind = kind };
	(*n)++;
	return 0;
}

/* Bytes that end a bare URL. */
static int url_stop(unsigned char c)
{
	return c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' || c == 0x7F;
}

/* Trailing bytes that are the sentence's, not the URL's. */
static int url_trailing(unsigned char c)
{
	return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' ||
	       c == ')' || c == ']' || c == '}' || c == '*';
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

/* Length of the URL prefix at t (0: none). www. needs a word boundary. */
static size_t url_prefix(const char *t, size_t left, int at_boundary)
{
	if (prefix_is(t, left, "http://", 7))
		return 7;
	if (prefix_is(t, left, "https://", 8))
		return 8;
	if (at_boundary && prefix_is(t, left, "www.", 4))
		return 4;
	return 0;
}

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

void text_find_urls(const char *t, size_t len, struct text_link *links, size_t *n, size_t cap,
                    struct arena *a)
{
	size_t i = 0;
	while (i < len && *n < cap) {
		unsigned char c = (unsigned char)t[i] | 0x20;
		if (c != 'h' && c != 'w') {
			i++;
			continue;
		}
		int boundary = i == 0 || !(is_alnum((unsigned char)t[i - 1]) || t[i - 1] == '.' ||
		                           t[i - 1] == '/' || t[i - 1] == '@');
		size_t pl = url_prefix(t + i, len - i, boundary);
		if (pl == 0) {
			i++;
			continue;
		}
		size_t end = i + pl;
		while (end < len && !url_stop((unsigned char)t[end]))
			end++;
		size_t stop = end;
		while (end > i + pl && url_trailing((unsigned char)t[end - 1]))
			end--;
		if (end > i + pl && text_link_add(a, links, n, cap, t + i, end - i, TEXT_LINK_TEXT) < 0)
			return;
		i = stop;
	}
}
