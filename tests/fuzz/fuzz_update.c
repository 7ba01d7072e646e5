/*
 * fuzz_update.c - libFuzzer target for the update-set parsers that see
 * untrusted bytes: the first input byte picks manifest body, checksum-file
 * body, sigs payload (complete or delta) or the signature line; the rest is
 * the input. Parsed results are re-checked against their documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cartridge/update/update_format.h"

static int count_record(void *ctx, const struct update_record *r)
{
	size_t *n = ctx;

	if (r->tag == UPDATE_REC_SK_PUT && (r->len == 0 || r->len > UPDATE_MAX_SKETCH_BYTES))
		abort();
	if (r->meta.confidence > 100)
		abort();
	(*n)++;
	return 0;
}

static void check_manifest(const struct update_manifest *m)
{
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		const struct update_manifest_source *s = &m->src[i];
		if (!s->present)
			continue;
		if (s->n_deltas > UPDATE_MAX_DELTAS || s->full.size > UPDATE_MAX_FILE_BYTES ||
		    !update_name_valid(s->full.name, strlen(s->full.name)))
			abort();
		for (size_t k = 0; k < s->n_deltas; k++)
			if (s->deltas[k].serial <= s->deltas[k].base ||
			    !update_name_valid(s->deltas[k].name, strlen(s->deltas[k].name)))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct update_manifest m;
	struct update_cksum c;
	uint8_t pk[UPDATE_KEY_BYTES] = { 1 };
	size_t n = 0;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (update_manifest_parse((const char *)data + 1, size - 1, &m) == 0)
			check_manifest(&m);
		break;
	case 1:
		if (update_cksum_parse((const char *)data + 1, size - 1, &c) == 0 &&
		    (c.raw_size > UPDATE_MAX_INFLATED_BYTES || c.size > UPDATE_MAX_FILE_BYTES))
			abort();
		break;
	case 2:
		update_payload_parse(data + 1, size - 1, UPDATE_KIND_COMPLETE, count_record, &n);
		break;
	case 3:
		update_payload_parse(data + 1, size - 1, UPDATE_KIND_DELTA, count_record, &n);
		break;
	default:
		if (update_signed_open(data + 1, size - 1, pk) >= 0)
			abort(); /* no valid signature under this key is findable */
		break;
	}
	return 0;
}
