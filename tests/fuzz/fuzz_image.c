/*
 * fuzz_image.c - libFuzzer target for the image decoders (cartridge/img/).
 *
 * The first byte picks a magic to prepend (0: none, the input is used as
 * is; 1: GIF89a; 2: PNG signature; 3: JPEG SOI), so the fuzzer reaches all
 * three decoders even from junk; the rest is the file. Checks that a hash
 * comes with sane info and that the header-only probe agrees with the full
 * decode about the format.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/img/img.h"

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t gif[] = { 'G', 'I', 'F', '8', '9', 'a' };
	static const uint8_t png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static const uint8_t jpeg[] = { 0xff, 0xd8, 0xff };
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	const uint8_t *magic = NULL;
	size_t magic_len = 0;
	switch (data[0] & 3) {
	case 1: magic = gif; magic_len = sizeof(gif); break;
	case 2: magic = png; magic_len = sizeof(png); break;
	case 3: magic = jpeg; magic_len = sizeof(jpeg); break;
	default: break;
	}
	size_t len = magic_len + size - 1;
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return 0;
	if (magic_len)
		memcpy(buf, magic, magic_len);
	memcpy(buf + magic_len, data + 1, size - 1);
	struct img_info info, probe;
	uint64_t hash;
	int rc = img_phash(buf, len, &info, &hash);
	int prc = img_probe(buf, len, &probe);
	if (rc == 0 || rc == WHORL_ENODATA) {
		if (info.width == 0 || info.height == 0 || info.width > IMG_MAX_WIDTH ||
		    info.height > IMG_MAX_HEIGHT || prc != 0 || probe.format != info.format)
			abort();
	}
	free(buf);
	return 0;
}
