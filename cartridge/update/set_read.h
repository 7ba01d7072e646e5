/*
 * set_read.h - the update module's public call to verify and read a whole
 * set in a directory (set_read.c), for programs outside the loader: the
 * publisher reads back what its mirror publishes now with it, through the
 * same checks a gateway makes, so that publisher and gateway cannot
 * disagree on what a set holds.
 *
 * Not for: loading a set into a snapshot (update.h, update_load_url).
 */
#ifndef WHORL_UPDATE_SET_READ_H
#define WHORL_UPDATE_SET_READ_H

#include <stddef.h>
#include <stdint.h>

#include "../log/log.h"
#include "update_format.h"

/* Called for each record of the sigs source, in order: the complete file's
 * (kind UPDATE_KIND_COMPLETE), then the deltas on top of it. Non-zero
 * stops the read and is returned. */
typedef int (*update_set_record_fn)(void *ctx, const struct update_record *r);

/* Reads the set published in directory dir, verified with public key pk:
 * the signed manifest into *m, every sigs record through on_record, and
 * the payload of each text source into text[i] (malloc'd, the caller
 * frees; NULL for a source absent from the manifest) with its length.
 * Returns 0; WHORL_ENODATA when dir holds no manifest; otherwise the
 * negative WHORL_E* of the first check that failed, with one ERROR line
 * through lg saying why (a bad signature, a file that does not verify).
 * Reentrant; no global state. */
int update_set_read(const char *dir, const uint8_t pk[UPDATE_KEY_BYTES], const struct logger *lg,
                    struct update_manifest *m, update_set_record_fn on_record, void *ctx,
                    uint8_t *text[UPDATE_N_SOURCES], size_t text_len[UPDATE_N_SOURCES]);

#endif
