/*
 * match.c - does a message match a whitelist? The scan-time half.
 *
 * Entries are tried in file order; the first match wins. Regex entries
 * run with the list's match context (match, depth and heap limits); the
 * match data and the interpreter's frames come from the scan's arena, so a
 * scan allocates nothing on the heap here. An entry whose regex reaches a
 * limit is skipped for this message; the first time, it is logged. All the
 * regex calls of one message share WL_MSG_REGEX_BUDGET (wl.h): once it is
 * spent, the list's other regex entries are skipped for that message; the
 * first time, the costliest entries are named. The budget counts bytes and
 * limit hits, never time, so the same message always gets the same result.
 * Either cut is reported through wl_subject.skipped, and a message that no
 * entry whitelisted then gets rescan = 1 (scan.c).
 *
 * Not for: parsing (parse.c, host.c) or deciding the verdict (scan.c).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wl.h"

/* Per-call state: the match data is made on the first regex entry. */
struct wl_run {
	const struct wl *w;
	const struct wl_subject *s;
	const struct logger *lg;
	pcre2_general_context *gctx;
	pcre2_match_data *md;
	pcre2_match_context *mctx; /* the list's limits, match limit cut to budget */
	uint64_t budget_left;
	struct {
		unsigned line;
		uint64_t cost;
	} top[WL_BUDGET_TOP]; /* costliest, by line */
	int no_memory;
};

enum {
	RX_NO = 0,
	RX_YES = 1,
	RX_GAVE_UP = -1
};

static void *arena_pcre_alloc(size_t n, void *ctx)
{
	return arena_alloc(ctx, n);
}

static void arena_pcre_free(void *p, void *ctx)
{
	(void)p;
	(void)ctx; /* the arena is reset when the scan ends */
}

static int run_match_data(struct wl_run *r)
{
	if (r->md != NULL)
		return 0;
	if (r->no_memory || r->s->arena == NULL)
		return -1;
	r->gctx = pcre2_general_context_create(arena_pcre_alloc, arena_pcre_free, r->s->arena);
	if (r->gctx != NULL)
		r->md = pcre2_match_data_create(1, r->gctx);
	if (r->md != NULL) /* from the arena: the list's limits, set per call */
		r->mctx = pcre2_match_context_create(r->gctx);
	if (r->mctx != NULL) {
		pcre2_set_depth_limit(r->mctx, WL_DEPTH_LIMIT);
		pcre2_set_heap_limit(r->mctx, WL_HEAP_LIMIT_KIB);
	}
	r->no_memory = r->mctx == NULL;
	return r->mctx != NULL ? 0 : -1;
}

/* Charges cost to entry e's line, keeping the WL_BUDGET_TOP costliest. */
static void budget_charge(struct wl_run *r, const struct wl_entry *e, uint64_t cost)
{
	size_t i, low = 0;

	r->budget_left -= cost < r->budget_left ? cost : r->budget_left;
	for (i = 0; i < WL_BUDGET_TOP; i++) {
		if (r->top[i].line == e->line) {
			r->top[i].cost += cost;
			return;
		}
		if (r->top[i].cost < r->top[low].cost)
			low = i;
	}
	if (cost > r->top[low].cost) {
		r->top[low].line = e->line;
		r->top[low].cost = cost;
	}
}

/* The budget ran out at entry e: logged once per list. */
static void budget_spent(const struct wl_run *r, const struct wl_entry *e)
{
	char names[WL_BUDGET_TOP * 40] = "";
	size_t used = 0;
	int expected = 0;

	if (!atomic_compare_exchange_strong((atomic_int *)&r->w->budget_logged, &expected, 1))
		return;
	for (size_t i = 0; i < WL_BUDGET_TOP; i++)
		if (r->top[i].cost > 0 && used < sizeof(names))
			used += (size_t)snprintf(
			    names + used, sizeof(names) - used, "%sline %u (%llu)",
			    used ? ", " : "", r->top[i].line, (unsigned long long)r->top[i].cost);
	log_warn(r->lg, "WHITELIST",
	         "%s whitelist: regex work for one message reached its budget "
	         "of %u units at the entry on line %u; the costliest entries were %s; the other "
	         "regex entries are skipped for such messages",
	         wl_kind_name(r->w->kind), WL_MSG_REGEX_BUDGET, e->line, names);
}

static void gave_up(const struct wl_run *r, struct wl_entry *e, int rc)
{
	int expected = 0;
	if (!atomic_compare_exchange_strong(&e->limit_logged, &expected, 1))
		return;
	PCRE2_UCHAR msg[120];
	if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
		msg[0] = '\0';
	log_warn(r->lg, "WHITELIST",
	         "%s %s whitelist entry on line %u gave up on a message (%s); "
	         "that entry is skipped for such messages",
	         wl_kind_name(r->w->kind), wl_type_name(e->type), e->line, (const char *)msg);
}

