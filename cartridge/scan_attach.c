/*
 * scan_attach.c - text units from attachments (see scan_attach.h).
 *
 * What counts as text a reader opens:
 *  - a leaf whose file name ends in a browser or editor extension (.html,
 *    .htm, .shtml, .xhtml, .xht: HTML; .txt, .text: plain text), whatever its
 *    Content-Type says (application/octet-stream is how phishing kits ship);
 *  - without such a name, an attached text/html or text/plain part, or an
 *    application/xhtml+xml one (inline text parts are the body's already);
 *  - a message/rfc822 (global, news) part: the text of the forwarded message;
 *  - a leaf named .eml, .mht or .mhtml: parsed as a message of its own
 *    (SCAN_ATTACH_MAX_NEST deep), its text is a unit, its own attachments
 *    are looked at in turn.
 * Bytes that are not text/ (the parser converted those) are converted to
 * UTF-8 from a byte-order mark; else valid UTF-8 is read as UTF-8 (a page
 * saved as UTF-8 often keeps the meta element of the charset it was written
 * in); else from the declared charset or an HTML meta charset; else as
 * windows-1252, as the parser reads undeclared text.
 *
 * Bounds: SCAN_ATTACH_MAX_UNITS units, SCAN_ATTACH_MAX_BYTES rendered per
 * attachment, the decoded budget MIME_MAX_DECODED shared with the message's
 * own parse; anything cut sets `cut` (the verdict's rescan), never an error.
 */
#include "scan_attach.h"

#include <string.h>
#include <strings.h>

#include "scan_text.h"

#define SCAN_ATTACH_SNIFF 1024 /* bytes searched for an HTML meta charset */
#define SCAN_ATTACH_MAX_CHARSET 40

enum unit_kind {
	UNIT_NONE,
	UNIT_HTML,
	UNIT_PLAIN,
	UNIT_MESSAGE
};

struct unit_ext {
	const char *ext;
	enum unit_kind kind;
};

static const struct unit_ext unit_exts[] = {
	{ "html", UNIT_HTML },     { "htm", UNIT_HTML },    { "shtml", UNIT_HTML },
	{ "xhtml", UNIT_HTML },    { "xht", UNIT_HTML },    { "txt", UNIT_PLAIN },
	{ "text", UNIT_PLAIN },    { "eml", UNIT_MESSAGE }, { "mht", UNIT_MESSAGE },
	{ "mhtml", UNIT_MESSAGE },
};

struct unit_ctx {
	const struct fp_input *body;
	struct charset_cache *cs;
	struct scan_units *u;
	size_t budget; /* decoded bytes nested parses may still use */
};

static enum unit_kind ext_kind(const char *filename)
{
	const char *dot = strrchr(filename, '.');
	if (dot == NULL)
		return UNIT_NONE;
	for (size_t i = 0; i < sizeof(unit_exts) / sizeof(unit_exts[0]); i++)
		if (strcasecmp(dot + 1, unit_exts[i].ext) == 0)
			return unit_exts[i].kind;
	return UNIT_NONE;
}

/* What a leaf part holds for a reader; UNIT_NONE for containers and for
 * inline text (that is the body's). */
static enum unit_kind leaf_kind(const struct mime_part *p)
{
	int is_text = strcmp(p->type, "text") == 0;
	if (p->is_multipart || (is_text && !p->is_attachment))
		return UNIT_NONE;
	enum unit_kind k = ext_kind(p->filename);
	if (k != UNIT_NONE)
		return k;
	if (is_text && strcmp(p->subtype, "html") == 0)
		return UNIT_HTML;
	if (is_text && strcmp(p->subtype, "plain") == 0)
		return UNIT_PLAIN;
	if (strcmp(p->type, "application") == 0 && strcmp(p->subtype, "xhtml+xml") == 0)
		return UNIT_HTML;
	return UNIT_NONE;
}

static int is_forward(const struct mime_part *p)
{
	return p->is_multipart && strcmp(p->type, "message") == 0 &&
	       (strcmp(p->subtype, "rfc822") == 0 || strcmp(p->subtype, "global") == 0 ||
	        strcmp(p->subtype, "news") == 0);
}

