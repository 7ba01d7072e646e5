/*
 * infra.h - the publisher learns which links, sending addresses and
 * templates are shared infrastructure rather than a campaign's own, from
 * all the mail it is given (docs/SCORING.md, "What the publisher holds
 * back").
 *
 * Every message handed to infra_observe() is first grouped into a campaign
 * by its content: messages with the same body text or attachment, or whose
 * fuzzy text or image sketches match at the engine's own threshold (the
 * same test a gateway applies), are one campaign. An infrastructure key
 * (url, ip, struct) carried by messages of at least `min_campaigns`
 * different campaigns is a relay, a list server, a big sender, a shortener
 * or a popular site: infra_hold_back() takes it out of the abuse records of
 * a set, so gateways never see it as evidence of abuse. Keys of a single
 * campaign stay, whatever the number of its messages.
 *
 * Not thread safe per object. Memory grows with the mail observed (its keys
 * and sketch bytes); nothing is kept of the message text. Not for:
 * computing fingerprints (libwhorl does) or writing sets (write.c).
 */
#ifndef WHORL_PUB_INFRA_H
#define WHORL_PUB_INFRA_H

#include <stddef.h>

#include "../../abi/whorl_cartridge.h"
#include "publish.h"

#define INFRA_DEFAULT_MIN_CAMPAIGNS 3 /* campaigns sharing a key that make it infrastructure */
#define INFRA_MAX_FANOUT 64           /* sketches compared per shared anchor (as sigdb) */

struct infra_learner;

/* What infra_hold_back() found and did. */
struct infra_report {
	size_t n_msgs;                            /* messages observed */
	size_t n_campaigns;                       /* campaigns they form */
	size_t n_shared[WHORL_FP_ENGINE_MAX + 1]; /* keys in >= min_campaigns campaigns */
	size_t n_held[WHORL_FP_ENGINE_MAX + 1];   /* of those, abuse records removed */
};

/* A new, empty learner, or NULL when out of memory. */
struct infra_learner *infra_new(void);
void infra_free(struct infra_learner *l);

/* Records one message's fingerprints (copied; fps stays the caller's).
 * 0, or WHORL_ENOMEM / WHORL_ELIMIT (the learner is then unchanged). */
int infra_observe(struct infra_learner *l, const struct whorl_fpset *fps);

/* Groups the observed messages into campaigns and removes from s every
 * abuse record (legitimate ones stay) of a url, ip or struct key that
 * messages of at least min_campaigns (>= 2) campaigns carry. 0,
 * WHORL_EINVAL or WHORL_ENOMEM (s is then unchanged). rep may be NULL. */
int infra_hold_back(struct infra_learner *l, struct publish_set *s, unsigned min_campaigns,
                    struct infra_report *rep);

#endif
