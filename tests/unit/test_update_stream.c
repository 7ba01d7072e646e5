/*
 * test_update_stream.c - the streaming forms of opening a data file and
 * parsing its payload give exactly what the one-shot forms give:
 * update_aead_stream_* against crypto_aead_xchacha20poly1305_ietf_decrypt
 * (many lengths and piece sizes; a flipped byte in ciphertext, tag, nonce
 * or additional data is refused), update_data_stream against
 * update_data_open (and its refusals), and the payload stream parser fed
 * in pieces against update_payload_parse.
 */
#include <check.h>

#include "check_main.h"
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/update/stream.h"
#include "../../cartridge/update/update_format.h"

#define AD_BYTES 37

static const size_t piece_sizes[] = { 1, 3, 16, 63, 64, 65, 100, 127, 128, 1000, 4096, 70000 };
#define N_PIECES (sizeof piece_sizes / sizeof piece_sizes[0])

struct sealed {
	uint8_t key[32], nonce[24], ad[AD_BYTES];
	uint8_t *ct; /* ciphertext || tag */
	size_t ct_len, msg_len;
	uint8_t *msg;
};

static void seal(struct sealed *s, size_t len)
{
	unsigned long long n;

	memset(s, 0, sizeof *s);
	randombytes_buf(s->key, sizeof s->key);
	randombytes_buf(s->nonce, sizeof s->nonce);
	randombytes_buf(s->ad, sizeof s->ad);
	s->msg_len = len;
	s->msg = malloc(len + 1);
	s->ct = malloc(len + UPDATE_TAG_BYTES);
	ck_assert_ptr_nonnull(s->msg);
	ck_assert_ptr_nonnull(s->ct);
	randombytes_buf(s->msg, len);
	crypto_aead_xchacha20poly1305_ietf_encrypt(s->ct, &n, s->msg, len, s->ad, sizeof s->ad,
	                                           NULL, s->nonce, s->key);
	s->ct_len = (size_t)n;
}

static void sealed_free(struct sealed *s)
{
	free(s->msg);
	free(s->ct);
}

/* Streams s's ciphertext in pieces of `piece` bytes (the last shorter);
 * the plaintext into out, the tag check's result returned. */
static int stream_open(const struct sealed *s, size_t piece, uint8_t *out)
{
	struct update_aead_stream a;
	size_t len = s->ct_len - UPDATE_TAG_BYTES;

	update_aead_stream_init(&a, s->nonce, s->key, s->ad, sizeof s->ad);
	for (size_t off = 0; off < len; off += piece) {
		size_t k = len - off < piece ? len - off : piece;
		update_aead_stream_update(&a, out + off, s->ct + off, k);
	}
	return update_aead_stream_final(&a, s->ct + len);
}

START_TEST(test_aead_equals_one_shot)
{
	static const size_t lens[] = { 0,   1,   15,  16,   17,   63,    64,    65,
		                       127, 128, 129, 1000, 4095, 65536, 65537, 200003 };

	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		struct sealed s;
		unsigned long long n;
		uint8_t *ref, *got;

		seal(&s, lens[i]);
		ref = malloc(lens[i] + 1);
		got = malloc(lens[i] + 1);
		ck_assert_int_eq(
		    crypto_aead_xchacha20poly1305_ietf_decrypt(ref, &n, NULL, s.ct, s.ct_len, s.ad,
		                                               sizeof s.ad, s.nonce, s.key),
		    0);
		ck_assert_uint_eq(n, lens[i]);
		ck_assert_int_eq(memcmp(ref, s.msg, lens[i]), 0);
		for (size_t p = 0; p < N_PIECES; p++) {
			memset(got, 0xa5, lens[i] + 1);
			ck_assert_int_eq(stream_open(&s, piece_sizes[p], got), 0);
			ck_assert_msg(memcmp(got, ref, lens[i]) == 0, "len %zu piece %zu", lens[i],
			              piece_sizes[p]);
		}
		free(ref);
		free(got);
		sealed_free(&s);
	}
}
END_TEST

