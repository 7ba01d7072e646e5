/*
 * wire.c - the dot-stuffed SMTP DATA form (RFC 5321 section 4.5.2), which
 * Momentum hands over with use_wire_rep: detection and unstuffing.
 *
 * The input is taken as wire form when it ends with the terminator line "."
 * (CRLF.CRLF or LF.LF), or when some line starts with ".." while no line
 * starts with a single "." followed by another character (a stuffed message
 * cannot contain one). Lines starting with "..." count neither way: an
 * ellipsis line is common in plain mail (real corpora show it in ~2% of
 * messages) and reads the same in both forms. Unstuffing drops the
 * terminator and turns a leading ".." into ".".
 *
 * Not for: SMTP itself, or CRLF normalisation.
 */
#include "mime_int.h"

#include <string.h>

/* Length of the terminator line at the end of p[0..len), or 0. */
static size_t wire_terminator(const char *p, size_t len)
{
	if (len >= 3 && memcmp(p + len - 3, "\n.\n", 3) == 0)
		return 2;
	if (len >= 4 && memcmp(p + len - 4, "\n.\r\n", 4) == 0)
		return 3;
	if ((len == 2 && memcmp(p, ".\n", 2) == 0) || (len == 3 && memcmp(p, ".\r\n", 3) == 0))
		return len;
	return 0;
}

/* Start of the next line at or after `from` that begins with '.', or len. */
static size_t next_dot_line(const char *p, size_t len, size_t from)
{
	return mime_line_find(p, len, from, ".", 1);
}

int mime_wire_detect(const char *p, size_t len, size_t *stuffed_lines)
{
	size_t dotdot = 0, dots = 0, single = 0, i = 0;
	size_t term = wire_terminator(p, len), body = len - term;

	/* Only lines starting with '.' matter: jump from one to the next. */
	i = next_dot_line(p, body, 0);
	while (i < body) {
		char next = i + 1 < body ? p[i + 1] : '\n';
		char third = i + 2 < body ? p[i + 2] : '\n';
		dots += next == '.';
		if (next == '.' && third != '.')
			dotdot++;
		else if (next != '.' && next != '\r' && next != '\n')
			single++;
		i = next_dot_line(p, body, i + 1);
	}
	*stuffed_lines = dots;
	return term != 0 || (dotdot > 0 && single == 0);
}

const char *mime_wire_unstuff(struct arena *a, const char *p, size_t len, size_t stuffed_lines,
                              size_t *out_len)
{
	size_t body = len - wire_terminator(p, len), o = 0, i = 0;
	if (stuffed_lines == 0) {
		*out_len = body;
		return p;
	}
	char *out = arena_alloc(a, body + 1);
	if (out == NULL)
		return NULL;
	while (i < body) {
		if (p[i] == '.' && i + 1 < body && p[i + 1] == '.')
			i++;
		const char *nl = memchr(p + i, '\n', body - i);
		size_t e = nl != NULL ? (size_t)(nl - p) + 1 : body;
		memcpy(out + o, p + i, e - i);
		o += e - i;
		i = e;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}
