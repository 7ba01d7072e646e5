/*
 * sketch.c - dispatches sketch operations to the engine that made the sketch.
 *
 * A stored sketch is only ever compared by the algorithm (engine and
 * version) that produced it; anything else compares as "not comparable".
 */
#include "fp.h"
#include "sketch.h"

#include "../img/img.h"

#define FP_FUZZY_ALGO 2

size_t fp_sketch_stored_anchors(uint8_t engine, uint8_t algo, const uint8_t *bytes, size_t len,
                                uint32_t *anchors, size_t cap)
{
	if (engine == WHORL_FP_FUZZY && algo == FP_FUZZY_ALGO)
		return fp_fuzzy_stored_anchors(bytes, len, anchors, cap);
	if (engine == WHORL_FP_IMAGE && algo == FP_IMAGE_VERSION)
		return img_sketch_anchors(bytes, len, anchors, cap);
	return 0;
}

double fp_sketch_similarity(uint8_t engine, uint8_t algo, const uint8_t *query, size_t qlen,
                            const uint8_t *stored, size_t slen)
{
	if (engine == WHORL_FP_FUZZY && algo == FP_FUZZY_ALGO)
		return fp_fuzzy_similarity(query, qlen, stored, slen);
	if (engine == WHORL_FP_IMAGE && algo == FP_IMAGE_VERSION)
		return img_sketch_similarity(query, qlen, stored, slen);
	return -1;
}

double fp_sketch_threshold(uint8_t engine)
{
	if (engine == WHORL_FP_FUZZY)
		return fp_fuzzy_threshold();
	if (engine == WHORL_FP_IMAGE)
		return IMG_SKETCH_THRESHOLD;
	return 1.0;
}

double fp_sketch_weak_threshold(uint8_t engine)
{
	if (engine == WHORL_FP_FUZZY)
		return fp_fuzzy_weak_threshold();
	return fp_sketch_threshold(engine);
}
