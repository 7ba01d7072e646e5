/*
 * fuzz_mbox.c - libFuzzer target for the shared mail reader's mbox splitter
 * and "From " unquoting (host/libwhorl/mail_mbox.c) on arbitrary bytes.
 * The first byte picks the piece size the input is fed in; the messages
 * found must be the same as when it is fed whole, lie inside the input, in
 * order and without overlap, equal those of a plain line-by-line reading
 * of the definition (the splitter jumps between candidate lines), and
 * unquoting never lengthens a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/libwhorl/mail.h"

#define FUZZ_MAX_SPANS 4096

struct spans {
	uint64_t off[FUZZ_MAX_SPANS], len[FUZZ_MAX_SPANS];
	size_t n;
	uint64_t total;
};

static int spans_add(void *ctx, uint64_t off, uint64_t len)
{
	struct spans *s = ctx;

	if (off + len > s->total || (s->n > 0 && off < s->off[s->n - 1] + s->len[s->n - 1]))
		abort();
	if (s->n < FUZZ_MAX_SPANS) {
		s->off[s->n] = off;
		s->len[s->n] = len;
	}
	s->n++;
	return 0;
}

static void split(const uint8_t *p, size_t n, size_t piece, struct spans *out)
{
	struct mail_mbox_split s;
	size_t at;

	memset(out, 0, sizeof(*out));
	out->total = n;
	mail_mbox_split_init(&s, spans_add, out);
	for (at = 0; at < n; at += piece)
		if (mail_mbox_split_feed(&s, (const char *)p + at,
		                         n - at < piece ? n - at : piece) != 0)
			abort();
	if (mail_mbox_split_end(&s) != 0 || s.n_msgs != out->n)
		abort();
}

/* The definition, line by line: a line starting "From " ends the message
 * before it (if any) and the next one starts after that line's newline (or
 * at the end, when it has none). */
static void split_reference(const uint8_t *p, size_t n, struct spans *out)
{
	uint64_t start = UINT64_MAX;
	size_t line = 0, end;
	const uint8_t *nl;

	memset(out, 0, sizeof(*out));
	out->total = n;
	while (line < n) {
		nl = memchr(p + line, '\n', n - line);
		end = nl != NULL ? (size_t)(nl - p) + 1 : n;
		if (n - line >= 5 && memcmp(p + line, "From ", 5) == 0) {
			if (start != UINT64_MAX)
				spans_add(out, start, line - start);
			start = end;
		}
		line = end;
	}
	if (start != UINT64_MAX)
		spans_add(out, start, n - start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spans whole, pieces, reference;
	size_t piece, i, n;
	char *copy;

	if (size < 1)
		return 0;
	piece = (size_t)data[0] % 16 + 1;
	data++;
	size--;
	split(data, size, size > 0 ? size : 1, &whole);
	split(data, size, piece, &pieces);
	if (memcmp(&whole, &pieces, sizeof(whole)) != 0)
		abort();
	split_reference(data, size, &reference);
	if (memcmp(&whole, &reference, sizeof(whole)) != 0)
		abort();
	for (i = 0; i < whole.n && i < FUZZ_MAX_SPANS; i++) {
		copy = malloc(whole.len[i] + 1);
		if (copy == NULL)
			return 0;
		memcpy(copy, data + whole.off[i], whole.len[i]);
		n = mail_mbox_unescape(copy, whole.len[i]);
		if (n > whole.len[i])
			abort();
		free(copy);
	}
	return 0;
}
