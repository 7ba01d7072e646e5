/*
 * update_lines.h - strict reader and writer for the line-based signed texts
 * of an update set (manifest, checksum files).
 *
 * A line is bytes up to '\n' (which every line must have); fields are
 * separated by exactly one space. Numbers are plain decimal, hashes and keys
 * lower- or upper-case hex of an exact length. Anything else is malformed.
 *
 * Not for: what the lines mean (manifest.c, cksum.c).
 */
#ifndef WHORL_UPDATE_LINES_H
#define WHORL_UPDATE_LINES_H

#include <stddef.h>
#include <stdint.h>

#define ULINE_MAX_FIELDS 8

struct uline_reader {
	const char *p;
	size_t len, pos;
};

struct uline {
	const char *field[ULINE_MAX_FIELDS];
	size_t flen[ULINE_MAX_FIELDS];
	size_t n; /* fields found; ULINE_MAX_FIELDS + 1 when too many */
};

/* Next line split into fields; 1 when there is one, 0 at the end, -1 when
 * the rest is malformed (no final '\n', empty field, NUL byte). */
int uline_next(struct uline_reader *r, struct uline *l);
/* Field i equals s. */
int uline_is(const struct uline *l, size_t i, const char *s);
/* Field i as a decimal number with no sign and no leading zero; 0 or -1. */
int uline_u64(const struct uline *l, size_t i, uint64_t *v);
/* Field i as exactly n bytes of hex; 0 or -1. */
int uline_hex(const struct uline *l, size_t i, uint8_t *out, size_t n);
/* A line "<keyword> <number>" in that order; 0 or -1. */
int uline_expect_u64(struct uline_reader *r, const char *keyword, uint64_t *v);

/* Bounded appending writer; sets overflow instead of writing past cap. */
struct uline_writer {
	char *buf;
	size_t cap, len;
	int overflow;
};
void uline_printf(struct uline_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void uline_hex_put(struct uline_writer *w, const uint8_t *bin, size_t n);

#endif
