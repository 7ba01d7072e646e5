/*
 * dcfg_internal.h - what dcfg.c and dcfg_keys.c share (not installed).
 */
#ifndef WHORL_DCFG_INTERNAL_H
#define WHORL_DCFG_INTERNAL_H

#include <stddef.h>

#include "whorl_daemon.h"

/* Applies one normalised key and its trimmed value. 0 or WHORL_ECONFIG. */
int dcfg_key_apply(struct whorl_dcfg *c, const char *key, const char *value, char *why,
                   size_t why_len);
/* Checks the settings against each other once the file is read. */
int dcfg_check(const struct whorl_dcfg *c, char *why, size_t why_len);

#endif
