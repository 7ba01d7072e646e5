/*
 * sketch.h - per-engine sketch functions behind fp.h's dispatchers.
 * Not for use outside cartridge/fp/.
 */
#ifndef WHORL_FP_SKETCH_H
#define WHORL_FP_SKETCH_H

#include <stddef.h>
#include <stdint.h>

size_t fp_fuzzy_stored_anchors(const uint8_t *b, size_t len, uint32_t *anchors, size_t cap);
double fp_fuzzy_similarity(const uint8_t *q, size_t qlen, const uint8_t *s, size_t slen);
double fp_fuzzy_containment(const uint8_t *extra, size_t elen, const uint8_t *q, size_t qlen,
                            const uint8_t *s, size_t slen);
double fp_fuzzy_threshold(void);
double fp_fuzzy_weak_threshold(void);

#endif