/* Random lengths and random piece boundaries, in place. */
START_TEST(test_aead_random_pieces)
{
	for (int round = 0; round < 200; round++) {
		struct sealed s;
		struct update_aead_stream a;
		size_t len = randombytes_uniform(5000), ct = 0;
		uint8_t *buf;

		seal(&s, len);
		buf = malloc(len + 1);
		memcpy(buf, s.ct, len);
		update_aead_stream_init(&a, s.nonce, s.key, s.ad, sizeof s.ad);
		while (ct < len) {
			size_t k = 1 + randombytes_uniform(300);
			if (k > len - ct)
				k = len - ct;
			update_aead_stream_update(&a, buf + ct, buf + ct, k);
			ct += k;
		}
		ck_assert_int_eq(update_aead_stream_final(&a, s.ct + len), 0);
		ck_assert_int_eq(memcmp(buf, s.msg, len), 0);
		free(buf);
		sealed_free(&s);
	}
}
END_TEST

START_TEST(test_aead_refuses_flips)
{
	struct sealed s;
	uint8_t *out;
	size_t len = 3000;

	seal(&s, len);
	out = malloc(len);
	for (size_t pos = 0; pos < s.ct_len; pos += 97) { /* ciphertext and tag */
		s.ct[pos] ^= 1;
		ck_assert_int_eq(stream_open(&s, 64, out), WHORL_ESIGNATURE);
		s.ct[pos] ^= 1;
	}
	for (size_t t = 0; t < UPDATE_TAG_BYTES; t++) {
		s.ct[len + t] ^= 0x80;
		ck_assert_int_eq(stream_open(&s, 1000, out), WHORL_ESIGNATURE);
		s.ct[len + t] ^= 0x80;
	}
	for (size_t k = 0; k < sizeof s.nonce; k++) {
		s.nonce[k] ^= 4;
		ck_assert_int_eq(stream_open(&s, 128, out), WHORL_ESIGNATURE);
		s.nonce[k] ^= 4;
	}
	for (size_t k = 0; k < sizeof s.ad; k++) {
		s.ad[k] ^= 2;
		ck_assert_int_eq(stream_open(&s, 65, out), WHORL_ESIGNATURE);
		s.ad[k] ^= 2;
	}
	ck_assert_int_eq(stream_open(&s, 65, out), 0);
	free(out);
	sealed_free(&s);
}
END_TEST

/* ---- update_data_stream over a file against update_data_open ---- */

struct collect {
	uint8_t *buf;
	size_t len, cap;
};

static int collect_sink(void *ctx, const uint8_t *p, size_t n)
{
	struct collect *c = ctx;

	ck_assert_uint_le(n, UPDATE_STREAM_WINDOW);
	ck_assert_uint_le(c->len + n, c->cap);
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	return 0;
}

static int temp_file(const uint8_t *p, size_t n)
{
	char path[] = "/tmp/test_update_stream.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	return fd;
}

static int stream_file(const uint8_t *file, size_t len, const struct update_cksum *c,
                       struct collect *out)
{
	int fd = temp_file(file, len), rc;

	out->len = 0;
	rc = update_data_stream(fd, c, collect_sink, out);
	close(fd);
	return rc;
}

static void make_payload(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i % 251 < 200 ? i % 7 : randombytes_uniform(256));
}

START_TEST(test_data_stream_equals_open)
{
	static const size_t lens[] = { 0, 1, 1000, 65535, 65536, 300001 };

	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		struct update_cksum c = { .source = UPDATE_SRC_SIGS, .serial = 7, .base = 0 };
		uint8_t *payload = malloc(lens[i] + 1), *file, *ref;
		struct collect out = { .buf = malloc(lens[i] + 1), .cap = lens[i] };
		size_t flen;

		make_payload(payload, lens[i]);
		ck_assert_int_eq(update_data_seal(payload, lens[i], &c, &file, &flen), 0);
		ck_assert_int_eq(update_data_open(file, flen, &c, &ref), 0);
		ck_assert_int_eq(stream_file(file, flen, &c, &out), 0);
		ck_assert_uint_eq(out.len, lens[i]);
		ck_assert_int_eq(memcmp(out.buf, ref, lens[i]), 0);
		ck_assert_int_eq(memcmp(out.buf, payload, lens[i]), 0);
		free(ref);
		free(file);
		free(out.buf);
		free(payload);
	}
}
END_TEST

