/*
 * sketch.c - dispatches sketch operations to the engine that made the sketch.
 *
 * A stored sketch is only ever compared by the algorithm (engine and
 * version, from engines.c) that produced it; anything else compares as
 * "not comparable".
 */
#include "fp.h"

const struct fp_engine *fp_sketch_engine(uint8_t engine, uint8_t algo)
{
	const struct fp_engine *e = fp_engine_get(engine);
	return e != NULL && e->similarity != NULL && e->algo_version == algo ? e : NULL;
}

double fp_engine_containment(const struct fp_engine *e, const struct fp_sketch *q,
                             const uint8_t *stored, size_t slen)
{
	if (e->containment == NULL || q->query_extra == NULL)
		return 0;
	return e->containment(q->query_extra, q->query_extra_len, q->bytes, q->len, stored, slen);
}

size_t fp_sketch_stored_anchors(uint8_t engine, uint8_t algo, const uint8_t *bytes, size_t len,
                                uint32_t *anchors, size_t cap)
{
	const struct fp_engine *e = fp_sketch_engine(engine, algo);
	return e != NULL ? e->stored_anchors(bytes, len, anchors, cap) : 0;
}

double fp_sketch_similarity(uint8_t engine, uint8_t algo, const uint8_t *query, size_t qlen,
                            const uint8_t *stored, size_t slen)
{
	const struct fp_engine *e = fp_sketch_engine(engine, algo);
	return e != NULL ? e->similarity(query, qlen, stored, slen) : -1;
}

double fp_sketch_containment(const struct fp_sketch *q, uint8_t algo, const uint8_t *stored,
                             size_t slen)
{
	const struct fp_engine *e = fp_sketch_engine(q->engine, algo);
	return e != NULL ? fp_engine_containment(e, q, stored, slen) : 0;
}

double fp_sketch_threshold(uint8_t engine)
{
	const struct fp_engine *e = fp_engine_get(engine);
	return e != NULL && e->threshold != NULL ? e->threshold() : 1.0;
}

double fp_sketch_weak_threshold(uint8_t engine)
{
	const struct fp_engine *e = fp_engine_get(engine);
	return e != NULL && e->weak_threshold != NULL ? e->weak_threshold()
	                                              : fp_sketch_threshold(engine);
}
