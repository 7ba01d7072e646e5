/*
 * summary_never.c - the summary's "never seen since published" list: the
 * publisher's mirror (collect.cfg "mirror", verified with "publisher key")
 * read with the publisher library, minus every fingerprint the stored
 * reports named in `sigs seen`. Keeps the exact count and the
 * SUMMARY_NEVER_SIGS published longest ago (the likeliest to be dead).
 *
 * Not for: reading the database (store.c) or printing (summary.c, page.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../../cartridge/fp/fp.h"
#include "summary.h"

/* Keeps s->never sorted by first_seen, oldest first, at most SUMMARY_NEVER_SIGS. */
static void keep_never(void *ctx, uint64_t key, unsigned engine, const struct sigdb_meta *meta)
{
	struct summary *s = ctx;
	size_t n = s->n_never, at = n;
	while (at > 0 && s->never[at - 1].first_seen > meta->first_seen)
		at--;
	if (at == SUMMARY_NEVER_SIGS)
		return;
	if (n == SUMMARY_NEVER_SIGS)
		n--;
	memmove(&s->never[at + 1], &s->never[at], (n - at) * sizeof(s->never[0]));
	struct summary_never *v = &s->never[at];
	snprintf(v->sig, sizeof(v->sig), "%016llx", (unsigned long long)key);
	snprintf(v->engine, sizeof(v->engine), "%s", fp_engine_name(engine));
	v->category = meta->category;
	v->subcategory = meta->subcategory;
	v->first_seen = meta->first_seen;
	s->n_never = n + 1;
}

void summary_never_seen(struct summary *s, const char *mirror, const uint8_t pk[32],
                        struct publish_seen *seen)
{
	s->n_never = 0;
	if (publish_never_seen(pk, mirror, seen, keep_never, s, &s->n_never_total, &s->n_published,
	                       s->never_err, sizeof(s->never_err)) != 0) {
		s->never_state = SUMMARY_NEVER_FAILED;
		s->n_never = 0;
		return;
	}
	s->never_state = SUMMARY_NEVER_OK;
}

void summary_never_from_store(struct summary *s, struct store *st, const char *mirror,
                              const uint8_t pk[32], pthread_mutex_t *mu)
{
	struct publish_seen seen = { 0 };
	size_t rows = 0;
	if (mirror[0] == '\0')
		return;
	if (mu != NULL)
		pthread_mutex_lock(mu);
	int rc = store_sigs_seen(st, &seen, &rows);
	if (rc != 0)
		snprintf(s->never_err, sizeof(s->never_err), "%s", st->err);
	if (mu != NULL)
		pthread_mutex_unlock(mu);
	if (rc == 0)
		summary_never_seen(s, mirror, pk, &seen);
	else
		s->never_state = SUMMARY_NEVER_FAILED;
	publish_seen_free(&seen);
}
