/*
 * fp_list.c - the per-message list of fingerprints engines append to.
 *
 * Bounded (FP_MAX_FPS exact keys, FP_MAX_SKETCHES sketches): past a bound
 * the list sets `overflow` and the scan reports rescan. Exact keys are
 * deduplicated so that a link repeated fifty times counts once (a body
 * whole-text key is kept beside an equal part key added before it).
 */
#include "fp.h"

#include <string.h>

#include "../util/hash.h"

void fp_list_add(struct fp_list *out, uint8_t engine, uint64_t raw, uint16_t flags)
{
	const struct fp_engine *e = fp_engine_get(engine);
	uint64_t key = whorl_fp_key(engine, raw);
	/* A body part key (query only) does not stand for the same text's
	 * whole-text key, which an attachment's unit may add later. */
	for (size_t i = 0; i < out->n_fps; i++)
		if (out->fps[i].key == key &&
		    (engine != WHORL_FP_BODY || out->fps[i].flags == flags ||
		     flags == FP_BODY_F_PART))
			return;
	if (out->n_fps >= FP_MAX_FPS) {
		out->overflow = 1;
		return;
	}
	struct whorl_fp *fp = &out->fps[out->n_fps++];
	memset(fp, 0, sizeof(*fp)); /* padding too: fingerprint sets are compared bytewise */
	fp->key = key;
	fp->engine = engine;
	fp->algo_version = e != NULL ? e->algo_version : 0;
	fp->flags = flags;
}

void fp_list_add_sketch(struct fp_list *out, const struct fp_sketch *sk)
{
	if (out->n_sketches >= FP_MAX_SKETCHES || sk->len > FP_MAX_SKETCH_BYTES) {
		out->overflow = 1;
		return;
	}
	const struct fp_engine *e = fp_engine_get(sk->engine);
	struct fp_sketch *dst = &out->sketches[out->n_sketches++];
	*dst = *sk;
	dst->algo_version = e != NULL ? e->algo_version : 0;
	if (dst->n_query_anchors > FP_MAX_QUERY_ANCHORS)
		dst->n_query_anchors = FP_MAX_QUERY_ANCHORS;
}
