/*
 * fuzz_normalise.c - libFuzzer target: text_normalise() on arbitrary bytes
 * (exact and short capacities), text_find_urls() and text_next_word();
 * checks the output invariants (bound, no leading/trailing/double space).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/text/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *out = malloc(size + 1);
	unsigned flags = 0;
	size_t n = text_normalise(in, size, out, size + 1, &flags);
	if (n > size || out[n] != '\0')
		abort();
	if (n > 0 && (out[0] == ' ' || out[n - 1] == ' ' || strstr(out, "  ") != NULL))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x80 && out[i] != ' ' &&
		    !((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= '0' && out[i] <= '9')))
			abort();
	/* normalising is idempotent */
	char *again = malloc(n + 1);
	size_t m = text_normalise(out, n, again, n + 1, NULL);
	if (m != n || memcmp(out, again, n) != 0)
		abort();
	free(again);
	/* a short buffer truncates, never overflows */
	size_t cap = size / 2 + 1;
	char *shortbuf = malloc(cap);
	if (text_normalise(in, size, shortbuf, cap, NULL) >= cap)
		abort();
	free(shortbuf);
	size_t pos = 0, wlen;
	char join[16];
	while (text_next_word(out, n, &pos, &wlen, join, sizeof(join)) != NULL)
		if (wlen == 0)
			abort();
	struct arena a;
	arena_init(&a);
	struct text_link links[8];
	size_t nl = 0;
	text_find_urls(in, size, links, &nl, 8, &a);
	arena_destroy(&a);
	free(out);
	return 0;
}
