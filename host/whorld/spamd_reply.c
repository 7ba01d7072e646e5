/*
 * spamd_reply.c - the answers of the spamd protocol, byte for byte as
 * spamd 4.0 frames them for each client protocol version (spamd.raw,
 * sub check), and the RSPAMC/1.3 answer rspamd gives Exim:
 *
 *   CHECK             SPAMD/1.1 0 EX_OK / Spam: ... / blank line
 *   SYMBOLS, REPORT,  >= 1.3: + Content-length and the body after the blank
 *   REPORT_IFSPAM     line; < 1.3: no Content-length (Exim's SPAMC/1.2
 *                     parses exactly "Spam: x ; s / t\r\n\r\n")
 *   PROCESS, HEADERS  >= 1.3: Content-length + Spam; 1.2: Content-length
 *                     only; older: "SPAMD/1.0 0 EX_OK" and the message
 *   RSPAMC            RSPAMD/1.3 0 EX_OK / Metric: default; True; s / t / 0.0
 *                     / Action: reject|no action / Symbol: lines
 * Scores are whorl's 0-100 scale with one decimal, as spamd prints them.
 * Not for: parsing requests (spamd_parse.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spamd.h"

void obuf_reset(struct obuf *o)
{
	o->len = 0;
	o->failed = 0;
}

static int obuf_reserve(struct obuf *o, size_t more)
{
	size_t cap;
	char *p;

	if (o->failed)
		return -1;
	if (o->len + more + 1 <= o->cap)
		return 0;
	cap = o->cap > 0 ? o->cap : 4096;
	while (cap < o->len + more + 1)
		cap *= 2;
	p = realloc(o->p, cap);
	if (p == NULL) {
		o->failed = 1;
		return -1;
	}
	o->p = p;
	o->cap = cap;
	return 0;
}

void obuf_add(struct obuf *o, const char *s, size_t n)
{
	if (obuf_reserve(o, n) != 0)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

void obuf_printf(struct obuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || obuf_reserve(o, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(o->p + o->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

void obuf_free(struct obuf *o)
{
	free(o->p);
	memset(o, 0, sizeof(*o));
}

void spamd_reply_error(struct obuf *o, int rspamc, int code, const char *text)
{
	obuf_printf(o, "%s %d %s\r\n", rspamc ? "RSPAMD/1.3" : "SPAMD/1.0", code, text);
}

void spamd_reply_pong(struct obuf *o)
{
	obuf_printf(o, "SPAMD/1.5 0 PONG\r\n");
}

void spamd_reply_tell(struct obuf *o, unsigned did_set, unsigned did_remove)
{
	static const char *const names[] = { "", "local", "remote", "local,remote" };

	obuf_printf(o, "SPAMD/1.1 0 EX_OK\r\n");
	if (did_set != 0)
		obuf_printf(o, "DidSet: %s\r\n", names[did_set & 3u]);
	if (did_remove != 0)
		obuf_printf(o, "DidRemove: %s\r\n", names[did_remove & 3u]);
	obuf_printf(o, "\r\n");
}

/* Length of the header block including the blank line that ends it. */
static size_t reply_header_len(const char *msg, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (msg[i] != '\n')
			continue;
		if (msg[i + 1] == '\n')
			return i + 2;
		if (msg[i + 1] == '\r' && i + 2 < len && msg[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

/* The message with whorl's X-Spam-* headers on top (and X-CMAE-Score and
 * X-CMAE-Analysis when configured), using its line ends; only the header
 * block for HEADERS. */
static void reply_rewritten(struct obuf *o, const struct spamd_req *req,
                            const struct spamd_result *r, const char *msg, size_t len)
{
	const char *lf = memchr(msg, '\n', len);
	const char *eol = lf != NULL && lf > msg && lf[-1] == '\r' ? "\r\n" : "\n";

	if (r->is_spam)
		obuf_printf(o, "X-Spam-Flag: YES%s", eol);
	obuf_printf(o, "X-Spam-Status: %s, score=%.1f required=%.1f tests=%s%s",
	            r->is_spam ? "Yes" : "No", (double)r->score, (double)r->minimum_score,
	            r->symbols[0] != '\0' ? r->symbols : "none", eol);
	obuf_printf(o, "X-Whorl-Analysis: %s%s", r->analysis, eol);
	if (r->cmae_headers) /* as the Cloudmark Authority API's appendHeaders */
		obuf_printf(o, CMAE_HDR_SCORE ": %u%s" CMAE_HDR_ANALYSIS ": %s%s", r->score, eol,
		            r->analysis, eol);
	obuf_add(o, msg, req->cmd == SPAMD_HEADERS ? reply_header_len(msg, len) : len);
}

static void reply_process(struct obuf *o, const struct spamd_req *req, const char *spam_hdr,
                          const struct spamd_result *r, const char *msg, size_t len)
{
	struct obuf body = { 0 };

	reply_rewritten(&body, req, r, msg, len);
	if (body.failed)
		o->failed = 1;
	else if (req->version >= 13)
		obuf_printf(o, "SPAMD/1.1 0 EX_OK\r\nContent-length: %zu\r\n%s\r\n\r\n", body.len,
		            spam_hdr);
	else if (req->version >= 12)
		obuf_printf(o, "SPAMD/1.1 0 EX_OK\r\nContent-length: %zu\r\n\r\n", body.len);
	else
		obuf_printf(o, "SPAMD/1.0 0 EX_OK\r\n");
	obuf_add(o, body.p != NULL ? body.p : "", body.len);
	obuf_free(&body);
}

static void reply_report_text(struct obuf *o, const struct spamd_result *r)
{
	obuf_printf(o,
	            "whorl found this message %s: score %u of 100, minimum score %u.\r\n"
	            " category:  %s/%s\r\n"
	            " symbols:   %s\r\n"
	            " analysis:  %s\r\n",
	            r->is_spam ? "to be abuse" : "clean", r->score, r->minimum_score, r->category,
	            r->subcategory, r->symbols[0] != '\0' ? r->symbols : "none", r->analysis);
}

static void reply_rspamc(struct obuf *o, const struct spamd_result *r)
{
	const char *s = r->symbols;

	obuf_printf(o, "RSPAMD/1.3 0 EX_OK\r\nMetric: default; %s; %.2f / %.2f / 0.0\r\n",
	            r->is_spam ? "True" : "False", (double)r->score, (double)r->minimum_score);
	obuf_printf(o, "Action: %s\r\n", r->is_spam ? "reject" : "no action");
	while (*s != '\0') {
		size_t n = strcspn(s, ",");
		obuf_printf(o, "Symbol: %.*s\r\n", (int)n, s);
		s += n + (s[n] == ',');
	}
	obuf_printf(o, "\r\n");
}

void spamd_reply_scan(struct obuf *o, const struct spamd_req *req, const struct spamd_result *r,
                      const char *msg, size_t len)
{
	char spam_hdr[128];
	struct obuf body = { 0 };
	int ifspam = req->cmd == SPAMD_REPORT_IFSPAM;

	if (req->rspamc) {
		reply_rspamc(o, r);
		return;
	}
	snprintf(spam_hdr, sizeof(spam_hdr), "Spam: %s ; %.1f / %.1f",
	         r->is_spam ? (ifspam ? "Yes" : "True") : (ifspam ? "No" : "False"),
	         (double)r->score, (double)r->minimum_score);
	if (req->cmd == SPAMD_PROCESS || req->cmd == SPAMD_HEADERS) {
		reply_process(o, req, spam_hdr, r, msg, len);
		return;
	}
	obuf_printf(o, "SPAMD/1.1 0 EX_OK\r\n");
	if (req->cmd == SPAMD_CHECK) {
		obuf_printf(o, "%s\r\n\r\n", spam_hdr);
		return;
	}
	if (req->cmd == SPAMD_SYMBOLS) {
		obuf_printf(&body, "%s%s", r->symbols, req->version < 13 ? "\r\n" : "");
	} else if (req->cmd == SPAMD_REPORT || r->is_spam) {
		reply_report_text(&body, r);
	}
	if (req->version >= 13)
		obuf_printf(o, "Content-length: %zu\r\n%s\r\n\r\n", body.len, spam_hdr);
	else
		obuf_printf(o, "%s\r\n\r\n", spam_hdr);
	obuf_add(o, body.p != NULL ? body.p : "", body.len);
	if (body.failed)
		o->failed = 1;
	obuf_free(&body);
}

/* Appends "WHORL_<NAME>" (upper case, [A-Z0-9_] only) to out. */
static void symbols_add(char *out, size_t out_len, const char *prefix, const char *name, size_t n)
{
	size_t o = strlen(out);

	if (n == 0 || o + strlen(prefix) + n + 2 >= out_len)
		return;
	if (o > 0)
		out[o++] = ',';
	for (const char *p = prefix; *p != '\0'; p++)
		out[o++] = *p;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 32);
		else if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
			ch = '_';
		out[o++] = ch;
	}
	out[o] = '\0';
}

void spamd_symbols(const char *analysis, unsigned category, const char *category_name, char *out,
                   size_t out_len)
{
	const char *e = analysis != NULL ? strstr(analysis, "; e=") : NULL;

	if (out_len == 0)
		return;
	out[0] = '\0';
	if (e != NULL) {
		e += 4;
		while (*e != '\0' && *e != ';') {
			size_t n = strcspn(e, ",;:");
			if (n == 4 && strncmp(e, "none", 4) == 0)
				; /* no engine hit */
			else if (*e == '-')
				symbols_add(out, out_len, "WHORL_LEGIT_", e + 1, n - 1);
			else
				symbols_add(out, out_len, "WHORL_", e, n);
			e += n;
			if (*e == ':')
				e += strcspn(e, ",;");
			if (*e == ',')
				e++;
		}
	}
	if (category != 0 && category_name != NULL)
		symbols_add(out, out_len, "WHORL_", category_name, strlen(category_name));
}
