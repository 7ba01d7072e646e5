/*
 * fp_list.c - appending fingerprints to a message's struct fp_list (fp.h).
 *
 * Exact keys are deduplicated by a linear scan (messages carry few keys);
 * past FP_MAX_FPS or FP_MAX_SKETCHES the entry is dropped and overflow set,
 * which the scan turns into rescan.
 *
 * Not for: computing fingerprints (the engines) or looking them up (sigdb/).
 */
#include "fp.h"

#include "../util/hash.h"

void fp_list_add(struct fp_list *out, uint8_t engine, uint8_t algo_version, uint64_t raw,
                 uint16_t flags)
{
	uint64_t key = whorl_fp_key(engine, raw);
	for (size_t i = 0; i < out->n_fps; i++)
		if (out->fps[i].key == key && out->fps[i].engine == engine)
			return;
	if (out->n_fps >= FP_MAX_FPS) {
		out->overflow = 1;
		return;
	}
	struct whorl_fp *fp = &out->fps[out->n_fps++];
	fp->key = key;
	fp->engine = engine;
	fp->algo_version = algo_version;
	fp->flags = flags;
}

void fp_list_add_sketch(struct fp_list *out, const struct fp_sketch *sk)
{
	if (out->n_sketches >= FP_MAX_SKETCHES || sk->len > FP_MAX_SKETCH_BYTES) {
		out->overflow = 1;
		return;
	}
	struct fp_sketch *dst = &out->sketches[out->n_sketches++];
	*dst = *sk;
	if (dst->n_query_anchors > FP_MAX_QUERY_ANCHORS)
		dst->n_query_anchors = FP_MAX_QUERY_ANCHORS;
}
