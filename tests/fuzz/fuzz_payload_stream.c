/*
 * fuzz_payload_stream.c - libFuzzer target for the streaming payload
 * parser: the input (after two control bytes: kind, split seed) is parsed
 * whole with update_payload_parse(), then fed to update_payload_stream_*
 * in pieces cut at pseudo-random points; the records seen (in order) and
 * the result must be the same, or the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cartridge/update/update_format.h"

#define MAX_PIECES 32

struct digest {
	uint64_t h;
	size_t n;
};

static int digest_record(void *ctx, const struct update_record *r)
{
	struct digest *d = ctx;
	uint8_t enc[UPDATE_MAX_RECORD_BYTES];
	size_t n;

	if (r->tag == UPDATE_REC_SK_PUT && (r->len == 0 || r->len > UPDATE_MAX_SKETCH_BYTES))
		abort();
	n = update_record_encode(enc, r);
	d->h = (d->h ^ n) * 1099511628211ull;
	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ enc[i]) * 1099511628211ull;
	d->n++;
	return 0;
}

static uint32_t next_rand(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct update_payload_stream ps;
	struct digest one = { 0 }, split = { 0 };
	uint32_t seed;
	size_t at = 0;
	int kind, rc_one, rc_split;

	if (size < 2)
		return 0;
	kind = data[0] & 1;
	seed = data[1] | 0x100u;
	data += 2;
	size -= 2;
	rc_one = update_payload_parse(data, size, kind, digest_record, &one);
	update_payload_stream_init(&ps, kind, digest_record, &split);
	for (int i = 0; i < MAX_PIECES && at < size; i++) {
		size_t k = size ? next_rand(&seed) % (size - at + 1) : 0;
		(void)update_payload_stream_feed(&ps, data + at, k);
		at += k;
	}
	(void)update_payload_stream_feed(&ps, data + at, size - at);
	rc_split = update_payload_stream_finish(&ps);
	if (rc_one != rc_split || one.n != split.n || one.h != split.h)
		abort();
	return 0;
}
