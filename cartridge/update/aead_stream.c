/*
 * aead_stream.c - XChaCha20-Poly1305 (IETF) decryption in pieces, giving
 * exactly what crypto_aead_xchacha20poly1305_ietf_decrypt() gives for the
 * whole message:
 *
 *   poly1305 key = first 32 bytes of XChaCha20(key, nonce) block 0
 *   plaintext    = ciphertext XOR XChaCha20(key, nonce) from block 1 on
 *   tag          = Poly1305(ad || pad16 || ct || pad16 || le64(|ad|) || le64(|ct|))
 *
 * Pieces may have any size: a partly used keystream block is kept for the
 * next piece, whole blocks go through crypto_stream_xchacha20_xor_ic().
 *
 * Not for: files, hashes or inflating (datastream.c).
 */
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "stream.h"

#define POLY_KEY_BYTES 32
#define PAD_BYTES 16

static const uint8_t zeros[UPDATE_STREAM_BLOCK];

static void mac_pad16(struct update_aead_stream *s, uint64_t len)
{
	if (len % PAD_BYTES)
		crypto_onetimeauth_poly1305_update(&s->mac, zeros, PAD_BYTES - len % PAD_BYTES);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void update_aead_stream_init(struct update_aead_stream *s, const uint8_t *nonce, const uint8_t *key,
                             const uint8_t *ad, size_t ad_len)
{
	uint8_t block0[UPDATE_STREAM_BLOCK];

	memset(s, 0, sizeof *s);
	memcpy(s->nonce, nonce, sizeof s->nonce);
	memcpy(s->key, key, sizeof s->key);
	crypto_stream_xchacha20(block0, sizeof block0, s->nonce, s->key);
	crypto_onetimeauth_poly1305_init(&s->mac, block0);
	sodium_memzero(block0, sizeof block0);
	crypto_onetimeauth_poly1305_update(&s->mac, ad, ad_len);
	mac_pad16(s, ad_len);
	s->ad_len = ad_len;
	s->block = 1;
	s->ks_used = UPDATE_STREAM_BLOCK;
}

/* XORs up to n bytes with what is left of the current keystream block. */
static size_t xor_leftover(struct update_aead_stream *s, uint8_t *out, const uint8_t *ct, size_t n)
{
	size_t k = UPDATE_STREAM_BLOCK - s->ks_used;

	if (k > n)
		k = n;
	for (size_t i = 0; i < k; i++)
		out[i] = ct[i] ^ s->ks[s->ks_used + i];
	s->ks_used += k;
	return k;
}

void update_aead_stream_update(struct update_aead_stream *s, uint8_t *out, const uint8_t *ct,
                               size_t n)
{
	size_t done, whole;

	crypto_onetimeauth_poly1305_update(&s->mac, ct, n); /* before out may overwrite ct */
	s->ct_len += n;
	done = xor_leftover(s, out, ct, n);
	whole = (n - done) / UPDATE_STREAM_BLOCK * UPDATE_STREAM_BLOCK;
	if (whole) {
		crypto_stream_xchacha20_xor_ic(out + done, ct + done, whole, s->nonce, s->block,
		                               s->key);
		s->block += whole / UPDATE_STREAM_BLOCK;
		done += whole;
	}
	if (done < n) {
		crypto_stream_xchacha20_xor_ic(s->ks, zeros, sizeof s->ks, s->nonce, s->block++,
		                               s->key);
		s->ks_used = 0;
		(void)xor_leftover(s, out + done, ct + done, n - done);
	}
}

int update_aead_stream_final(struct update_aead_stream *s, const uint8_t *tag)
{
	uint8_t lens[16], mac[UPDATE_TAG_BYTES];
	int ok;

	mac_pad16(s, s->ct_len);
	put_le64(lens, s->ad_len);
	put_le64(lens + 8, s->ct_len);
	crypto_onetimeauth_poly1305_update(&s->mac, lens, sizeof lens);
	crypto_onetimeauth_poly1305_final(&s->mac, mac);
	ok = sodium_memcmp(mac, tag, sizeof mac) == 0;
	sodium_memzero(mac, sizeof mac);
	sodium_memzero(s, sizeof *s);
	return ok ? 0 : WHORL_ESIGNATURE;
}
