/*
 * fold_table.h - the generated code point folding table (fold_table.c,
 * written by gen_fold.py) used by normalise.c.
 *
 * Not for: ASCII bytes, which normalise.c folds with its own 256-entry table.
 */
#ifndef WHORL_FOLD_TABLE_H
#define WHORL_FOLD_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum fold_kind {
	FOLD_MAP = 0,       /* becomes the code point + delta (delta 0: kept as is) */
	FOLD_STR = 1,       /* becomes str[0..len) (never longer than the input) */
	FOLD_SPACE = 2,     /* a separator: punctuation, symbol, space, control */
	FOLD_DROP = 3,      /* dropped silently: combining marks */
	FOLD_INVISIBLE = 4, /* dropped and reported: format chars, fillers */
};

/* All code points lo..hi fold the same way. Runs are sorted, contiguous,
 * and cover U+0080..U+10FFFF. */
struct fold_run {
	uint32_t lo;
	uint32_t hi;
	int32_t delta;
	uint8_t kind; /* enum fold_kind */
	uint8_t len;  /* bytes of str for FOLD_STR */
	char str[6];
};

extern const struct fold_run fold_runs[];
extern const size_t fold_n_runs;
/* Run index for each code point U+0080..U+07FF (two-byte UTF-8). */
extern const uint16_t fold_index_2b[0x800 - 0x80];

#endif
