/*
 * fuzz_state.c - the state-file parser (srl_set.*) on arbitrary bytes: no
 * crash, no read past the input, and what it accepts formats back to text
 * that parses to the same set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cartridge/update/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct update_set a, b;
	char buf[UPDATE_STATE_MAX_BYTES * 2];
	char *copy = malloc(size ? size : 1);
	int line;

	if (!copy)
		return 0;
	memcpy(copy, data, size); /* exact bounds: ASan sees any over-read */
	if (update_set_parse(copy, size, &a, &line) == 0) {
		long n = update_set_format(&a, buf, sizeof buf);
		if (n < 0 || update_set_parse(buf, (size_t)n, &b, &line) != 0 ||
		    !update_set_same(&a, &b) || a.manifest_serial != b.manifest_serial)
			abort();
	}
	free(copy);
	return 0;
}
