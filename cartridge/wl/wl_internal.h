/*
 * wl_internal.h - what the whitelist files share and nobody else needs.
 */
#ifndef WHORL_WL_INTERNAL_H
#define WHORL_WL_INTERNAL_H

#include "wl.h"

#define WL_WHY_LEN 160 /* a malformed line's reason */

struct wl_parse_error {
	char why[WL_WHY_LEN];
};

/* Parses one line s[0..n) (no line break; not blank, not a comment) into
 * e, compiling its regex with the pcre2 general context gctx (may be NULL).
 * 0, or -1 with err->why set; e then holds nothing to free. */
int wl_line_parse(const char *s, size_t n, void *gctx, struct wl_entry *e,
                  struct wl_parse_error *err);

#endif
