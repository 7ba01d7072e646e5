/*
 * body.c - the "body" engine: one digest of the normalised visible text,
 * and at scan time one per paragraph and per line.
 *
 * Catches exact re-sends of a message and its re-encodings: base64 versus
 * quoted-printable, another charset, re-wrapped lines, HTML versus the same
 * words in plain text, changed headers. Misses any change to the visible
 * words themselves (a hash-buster, a name, a rotated link text): that is the
 * fuzzy engine's job.
 *
 * Part keys (FP_BODY_F_PART): the digest of each line and of each paragraph
 * of several lines (lines between blank lines) of the normalised text
 * (in->parts, text_normalise_parts). A part key that equals a stored whole-text digest says
 * that a known message's entire text stands, word for word, as one
 * paragraph or line of this one: a short campaign (a link and a line, too
 * short for a fuzzy sketch) with filler prose, a greeting or a reference
 * number added around it. The scan looks them up; the publisher never
 * publishes them (a known message's paragraph is not the message).
 * Bounded: the first FP_BODY_MAX_PARTS lines and paragraphs of a text,
 * those of 24 to FP_BODY_PART_MAX_BYTES bytes, none once the message's list
 * is half full (the other engines' keys come first).
 */
#include "fp.h"

#include "../util/hash.h"

#define FP_BODY_SEED 0x626f6479ull /* "body" */
#define FP_BODY_MIN_BYTES 24       /* shorter texts identify nothing */
/* Longer parts are left to the fuzzy engine: a stored text that long has a
 * sketch, and containment finds it inside filler. */
#define FP_BODY_PART_MAX_BYTES 512

void fp_body_add_text(struct fp_list *out, const char *norm, size_t len)
{
	if (len < FP_BODY_MIN_BYTES)
		return;
	fp_list_add(out, WHORL_FP_BODY, whorl_hash64(norm, len, FP_BODY_SEED), 0);
}

/* The part keys of in's text (see the top of this file). */
static void body_parts(const struct fp_input *in, struct fp_list *out)
{
	for (size_t k = 0; k < in->n_parts && out->n_fps < FP_MAX_FPS / 2; k++) {
		size_t len = in->parts[k].to - in->parts[k].from;
		if (len >= FP_BODY_MIN_BYTES && len <= FP_BODY_PART_MAX_BYTES &&
		    len != in->norm_len)
			fp_list_add(out, WHORL_FP_BODY,
			            whorl_hash64(in->norm + in->parts[k].from, len, FP_BODY_SEED),
			            FP_BODY_F_PART);
	}
}

void fp_body_compute(const struct fp_input *in, struct fp_list *out)
{
	fp_body_add_text(out, in->norm, in->norm_len);
	body_parts(in, out);
}
