/*
 * attach.c - the "attach" engine: a digest of each decoded non-text part.
 *
 * Catches the same payload re-sent under new wording, new file names and
 * new transfer encodings: malware droppers, fake invoices (category virus).
 * Misses a payload that changes by a single byte (repacked archives,
 * polymorphic droppers) and text attachments, which the text engines read.
 * Images are left to the image engine, which understands pixels.
 */
#include "fp.h"

#include <string.h>

#include "../util/hash.h"

#define FP_ATTACH_SEED 0x61747463ull /* "attc" */
#define FP_ATTACH_MIN_BYTES 32       /* tiny parts are boilerplate */

static int part_is_payload(const struct mime_part *p)
{
	if (p->is_multipart || p->data_len < FP_ATTACH_MIN_BYTES)
		return 0;
	if (strcmp(p->type, "image") == 0 || strcmp(p->type, "message") == 0)
		return 0;
	/* Inline text is read by the text engines; a text file sent as an
	 * attachment is a payload too. */
	if (strcmp(p->type, "text") == 0 && !p->is_attachment)
		return 0;
	return 1;
}

void fp_attach_compute(const struct fp_input *in, struct fp_list *out)
{
	const struct mime_msg *m = in->mime;
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct mime_part *p = &m->parts[i];
		if (!part_is_payload(p))
			continue;
		fp_list_add(out, WHORL_FP_ATTACH,
		            whorl_hash64(p->data, p->data_len, FP_ATTACH_SEED), 0);
	}
}
