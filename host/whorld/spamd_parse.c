/*
 * spamd_parse.c - reads the head of a spamd (SPAMC/x.y) or RSPAMC/1.3
 * request: "<COMMAND> SPAMC/<major>.<minor>", headers, a blank line.
 *
 * Bounds: the head is at most SPAMD_HEAD_MAX bytes with at most
 * SPAMD_HEADERS_MAX headers (spamd's limit); every index is checked
 * against `len` before it is read. Lines end in LF or CRLF. Header names
 * are matched case-insensitively (spamd itself wants "Content-length";
 * clients in the wild send both spellings). Unknown headers are ignored,
 * as the protocol says. Protocol 1.0 and older requests have no headers.
 * Not for: the body (loop.c reads it; work.c inflates Compress: zlib).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spamd.h"

struct parse_ctx {
	const char *buf;
	size_t max_body;
	struct spamd_req *req;
	int *code;
	char *why;
	size_t why_len;
};

static const struct {
	const char *name;
	int cmd;
} parse_cmds[] = {
	{ "CHECK", SPAMD_CHECK },     { "SYMBOLS", SPAMD_SYMBOLS },
	{ "REPORT", SPAMD_REPORT },   { "REPORT_IFSPAM", SPAMD_REPORT_IFSPAM },
	{ "PROCESS", SPAMD_PROCESS }, { "HEADERS", SPAMD_HEADERS },
	{ "PING", SPAMD_PING },       { "SKIP", SPAMD_SKIP },
	{ "TELL", SPAMD_TELL },
};

const char *spamd_cmd_name(int cmd)
{
	for (size_t i = 0; i < sizeof(parse_cmds) / sizeof(parse_cmds[0]); i++)
		if (parse_cmds[i].cmd == cmd)
			return parse_cmds[i].name;
	return "?";
}

static int parse_fail(struct parse_ctx *c, int code, const char *why)
{
	*c->code = code;
	snprintf(c->why, c->why_len, "%s", why);
	return SPAMD_PARSE_ERROR;
}

/* "1.5" into 15; digits only, one dot, minor < 10. */
static int parse_version(const char *p, size_t n, unsigned *out)
{
	if (n != 3 || p[0] < '0' || p[0] > '9' || p[1] != '.' || p[2] < '0' || p[2] > '9')
		return -1;
	*out = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[2] - '0');
	return 0;
}

/* The request line p[0..n) without its line end. */
static int parse_request_line(struct parse_ctx *c, const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n), *proto;
	size_t cmd_len, proto_len;

	if (sp == NULL)
		return parse_fail(c, SPAMD_EX_PROTOCOL, "(request line not 'COMMAND SPAMC/x.y')");
	cmd_len = (size_t)(sp - p);
	proto = sp + 1;
	proto_len = n - cmd_len - 1;
	c->req->cmd = -1;
	for (size_t i = 0; i < sizeof(parse_cmds) / sizeof(parse_cmds[0]); i++)
		if (strlen(parse_cmds[i].name) == cmd_len &&
		    memcmp(parse_cmds[i].name, p, cmd_len) == 0)
			c->req->cmd = parse_cmds[i].cmd;
	if (proto_len > 6 && memcmp(proto, "SPAMC/", 6) == 0 &&
	    parse_version(proto + 6, proto_len - 6, &c->req->version) == 0)
		c->req->rspamc = 0;
	else if (proto_len > 7 && memcmp(proto, "RSPAMC/", 7) == 0 &&
	         parse_version(proto + 7, proto_len - 7, &c->req->version) == 0)
		c->req->rspamc = 1;
	else
		return parse_fail(c, SPAMD_EX_PROTOCOL, "(request line not 'COMMAND SPAMC/x.y')");
	if (c->req->cmd < 0)
		return parse_fail(c, SPAMD_EX_PROTOCOL, "(unknown command)");
	return 0;
}

static int parse_name_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

static int parse_content_length(struct parse_ctx *c, const char *v, size_t n)
{
	size_t value = 0;

	if (n == 0 || n > 19)
		return parse_fail(c, SPAMD_EX_PROTOCOL, "(Content-length not a number)");
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return parse_fail(c, SPAMD_EX_PROTOCOL, "(Content-length not a number)");
		value = value * 10 + (size_t)(v[i] - '0');
	}
	if (value > c->max_body) {
		*c->code = SPAMD_EX_DATAERR;
		snprintf(c->why, c->why_len,
		         "Message too large: Content-length %zu exceeds max message size %zu",
		         value, c->max_body);
		return SPAMD_PARSE_ERROR;
	}
	c->req->has_length = 1;
	c->req->content_length = value;
	return 0;
}

/* "local", "remote" or "local, remote" into SPAMD_TELL_* bits. */
static int parse_tell_targets(struct parse_ctx *c, const char *v, size_t n, unsigned *out)
{
	size_t i = 0, start;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == ','))
			i++;
		start = i;
		while (i < n && v[i] != ' ' && v[i] != ',')
			i++;
		if (parse_name_is(v + start, i - start, "local"))
			*out |= SPAMD_TELL_LOCAL;
		else if (parse_name_is(v + start, i - start, "remote"))
			*out |= SPAMD_TELL_REMOTE;
		else if (i > start)
			return parse_fail(c, SPAMD_EX_PROTOCOL,
			                  "(Set/Remove value not local or remote)");
	}
	return 0;
}

static struct spamd_span parse_span(const struct parse_ctx *c, const char *v, size_t n)
{
	struct spamd_span s = { (uint32_t)(v - c->buf), (uint32_t)n };
	return s;
}

