/*
 * fuzz_net_header.c - net_header_parse() on arbitrary bytes: the one place
 * the update client reads a mirror's response headers itself (libcurl
 * frames them). Must never read past len; the ETag kept is NUL terminated
 * and shorter than its buffer.
 */
#include <stdint.h>
#include <string.h>

#include "cartridge/update/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_reply r;

	memset(&r, 0, sizeof r);
	r.content_length = -1;
	net_header_parse((const char *)data, size, &r);
	if (strnlen(r.etag, sizeof r.etag) >= sizeof r.etag || r.content_length < -1)
		__builtin_trap();
	return 0;
}
