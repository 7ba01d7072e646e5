/*
 * fuzz_mime.c - libFuzzer target: the whole mime_parse() on arbitrary bytes,
 * with one arena and one charset cache reused (reset) across runs, as a
 * scanning thread does. Checks the structural invariants of the result, and
 * of the text units the scan takes from its attachments (scan_attach.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/mime/mime.h"
#include "cartridge/scan_attach.h"
#include "cartridge/scan_text.h"

static struct arena fuzz_arena;
static struct charset_cache *fuzz_cache;
static int fuzz_ready;

static void check_result(const struct mime_msg *m)
{
	if (m->n_parts == 0 || m->n_parts > MIME_MAX_PARTS || m->parts[0].parent != -1)
		abort();
	(void)strlen(m->subject);
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct mime_part *p = &m->parts[i];
		if (i > 0 && (p->parent < 0 || (size_t)p->parent >= i ||
		              p->depth != m->parts[p->parent].depth + 1))
			abort();
		if (p->data == NULL || p->data[p->data_len] != '\0' ||
		    p->depth > MIME_MAX_DEPTH + 1)
			abort();
		(void)strlen(p->filename);
		(void)strlen(p->type);
	}
}

/* The text units the scan takes from the parsed message's attachments
 * (scan_attach.c): bounded, each one rendered and NUL terminated. */
static void check_units(const struct mime_msg *m)
{
	struct fp_input in = { .mime = m, .arena = &fuzz_arena };
	struct scan_units u;
	scan_text_gather(&in);
	scan_attach_units(&in, fuzz_cache, &u);
	if (u.n > SCAN_ATTACH_MAX_UNITS)
		abort();
	for (size_t i = 0; i < u.n; i++) {
		const struct fp_input *t = &u.in[i];
		if (t->mime == NULL || t->mime->n_parts == 0 || t->norm == NULL ||
		    t->norm[t->norm_len] != '\0' || t->visible_len > SCAN_MAX_VISIBLE)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_ready) {
		arena_init(&fuzz_arena);
		fuzz_cache = charset_cache_new();
		fuzz_ready = 1;
	}
	/* A private copy so reads past the end are caught by ASan. */
	char *msg = malloc(size ? size : 1);
	memcpy(msg, data, size);
	struct mime_msg m;
	struct mime_limits lim = { 0, 0 };
	if (size > 0 && data[0] == 'L')
		lim.max_decoded = 64;
	arena_reset(&fuzz_arena);
	if (mime_parse(&fuzz_arena, fuzz_cache, msg, size, &lim, &m) == 0) {
		check_result(&m);
		check_units(&m);
	}
	free(msg);
	return 0;
}
