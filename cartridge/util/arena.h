/*
 * arena.h - bump allocator for everything one scan allocates.
 *
 * A scan takes a scratch arena, allocates freely from it, and resets it at
 * the end: no per-message malloc storms, no frees to forget. Chunks are kept
 * across resets, so a warmed-up arena does no malloc at all. An arena is used
 * by one thread at a time.
 *
 * What a scan can see of the scans before it: nothing. Whether an allocation
 * succeeds depends only on what this scan asked for since the last reset
 * (`charged`, counted as if every block were new and every growth a copy),
 * never on the chunks earlier scans left behind; and no caller reads a block
 * before writing it. Under AddressSanitizer a reset scrubs what was handed
 * out with a byte that changes at every reset and poisons it, so a pointer
 * kept past a reset faults and a read of unwritten bytes differs from run to
 * run (tests/fuzz/fuzz_scan_pair.c compares).
 *
 * Not for: data that outlives a scan (snapshots, configuration).
 */
#ifndef WHORL_ARENA_H
#define WHORL_ARENA_H

#include <stddef.h>
#include <stdint.h>

/* Largest single arena; an allocation past it fails (returns NULL), which the
 * callers treat as a hard limit reached (rescan), never as a crash. */
#define ARENA_MAX_BYTES ((size_t)256 << 20)

struct arena_chunk;

struct arena {
	struct arena_chunk *head;  /* chunk being filled */
	struct arena_chunk *spare; /* chunks kept from earlier scans */
	size_t total;              /* bytes held in all chunks */
	size_t charged;            /* bytes asked for since the last reset */
	size_t limit;              /* most `charged` may reach: ARENA_MAX_BYTES unless set lower */
	unsigned resets;           /* resets so far (the scrub byte under ASan) */
};

void arena_init(struct arena *a);
/* Frees every chunk. */
void arena_destroy(struct arena *a);
/* Forgets every allocation but keeps the chunks for reuse. */
void arena_reset(struct arena *a);
/* n bytes aligned to 16, contents undefined; NULL when `charged` would pass
 * the limit or malloc fails. */
void *arena_alloc(struct arena *a, size_t n);
/* Like arena_alloc, zero filled. */
void *arena_zalloc(struct arena *a, size_t n);
/* Copy of s[0..n) with a NUL after it. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Grows the block at p (of old_n bytes, the arena's latest when possible)
 * to new_n bytes, preserving contents. */
void *arena_realloc(struct arena *a, void *p, size_t old_n, size_t new_n);

#endif
