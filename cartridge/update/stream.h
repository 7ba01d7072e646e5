/*
 * stream.h - opening a data file (docs/FORMATS.md §2.4) through a small
 * fixed window instead of whole in memory: a streaming form of
 * crypto_aead_xchacha20poly1305_ietf_decrypt (aead_stream.c) and the whole
 * verify / decrypt / inflate pipeline over a file descriptor (datastream.c).
 *
 * The bytes produced are exactly those of the one-shot path (datafile.c);
 * what differs is that plaintext reaches the caller before the tag is
 * checked, so a caller must treat everything it built from it as
 * provisional until update_data_stream() returned 0 (all or nothing).
 *
 * Not for: the payload records (update_format.h, payload.c) or where the
 * file comes from (fetch_stream.c).
 */
#ifndef WHORL_UPDATE_STREAM_H
#define WHORL_UPDATE_STREAM_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "update_format.h"

#define UPDATE_STREAM_WINDOW ((size_t)64 << 10) /* bytes read / inflated per step */
#define UPDATE_STREAM_BLOCK 64                  /* ChaCha20 block */

/* One XChaCha20-Poly1305 (IETF) decryption in progress. Holds key
 * material: update_aead_stream_final() wipes it, on every outcome. */
struct update_aead_stream {
	crypto_onetimeauth_poly1305_state mac;
	uint8_t nonce[UPDATE_NONCE_BYTES];
	uint8_t key[UPDATE_FILE_KEY_BYTES];
	uint8_t ks[UPDATE_STREAM_BLOCK]; /* keystream of the block in use */
	size_t ks_used;                  /* bytes of ks consumed; 64: none left */
	uint64_t block;                  /* counter of the next keystream block */
	uint64_t ad_len, ct_len;
};

/* Starts a decryption under key and nonce with additional data ad[0..ad_len). */
void update_aead_stream_init(struct update_aead_stream *s, const uint8_t *nonce, const uint8_t *key,
                             const uint8_t *ad, size_t ad_len);
/* Authenticates ct[0..n) and writes its plaintext to out (which may be ct).
 * Chunks may have any size. */
void update_aead_stream_update(struct update_aead_stream *s, uint8_t *out, const uint8_t *ct,
                               size_t n);
/* Checks the 16-byte tag in constant time: 0, or WHORL_ESIGNATURE. */
int update_aead_stream_final(struct update_aead_stream *s, const uint8_t *tag);

/* Receives the inflated payload in order, in pieces of at most
 * UPDATE_STREAM_WINDOW bytes; nonzero stops the stream with that code. */
typedef int (*update_data_sink)(void *ctx, const uint8_t *p, size_t n);

/* Opens the data file on fd (read with pread from offset 0; the offset of
 * fd is not used): length and BLAKE2b-256 hash against c in a first pass,
 * nothing decrypted before both match; then decrypts and inflates it in a
 * second pass, at most c->raw_size bytes reaching sink, and checks the tag.
 * 0 only when the tag matched and the stream inflated to exactly
 * c->raw_size bytes with nothing after it. Errors: WHORL_ESIGNATURE (size,
 * hash, tag), WHORL_ELIMIT (inflates past c->raw_size, or raw_size past
 * UPDATE_MAX_INFLATED_BYTES), WHORL_EFORMAT (zlib), WHORL_EIO (errno set),
 * WHORL_ENOMEM, or the sink's code. Working memory: two windows and a zlib
 * stream, whatever the file's size. */
int update_data_stream(int fd, const struct update_cksum *c, update_data_sink sink, void *ctx);

/* The additional data of c's data file into ad (UPDATE_AD_MAX bytes); its length. */
#define UPDATE_AD_MAX 96
size_t update_data_ad(const struct update_cksum *c, char ad[UPDATE_AD_MAX]);

#endif
