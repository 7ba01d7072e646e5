/*
 * mime.h - parse an RFC 5322 / MIME message into decoded parts.
 *
 * mime_parse() accepts plain RFC 822 text or the dot-stuffed SMTP wire form,
 * walks multipart nesting and message/rfc822, decodes base64, quoted-printable
 * and uuencode (tolerating real-world breakage), converts text parts to UTF-8
 * and decodes RFC 2047 / RFC 2231 header words. Everything is allocated from
 * the caller's arena; nothing is freed separately.
 *
 * Hard limits are named below. Passing one never fails the parse: the parser
 * stops looking further, sets the matching MIME_F_* flag, and the scan sets
 * `rescan`. Malformed input is parsed as far as it makes sense, never crashes.
 *
 * Not for: rendering HTML (text/html.h) or fingerprinting (fp/).
 */
#ifndef WHORL_MIME_H
#define WHORL_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"

#define MIME_MAX_DEPTH 16                         /* nested multiparts / message/rfc822 */
#define MIME_MAX_PARTS 256                        /* parts of any kind in one message */
#define MIME_MAX_HEADERS 512                      /* header fields per header block */
#define MIME_MAX_HEADER_BYTES ((size_t)256 << 10) /* one header block, folded */
#define MIME_MAX_LINE ((size_t)64 << 10)          /* longer lines are cut (rescan) */
#define MIME_MAX_DECODED ((size_t)32 << 20)       /* decoded bytes, all parts together */
#define MIME_MAX_BOUNDARY 200                     /* RFC 2046 allows 70; we tolerate more */

/* Flags in mime_msg.flags: what could not be seen, and what looked odd. */
#define MIME_F_DEPTH (1u << 0)        /* MIME_MAX_DEPTH reached */
#define MIME_F_PARTS (1u << 1)        /* MIME_MAX_PARTS reached */
#define MIME_F_HEADERS (1u << 2)      /* header count or bytes limit reached */
#define MIME_F_LINE (1u << 3)         /* a line longer than MIME_MAX_LINE */
#define MIME_F_DECODED (1u << 4)      /* MIME_MAX_DECODED reached */
#define MIME_F_BROKEN (1u << 5)       /* unparsable structure (missing boundary...) */
#define MIME_F_BAD_ENCODING (1u << 6) /* transfer encoding errors were repaired */
#define MIME_F_BAD_CHARSET (1u << 7)  /* unknown charset or invalid bytes replaced */
#define MIME_F_WIRE (1u << 8)         /* input was dot-stuffed wire form */
#define MIME_F_NOMEM (1u << 9)        /* arena exhausted */
#define MIME_F_EMPTY (1u << 10)       /* no header/body separation found at all */
/* The body was cut at mime_limits.max_body_length: the verdict was made
 * on part of the message, so it asks for a rescan (issue 10). */
#define MIME_F_TRUNCATED (1u << 11)
/* Flags that mean "the engine could not see everything": set rescan. */
#define MIME_F_RESCAN_MASK                                                             \
	(MIME_F_DEPTH | MIME_F_PARTS | MIME_F_HEADERS | MIME_F_LINE | MIME_F_DECODED | \
	 MIME_F_BROKEN | MIME_F_NOMEM | MIME_F_TRUNCATED)

struct mime_limits {
	size_t max_decoded;     /* 0 means MIME_MAX_DECODED */
	size_t max_body_length; /* bytes of the body (after the top-level header block) read;
	                            * 0 means all (Momentum's Max_Body_Length) */
};

struct mime_header {
	const char *name; /* as written, NUL terminated */
	const char *raw;  /* unfolded value (CRLF+WSP removed), NUL terminated */
	size_t raw_len;
};

enum mime_encoding {
	MIME_ENC_7BIT = 0,
	MIME_ENC_8BIT,
	MIME_ENC_BINARY,
	MIME_ENC_BASE64,
	MIME_ENC_QP,
	MIME_ENC_UUENCODE,
	MIME_ENC_OTHER
};

