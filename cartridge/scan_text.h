/*
 * scan_text.h - gathers what a reader sees of a parsed message.
 * Not for: HTML rendering rules (text/) or MIME decoding (mime/).
 */
#ifndef WHORL_SCAN_TEXT_H
#define WHORL_SCAN_TEXT_H

#include "fp/fp.h"

#define SCAN_MAX_VISIBLE ((size_t)4 << 20) /* visible text kept per message */

/* Fills in->visible, links, skeleton, norm from in->mime (arena allocated).
 * Returns TEXT_F_* flags gathered; TEXT_F_NOMEM when the arena ran out. */
unsigned scan_text_gather(struct fp_input *in);

/* 1 when the message has an empty (or whitespace-only) subject and body. */
int scan_text_is_empty(const struct fp_input *in);

#endif
