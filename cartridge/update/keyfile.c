/*
 * keyfile.c - the pinned publisher public key file: 64 hex digits (white
 * space around them allowed), or exactly 32 raw bytes.
 *
 * Not for: the publisher's secret key (publisher/lib).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "update_format.h"
#include "update_internal.h"
#include "../util/file_read.h"
#include "../util/hex.h"

#define KEYFILE_MAX_BYTES 256 /* hex plus generous white space */

static int key_from_hex(const uint8_t *p, size_t n, uint8_t pk[UPDATE_KEY_BYTES])
{
	size_t got = 0;

	for (size_t i = 0; i < n; i++) {
		int v;
		if (isspace(p[i]))
			continue;
		if ((v = hex_digit_value(p[i])) < 0 || got == 2 * UPDATE_KEY_BYTES)
			return WHORL_EFORMAT;
		if (got % 2 == 0)
			pk[got / 2] = (uint8_t)(v << 4);
		else
			pk[got / 2] |= (uint8_t)v;
		got++;
		if (got < 2 * UPDATE_KEY_BYTES || i + 1 == n)
			continue;
		for (size_t k = i + 1; k < n; k++) /* only white space may follow */
			if (!isspace(p[k]))
				return WHORL_EFORMAT;
		return 0;
	}
	return got == 2 * UPDATE_KEY_BYTES ? 0 : WHORL_EFORMAT;
}

int update_pubkey_load(const char *path, uint8_t pk[UPDATE_KEY_BYTES], int *why)
{
	char *buf = NULL;
	size_t len = 0;
	int own_why = 0;
	int rc = file_read_whole(path, 0, KEYFILE_MAX_BYTES, &buf, &len, why ? why : &own_why);

	if (rc == WHORL_ELIMIT)
		rc = WHORL_EFORMAT;
	if (rc != 0)
		return rc;
	if (len == UPDATE_KEY_BYTES) /* 32 bytes cannot be 64 hex digits */
		memcpy(pk, buf, UPDATE_KEY_BYTES);
	else
		rc = key_from_hex((const uint8_t *)buf, len, pk);
	free(buf);
	return rc;
}
