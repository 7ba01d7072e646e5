/*
 * mime_int.h - declarations shared by the files of the MIME layer only.
 *
 * Not for: anything outside cartridge/mime/ (use mime.h).
 */
#ifndef WHORL_MIME_INT_H
#define WHORL_MIME_INT_H

#include <stddef.h>
#include <stdint.h>

#include "mime.h"

/* Longest charset name we look up; longer names count as unknown. */
#define CHARSET_NAME_MAX 40

static inline int mime_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static inline int mime_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive equality of s[0..n) and the NUL terminated lower-case lit. */
int mime_ieq(const char *s, size_t n, const char *lit);

/* Offset of the first line starting at or after `from` (a line start, or
 * the next one) that begins with prefix[0..plen), or len (lines.c). */
size_t mime_line_find(const char *p, size_t len, size_t from, const char *prefix, size_t plen);

/* UTF-16/UTF-32 (unicode.c). Whether the normalised charset name is one of
 * that family; if so its unit (2 or 4 bytes) and declared byte order (an
 * opaque value for mime_unicode_to_utf8). */
int mime_unicode_form(const char *name, unsigned *unit, int *order);
/* Decodes in[0..len) into a NUL terminated arena string (NULL when the arena
 * is exhausted), finding the byte order from this input only; sets *bad when
 * invalid units were replaced by U+FFFD. Stateless. */
unsigned char *mime_unicode_to_utf8(struct arena *a, unsigned unit, int order,
                                    const unsigned char *in, size_t len, size_t *out_len, int *bad);
/* Writes cp (at most U+10FFFF) as UTF-8 into o (4 bytes of room); returns
 * the bytes written. */
size_t mime_utf8_put(unsigned char *o, uint32_t cp);

/* A parsed header block (headers.c). */
struct mime_hblock {
	struct mime_header *headers;
	size_t n_headers;
	size_t body_off; /* where the body starts in the input */
	unsigned flags;  /* MIME_F_HEADERS, MIME_F_LINE, MIME_F_EMPTY, MIME_F_NOMEM */
};

/* Parses the header block at the start of p[0..len). Never fails: on arena
 * exhaustion the block holds what was parsed and MIME_F_NOMEM is set. */
void mime_headers_parse(struct arena *a, const char *p, size_t len, struct mime_hblock *out);

/* RFC 2047 decoding with iconv descriptors from `cs` (may be NULL). */
char *mime_header_decode_cs(struct arena *a, struct charset_cache *cs, const char *value,
                            size_t len, size_t *out_len);

/* Content-Type / Content-Disposition (params.c). */

/* The value's leading token (before ';' or white space) in lower case, at
 * most `cap`-1 bytes, into buf. Returns its length. */
size_t mime_value_token(const char *v, size_t len, char *buf, size_t cap);

/* Parameter `name` (lower case) of a structured header value, or NULL.
 * MIME_PARAM_RAW returns the value unquoted as written (boundary, charset);
 * MIME_PARAM_TEXT joins RFC 2231 continuations, decodes charset'lang'%XX
 * and RFC 2047 words, and returns UTF-8. */
enum mime_param_mode {
	MIME_PARAM_RAW,
	MIME_PARAM_TEXT
};
char *mime_param_get(struct arena *a, struct charset_cache *cs, const char *v, size_t len,
                     const char *name, enum mime_param_mode mode, size_t *out_len);

/* Dot-stuffed wire form (wire.c). Returns 1 when p[0..len) looks like the
 * SMTP DATA wire form; *stuffed_lines tells whether any ".." line exists. */
int mime_wire_detect(const char *p, size_t len, size_t *stuffed_lines);
/* Unstuffs into the arena (or shortens in place when nothing is stuffed).
 * Returns the message start, or NULL when the arena is exhausted. */
const char *mime_wire_unstuff(struct arena *a, const char *p, size_t len, size_t stuffed_lines,
                              size_t *out_len);

/* A uuencoded block found in a text body (uudecode.c). */
struct mime_uu_block {
	size_t begin;     /* offset of the "begin" line */
	size_t data;      /* first encoded line */
	size_t end;       /* offset just past the block (after "end" line) */
	const char *name; /* file name as written (points into the input) */
	size_t name_len;
};
/* Finds the first "begin <mode> <name>" block in p[0..len). Returns 1 when found. */
int mime_uu_find(const char *p, size_t len, struct mime_uu_block *out);

/* State of one mime_parse() call, shared by parse.c and body.c. */
struct mime_ctx {
	struct arena *a;
	struct charset_cache *cs;
	struct mime_part *parts; /* grows; refer to parts by index across calls */
	size_t n_parts, cap_parts;
	size_t decoded_total, max_decoded;
	size_t max_body; /* max_body_length: top-level body bytes read, 0 = all */
	size_t top_len;  /* the top-level entity's length after that cut */
	unsigned flags;
};

/* A new part (zeroed, defaults filled) under parent; its index, or -1 when
 * MIME_MAX_PARTS is reached or the arena is exhausted (flags set). */
int mime_part_new(struct mime_ctx *ctx, int parent, int depth);

/* Decodes the leaf part idx (transfer encoding, charset, uuencoded blocks
 * inside text). Sets data/data_len; never fails, flags tell what happened. */
void mime_part_decode(struct mime_ctx *ctx, int idx);

/* Transfer-decodes raw[0..len) of encoding enc within the decoded budget.
 * Returns the bytes (raw itself for identity encodings when may_alias, else
 * a NUL terminated arena copy), their count in *out_len; NULL only when the
 * arena is exhausted. */
const unsigned char *mime_transfer_decode(struct mime_ctx *ctx, enum mime_encoding enc,
                                          const unsigned char *raw, size_t len, int may_alias,
                                          size_t *out_len, unsigned *flags);

#endif
