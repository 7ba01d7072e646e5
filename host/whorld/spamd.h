/*
 * spamd.h - the spamd protocol as SpamAssassin's spamd speaks it, and the
 * RSPAMC/1.3 variant Exim's "variant=rspamd" sends (docs/PROTOCOLS.md).
 *
 * spamd_parse.c reads a request head (request line, headers, blank line)
 * from bytes and says how long the body is; spamd_reply.c formats the
 * answers, framed for the client's protocol version. Both are pure: no
 * I/O, no globals, so the fuzz target (tests/fuzz/fuzz_spamd.c) and the
 * unit tests drive them directly.
 * Not for: sockets and queues (loop.c, work.c).
 */
#ifndef WHORLD_SPAMD_H
#define WHORLD_SPAMD_H

#include <stddef.h>
#include <stdint.h>

#include "whorl.h"

/* The headers the Cloudmark Authority API has its hosts append (PROCESS and
 * HEADERS with cmae headers = yes; the HTTP replies' header lists). */
#define CMAE_HDR_SCORE "X-CMAE-Score"
#define CMAE_HDR_ANALYSIS "X-CMAE-Analysis"

#define SPAMD_HEAD_MAX 16384  /* request line + headers + blank line */
#define SPAMD_HEADERS_MAX 256 /* spamd's own limit */
#define SPAMD_RCPT_MAX 128    /* RSPAMC Rcpt headers kept (more are ignored) */

/* sysexits.h codes spamd answers with. */
#define SPAMD_EX_OK 0
#define SPAMD_EX_DATAERR 65
#define SPAMD_EX_UNAVAILABLE 69
#define SPAMD_EX_SOFTWARE 70
#define SPAMD_EX_TEMPFAIL 75
#define SPAMD_EX_PROTOCOL 76
#define SPAMD_EX_TIMEOUT 79

enum spamd_cmd {
	SPAMD_CHECK,
	SPAMD_SYMBOLS,
	SPAMD_REPORT,
	SPAMD_REPORT_IFSPAM,
	SPAMD_PROCESS,
	SPAMD_HEADERS,
	SPAMD_PING,
	SPAMD_SKIP,
	SPAMD_TELL
};

#define SPAMD_TELL_LOCAL 1u
#define SPAMD_TELL_REMOTE 2u

/* A value inside the request buffer: `len` bytes at `off`. */
struct spamd_span {
	uint32_t off, len;
};

struct spamd_req {
	int cmd;          /* enum spamd_cmd */
	int rspamc;       /* "RSPAMC/" rather than "SPAMC/" */
	unsigned version; /* protocol version x 10: SPAMC/1.2 is 12 */
	size_t head_len;  /* bytes up to and including the blank line */
	int has_length;
	size_t content_length; /* bytes of body on the wire */
	int compress_zlib;
	struct spamd_span user, message_class, queue_id, from, helo, hostname, ip;
	struct spamd_span rcpt[SPAMD_RCPT_MAX];
	size_t n_rcpt;
	unsigned tell_set, tell_remove; /* SPAMD_TELL_* */
};

enum spamd_parse_result {
	SPAMD_PARSE_MORE = 0,  /* the head is not complete yet */
	SPAMD_PARSE_DONE = 1,  /* head parsed into req */
	SPAMD_PARSE_ERROR = -1 /* code and why say what to answer */
};

/*
 * Parses the head of a request in buf[0..len). `max_body` is the largest
 * Content-length accepted. Returns SPAMD_PARSE_MORE while the blank line
 * has not arrived (and the head is below SPAMD_HEAD_MAX), SPAMD_PARSE_DONE
 * with req filled, or SPAMD_PARSE_ERROR with *code (SPAMD_EX_*) and a
 * reason in why. Spans in req point into buf. Reads only buf[0..len).
 */
int spamd_parse_head(const char *buf, size_t len, size_t max_body, struct spamd_req *req, int *code,
                     char *why, size_t why_len);

/* A growable output buffer (one per worker, reused). */
struct obuf {
	char *p;
	size_t len, cap;
	int failed; /* an allocation failed: the contents are short */
};
void obuf_reset(struct obuf *o);
void obuf_add(struct obuf *o, const char *s, size_t n);
void obuf_printf(struct obuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void obuf_free(struct obuf *o);

/* What a reply says about a scanned message. */
struct spamd_result {
	unsigned score;         /* 0-100 */
	unsigned minimum_score; /* the threshold reported */
	int is_spam;            /* score >= minimum_score */
	const char *symbols;    /* comma separated, e.g. "WHORL_FUZZY,WHORL_SPAM" */
	const char *analysis;
	const char *category;    /* "spam" */
	const char *subcategory; /* "undefined" */
	int cmae_headers;        /* PROCESS/HEADERS: X-CMAE-* headers too */
};

/* The reply to a scanning command (CHECK ... HEADERS) for req's protocol
 * version; msg is the request's message (for PROCESS and HEADERS). */
void spamd_reply_scan(struct obuf *o, const struct spamd_req *req, const struct spamd_result *r,
                      const char *msg, size_t len);
/* The reply to TELL: DidSet / DidRemove for what was recorded. */
void spamd_reply_tell(struct obuf *o, unsigned did_set, unsigned did_remove);
/* The PING reply. */
void spamd_reply_pong(struct obuf *o);
/* An error line: "SPAMD/1.0 <code> <text>\r\n" (RSPAMD/1.3 for rspamc). */
void spamd_reply_error(struct obuf *o, int rspamc, int code, const char *text);
/* "WHORL_FUZZY,WHORL_URL,WHORL_LEGIT_IP,WHORL_SPAM": the engines in the
 * analysis "e=" field and, unless the category is 0, the category. */
void spamd_symbols(const char *analysis, unsigned category, const char *category_name, char *out,
                   size_t out_len);
/* Name of a command for logs ("CHECK"). */
const char *spamd_cmd_name(int cmd);

#endif