/* The charset named by an HTML meta element in s[0..n) into out, or "". */
static void meta_charset(const unsigned char *s, size_t n, char *out, size_t on)
{
	static const char key[] = "charset=";
	size_t k = sizeof(key) - 1;
	out[0] = '\0';
	n = n < SCAN_ATTACH_SNIFF ? n : SCAN_ATTACH_SNIFF;
	for (size_t i = 0; i + k < n; i++) {
		if (strncasecmp((const char *)s + i, key, k) != 0)
			continue;
		size_t j = i + k, o = 0;
		if (j < n && (s[j] == '"' || s[j] == '\''))
			j++;
		for (; j < n && o + 1 < on && s[j] > ' ' && s[j] < 0x7f; j++) {
			if (strchr("\"';>/", s[j]) != NULL)
				break;
			out[o++] = (char)(s[j] >= 'A' && s[j] <= 'Z' ? s[j] | 0x20 : s[j]);
		}
		out[o] = '\0';
		return;
	}
}

/* Charsets written in 7-bit bytes, which are valid UTF-8 and prove nothing. */
static int charset_is_7bit(const char *cs)
{
	return strncmp(cs, "iso-2022", 8) == 0 || strcmp(cs, "utf-7") == 0 ||
	       strncmp(cs, "hz-gb", 5) == 0;
}

/* The text of a leaf as UTF-8 (arena), at most SCAN_ATTACH_MAX_BYTES of it;
 * NULL when the arena ran out. */
static const char *leaf_utf8(struct unit_ctx *c, const struct mime_part *p, size_t *len)
{
	const unsigned char *d = p->data;
	size_t n = p->data_len;
	if (n > SCAN_ATTACH_MAX_BYTES) {
		n = SCAN_ATTACH_MAX_BYTES;
		c->u->cut = 1;
	}
	if (strcmp(p->type, "text") == 0) { /* the parser made it UTF-8 */
		while (n > 0 && n < p->data_len && (d[n] & 0xc0) == 0x80)
			n--; /* not inside a sequence */
		*len = n;
		return (const char *)d;
	}
	char cs[SCAN_ATTACH_MAX_CHARSET + 1];
	size_t skip = 0;
	if (n >= 2 && d[0] == 0xfe && d[1] == 0xff) {
		strcpy(cs, "utf-16be");
		skip = 2;
	} else if (n >= 2 && d[0] == 0xff && d[1] == 0xfe) {
		strcpy(cs, "utf-16le");
		skip = 2;
	} else if (n >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf) {
		strcpy(cs, "utf-8");
		skip = 3;
	} else if (p->charset[0] != '\0') {
		strncpy(cs, p->charset, sizeof(cs) - 1);
		cs[sizeof(cs) - 1] = '\0';
	} else {
		meta_charset(d, n, cs, sizeof(cs));
	}
	if (skip == 0 && cs[0] != '\0' && !charset_is_7bit(cs)) {
		/* Valid UTF-8 is UTF-8, whatever a copied meta element says. */
		int bad = 0;
		const char *t = charset_to_utf8(c->body->arena, c->cs, "", d, n, len, &bad);
		if (t == NULL || !bad)
			return t;
	}
	return charset_to_utf8(c->body->arena, c->cs, cs, d + skip, n - skip, len, NULL);
}

/* Renders m as a unit; keeps it when it has text or links. */
static void unit_add(struct unit_ctx *c, const struct mime_msg *m)
{
	struct scan_units *u = c->u;
	if (u->n == SCAN_ATTACH_MAX_UNITS) {
		u->cut = 1;
		return;
	}
	struct fp_input *in = &u->in[u->n];
	*in = (struct fp_input){
		.mime = m, .env = c->body->env, .cfg = c->body->cfg, .arena = c->body->arena
	};
	in->text_flags = scan_text_gather(in);
	if (in->text_flags & (TEXT_F_LIMIT | TEXT_F_NOMEM))
		u->cut = 1;
	if (in->norm_len > 0 || in->n_links > 0)
		u->n++;
}

