/*
 * parse.c - mime_parse(): the walk over a message's entities. Each entity's
 * header block is parsed, its Content-* fields read, and it is either a
 * container (any multipart, message/rfc822: children follow in pre-order) or
 * a leaf decoded by body.c. Boundary search is one pass over the lines per
 * nesting level, so the walk is linear in the input times the depth.
 *
 * Not for: header value decoding (rfc2047.c, params.c), decoders.
 */
#include "mime_int.h"

#include <string.h>

#include "whorl_cartridge.h"

/* First size of the parts array (it doubles up to MIME_MAX_PARTS). */
#define PARTS_INITIAL 16
/* Longest type or subtype token kept. */
#define MIME_MAX_TOKEN 64

int mime_part_new(struct mime_ctx *ctx, int parent, int depth)
{
	if (ctx->n_parts == MIME_MAX_PARTS) {
		ctx->flags |= MIME_F_PARTS;
		return -1;
	}
	if (ctx->n_parts == ctx->cap_parts) {
		size_t ncap = ctx->cap_parts == 0 ? PARTS_INITIAL : ctx->cap_parts * 2;
		ncap = ncap < MIME_MAX_PARTS ? ncap : MIME_MAX_PARTS;
		struct mime_part *p = arena_realloc(ctx->a, ctx->parts, ctx->cap_parts * sizeof(*p),
		                                    ncap * sizeof(*p));
		if (p == NULL) {
			ctx->flags |= MIME_F_NOMEM;
			return -1;
		}
		ctx->parts = p;
		ctx->cap_parts = ncap;
	}
	struct mime_part *part = &ctx->parts[ctx->n_parts];
	memset(part, 0, sizeof(*part));
	part->parent = parent;
	part->depth = depth;
	part->type = "text";
	part->subtype = "plain";
	part->charset = "";
	part->filename = "";
	part->content_id = "";
	part->data = (unsigned char *)""; /* read only; containers keep it */
	return (int)ctx->n_parts++;
}

/* The Content-* fields of one entity (the first of each), found in one pass. */
struct content_fields {
	const struct mime_header *type, *encoding, *disposition, *id;
};

static void content_fields_find(const struct mime_part *p, struct content_fields *cf)
{
	memset(cf, 0, sizeof(*cf));
	for (size_t i = 0; i < p->n_headers; i++) {
		const struct mime_header *h = &p->headers[i];
		const char *n = h->name;
		size_t len = strlen(n);
		if (len < 10 || !mime_ieq(n, 8, "content-"))
			continue;
		n += 8;
		len -= 8;
		if (cf->type == NULL && mime_ieq(n, len, "type"))
			cf->type = h;
		else if (cf->encoding == NULL && mime_ieq(n, len, "transfer-encoding"))
			cf->encoding = h;
		else if (cf->disposition == NULL && mime_ieq(n, len, "disposition"))
			cf->disposition = h;
		else if (cf->id == NULL && mime_ieq(n, len, "id"))
			cf->id = h;
	}
}

/* Keeps a lower-case token in the arena (literal "" when empty). */
static const char *token_keep(struct arena *a, const char *s, size_t n)
{
	if (n == 0)
		return "";
	const char *t = arena_strndup(a, s, n);
	return t != NULL ? t : "";
}

