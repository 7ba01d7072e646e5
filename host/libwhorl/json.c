/*
 * json.c - writes JSON strings (RFC 8259): quotes, escapes, and U+FFFD
 * for bytes that are not valid UTF-8 (overlong forms, surrogates and
 * code points past U+10FFFF included), through a caller's output
 * function so a FILE, a buffer or a socket can take them.
 * Not for: parsing JSON (nothing in whorl reads it).
 */
#include <stdio.h>
#include <string.h>

#include "whorl_daemon.h"

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if it is not one. */
static size_t json_utf8_len(const unsigned char *p)
{
	size_t n, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07u;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0u) != 0x80u) /* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* The escape of the byte or sequence at p (n: its UTF-8 length, 0 when
 * invalid) into esc, or NULL when it is written as it is. */
static const char *json_escape(const unsigned char *p, size_t n, char esc[8])
{
	if (n == 0)
		return "\\ufffd";
	if (*p == '"' || *p == '\\') {
		esc[0] = '\\', esc[1] = (char)*p, esc[2] = '\0';
		return esc;
	}
	if (*p == '\n')
		return "\\n";
	if (*p == '\t')
		return "\\t";
	if (*p < 0x20 || *p == 0x7f) {
		snprintf(esc, 8, "\\u%04x", *p);
		return esc;
	}
	return NULL;
}

void whorl_json_string(const char *s, whorl_json_put_fn put, void *ctx)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	const unsigned char *run = p; /* bytes written as they are, not yet put */
	const char *e;
	char esc[8];
	size_t n;

	put(ctx, "\"", 1);
	while (*p != '\0') {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
			p++; /* printable ASCII, the usual byte: as it is */
			continue;
		}
		n = json_utf8_len(p);
		e = json_escape(p, n, esc);
		if (e == NULL) {
			p += n;
			continue;
		}
		if (p > run)
			put(ctx, (const char *)run, (size_t)(p - run));
		put(ctx, e, strlen(e));
		p += n > 0 ? n : 1;
		run = p;
	}
	if (p > run)
		put(ctx, (const char *)run, (size_t)(p - run));
	put(ctx, "\"", 1);
}