START_TEST(test_data_stream_refusals)
{
	struct update_cksum c = { .source = UPDATE_SRC_SIGS, .serial = 7, .base = 0 }, bad;
	size_t len = 200000, flen;
	uint8_t *payload = malloc(len), *file;
	struct collect out = { .buf = malloc(len + UPDATE_STREAM_WINDOW), .cap = len };

	make_payload(payload, len);
	ck_assert_int_eq(update_data_seal(payload, len, &c, &file, &flen), 0);
	file[flen / 2] ^= 1; /* flipped byte: hash */
	ck_assert_int_eq(stream_file(file, flen, &c, &out), WHORL_ESIGNATURE);
	ck_assert_uint_eq(out.len, 0); /* nothing decrypted */
	file[flen / 2] ^= 1;
	ck_assert_int_eq(stream_file(file, flen - 1, &c, &out), WHORL_ESIGNATURE); /* truncated */
	bad = c;
	bad.file_key[0] ^= 1; /* hash fine, wrong key */
	ck_assert_int_eq(stream_file(file, flen, &bad, &out), WHORL_ESIGNATURE);
	bad = c;
	bad.serial = 8; /* additional data differs */
	ck_assert_int_eq(stream_file(file, flen, &bad, &out), WHORL_ESIGNATURE);
	bad = c;
	bad.raw_size = len - 1; /* inflates past the cap */
	out.cap = len + UPDATE_STREAM_WINDOW;
	ck_assert_int_eq(stream_file(file, flen, &bad, &out), WHORL_ELIMIT);
	ck_assert_uint_le(out.len, len - 1);
	bad.raw_size = len + 1; /* ends short of its size */
	ck_assert_int_eq(stream_file(file, flen, &bad, &out), WHORL_EFORMAT);
	ck_assert_int_eq(stream_file(file, flen, &c, &out), 0);
	free(file);
	free(out.buf);
	free(payload);
}
END_TEST

/* ---- payload stream parser against the one-shot parse ---- */

struct digest {
	uint64_t h;
	size_t n;
	int stop_at; /* fn fails at this record (0: never) */
};

static int digest_record(void *ctx, const struct update_record *r)
{
	struct digest *d = ctx;
	uint8_t enc[UPDATE_MAX_RECORD_BYTES];
	size_t n = update_record_encode(enc, r);

	d->h = d->h * 1099511628211ull ^ n;
	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ enc[i]) * 1099511628211ull;
	d->n++;
	return d->stop_at && (int)d->n == d->stop_at ? WHORL_ELIMIT : 0;
}

/* A payload of n records of every kind (deletes only in a delta). */
static size_t build_payload(uint8_t *out, int kind, uint32_t n)
{
	size_t pos = UPDATE_PAYLOAD_HEADER_BYTES;
	uint8_t sk[UPDATE_MAX_SKETCH_BYTES];

	update_payload_header(out, kind, n);
	for (uint32_t i = 0; i < n; i++) {
		struct update_record r = { .engine = 1 + i % WHORL_FP_ENGINE_MAX,
			                   .algo = 1,
			                   .key = 0x1234567ull * (i + 1),
			                   .meta = { .category = 1, .confidence = 90 } };
		uint32_t pick = kind == UPDATE_KIND_COMPLETE ? i % 2 : i % 4;
		r.tag = (uint8_t[]){ UPDATE_REC_FP_PUT, UPDATE_REC_SK_PUT, UPDATE_REC_FP_DEL,
			             UPDATE_REC_SK_DEL }[pick];
		if (r.tag == UPDATE_REC_SK_PUT) {
			r.len = (uint16_t)(1 + (i * 37) % UPDATE_MAX_SKETCH_BYTES);
			randombytes_buf(sk, r.len);
			r.bytes = sk;
			r.key = update_sketch_id(sk, r.len);
		}
		pos += update_record_encode(out + pos, &r);
	}
	return pos;
}

static int parse_pieces(const uint8_t *p, size_t len, int kind, const size_t *cuts, size_t n_cuts,
                        struct digest *d)
{
	struct update_payload_stream ps;
	size_t at = 0;