static void part_set_type(struct mime_ctx *ctx, struct mime_part *p, const struct mime_header *h,
                          int in_digest)
{
	char tok[2 * MIME_MAX_TOKEN + 2];
	size_t n = h != NULL ? mime_value_token(h->raw, h->raw_len, tok, sizeof(tok)) : 0;
	const char *slash = n > 0 ? memchr(tok, '/', n) : NULL;

	if (slash == NULL || slash == tok || (size_t)(slash - tok) + 1 == n) {
		/* Absent or unusable: RFC 2045 default (message/rfc822 in a digest). */
		p->type = in_digest && h == NULL ? "message" : "text";
		p->subtype = in_digest && h == NULL ? "rfc822" : "plain";
	} else {
		p->type = token_keep(ctx->a, tok, (size_t)(slash - tok));
		p->subtype = token_keep(ctx->a, slash + 1, n - (size_t)(slash - tok) - 1);
	}
	if (h == NULL)
		return;
	size_t cl;
	char *cs =
	    mime_param_get(ctx->a, ctx->cs, h->raw, h->raw_len, "charset", MIME_PARAM_RAW, &cl);
	if (cs != NULL) {
		for (size_t i = 0; i < cl; i++)
			cs[i] = (char)mime_lower((unsigned char)cs[i]);
		p->charset = cs;
	}
}

static enum mime_encoding encoding_parse(const struct mime_header *h)
{
	char tok[32];
	if (h == NULL)
		return MIME_ENC_7BIT;
	size_t n = mime_value_token(h->raw, h->raw_len, tok, sizeof(tok));
	static const struct {
		const char *name;
		enum mime_encoding enc;
	} names[] = {
		{ "7bit", MIME_ENC_7BIT },           { "8bit", MIME_ENC_8BIT },
		{ "binary", MIME_ENC_BINARY },       { "base64", MIME_ENC_BASE64 },
		{ "quoted-printable", MIME_ENC_QP }, { "x-uuencode", MIME_ENC_UUENCODE },
		{ "uuencode", MIME_ENC_UUENCODE },   { "x-uue", MIME_ENC_UUENCODE },
		{ "uue", MIME_ENC_UUENCODE },
	};
	if (n == 0)
		return MIME_ENC_7BIT;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(tok, names[i].name) == 0)
			return names[i].enc;
	return MIME_ENC_OTHER;
}

static void part_set_disposition(struct mime_ctx *ctx, struct mime_part *p,
                                 const struct content_fields *cf)
{
	const struct mime_header *cd = cf->disposition, *ct = cf->type;
	char *name = NULL;
	char tok[16];

	if (cd != NULL) {
		mime_value_token(cd->raw, cd->raw_len, tok, sizeof(tok));
		p->is_attachment = strcmp(tok, "attachment") == 0;
		name = mime_param_get(ctx->a, ctx->cs, cd->raw, cd->raw_len, "filename",
		                      MIME_PARAM_TEXT, NULL);
	}
	if ((name == NULL || name[0] == '\0') && ct != NULL)
		name = mime_param_get(ctx->a, ctx->cs, ct->raw, ct->raw_len, "name",
		                      MIME_PARAM_TEXT, NULL);
	if (name != NULL && name[0] != '\0') {
		p->filename = name;
		p->is_attachment = 1;
	}
}

static void part_set_content_id(struct mime_ctx *ctx, struct mime_part *p,
                                const struct mime_header *h)
{
	if (h == NULL)
		return;
	const char *s = h->raw;
	size_t n = h->raw_len;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	p->content_id = token_keep(ctx->a, s, n);
}

static void entity_parse(struct mime_ctx *ctx, const char *p, size_t len, int parent, int depth,
                         int in_digest);

/* A delimiter line "--boundary" (close: "--boundary--") starting a line at
 * or after `from`. Returns its offset or len; *next is where the line after
 * it starts and *close tells a close delimiter. */
static size_t delim_find(const char *p, size_t len, size_t from, const char *needle, size_t nlen,
                         size_t *next, int *close)
{
	for (;;) {
		size_t at = mime_line_find(p, len, from, needle, nlen), i = at + nlen;
		if (at == len)
			break;
		from = at + 1;
		*close = i + 1 < len && p[i] == '-' && p[i + 1] == '-';
		if (*close)
			i += 2;
		/* After the boundary only white space may follow (anything after "--"). */
		while (i < len && (mime_is_wsp(p[i]) || p[i] == '\r'))
			i++;
		if (i < len && p[i] != '\n' && !*close)
			continue;
		const char *nl = memchr(p + i, '\n', len - i);
		*next = nl != NULL ? (size_t)(nl - p) + 1 : len;
		return at;
	}
	return len;
}

