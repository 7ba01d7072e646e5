/*
 * fuzz_b64qp.c - libFuzzer target: the transfer decoders (base64,
 * quoted-printable in body and header mode, uuencode) with exact output
 * buffers of several capacities, so any write past cap is caught by ASan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/mime/mime.h"

static void run(const char *in, size_t len, size_t cap)
{
	unsigned char *out = malloc(cap ? cap : 1);
	unsigned errs = 0;
	if (mime_base64_decode(in, len, out, cap, &errs) > cap)
		abort();
	if (mime_qp_decode(in, len, out, cap, 0, &errs) > cap)
		abort();
	if (mime_qp_decode(in, len, out, cap, 1, NULL) > cap)
		abort();
	if (mime_uu_decode(in, len, out, cap, &errs) > cap)
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1);
	memcpy(in, data, size);
	run(in, size, size);
	run(in, size, size / 3);
	run(in, size, 1);
	run(in, size, 0);
	free(in);
	return 0;
}