	update_payload_stream_init(&ps, kind, digest_record, d);
	for (size_t i = 0; i <= n_cuts; i++) {
		size_t end = i < n_cuts ? cuts[i] : len;
		(void)update_payload_stream_feed(&ps, p + at, end - at);
		at = end;
	}
	return update_payload_stream_finish(&ps);
}

static void compare_random_splits(const uint8_t *p, size_t len, int kind, int stop_at)
{
	struct digest one = { .stop_at = stop_at };
	int rc = update_payload_parse(p, len, kind, digest_record, &one);

	for (int round = 0; round < 50; round++) {
		size_t cuts[64], n_cuts = randombytes_uniform(64);
		struct digest d = { .stop_at = stop_at };
		for (size_t i = 0; i < n_cuts; i++)
			cuts[i] = len ? randombytes_uniform((uint32_t)len + 1) : 0;
		for (size_t i = 1; i < n_cuts; i++) /* sorted: pieces in order */
			for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
				size_t t = cuts[j];
				cuts[j] = cuts[j - 1];
				cuts[j - 1] = t;
			}
		ck_assert_int_eq(parse_pieces(p, len, kind, cuts, n_cuts, &d), rc);
		ck_assert_uint_eq(d.n, one.n);
		ck_assert_uint_eq(d.h, one.h);
	}
}

START_TEST(test_payload_stream_equals_parse)
{
	size_t cap = UPDATE_PAYLOAD_HEADER_BYTES + 500 * UPDATE_MAX_RECORD_BYTES;
	uint8_t *p = malloc(cap + 8);
	struct digest d = { 0 };
	size_t len;

	for (int kind = 0; kind <= 1; kind++) {
		len = build_payload(p, kind, 500);
		ck_assert_int_eq(update_payload_parse(p, len, kind, digest_record, &d), 0);
		ck_assert_uint_eq(d.n, 500);
		d.n = 0;
		compare_random_splits(p, len, kind, 0);
		compare_random_splits(p, len, kind, 123);   /* fn stops it */
		compare_random_splits(p, len - 5, kind, 0); /* truncated */
		compare_random_splits(p, 7, kind, 0);       /* inside the header */
		p[len] = 0;
		compare_random_splits(p, len + 1, kind, 0); /* a byte after the last */
		compare_random_splits(p, len, 1 - kind, 0); /* the other kind */
		for (int k = 0; k < 40; k++) {              /* random damage */
			size_t at = randombytes_uniform((uint32_t)len);
			uint8_t was = p[at];
			p[at] = (uint8_t)randombytes_uniform(256);
			compare_random_splits(p, len, kind, 0);
			p[at] = was;
		}
	}
	free(p);
}
END_TEST

/* One byte at a time, every record straddling a boundary. */
START_TEST(test_payload_stream_bytewise)
{
	uint8_t *p = malloc(UPDATE_PAYLOAD_HEADER_BYTES + 50 * UPDATE_MAX_RECORD_BYTES);
	size_t len = build_payload(p, UPDATE_KIND_DELTA, 50);
	struct digest one = { 0 }, d = { 0 };
	struct update_payload_stream ps;

	ck_assert_int_eq(update_payload_parse(p, len, UPDATE_KIND_DELTA, digest_record, &one), 0);
	update_payload_stream_init(&ps, UPDATE_KIND_DELTA, digest_record, &d);
	for (size_t i = 0; i < len; i++)
		ck_assert_int_eq(update_payload_stream_feed(&ps, p + i, 1), 0);
	ck_assert_int_eq(update_payload_stream_finish(&ps), 0);
	ck_assert_uint_eq(d.h, one.h);
	ck_assert_uint_eq(d.n, 50);
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("update_stream");
	TCase *tc = tcase_create("update_stream");

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_aead_equals_one_shot);
	tcase_add_test(tc, test_aead_random_pieces);
	tcase_add_test(tc, test_aead_refuses_flips);
	tcase_add_test(tc, test_data_stream_equals_open);
	tcase_add_test(tc, test_data_stream_refusals);
	tcase_add_test(tc, test_payload_stream_equals_parse);
	tcase_add_test(tc, test_payload_stream_bytewise);
	suite_add_tcase(s, tc);
	return check_run(s);
}