static int parse_header(struct parse_ctx *c, const char *name, size_t name_len, const char *v,
                        size_t n)
{
	struct spamd_req *r = c->req;

	if (parse_name_is(name, name_len, "Content-length"))
		return parse_content_length(c, v, n);
	if (parse_name_is(name, name_len, "Compress")) {
		if (!parse_name_is(v, n, "zlib"))
			return parse_fail(c, SPAMD_EX_PROTOCOL, "(compression type not supported)");
		r->compress_zlib = 1;
	} else if (parse_name_is(name, name_len, "User")) {
		r->user = parse_span(c, v, n);
	} else if (parse_name_is(name, name_len, "Message-class")) {
		if (!parse_name_is(v, n, "spam") && !parse_name_is(v, n, "ham"))
			return parse_fail(c, SPAMD_EX_PROTOCOL, "(Message-class not spam or ham)");
		r->message_class = parse_span(c, v, n);
	} else if (parse_name_is(name, name_len, "Set")) {
		return parse_tell_targets(c, v, n, &r->tell_set);
	} else if (parse_name_is(name, name_len, "Remove")) {
		return parse_tell_targets(c, v, n, &r->tell_remove);
	} else if (parse_name_is(name, name_len, "Queue-Id")) {
		r->queue_id = parse_span(c, v, n);
	} else if (parse_name_is(name, name_len, "From")) {
		r->from = parse_span(c, v, n);
	} else if (parse_name_is(name, name_len, "Helo")) {
		r->helo = parse_span(c, v, n);
	} else if (parse_name_is(name, name_len, "Hostname")) {
		r->hostname = parse_span(c, v, n);
	} else if (parse_name_is(name, name_len, "IP")) {
		r->ip = parse_span(c, v, n);
	} else if (parse_name_is(name, name_len, "Rcpt") && r->n_rcpt < SPAMD_RCPT_MAX) {
		r->rcpt[r->n_rcpt++] = parse_span(c, v, n);
	}
	return 0;
}

/* One "Name: value" line p[0..n) (no line end). */
static int parse_header_line(struct parse_ctx *c, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n), *v;
	size_t name_len, v_len;

	if (colon == NULL || colon == p)
		return parse_fail(c, SPAMD_EX_PROTOCOL, "(header not in 'Name: value' format)");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
			return parse_fail(c, SPAMD_EX_PROTOCOL, "(header contains control chars)");
	name_len = (size_t)(colon - p);
	v = colon + 1;
	v_len = n - name_len - 1;
	while (v_len > 0 && (*v == ' ' || *v == '\t'))
		v++, v_len--;
	while (v_len > 0 && (v[v_len - 1] == ' ' || v[v_len - 1] == '\t'))
		v_len--;
	return parse_header(c, p, name_len, v, v_len);
}

/* The length of the line at p (up to len bytes) without its LF or CRLF,
 * and in *next the offset after it; -1 when no LF is within len. */
static long parse_line_end(const char *p, size_t len, size_t *next)
{
	const char *lf = memchr(p, '\n', len);
	size_t n;

	if (lf == NULL)
		return -1;
	n = (size_t)(lf - p);
	*next = n + 1;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return (long)n;
}

static int parse_check_complete(struct parse_ctx *c)
{
	struct spamd_req *r = c->req;

	if (r->compress_zlib && !r->has_length) {
		*c->code = SPAMD_EX_UNAVAILABLE;
		snprintf(c->why, c->why_len, "Compress requires Content-length header");
		return SPAMD_PARSE_ERROR;
	}
	if ((r->tell_set & r->tell_remove) != 0)
		return parse_fail(c, SPAMD_EX_PROTOCOL,
		                  "(Unable to set and remove the same target)");
	return SPAMD_PARSE_DONE;
}

int spamd_parse_head(const char *buf, size_t len, size_t max_body, struct spamd_req *req, int *code,
                     char *why, size_t why_len)
{
	struct parse_ctx c = { buf, max_body, req, code, why, why_len };
	size_t pos = 0, next, scan_len = len < SPAMD_HEAD_MAX ? len : SPAMD_HEAD_MAX;
	long n;
	int rc;

	memset(req, 0, sizeof(*req));
	n = parse_line_end(buf, scan_len, &next);
	if (n < 0)
		return len >= SPAMD_HEAD_MAX
		           ? parse_fail(&c, SPAMD_EX_PROTOCOL, "(request too long)")
		           : SPAMD_PARSE_MORE;
	if ((rc = parse_request_line(&c, buf, (size_t)n)) != 0)
		return rc;
	pos = next;
	/* Protocol 1.0 has no headers; PING and SKIP before 1.5 end here too. */
	if (req->version <= 10 ||
	    ((req->cmd == SPAMD_PING || req->cmd == SPAMD_SKIP) && req->version < 15)) {
		req->head_len = pos;
		return SPAMD_PARSE_DONE;
	}
	for (unsigned h = 0; h <= SPAMD_HEADERS_MAX; h++) {
		n = parse_line_end(buf + pos, scan_len - pos, &next);
		if (n < 0)
			return len >= SPAMD_HEAD_MAX
			           ? parse_fail(&c, SPAMD_EX_PROTOCOL, "(request too long)")
			           : SPAMD_PARSE_MORE;
		if (n == 0) {
			req->head_len = pos + next;
			return parse_check_complete(&c);
		}
		if (h == SPAMD_HEADERS_MAX)
			break;
		if ((rc = parse_header_line(&c, buf + pos, (size_t)n)) != 0)
			return rc;
		pos += next;
	}
	return parse_fail(&c, SPAMD_EX_PROTOCOL, "(too many headers)");
}
