/*
 * score.c - the scoring rules (see score.h).
 *
 * Engine weights express how much one hit of that engine alone proves:
 * an exact body or attachment digest is the message itself (99); a fuzzy
 * match counts from 56 at its threshold (image: 60) to 99 at identity. Links
 * (45 for host and path, 35 for the registered domain), the sender address
 * (40) and a template skeleton (30) only support other evidence and stay
 * below the default "minimum score" of 50 alone: the publisher learns them
 * from labelled messages, not labelled links, and spam links to big sites
 * (web portals, browser downloads, affiliate networks) as much as ham does.
 *
 * Links, addresses and templates are infrastructure that spam and ham
 * share (relays, list servers, big senders, shorteners, popular sites), so
 * together they lift the score by at most SCORE_SUPPORT_LIFT above the
 * content evidence: no number of shared hosts makes a verdict on its own.
 *
 * For the same reason legitimate evidence counts in proportion to how well
 * it identifies a message (LEGIT_FACTOR): a ham text or attachment cancels
 * abuse evidence, a link or relay shared with ham hardly does.
 */
#include "score.h"

#include <stdio.h>
#include <string.h>

#include "fp/fp.h"

#define W_EXACT 99.0
/* A paragraph or line of the message that is a known message's whole text
 * (body.c's part keys): content evidence, but short texts recur (a pitch of
 * one line, a quoted spam in a discussion of it), so it only flags with
 * the campaign's link or sender beside it (27 at confidence 90, + 25). */
#define W_BODY_PART 30.0
#define W_URL_HOSTPATH 45.0
#define W_URL_DOMAIN 35.0
#define W_IP 40.0
#define W_STRUCT 30.0
#define W_SKETCH_MIN SCORE_SKETCH_MIN
#define W_SKETCH_MAX 99.0
/* A picture match is only a match when its tiles agree (cartridge/img/img.h),
 * so at the hash's limit it flags on its own, also at the publisher's
 * default confidence of 90 (60 * 0.9 = 54): one limit, no weak band. */
#define W_IMAGE_MIN 60.0
#define URL_F_DOMAIN 2 /* url.c's flag for registered-domain keys */

double score_engine_weight(unsigned engine, uint16_t fp_flags, double strength, double threshold,
                           double weak)
{
	switch (engine) {
	case WHORL_FP_BODY: return (fp_flags & FP_BODY_F_PART) ? W_BODY_PART : W_EXACT;
	case WHORL_FP_ATTACH: return W_EXACT;
	case WHORL_FP_URL: return (fp_flags & URL_F_DOMAIN) ? W_URL_DOMAIN : W_URL_HOSTPATH;
	case WHORL_FP_IP: return W_IP;
	case WHORL_FP_STRUCT: return W_STRUCT;
	case WHORL_FP_IMAGE:
		if (strength < threshold)
			return 0;
		if (threshold >= 1.0)
			return W_SKETCH_MAX;
		return W_IMAGE_MIN +
		       (strength - threshold) / (1.0 - threshold) * (W_SKETCH_MAX - W_IMAGE_MIN);
	case WHORL_FP_FUZZY:
		if (strength < weak)
			return 0;
		if (strength < threshold)
			return SCORE_SKETCH_WEAK_MIN +
			       (strength - weak) / (threshold - weak) *
			           (SCORE_SKETCH_WEAK_MAX - SCORE_SKETCH_WEAK_MIN);
		if (threshold >= 1.0)
			return W_SKETCH_MAX;
		return W_SKETCH_MIN +
		       (strength - threshold) / (1.0 - threshold) * (W_SKETCH_MAX - W_SKETCH_MIN);
	default: return 0;
	}
}

void score_add(struct score_state *st, unsigned engine, double weight, double strength,
               const struct sigdb_meta *m)
{
	const struct fp_engine *fe = fp_engine_get(engine);
	if (fe == NULL)
		return;
	int legit = (m->flags & SIGDB_F_LEGIT) != 0;
	weight = weight * (m->confidence ? m->confidence : 100) / 100.0;
	if (legit)
		weight *= fe->legit_factor;
	struct score_hit *h = legit ? &st->legit[engine] : &st->abuse[engine];
	if (h->present && h->weight >= weight)
		return;
	h->present = 1;
	h->weight = weight;
	h->strength = strength;
	h->meta = *m;
}

