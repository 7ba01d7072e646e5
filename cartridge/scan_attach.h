/*
 * scan_attach.h - the text a reader opens from an attachment, as text units
 * of their own: textual attachments (HTML and plain text, whatever the
 * Content-Type claims when the file name says a browser or an editor opens
 * it) and forwarded messages (message/rfc822 parts, attached .eml files).
 * Each unit is rendered and normalised the way a body is (scan_text.c), so
 * the text engines give a campaign the same fingerprints whether its text
 * sits in the body or in an attachment.
 *
 * Not for: attachment payload digests (fp/attach.c), images (fp/image.c),
 * MIME decoding (mime/).
 */
#ifndef WHORL_SCAN_ATTACH_H
#define WHORL_SCAN_ATTACH_H

#include "fp/fp.h"

#define SCAN_ATTACH_MAX_UNITS 8                 /* text units per message besides the body */
#define SCAN_ATTACH_MAX_BYTES ((size_t)1 << 20) /* bytes of one attachment rendered */
#define SCAN_ATTACH_MAX_NEST 2                  /* attached .eml files parsed inside each other */

struct scan_units {
	struct fp_input in[SCAN_ATTACH_MAX_UNITS];
	size_t n;
	int cut; /* a limit above (or a parse limit) left text unseen: rescan */
};

/* Finds the textual attachments and forwarded messages of body->mime and
 * fills u with one rendered input per unit that has text (its mime, visible,
 * norm, links; env, cfg and arena as body's). Everything is allocated from
 * body->arena; cs (may be NULL) converts charsets as the parser does.
 * Never fails: what a limit or the arena left out sets u->cut.
 * Thread safety: as the scan (one arena and cache per thread). */
void scan_attach_units(const struct fp_input *body, struct charset_cache *cs, struct scan_units *u);

#endif