/* Parses one body part p[start..end) (the line end before the delimiter
 * belongs to the delimiter). */
static void child_parse(struct mime_ctx *ctx, const char *p, size_t start, size_t end, int parent,
                        int depth, int in_digest)
{
	if (end > start && p[end - 1] == '\n')
		end--;
	if (end > start && p[end - 1] == '\r')
		end--;
	entity_parse(ctx, p + start, end - start, parent, depth, in_digest);
}

/* Walks a multipart body; returns how many delimiters were found. */
static size_t multipart_walk(struct mime_ctx *ctx, int idx, const char *boundary, size_t blen)
{
	char needle[MIME_MAX_BOUNDARY + 3];
	const char *p = (const char *)ctx->parts[idx].raw;
	size_t len = ctx->parts[idx].raw_len, start = len, pos = 0, found = 0, next = 0;
	int depth = ctx->parts[idx].depth + 1, close = 0;
	int digest = strcmp(ctx->parts[idx].subtype, "digest") == 0;

	needle[0] = needle[1] = '-';
	memcpy(needle + 2, boundary, blen);
	for (;;) {
		size_t at = delim_find(p, len, pos, needle, blen + 2, &next, &close);
		if (at == len)
			break;
		if (found++ > 0)
			child_parse(ctx, p, start, at, idx, depth, digest);
		if (close || (ctx->flags & (MIME_F_PARTS | MIME_F_NOMEM)))
			return found;
		start = pos = next;
	}
	if (found > 0) {
		child_parse(ctx, p, start, len, idx, depth, digest);
		ctx->parts[idx].flags |= MIME_F_BROKEN; /* no close delimiter */
	}
	return found;
}

/* Reads a multipart container; falls back to a text leaf without boundary. */
static void multipart_parse(struct mime_ctx *ctx, int idx, const struct mime_header *ct)
{
	struct mime_part *p = &ctx->parts[idx];
	size_t blen = 0;
	char *b = ct != NULL ? mime_param_get(ctx->a, ctx->cs, ct->raw, ct->raw_len, "boundary",
	                                      MIME_PARAM_RAW, &blen)
	                     : NULL;
	if (p->depth + 1 > MIME_MAX_DEPTH) {
		p->is_multipart = 1;
		p->flags |= MIME_F_DEPTH;
		return;
	}
	if (b != NULL && blen > 0 && blen <= MIME_MAX_BOUNDARY) {
		p->is_multipart = 1;
		if (multipart_walk(ctx, idx, b, blen) > 0)
			return;
	}
	/* No usable boundary: read the body as plain text. */
	p = &ctx->parts[idx];
	p->flags |= MIME_F_BROKEN;
	p->is_multipart = 0;
	p->type = "text";
	p->subtype = "plain";
	mime_part_decode(ctx, idx);
}

/* message/rfc822 (and kin): the body, transfer-decoded, is a nested message. */
static void message_parse(struct mime_ctx *ctx, int idx)
{
	struct mime_part *p = &ctx->parts[idx];
	size_t n;
	p->is_multipart = 1;
	if (p->depth + 1 > MIME_MAX_DEPTH) {
		p->flags |= MIME_F_DEPTH;
		return;
	}
	const unsigned char *inner =
	    mime_transfer_decode(ctx, p->encoding, p->raw, p->raw_len, 1, &n, &p->flags);
	if (inner == NULL) {
		p->flags |= MIME_F_NOMEM;
		return;
	}
	entity_parse(ctx, (const char *)inner, n, idx, p->depth + 1, 0);
}

static int is_message_type(const struct mime_part *p)
{
	return strcmp(p->type, "message") == 0 &&
	       (strcmp(p->subtype, "rfc822") == 0 || strcmp(p->subtype, "global") == 0 ||
	        strcmp(p->subtype, "news") == 0);
}

