/*
 * fuzz_html.c - libFuzzer target: html_render() on arbitrary bytes, then
 * text_normalise() and the word iterator on its output; checks the
 * documented output bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/text/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a);
	struct html_out out;
	if (html_render(&a, (const char *)data, size, &out) == 0) {
		if (out.text_len > size || out.text[out.text_len] != '\0' ||
		    out.skeleton_len > HTML_MAX_SKELETON || out.n_links > TEXT_MAX_URLS)
			abort();
		for (size_t i = 0; i < out.n_links; i++)
			if (out.links[i].len > TEXT_MAX_URL_LEN ||
			    strlen(out.links[i].url) != out.links[i].len)
				abort();
		char *norm = malloc(out.text_len + 1);
		size_t n = text_normalise(out.text, out.text_len, norm, out.text_len + 1, NULL);
		if (n > out.text_len)
			abort();
		size_t pos = 0, wlen;
		char join[32];
		while (text_next_word(norm, n, &pos, &wlen, join, sizeof(join)) != NULL)
			if (wlen == 0 || pos > n)
				abort();
		free(norm);
	}
	arena_destroy(&a);
	return 0;
}