/* A message of one part, the leaf p read as HTML or plain text. */
static void leaf_unit(struct unit_ctx *c, const struct mime_part *p, enum unit_kind kind)
{
	struct arena *a = c->body->arena;
	struct mime_msg *m = arena_zalloc(a, sizeof(*m));
	struct mime_part *q = arena_alloc(a, sizeof(*q));
	size_t len = 0;
	const char *text = leaf_utf8(c, p, &len);
	if (m == NULL || q == NULL || text == NULL) {
		c->u->cut = 1;
		return;
	}
	*q = *p;
	q->parent = -1;
	q->depth = 0;
	q->type = "text";
	q->subtype = kind == UNIT_HTML ? "html" : "plain";
	q->is_attachment = 0;
	q->data = (unsigned char *)(uintptr_t)text;
	q->data_len = len;
	m->parts = q;
	m->n_parts = 1;
	m->subject = "";
	m->body = "";
	unit_add(c, m);
}

/* The forwarded message under parts[r] of src: its descendants, re-rooted. */
static void forward_unit(struct unit_ctx *c, const struct mime_msg *src, size_t r)
{
	size_t end = r + 1;
	while (end < src->n_parts && src->parts[end].depth > src->parts[r].depth)
		end++;
	if (end == r + 1)
		return;
	struct arena *a = c->body->arena;
	struct mime_msg *m = arena_zalloc(a, sizeof(*m));
	struct mime_part *q = arena_alloc(a, (end - r - 1) * sizeof(*q));
	if (m == NULL || q == NULL) {
		c->u->cut = 1;
		return;
	}
	int shift = (int)r + 1, base = src->parts[r].depth + 1;
	for (size_t i = r + 1; i < end; i++) {
		q[i - r - 1] = src->parts[i];
		q[i - r - 1].parent =
		    src->parts[i].parent == (int)r ? -1 : src->parts[i].parent - shift;
		q[i - r - 1].depth = src->parts[i].depth - base;
	}
	m->parts = q;
	m->n_parts = end - r - 1;
	m->headers = q[0].headers;
	m->n_headers = q[0].n_headers;
	m->subject = "";
	m->body = "";
	unit_add(c, m);
}

static void units_walk(struct unit_ctx *c, const struct mime_msg *m, int nest);

/* An attached message file: parsed within what is left of the decoded budget. */
static void message_unit(struct unit_ctx *c, const struct mime_part *p, int nest)
{
	if (nest >= SCAN_ATTACH_MAX_NEST || c->budget == 0) {
		c->u->cut = 1;
		return;
	}
	struct arena *a = c->body->arena;
	struct mime_msg *m = arena_alloc(a, sizeof(*m));
	size_t n = p->data_len < SCAN_ATTACH_MAX_BYTES ? p->data_len : SCAN_ATTACH_MAX_BYTES;
	struct mime_limits lim = { .max_decoded = c->budget, .max_body_length = n };
	if (n < p->data_len)
		c->u->cut = 1;
	if (m == NULL || mime_parse(a, c->cs, (const char *)p->data, n, &lim, m) != 0) {
		c->u->cut = 1;
		return;
	}
	c->budget -= m->decoded_total < c->budget ? m->decoded_total : c->budget;
	if (m->flags & MIME_F_RESCAN_MASK)
		c->u->cut = 1;
	unit_add(c, m);
	units_walk(c, m, nest + 1);
}

static void units_walk(struct unit_ctx *c, const struct mime_msg *m, int nest)
{
	for (size_t i = 0; i < m->n_parts && !(c->u->cut && c->u->n == SCAN_ATTACH_MAX_UNITS);
	     i++) {
		const struct mime_part *p = &m->parts[i];
		if (is_forward(p)) {
			forward_unit(c, m, i);
			continue;
		}
		enum unit_kind k = leaf_kind(p);
		if (k == UNIT_MESSAGE)
			message_unit(c, p, nest);
		else if (k != UNIT_NONE)
			leaf_unit(c, p, k);
	}
}

void scan_attach_units(const struct fp_input *body, struct charset_cache *cs, struct scan_units *u)
{
	u->n = 0;
	u->cut = 0;
	struct unit_ctx c = { .body = body, .cs = cs, .u = u };
	c.budget = body->mime->decoded_total < MIME_MAX_DECODED
	               ? MIME_MAX_DECODED - body->mime->decoded_total
	               : 0;
	units_walk(&c, body->mime, 0);
}
