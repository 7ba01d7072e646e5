/*
 * body.c - the "body" engine: one digest of the normalised visible text.
 *
 * Catches exact re-sends of a message and its re-encodings: base64 versus
 * quoted-printable, another charset, re-wrapped lines, HTML versus the same
 * words in plain text, changed headers. Misses any change to the visible
 * words themselves (a hash-buster, a name, a rotated link text): that is the
 * fuzzy engine's job.
 */
#include "fp.h"

#include "../util/hash.h"

#define FP_BODY_SEED 0x626f6479ull /* "body" */
#define FP_BODY_MIN_BYTES 24       /* shorter texts identify nothing */

void fp_body_add_text(struct fp_list *out, const char *norm, size_t len)
{
	if (len < FP_BODY_MIN_BYTES)
		return;
	fp_list_add(out, WHORL_FP_BODY, whorl_hash64(norm, len, FP_BODY_SEED), 0);
}

void fp_body_compute(const struct fp_input *in, struct fp_list *out)
{
	fp_body_add_text(out, in->norm, in->norm_len);
}
