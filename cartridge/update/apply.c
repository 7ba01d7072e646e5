/*
 * apply.c - update_record_apply(): one verified payload record into a
 * snapshot builder. The one place that maps record tags to builder calls,
 * shared by the mirror loader (loader.c) and the start-up load from disk
 * (state_load.c), so a delta replayed from the cache builds the same
 * snapshot as the run that downloaded it.
 *
 * Not for: parsing records (payload.c) or checking where they came from.
 */
#include "../../abi/whorl_cartridge.h"
#include "update_internal.h"

int update_record_apply(struct sigdb_builder *b, update_anchors_fn anchors,
                        const struct update_record *r)
{
	uint32_t idx[16];
	size_t n = 0;

	switch (r->tag) {
	case UPDATE_REC_FP_PUT: return sigdb_builder_put(b, r->key, &r->meta);
	case UPDATE_REC_SK_PUT:
		if (anchors)
			n = anchors(r->engine, r->algo, r->bytes, r->len, idx,
			            sizeof idx / sizeof idx[0]);
		return sigdb_builder_put_sketch(b, r->engine, r->algo, r->key, r->bytes, r->len,
		                                idx, n, &r->meta);
	case UPDATE_REC_FP_DEL: return sigdb_builder_del(b, r->key);
	case UPDATE_REC_SK_DEL: return sigdb_builder_del_sketch(b, r->engine, r->key);
	}
	return WHORL_EFORMAT;
}