double score_best(const struct score_state *st)
{
	double best = 0;
	for (unsigned e = 1; e <= WHORL_FP_ENGINE_MAX; e++)
		if (st->abuse[e].present && st->abuse[e].weight > best)
			best = st->abuse[e].weight;
	return best;
}

int score_engine_is_content(unsigned engine)
{
	const struct fp_engine *e = fp_engine_get(engine);
	return e != NULL && (e->flags & FP_ENGINE_CONTENT) != 0;
}

/* Legitimate evidence as strong as the abuse evidence cancels it; weaker
 * legitimate evidence (a shared relay's address against a near-identical
 * text) barely counts: the penalty falls with the fourth power of the ratio. */
static double legit_penalty(double legit, double abuse)
{
	if (legit >= abuse)
		return legit;
	double r = legit / abuse;
	return legit * r * r * r * r;
}

/* Independent abuse evidence compounds like independent probabilities
 * (noisy-OR): a fuzzy match (45), the campaign's link (40) and its sending
 * address (36) together make 79. Supporting evidence adds at most
 * SCORE_SUPPORT_LIFT to the content evidence (link and address alone: 25,
 * not 62). Legitimate evidence then takes its share off (legit_penalty). */
void score_finish(const struct score_state *st, struct score_result *r)
{
	const struct score_hit *top = NULL, *top_legit = NULL;
	double miss = 1.0, content_miss = 1.0;
	for (unsigned e = 1; e <= WHORL_FP_ENGINE_MAX; e++) {
		if (st->abuse[e].present) {
			miss *= 1.0 - st->abuse[e].weight / 100.0;
			if (score_engine_is_content(e))
				content_miss *= 1.0 - st->abuse[e].weight / 100.0;
			if (top == NULL || st->abuse[e].weight > top->weight)
				top = &st->abuse[e];
		}
		if (st->legit[e].present &&
		    (top_legit == NULL || st->legit[e].weight > top_legit->weight))
			top_legit = &st->legit[e];
	}
	memset(r, 0, sizeof(*r));
	if (top == NULL)
		return;
	double s = 100.0 * (1.0 - miss);
	double lifted = 100.0 * (1.0 - content_miss) + SCORE_SUPPORT_LIFT;
	if (s > lifted)
		s = lifted;
	if (s > W_EXACT)
		s = W_EXACT;
	if (top_legit != NULL)
		s -= legit_penalty(top_legit->weight, s);
	if (s < 0)
		s = 0;
	r->score = (unsigned)(s + 0.5);
	r->category = top->meta.category;
	r->subcategory = top->meta.subcategory;
}

void score_analysis(const struct score_state *st, const struct score_result *r,
                    const struct sigdb *db, int rescan, char *buf, size_t len)
{
	size_t n = 0;
	int first = 1;
	uint64_t complete = 0, incremental = 0;
	if (db != NULL)
		sigdb_serial(db, SIGDB_SRC_SIGS, &complete, &incremental);
	n += (size_t)snprintf(buf + n, len - n, "whorl/%s; s=%u; e=", WHORL_VERSION, r->score);
	for (int kind = 0; kind < 2; kind++)
		for (unsigned e = 1; e <= WHORL_FP_ENGINE_MAX && n < len; e++) {
			const struct score_hit *h = kind == 0 ? &st->abuse[e] : &st->legit[e];
			if (!h->present)
				continue;
			const char *sep = first ? "" : ",";
			const char *neg = kind ? "-" : "";
			if (fp_engine_get(e)->similarity != NULL) /* a sketch: show its strength */
				n += (size_t)snprintf(buf + n, len - n, "%s%s%s:%.2f", sep, neg,
				                      fp_engine_name(e), h->strength);
			else
				n += (size_t)snprintf(buf + n, len - n, "%s%s%s", sep, neg,
				                      fp_engine_name(e));
			first = 0;
		}
	if (n < len && first)
		n += (size_t)snprintf(buf + n, len - n, "none");
	if (n < len)
		snprintf(buf + n, len - n, "; d=sigs:%llu.%llu; r=%d", (unsigned long long)complete,
		         (unsigned long long)incremental, rescan);
}
