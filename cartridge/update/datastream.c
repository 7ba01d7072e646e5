/*
 * datastream.c - update_data_stream(): open a data file that lives on disk
 * through two fixed windows, so a complete sigs file is never whole on the
 * heap (docs/FORMATS.md §2.4; the one-shot form for small files is
 * datafile.c, and both give the same bytes and the same verdicts).
 *
 * Pass 1 hashes the file (length and BLAKE2b-256 against the signed
 * checksum file); nothing is decrypted before it matches. Pass 2 decrypts
 * window by window (aead_stream.c) and inflates into the output window,
 * stopping as soon as more than the declared raw size comes out. Once an
 * inflate or sink error happened, the rest of the ciphertext is still
 * authenticated so that a wrong key or altered bytes report as an
 * integrity failure, as the one-shot path does.
 *
 * Not for: where the file comes from (fetch_stream.c) or the records.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../../abi/whorl_cartridge.h"
#include "stream.h"

struct data_stream {
	int fd;
	const struct update_cksum *c;
	uint8_t *in, *out; /* UPDATE_STREAM_WINDOW each */
	z_stream zs;
	int z_ended; /* Z_STREAM_END seen */
	update_data_sink sink;
	void *ctx;
};

size_t update_data_ad(const struct update_cksum *c, char ad[UPDATE_AD_MAX])
{
	int n = snprintf(ad, UPDATE_AD_MAX, "whorl-data %d %s %" PRIu64 " %" PRIu64,
	                 UPDATE_FORMAT_VERSION, update_source_name(c->source), c->serial, c->base);
	return (size_t)n;
}

/* Exactly n bytes at off: 0, WHORL_EIO (errno set) or WHORL_ESIGNATURE (the
 * file ends early: it changed under us). */
static int read_at(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t got = pread(fd, buf, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return WHORL_EIO;
		if (got == 0)
			return WHORL_ESIGNATURE;
		buf += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
	return 0;
}

/* Pass 1: the file is c->size bytes whose BLAKE2b-256 is c->hash. */
static int hash_check(struct data_stream *ds)
{
	crypto_generichash_state h;
	uint8_t hash[UPDATE_HASH_BYTES];
	uint64_t size = ds->c->size;
	struct stat st;
	int rc;

	if (fstat(ds->fd, &st) != 0)
		return WHORL_EIO;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		return WHORL_ESIGNATURE;
	crypto_generichash_init(&h, NULL, 0, sizeof hash);
	for (uint64_t off = 0; off < size;) {
		size_t k =
		    size - off < UPDATE_STREAM_WINDOW ? (size_t)(size - off) : UPDATE_STREAM_WINDOW;
		if ((rc = read_at(ds->fd, ds->in, k, off)) != 0)
			return rc;
		crypto_generichash_update(&h, ds->in, k);
		off += k;
	}
	crypto_generichash_final(&h, hash, sizeof hash);
	return sodium_memcmp(hash, ds->c->hash, sizeof hash) == 0 ? 0 : WHORL_ESIGNATURE;
}

/* Feeds plaintext p[0..n) to zlib and what comes out to the sink. */
static int inflate_feed(struct data_stream *ds, const uint8_t *p, size_t n)
{
	z_stream *zs = &ds->zs;

	zs->next_in = (Bytef *)p;
	zs->avail_in = (uInt)n;
	for (;;) {
		size_t made;
		int zrc, rc;

		if (ds->z_ended)
			return zs->avail_in ? WHORL_EFORMAT : 0; /* bytes after the stream */
		zs->next_out = ds->out;
		zs->avail_out = (uInt)UPDATE_STREAM_WINDOW;
		zrc = inflate(zs, Z_NO_FLUSH);
		made = UPDATE_STREAM_WINDOW - zs->avail_out;
		if (zrc == Z_BUF_ERROR && made == 0)
			return zs->avail_in ? WHORL_EFORMAT : 0; /* wants more input */
		if (zrc != Z_OK && zrc != Z_STREAM_END)
			return WHORL_EFORMAT;
		if (zs->total_out > ds->c->raw_size)
			return WHORL_ELIMIT; /* a bomb or a lie: stop at the cap */
		if (made && (rc = ds->sink(ds->ctx, ds->out, made)) != 0)
			return rc;
		ds->z_ended = zrc == Z_STREAM_END;
		if (!ds->z_ended && zs->avail_in == 0 && zs->avail_out != 0)
			return 0; /* all taken, nothing held back */
	}
}

/* Pass 2: decrypt and inflate the ciphertext, then check the tag. */
static int decrypt_pass(struct data_stream *ds)
{
	uint64_t ct_end = ds->c->size - UPDATE_TAG_BYTES;
	uint8_t nonce[UPDATE_NONCE_BYTES], tag[UPDATE_TAG_BYTES];
	struct update_aead_stream aead;
	char ad[UPDATE_AD_MAX];
	int rc, err = 0;

	if ((rc = read_at(ds->fd, nonce, sizeof nonce, 0)) != 0 ||
	    (rc = read_at(ds->fd, tag, sizeof tag, ct_end)) != 0)
		return rc;
	update_aead_stream_init(&aead, nonce, ds->c->file_key, (const uint8_t *)ad,
	                        update_data_ad(ds->c, ad));
	for (uint64_t off = UPDATE_NONCE_BYTES; off < ct_end;) {
		size_t k = ct_end - off < UPDATE_STREAM_WINDOW ? (size_t)(ct_end - off)
		                                               : UPDATE_STREAM_WINDOW;
		if ((rc = read_at(ds->fd, ds->in, k, off)) != 0)
			break;
		update_aead_stream_update(&aead, ds->in, ds->in, k);
		if (!err)
			err = inflate_feed(ds, ds->in, k);
		off += k;
	}
	if (update_aead_stream_final(&aead, tag) != 0 && rc == 0)
		rc = WHORL_ESIGNATURE;
	if (rc != 0)
		return rc;
	if (err)
		return err;
	return ds->z_ended && ds->zs.total_out == ds->c->raw_size ? 0 : WHORL_EFORMAT;
}

int update_data_stream(int fd, const struct update_cksum *c, update_data_sink sink, void *ctx)
{
	struct data_stream ds = { .fd = fd, .c = c, .sink = sink, .ctx = ctx };
	int rc;

	if (c->size < UPDATE_NONCE_BYTES + UPDATE_TAG_BYTES || c->size > UPDATE_MAX_FILE_BYTES)
		return WHORL_ESIGNATURE;
	if (c->raw_size > UPDATE_MAX_INFLATED_BYTES)
		return WHORL_ELIMIT;
	ds.in = malloc(UPDATE_STREAM_WINDOW);
	ds.out = malloc(UPDATE_STREAM_WINDOW);
	rc = WHORL_ENOMEM;
	if (!ds.in || !ds.out || inflateInit(&ds.zs) != Z_OK)
		goto out;
	if ((rc = hash_check(&ds)) == 0)
		rc = decrypt_pass(&ds);
	inflateEnd(&ds.zs);
out:
	free(ds.in);
	free(ds.out);
	return rc;
}
