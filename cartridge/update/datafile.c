/*
 * datafile.c - seal and open data files: zlib-compressed payload encrypted
 * with XChaCha20-Poly1305 under a per-file key (docs/FORMATS.md §2.4).
 *
 * Opening checks, in order: length, BLAKE2b-256 hash, authenticated
 * decryption (additional data binds source, serial and base), then inflates
 * into a buffer of exactly the declared raw size, so a compression bomb is
 * stopped by the buffer bound while inflating.
 *
 * The same checks over a file on disk, through a fixed window, are
 * datastream.c; this one-shot form serves deltas and text sources.
 *
 * Not for: the payload records (payload.c).
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../abi/whorl_cartridge.h"
#include "stream.h"

/* Inflates z[0..zlen) into exactly raw_size bytes at out. */
static int data_inflate(const uint8_t *z, size_t zlen, uint8_t *out, uint64_t raw_size)
{
	z_stream zs;
	int zrc, rc;

	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		return WHORL_ENOMEM;
	zs.next_in = (Bytef *)z;
	zs.avail_in = (uInt)zlen;
	zs.next_out = out;
	zs.avail_out = (uInt)raw_size;
	zrc = inflate(&zs, Z_FINISH);
	if (zrc == Z_STREAM_END)
		rc = (zs.total_out == raw_size && zs.avail_in == 0) ? 0 : WHORL_EFORMAT;
	else if ((zrc == Z_BUF_ERROR || zrc == Z_OK) && zs.avail_out == 0)
		rc = WHORL_ELIMIT; /* more output than declared: a bomb or a lie */
	else
		rc = WHORL_EFORMAT; /* corrupt or truncated stream */
	inflateEnd(&zs);
	return rc;
}

int update_data_open(const uint8_t *file, size_t len, const struct update_cksum *c,
                     uint8_t **payload_out)
{
	uint8_t hash[UPDATE_HASH_BYTES];
	char ad[UPDATE_AD_MAX];
	uint8_t *plain = NULL, *payload = NULL;
	unsigned long long plain_len;
	int rc;

	*payload_out = NULL;
	if (len != c->size || len < UPDATE_NONCE_BYTES + UPDATE_TAG_BYTES)
		return WHORL_ESIGNATURE;
	if (c->raw_size > UPDATE_MAX_INFLATED_BYTES)
		return WHORL_ELIMIT;
	crypto_generichash(hash, sizeof hash, file, len, NULL, 0);
	if (sodium_memcmp(hash, c->hash, sizeof hash) != 0)
		return WHORL_ESIGNATURE;
	plain = malloc(len - UPDATE_NONCE_BYTES);
	payload = malloc(c->raw_size ? c->raw_size : 1);
	rc = WHORL_ENOMEM;
	if (!plain || !payload)
		goto out;
	rc = WHORL_ESIGNATURE;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	        plain, &plain_len, NULL, file + UPDATE_NONCE_BYTES, len - UPDATE_NONCE_BYTES,
	        (const uint8_t *)ad, update_data_ad(c, ad), file, c->file_key) != 0)
		goto out;
	rc = data_inflate(plain, (size_t)plain_len, payload, c->raw_size);
	if (rc == 0) {
		*payload_out = payload;
		payload = NULL;
	}
out:
	free(plain);
	free(payload);
	return rc;
}

int update_data_seal(const uint8_t *payload, size_t len, struct update_cksum *c, uint8_t **file_out,
                     size_t *file_len)
{
	uLongf zlen = compressBound(len);
	uint8_t *z = NULL, *file = NULL;
	char ad[UPDATE_AD_MAX];
	unsigned long long ct_len;
	int rc = WHORL_ELIMIT;

	*file_out = NULL;
	if (len > UPDATE_MAX_INFLATED_BYTES)
		goto out;
	rc = WHORL_ENOMEM;
	z = malloc(zlen);
	file = malloc(UPDATE_NONCE_BYTES + zlen + UPDATE_TAG_BYTES);
	if (!z || !file || compress2(z, &zlen, payload, len, 6) != Z_OK)
		goto out;
	rc = WHORL_ELIMIT;
	if (UPDATE_NONCE_BYTES + zlen + UPDATE_TAG_BYTES > UPDATE_MAX_FILE_BYTES)
		goto out;
	c->raw_size = len;
	crypto_aead_xchacha20poly1305_ietf_keygen(c->file_key);
	randombytes_buf(file, UPDATE_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(file + UPDATE_NONCE_BYTES, &ct_len, z, zlen,
	                                           (const uint8_t *)ad, update_data_ad(c, ad), NULL,
	                                           file, c->file_key);
	*file_len = UPDATE_NONCE_BYTES + (size_t)ct_len;
	c->size = *file_len;
	crypto_generichash(c->hash, sizeof c->hash, file, *file_len, NULL, 0);
	*file_out = file;
	file = NULL;
	rc = 0;
out:
	free(z);
	free(file);
	return rc;
}
