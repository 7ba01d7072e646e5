/*
 * score.h - turns looked-up fingerprints into a score, category and analysis.
 *
 * Evidence is kept per engine (the strongest abuse hit and the strongest
 * legitimate hit). The score comes from the strongest abuse evidence,
 * weighted by engine and match strength and by the fingerprint's
 * confidence, compounded when independent engines agree (noisy-OR), and
 * lowered by strong legitimate matches. Infrastructure evidence (links,
 * sending address, template) only supports content evidence (body, fuzzy,
 * attach, image): it lifts the score by at most SCORE_SUPPORT_LIFT above
 * what the content evidence makes alone, so a message that shares only a
 * relay, a list server or a popular link with spam is never flagged.
 * Not for: looking things up (scan.c).
 */
#ifndef WHORL_SCORE_H
#define WHORL_SCORE_H

#include <stddef.h>

#include "../abi/whorl_cartridge.h"
#include "sigdb/sigdb.h"

#define SCORE_EMPTY_SPAM 99 /* "consider empty messages spam = yes" */
/* The most that supporting (infrastructure) evidence adds above the content
 * evidence: half the default "minimum score", so content evidence must
 * bring at least the other half (a fuzzy match at similarity 0.55, at the
 * publisher's default confidence of 90). */
#define SCORE_SUPPORT_LIFT 25.0

struct score_hit {
	int present;
	double weight;   /* 0-100 after strength and confidence */
	double strength; /* 0-1: similarity, 1 for exact keys */
	struct sigdb_meta meta;
};

struct score_state {
	struct score_hit abuse[WHORL_FP_ENGINE_MAX + 1];
	struct score_hit legit[WHORL_FP_ENGINE_MAX + 1];
};

/* The weight (0-100) a hit of this engine contributes before confidence.
 * Sketch similarities from `threshold` up weigh SCORE_SKETCH_MIN-99; from
 * `weak` up to `threshold` they weigh SCORE_SKETCH_WEAK_MIN-SCORE_SKETCH_WEAK_MAX
 * (supporting evidence, below the default minimum score). */
#define SCORE_SKETCH_MIN 56.0
/* The supporting tier starts at 22 so that a resemblance of 0.55 (24.97 at
 * confidence 90) with the campaign's own link or sender reaches the default
 * minimum score: docs/SCORING.md, "Weights". */
#define SCORE_SKETCH_WEAK_MIN 22.0
#define SCORE_SKETCH_WEAK_MAX 45.0
double score_engine_weight(unsigned engine, uint16_t fp_flags, double strength, double threshold,
                           double weak);

/* Records a hit; keeps the strongest per engine and kind. */
void score_add(struct score_state *st, unsigned engine, double weight, double strength,
               const struct sigdb_meta *m);

/* The strongest abuse weight recorded so far (for early stopping). */
double score_best(const struct score_state *st);

/* Whether a hit of this engine is content evidence (the message's text,
 * attachment or image) rather than infrastructure (url, ip, struct). */
int score_engine_is_content(unsigned engine);

struct score_result {
	unsigned score;
	unsigned category, subcategory;
};
/* The verdict's score and category from the recorded hits (see the top of
 * this file); r is overwritten. Pure: the same hits give the same result. */
void score_finish(const struct score_state *st, struct score_result *r);

/* Writes the analysis header value into buf: engines hit (with strength for
 * sketches, "-" before legitimate ones), the data serial and the score. */
void score_analysis(const struct score_state *st, const struct score_result *r,
                    const struct sigdb *db, int rescan, char *buf, size_t len);

#endif
