/*
 * seal.c - the statistics block of a report, as the POST body of the
 * guide's Table 2: the report text is zlib-compressed (compress2), sealed
 * to the collector's X25519 public key with libsodium's crypto_box_seal
 * (an ephemeral key pair per report, so gateways share no secret), and
 * base64-encoded; "encoding = c,s" says so. docs/FORMATS.md explains why
 * this replaces the guide's AES under a key embedded in every cartridge.
 *
 * Not for: building the text (report.c) or sending it (post.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#include "report.h"

int stats_seal(const char *text, size_t len, const uint8_t pk[32], char **body, size_t *body_len,
               const char **stage)
{
	*body = NULL;
	*stage = "compress";
	uLongf zlen = compressBound((uLong)len);
	uint8_t *z = malloc(zlen + crypto_box_SEALBYTES);
	uint8_t *sealed = malloc(zlen + crypto_box_SEALBYTES);
	int rc = WHORL_ENOMEM;
	if (z == NULL || sealed == NULL)
		goto out;
	rc = WHORL_EFORMAT;
	if (compress2(z, &zlen, (const Bytef *)text, (uLong)len, Z_BEST_COMPRESSION) != Z_OK)
		goto out;
	*stage = "encrypt";
	if (sodium_init() < 0 || crypto_box_seal(sealed, z, zlen, pk) != 0)
		goto out;
	*stage = "encode";
	struct sbuf b = { 0 };
	sbuf_printf(&b, "report = spamdna stats\nversion = %d\nencoding = c,s\nstats = ",
	            STATS_REPORT_VERSION);
	sbuf_base64(&b, sealed, zlen + crypto_box_SEALBYTES);
	sbuf_printf(&b, "\n");
	rc = WHORL_ENOMEM;
	if (b.failed) {
		free(b.s);
		goto out;
	}
	*body = b.s;
	*body_len = b.len;
	rc = 0;
out:
	free(z);
	free(sealed);
	return rc;
}
