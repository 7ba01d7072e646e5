/*
 * struct.c - the "struct" engine: the message's MIME layout and HTML skeleton.
 *
 * Catches templated campaigns whose wording rotates while the template stays:
 * the same nesting of parts and the same sequence of HTML tags. Misses plain
 * text mail (a one-part text/plain layout says nothing, so no key is made)
 * and campaigns that rotate templates. Shared templates (newsletter tools)
 * occur in legitimate mail too, which is why a struct hit alone stays below
 * the spam threshold when scored.
 */
#include "fp.h"

#include <string.h>

#include "../util/hash.h"

#define FP_STRUCT_SEED 0x73747263ull /* "strc" */
#define FP_STRUCT_MIN_TAGS 12        /* fewer tags: too generic to mean a template */

static size_t count_tags(const char *skel, size_t len)
{
	size_t n = len > 0;
	for (size_t i = 0; i < len; i++)
		n += skel[i] == ' ';
	return n;
}

void fp_struct_compute(const struct fp_input *in, struct fp_list *out)
{
	const struct mime_msg *m = in->mime;
	if (count_tags(in->skeleton, in->skeleton_len) < FP_STRUCT_MIN_TAGS)
		return;
	uint64_t h = FP_STRUCT_SEED;
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct mime_part *p = &m->parts[i];
		h = whorl_hash_combine(h,
		                       whorl_hash64(p->type, strlen(p->type), (uint64_t)p->depth));
		h = whorl_hash_combine(
		    h, whorl_hash64(p->subtype, strlen(p->subtype), (uint64_t)p->is_attachment));
	}
	h = whorl_hash_combine(h, whorl_hash64(in->skeleton, in->skeleton_len, FP_STRUCT_SEED));
	fp_list_add(out, WHORL_FP_STRUCT, h, 0);
}
