/*
 * fuzz_rfc2047.c - libFuzzer target: RFC 2047 header decoding and RFC 2231
 * parameter values (through a Content-Type / Content-Disposition field).
 * The output must be NUL terminated at the reported length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	char *value = malloc(size ? size : 1);
	size_t n;

	memcpy(value, data, size);
	arena_init(&a);
	char *out = mime_header_decode(&a, value, size, &n);
	if (out == NULL || out[n] != '\0')
		abort();
	free(value);
	/* The same bytes as the parameters of a part. */
	static const char pre[] = "Content-Type: application/x; ";
	static const char mid[] = "\nContent-Disposition: attachment; ";
	size_t len = sizeof(pre) - 1 + size + sizeof(mid) - 1 + size + 4;
	char *msg = malloc(len);
	size_t o = 0;
	memcpy(msg + o, pre, sizeof(pre) - 1), o += sizeof(pre) - 1;
	for (size_t i = 0; i < size; i++)
		msg[o++] = data[i] == '\n' ? ' ' : (char)data[i];
	memcpy(msg + o, mid, sizeof(mid) - 1), o += sizeof(mid) - 1;
	for (size_t i = 0; i < size; i++)
		msg[o++] = data[i] == '\n' ? ' ' : (char)data[i];
	memcpy(msg + o, "\n\nx\n", 4), o += 4;
	struct charset_cache *cs = charset_cache_new();
	struct mime_msg m;
	if (mime_parse(&a, cs, msg, o, NULL, &m) == 0)
		(void)strlen(m.parts[0].filename);
	charset_cache_free(cs);
	free(msg);
	arena_destroy(&a);
	return 0;
}