/* The entry was not tried in full on this message: the caller's verdict
 * must say rescan (docs/LIMITS.md). */
static int rx_skipped(const struct wl_run *r)
{
	if (r->s->skipped != NULL)
		*r->s->skipped = 1;
	return RX_GAVE_UP;
}

static int rx_match(struct wl_run *r, struct wl_entry *e, const char *subj, size_t len)
{
	if (subj == NULL)
		return RX_NO;
	if (run_match_data(r) != 0)
		return rx_skipped(r);
	if (r->budget_left == 0) {
		budget_spent(r, e);
		return rx_skipped(r);
	}
	uint32_t limit =
	    r->budget_left < WL_MATCH_LIMIT ? (uint32_t)r->budget_left : WL_MATCH_LIMIT;
	pcre2_set_match_limit(r->mctx, limit);
	int rc = pcre2_match(e->re, (PCRE2_SPTR)subj, len, 0, 0, r->md, r->mctx);
	budget_charge(r, e, rc == PCRE2_ERROR_MATCHLIMIT ? limit : (uint64_t)len + 1);
	if (rc >= 0)
		return RX_YES;
	if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL)
		return RX_NO;
	if (rc == PCRE2_ERROR_MATCHLIMIT && limit < WL_MATCH_LIMIT)
		budget_spent(r, e); /* the message's budget, not this entry, ran out */
	else
		gave_up(r, e, rc); /* match/depth/heap/JIT stack limit, or no memory */
	return rx_skipped(r);
}

static int header_match(struct wl_run *r, struct wl_entry *e)
{
	const struct mime_msg *m = r->s->mime;
	if (m == NULL)
		return 0;
	for (size_t i = 0; i < m->n_headers; i++) {
		const struct mime_header *h = &m->headers[i];
		if (strcasecmp(h->name, e->name) != 0)
			continue;
		const char *v = h->raw;
		size_t n = h->raw_len;
		if (memmem(v, n, "=?", 2) != NULL && r->s->arena != NULL) {
			const char *d = mime_header_decode(r->s->arena, v, n, &n);
			if (d != NULL)
				v = d;
			else
				n = h->raw_len;
		}
		int rc = rx_match(r, e, v, n);
		if (rc != RX_NO)
			return rc == RX_YES;
	}
	return 0;
}

static int envelope_match(struct wl_run *r, struct wl_entry *e)
{
	const struct whorl_envelope *env = r->s->env;
	if (env == NULL)
		return 0;
	const char *v = NULL;
	if (e->command == WL_CMD_HELO && WHORL_HAS_MEMBER(env, helo))
		v = env->helo;
	else if (e->command == WL_CMD_MAIL_FROM && WHORL_HAS_MEMBER(env, mail_from))
		v = env->mail_from;
	if (v != NULL)
		return rx_match(r, e, v, strlen(v)) == RX_YES;
	if (e->command != WL_CMD_RCPT_TO || !WHORL_HAS_MEMBER(env, n_rcpt_to) ||
	    env->rcpt_to == NULL)
		return 0;
	for (size_t i = 0; i < env->n_rcpt_to; i++) {
		const char *to = env->rcpt_to[i];
		int rc = to != NULL ? rx_match(r, e, to, strlen(to)) : RX_NO;
		if (rc != RX_NO)
			return rc == RX_YES;
	}
	return 0;
}

static int entry_match(struct wl_run *r, struct wl_entry *e)
{
	switch (e->type) {
	case WL_HOST: return wl_host_match(e, r->s->client_ip, r->s->client_host);
	case WL_HEADER: return header_match(r, e);
	case WL_BODY: return rx_match(r, e, r->s->body, r->s->body_len) == RX_YES;
	case WL_ENVELOPE: return envelope_match(r, e);
	default: return 0;
	}
}

const struct wl_entry *wl_match(const struct wl *w, const struct wl_subject *s,
                                const struct logger *lg)
{
	if (w == NULL || w->n == 0)
		return NULL;
	struct wl_run r = { .w = w, .s = s, .lg = lg, .budget_left = WL_MSG_REGEX_BUDGET };
	for (size_t i = 0; i < w->n; i++) {
		/* Entries are immutable but for their atomic counters and flags. */
		struct wl_entry *e = &w->entries[i];
		if (entry_match(&r, e)) {
			atomic_fetch_add_explicit(&e->hits, 1, memory_order_relaxed);
			return e;
		}
	}
	return NULL;
}
