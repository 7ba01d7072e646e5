/*
 * body.c - decoding of leaf parts: transfer encoding within the decoded
 * budget, conversion of text parts to UTF-8, and uuencoded blocks found in
 * text bodies, which become attachment parts of their own (children of the
 * text part) and are cut out of its text.
 *
 * Not for: the part walk (parse.c) or the decoders themselves.
 */
#include "mime_int.h"

#include <string.h>

/* Upper bound of the decoded size of len input bytes. */
static size_t decoded_bound(enum mime_encoding enc, size_t len)
{
	if (enc == MIME_ENC_BASE64 || enc == MIME_ENC_UUENCODE)
		return len / 4 * 3 + 3;
	return len;
}

static size_t decode_into(enum mime_encoding enc, const unsigned char *raw, size_t len,
                          unsigned char *out, size_t cap, unsigned *errs)
{
	const char *in = (const char *)raw;
	switch (enc) {
	case MIME_ENC_BASE64: return mime_base64_decode(in, len, out, cap, errs);
	case MIME_ENC_QP: return mime_qp_decode(in, len, out, cap, 0, errs);
	case MIME_ENC_UUENCODE: return mime_uu_decode(in, len, out, cap, errs);
	default:
		len = len < cap ? len : cap;
		memcpy(out, raw, len);
		return len;
	}
}

const unsigned char *mime_transfer_decode(struct mime_ctx *ctx, enum mime_encoding enc,
                                          const unsigned char *raw, size_t len, int may_alias,
                                          size_t *out_len, unsigned *flags)
{
	size_t remaining = ctx->max_decoded - ctx->decoded_total;
	size_t bound = decoded_bound(enc, len), cap = bound < remaining ? bound : remaining;
	int identity = enc != MIME_ENC_BASE64 && enc != MIME_ENC_QP && enc != MIME_ENC_UUENCODE;
	unsigned errs = 0;
	size_t n;

	if (identity && may_alias) {
		n = cap;
		if (len > remaining)
			*flags |= MIME_F_DECODED;
		ctx->decoded_total += n;
		*out_len = n;
		return raw;
	}
	unsigned char *out = arena_alloc(ctx->a, cap + 1);
	if (out == NULL)
		return NULL;
	n = decode_into(enc, raw, len, out, cap, &errs);
	if (bound > remaining && n == cap)
		*flags |= MIME_F_DECODED;
	if (errs != 0)
		*flags |= MIME_F_BAD_ENCODING;
	out[n] = '\0';
	ctx->decoded_total += n;
	*out_len = n;
	return out;
}

/* Adds the uuencoded block blk of text bytes p as an attachment under idx. */
static void uu_part_add(struct mime_ctx *ctx, int idx, const char *p,
                        const struct mime_uu_block *blk)
{
	int depth = ctx->parts[idx].depth + 1;
	if (depth > MIME_MAX_DEPTH) {
		ctx->parts[idx].flags |= MIME_F_DEPTH;
		return;
	}
	int c = mime_part_new(ctx, idx, depth);
	if (c < 0)
		return;
	struct mime_part *part = &ctx->parts[c];
	size_t n;
	char *name = charset_to_utf8(ctx->a, ctx->cs, "", (const unsigned char *)blk->name,
	                             blk->name_len, NULL, NULL);
	part->type = "application";
	part->subtype = "octet-stream";
	part->filename = name != NULL ? name : "";
	part->is_attachment = 1;
	part->encoding = MIME_ENC_UUENCODE;
	part->raw = (const unsigned char *)p + blk->data;
	part->raw_len = blk->end - blk->data;
	const unsigned char *d = mime_transfer_decode(ctx, MIME_ENC_UUENCODE, part->raw,
	                                              part->raw_len, 0, &n, &part->flags);
	if (d == NULL) {
		part->flags |= MIME_F_NOMEM;
		return;
	}
	part->data = (unsigned char *)(uintptr_t)d;
	part->data_len = n;
}

/* Moves uuencoded blocks of a text part's bytes into parts of their own;
 * *bytes / *n become the text without them. */
static void text_extract_uu(struct mime_ctx *ctx, int idx, const unsigned char **bytes, size_t *n)
{
	const char *p = (const char *)*bytes;
	size_t len = *n, pos = 0, o = 0;
	struct mime_uu_block blk;
	char *text = NULL;

	while (pos < len && mime_uu_find(p + pos, len - pos, &blk)) {
		if (text == NULL && (text = arena_alloc(ctx->a, len + 1)) == NULL) {
			ctx->parts[idx].flags |= MIME_F_NOMEM;
			return;
		}
		memcpy(text + o, p + pos, blk.begin);
		o += blk.begin;
		uu_part_add(ctx, idx, p + pos, &blk);
		pos += blk.end;
		if (ctx->flags & MIME_F_PARTS)
			break;
	}
	if (text == NULL)
		return;
	memcpy(text + o, p + pos, len - pos);
	o += len - pos;
	text[o] = '\0';
	*bytes = (const unsigned char *)text;
	*n = o;
}

void mime_part_decode(struct mime_ctx *ctx, int idx)
{
	struct mime_part *part = &ctx->parts[idx];
	int is_text = strcmp(part->type, "text") == 0;
	unsigned flags = 0;
	size_t n;
	const unsigned char *bytes = mime_transfer_decode(ctx, part->encoding, part->raw,
	                                                  part->raw_len, is_text, &n, &flags);
	ctx->parts[idx].flags |= flags;
	if (bytes == NULL) {
		ctx->parts[idx].flags |= MIME_F_NOMEM;
		return;
	}
	if (!is_text) {
		ctx->parts[idx].data = (unsigned char *)(uintptr_t)bytes;
		ctx->parts[idx].data_len = n;
		return;
	}
	if (n > 6 && mime_line_find((const char *)bytes, n, 0, "begin ", 6) < n)
		text_extract_uu(ctx, idx, &bytes, &n);
	part = &ctx->parts[idx]; /* the array may have moved */
	int bad = 0;
	size_t out_len = 0;
	char *text = charset_to_utf8(ctx->a, ctx->cs, part->charset, bytes, n, &out_len, &bad);
	if (text == NULL) {
		part->flags |= MIME_F_NOMEM;
		return;
	}
	if (bad)
		part->flags |= MIME_F_BAD_CHARSET;
	part->data = (unsigned char *)text;
	part->data_len = out_len;
}