static void entity_parse(struct mime_ctx *ctx, const char *p, size_t len, int parent, int depth,
                         int in_digest)
{
	struct mime_hblock hb;
	int idx = mime_part_new(ctx, parent, depth);
	if (idx < 0)
		return;
	mime_headers_parse(ctx->a, p, len, &hb);
	if (parent < 0) {
		/* max body length counts the body only: headers are always read. */
		if (ctx->max_body != 0 && len - hb.body_off > ctx->max_body) {
			len = hb.body_off + ctx->max_body;
			ctx->flags |= MIME_F_TRUNCATED;
		}
		ctx->top_len = len;
	}
	struct mime_part *part = &ctx->parts[idx];
	part->headers = hb.headers;
	part->n_headers = hb.n_headers;
	part->flags |= hb.flags;
	part->raw = (const unsigned char *)p + hb.body_off;
	part->raw_len = len - hb.body_off;
	struct content_fields cf;
	content_fields_find(part, &cf);
	part_set_type(ctx, part, cf.type, in_digest);
	part->encoding = encoding_parse(cf.encoding);
	part_set_disposition(ctx, part, &cf);
	part_set_content_id(ctx, part, cf.id);
	if (strcmp(part->type, "multipart") == 0)
		multipart_parse(ctx, idx, cf.type);
	else if (is_message_type(part))
		message_parse(ctx, idx);
	else
		mime_part_decode(ctx, idx);
}

/* The message to parse: the wire form unstuffed (max_body_length is applied
 * after the header block, in entity_parse). */
static const char *input_prepare(struct arena *a, const char *msg, size_t len, size_t *out_len,
                                 unsigned *flags)
{
	size_t stuffed;
	if (mime_wire_detect(msg, len, &stuffed)) {
		const char *un = mime_wire_unstuff(a, msg, len, stuffed, &len);
		if (un == NULL) {
			*flags |= MIME_F_NOMEM;
		} else {
			msg = un;
			*flags |= MIME_F_WIRE;
		}
	}
	*out_len = len;
	return msg;
}

int mime_parse(struct arena *a, struct charset_cache *cs, const char *msg, size_t len,
               const struct mime_limits *lim, struct mime_msg *out)
{
	struct mime_ctx ctx;
	memset(out, 0, sizeof(*out));
	memset(&ctx, 0, sizeof(ctx));
	out->subject = "";
	if (msg == NULL) {
		msg = "";
		len = 0;
	}
	ctx.a = a;
	ctx.cs = cs;
	ctx.max_decoded =
	    lim != NULL && lim->max_decoded != 0 ? lim->max_decoded : MIME_MAX_DECODED;
	ctx.max_body = lim != NULL ? lim->max_body_length : 0;
	msg = input_prepare(a, msg, len, &len, &ctx.flags);
	ctx.top_len = len;
	entity_parse(&ctx, msg, len, -1, 0, 0);
	out->body = msg;
	out->body_len = ctx.top_len;
	if (ctx.n_parts == 0) {
		out->flags = ctx.flags | MIME_F_NOMEM;
		return WHORL_ENOMEM;
	}
	for (size_t i = 0; i < ctx.n_parts; i++)
		ctx.flags |= ctx.parts[i].flags;
	out->parts = ctx.parts;
	out->n_parts = ctx.n_parts;
	out->headers = ctx.parts[0].headers;
	out->n_headers = ctx.parts[0].n_headers;
	out->decoded_total = ctx.decoded_total;
	const struct mime_header *subj = mime_header_find(out->headers, out->n_headers, "subject");
	if (subj != NULL) {
		char *s = mime_header_decode_cs(a, cs, subj->raw, subj->raw_len, NULL);
		if (s != NULL)
			out->subject = s;
		else
			ctx.flags |= MIME_F_NOMEM;
	}
	out->flags = ctx.flags;
	return 0;
}