struct mime_part {
	int parent;             /* index in mime_msg.parts, -1 for the root */
	int depth;              /* 0 for the root */
	const char *type;       /* lower case, e.g. "text"; "text" when absent */
	const char *subtype;    /* lower case, e.g. "plain" */
	const char *charset;    /* lower case as declared; "" when none */
	const char *filename;   /* UTF-8 (RFC 2231/2047 decoded); "" when none */
	const char *content_id; /* without the surrounding <>; "" when none */
	int is_attachment;      /* Content-Disposition: attachment, or a filename */
	int is_multipart;       /* container: data is empty, children follow */
	enum mime_encoding encoding;
	const struct mime_header *headers; /* this part's own header fields */
	size_t n_headers;
	const unsigned char *raw; /* the body as it stands in the message */
	size_t raw_len;
	unsigned char *data; /* decoded body; for text/ parts UTF-8; always NUL
	                            * terminated, never NULL (read only "" for containers) */
	size_t data_len;
	unsigned flags; /* MIME_F_* seen in this part */
};

struct mime_msg {
	const struct mime_header *headers; /* top-level header fields, in order */
	size_t n_headers;
	struct mime_part *parts; /* pre-order: parts[0] is the root */
	size_t n_parts;
	const char *subject; /* decoded to UTF-8; "" when none */
	const char *body;    /* the message after unstuffing (cut at max_body_length),
	                            * for engines that want raw bytes */
	size_t body_len;
	size_t decoded_total; /* bytes decoded over all parts */
	unsigned flags;       /* MIME_F_* */
};

struct charset_cache;

/* Parses msg[0..len). `cs` caches iconv descriptors across scans (one per
 * scanning thread; may be NULL: then only the built-in charsets convert).
 * msg must stay valid as long as *out is used (parts may point into it).
 * Thread safety: one arena and one cache per thread; no global state.
 * Always fills *out with what could be parsed; returns 0, or WHORL_ENOMEM
 * when even the root could not be allocated. */
int mime_parse(struct arena *a, struct charset_cache *cs, const char *msg, size_t len,
               const struct mime_limits *lim, struct mime_msg *out);

/* The first top-level header named `name` (case-insensitive), or NULL. */
const struct mime_header *mime_header_find(const struct mime_header *h, size_t n, const char *name);

/* Decodes RFC 2047 encoded words in a header value to UTF-8 into the arena.
 * Returns the NUL terminated result (its length in *out_len, which may be
 * NULL), never NULL unless the arena is exhausted. Without a charset cache
 * only the built-in charsets convert; others read as windows-1252 (the
 * parser itself decodes Subject and file names with the scan's cache). */
char *mime_header_decode(struct arena *a, const char *value, size_t len, size_t *out_len);

/* Transfer decoders; each writes at most cap bytes to out and returns the
 * number written. *errors (may be NULL) counts repaired defects. */
size_t mime_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap,
                          unsigned *errors);
size_t mime_qp_decode(const char *in, size_t len, unsigned char *out, size_t cap, int header_mode,
                      unsigned *errors);
size_t mime_uu_decode(const char *in, size_t len, unsigned char *out, size_t cap, unsigned *errors);

/* Converts in[0..len) from `charset` to UTF-8 into the arena (NUL
 * terminated; NULL only when the arena is exhausted). "" (no charset) and
 * us-ascii read valid UTF-8 as UTF-8, anything else as windows-1252 with
 * *bad set. Unknown
 * charsets and invalid sequences become U+FFFD and set *bad (may be NULL).
 * Common charsets (us-ascii, utf-8, iso-8859-1, windows-1252) are converted
 * without iconv; others use iconv descriptors cached in `cache`. */
struct charset_cache *charset_cache_new(void);
void charset_cache_free(struct charset_cache *c);
char *charset_to_utf8(struct arena *a, struct charset_cache *cache, const char *charset,
                      const unsigned char *in, size_t len, size_t *out_len, int *bad);

#endif
