/*
 * scan.c - the scan path: parse, render, fingerprint, look up, score.
 *
 * One scan takes a scratch slot (arena, charset cache, fingerprint list),
 * holds a reference to the live snapshot for its whole duration, and
 * allocates only the verdict it returns. No locks, no syscalls.
 *
 * With "favor analysis over speed = no" the engines stop at the first known
 * fingerprint that decides the verdict on its own (its weight reaches the
 * minimum score); with "yes" every engine runs, so the analysis is complete.
 *
 * Textual attachments and forwarded messages are text units of their own
 * (scan_attach.c): the text engines run on each after the message's engines.
 *
 * Not for: scoring rules (score.c), text rendering (scan_text.c) or finding
 * attachment text (scan_attach.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "scan_attach.h"
#include "scan_cand.h"
#include "scan_text.h"
#include "score.h"
#include "util/hash.h"

#define SCAN_MAX_CANDIDATES 64 /* candidates taken per anchor */
/* SCAN_MAX_VERIFIED and SCAN_MAX_VERIFIED_IMAGE: scan_cand.h. */
_Static_assert(SCAN_MAX_VERIFIED <= SCAN_MAX_VERIFIED_IMAGE,
               "lookup_sketch's order[] holds either cap");
#define SCAN_PREFETCH 4 /* candidates whose bytes are fetched ahead of their turn */
#define SCAN_ANALYSIS_LEN 256
#define SCAN_WL_ANALYSIS_LEN 40 /* "; wl=local:envelope:<line>" kept free */

/* The k-th engine a scan runs (fp/engines.c); text_only: NULL unless it also
 * runs on attachments' text units (scan_attach.h), where a campaign moved
 * into an attached file or a forward keeps its body, fuzzy and url
 * fingerprints. */
static const struct fp_engine *scan_engine_at(size_t k, int text_only)
{
	const struct fp_engine *e = fp_engine_get(fp_engine_scan_order[k]);
	return !text_only || (e->flags & FP_ENGINE_TEXT) ? e : NULL;
}

struct scan_job {
	struct whorl_engine *e;
	struct scan_scratch *s;
	const struct cfg *cfg; /* the caller's, or loaded once the slot is held */
	struct mime_msg mime;
	struct fp_input in;
	struct scan_units units; /* text units of the attachments */
	int rescan;
	struct stats_period *period; /* statistics period this scan counts into */
	struct stats_period *seen;   /* the same when "record sigs seen", else NULL */
};

static int scan_prepare(struct scan_job *j, const struct whorl_envelope *env, const char *msg,
                        size_t len)
{
	struct whorl_engine *e = j->e;
	if (j->cfg == NULL)
		j->cfg = atomic_load(&e->cfg);
	struct mime_limits lim = { .max_decoded = 0, .max_body_length = j->cfg->max_body_length };
	memset(&j->mime, 0, sizeof(j->mime));
	if (mime_parse(&j->s->arena, j->s->charsets, msg, len, &lim, &j->mime) != 0)
		return WHORL_ENOMEM;
	j->rescan = (j->mime.flags & MIME_F_RESCAN_MASK) != 0;
	memset(&j->in, 0, sizeof(j->in));
	j->in.mime = &j->mime;
	j->in.env = env;
	j->in.cfg = j->cfg;
	j->in.arena = &j->s->arena;
	j->in.qr = &e->qr;
	j->in.text_flags = scan_text_gather(&j->in);
	if (j->in.text_flags & (TEXT_F_LIMIT | TEXT_F_NOMEM))
		j->rescan = 1;
	scan_attach_units(&j->in, j->s->charsets, &j->units);
	if (j->units.cut)
		j->rescan = 1;
	return 0;
}

/* Looks up the exact keys list[from..) in db and records the hits. */
static void lookup_exact(const struct sigdb *db, const struct fp_list *l, size_t from,
                         struct score_state *st, struct stats_period *seen)
{
	for (size_t i = from; i < l->n_fps; i++)
		sigdb_prefetch_key(db, l->fps[i].key); /* a hint: their misses overlap */
	for (size_t i = from; i < l->n_fps; i++) {
		struct sigdb_meta m;
		if (!sigdb_lookup(db, l->fps[i].key, &m))
			continue;
		unsigned engine = l->fps[i].engine;
		if (seen != NULL)
			stats_count_sig(seen, engine, l->fps[i].key);
		score_add(st, engine, score_engine_weight(engine, l->fps[i].flags, 1.0, 1.0, 1.0),
		          1.0, &m);
	}
}

/* Compares candidate idx with sk, whose engine e compares sketches of sk's
 * algo_version (lookup_sketch checked it once for all the candidates: the
 * calls below are what fp_sketch_similarity and fp_sketch_containment
 * would make for a stored sketch of that version). */
static void verify_one(const struct sigdb *db, const struct fp_engine *e,
                       const struct fp_sketch *sk, uint32_t idx, double threshold, double weak,
                       struct score_state *st, struct stats_period *seen)
{
	size_t slen;
	uint8_t algo;
	struct sigdb_meta m;
	const uint8_t *stored = sigdb_sketch_get(db, idx, &slen, &algo, &m);
	if (stored == NULL || algo != sk->algo_version)
		return;
	double sim = e->similarity(sk->bytes, sk->len, stored, slen);
	if ((m.flags & SIGDB_F_LEGIT) == 0) {
		double contained = fp_engine_containment(e, sk, stored, slen);
		sim = contained > sim ? contained : sim;
	}
	if (sim < weak)
		return;
	if (seen != NULL)
		stats_count_sig(seen, sk->engine, sigdb_sketch_id(db, idx));
	score_add(st, sk->engine, score_engine_weight(sk->engine, 0, sim, threshold, weak), sim,
	          &m);
}

/* Finds stored sketches sharing anchors with sk and verifies them, those
 * sharing the most anchors first, at most SCAN_MAX_VERIFIED of them
 * (SCAN_MAX_VERIFIED_IMAGE for an image sketch). */
static void lookup_sketch(const struct sigdb *db, const struct fp_sketch *sk,
                          struct score_state *st, struct stats_period *seen)
{
	/* A sketch no engine here compares (fp_sketch_similarity's "not
	 * comparable") never reaches the weak threshold: nothing to look up. */
	const struct fp_engine *e = fp_sketch_engine(sk->engine, sk->algo_version);
	if (e == NULL)
		return;
	struct cand_set cs;
	uint32_t cand[SCAN_MAX_CANDIDATES];
	cand_set_init(&cs);
	sigdb_sketch_prefetch_anchors(db, sk->engine, sk->query_anchors, sk->n_query_anchors);
	for (size_t a = 0; a < sk->n_query_anchors; a++) {
		size_t n = sigdb_sketch_candidates(db, sk->engine, sk->query_anchors[a], cand,
		                                   SCAN_MAX_CANDIDATES);
		for (size_t c = 0; c < n; c++)
			cand_add(&cs, cand[c]);
	}
	if (cs.n == 0)
		return;
	double threshold = fp_sketch_threshold(sk->engine);
	double weak = fp_sketch_weak_threshold(sk->engine);
	size_t cap = sk->engine == WHORL_FP_IMAGE ? SCAN_MAX_VERIFIED_IMAGE : SCAN_MAX_VERIFIED;
	uint32_t order[SCAN_MAX_VERIFIED_IMAGE];
	size_t n_order = cand_order(&cs, cap, order);
	/* Stored sketches are scattered over the snapshot: all their records
	 * are asked for at once, and their bytes SCAN_PREFETCH candidates ahead,
	 * so that their cache misses overlap (hints: the results are the same). */
	sigdb_sketch_prefetch_recs(db, order, n_order);
	for (size_t k = 0; k < n_order && k < SCAN_PREFETCH; k++)
		sigdb_sketch_prefetch(db, order[k]);
	for (size_t k = 0; k < n_order; k++) {
		if (k + SCAN_PREFETCH < n_order)
			sigdb_sketch_prefetch(db, order[k + SCAN_PREFETCH]);
		verify_one(db, e, sk, order[k], threshold, weak, st, seen);
	}
}

static void lookup_sketches(const struct sigdb *db, const struct fp_list *l, size_t from,
                            struct score_state *st, struct stats_period *seen)
{
	for (size_t i = from; i < l->n_sketches; i++)
		lookup_sketch(db, &l->sketches[i], st, seen);
}

/* Runs one engine on in, then looks its new fingerprints up. */
static void scan_engine_one(struct scan_job *j, fp_engine_fn fn, const struct fp_input *in,
                            const struct sigdb *db, struct score_state *st)
{
	struct fp_list *l = &j->s->fps;
	size_t fps_from = l->n_fps, sk_from = l->n_sketches;
	fn(in, l);
	lookup_exact(db, l, fps_from, st, j->seen);
	lookup_sketches(db, l, sk_from, st, j->seen);
}

/* Runs the engines on the message, then the text engines on each text unit,
 * looking up after each; stops early when allowed. */
static void scan_engines_run(struct scan_job *j, const struct sigdb *db, struct score_state *st)
{
	double decisive = j->cfg->minimum_score;
	int decided = 0;
	for (size_t k = 0; k < FP_N_ENGINES && !decided; k++) {
		scan_engine_one(j, scan_engine_at(k, 0)->compute, &j->in, db, st);
		decided = !j->cfg->favor_analysis && score_best(st) >= decisive;
	}
	for (size_t u = 0; u < j->units.n && !decided; u++)
		for (size_t k = 0; k < FP_N_ENGINES && !decided; k++) {
			const struct fp_engine *e = scan_engine_at(k, 1);
			if (e == NULL)
				continue;
			scan_engine_one(j, e->compute, &j->units.in[u], db, st);
			decided = !j->cfg->favor_analysis && score_best(st) >= decisive;
		}
	if (j->s->fps.overflow)
		j->rescan = 1;
}

/* The whitelists, local first: the entry that whitelists the message (its
 * list in *kind), or NULL. Counts the hit per list and type. A miss after a
 * regex entry was skipped (wl_subject.skipped) sets j->rescan. */
static const struct wl_entry *scan_whitelist(struct scan_job *j, enum wl_kind *kind)
{
	struct whorl_engine *e = j->e;
	const struct wl *lists[WL_N_KINDS] = { atomic_load(&e->wl[WL_LOCAL]),
		                               atomic_load(&e->wl[WL_AWL]) };
	if ((lists[0] == NULL || lists[0]->n == 0) && (lists[1] == NULL || lists[1]->n == 0))
		return NULL;
	const struct whorl_envelope *env = j->in.env;
	char ip[64] = "", host[WL_MAX_NAME] = "";
	int skipped = 0;
	struct wl_subject sub = { .mime = &j->mime,
		                  .body = j->in.visible,
		                  .body_len = j->in.visible_len,
		                  .env = env,
		                  .arena = &j->s->arena,
		                  .skipped = &skipped };
	if (env != NULL && WHORL_HAS_MEMBER(env, client_hostname) && env->client_ip != NULL) {
		sub.client_ip = env->client_ip;
		sub.client_host = env->client_hostname;
	} else if (((lists[0] != NULL && lists[0]->per_type[WL_HOST] > 0) ||
	            (lists[1] != NULL && lists[1]->per_type[WL_HOST] > 0)) &&
	           fp_ip_sender_hop(&j->in, ip, sizeof(ip), host, sizeof(host)) == 0) {
		sub.client_ip = ip;
		sub.client_host = host[0] != '\0' ? host : NULL;
	}
	for (int k = 0; k < WL_N_KINDS; k++) {
		const struct wl_entry *hit = wl_match(lists[k], &sub, &e->log);
		if (hit != NULL) {
			*kind = (enum wl_kind)k;
			atomic_fetch_add_explicit(&e->wl_stats.by_type[k][hit->type], 1,
			                          memory_order_relaxed);
			return hit;
		}
	}
	/* A regex entry not tried in full (budget or limit) might have
	 * whitelisted it: the miss was decided on part of the work. */
	if (skipped)
		j->rescan = 1;
	return NULL;
}

static struct whorl_verdict *verdict_new(struct whorl_engine *e, const struct cfg *cfg,
                                         const struct score_result *r, const char *analysis,
                                         int rescan)
{
	const char *cat_name, *sub_name;
	struct categories *cats = atomic_load(&e->cats);
	cat_name = categories_name(cats, r->category, r->subcategory, &sub_name);
	size_t la = strlen(analysis) + 1, lc = strlen(cat_name) + 1, ls = strlen(sub_name) + 1;
	struct whorl_verdict *v = malloc(sizeof(*v) + la + lc + ls);
	if (v == NULL)
		return NULL;
	char *p = (char *)(v + 1);
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	v->score = r->score;
	v->is_spam = r->score >= (unsigned)cfg->minimum_score;
	v->category = r->category;
	v->subcategory = r->subcategory;
	v->rescan = rescan;
	v->analysis = memcpy(p, analysis, la);
	v->category_desc = memcpy(p + la, cat_name, lc);
	v->subcategory_desc = memcpy(p + la + lc, sub_name, ls);
	return v;
}

/* Counts the scanned message into the statistics period (stats/). */
static void scan_count(const struct scan_job *j, const struct score_state *st,
                       const struct score_result *r, size_t len, const struct wl_entry *wl_hit,
                       enum wl_kind wl_kind)
{
	struct stats_msg m = { .bytes = len,
		               .score = r->score,
		               .category = r->category,
		               .subcategory = r->subcategory,
		               .wl_kind = -1 };
	for (unsigned k = 1; k <= WHORL_FP_ENGINE_MAX; k++)
		if (st->abuse[k].present)
			m.engines |= 1u << k;
	if (wl_hit != NULL) {
		m.wl_kind = (int)wl_kind;
		m.wl_type = (int)wl_hit->type;
	}
	stats_count_message(j->period, &m);
}

/* The verdict for an empty message when "consider empty messages spam". */
static void score_empty(struct whorl_engine *e, struct score_result *r)
{
	struct categories *cats = atomic_load(&e->cats);
	int spam = categories_lookup(cats, "spam");
	r->score = SCORE_EMPTY_SPAM;
	r->category = spam >= 0 ? (unsigned)spam : 0;
	r->subcategory = 0;
}

/* The live set's manifest has expired (the mirror froze, or updates stopped):
 * scanning goes on with it, and verdicts say they deserve a rescan. */
static int data_is_stale(struct whorl_engine *e)
{
	int64_t expires = atomic_load_explicit(&e->data_expires, memory_order_relaxed);
	return expires != 0 && (int64_t)(engine_now_ms(e) / 1000) >= expires;
}

/* counted: the message goes into the statistics (not the self test's);
 * cfg: the caller's configuration, or NULL for the live one. */
static int scan_score_run(whorl_engine *e, const struct cfg *cfg, const struct whorl_envelope *env,
                          const char *msg, size_t len, struct whorl_verdict **out, int counted)
{
	*out = NULL;
	if (msg == NULL && len > 0)
		return WHORL_EINVAL;
	struct scan_job j = { .e = e, .s = engine_scratch_acquire(e), .cfg = cfg };
	if (j.s == NULL)
		return WHORL_ENOMEM;
	struct sigdb *db = sigdb_live_acquire(&e->live);
	struct score_state st;
	struct score_result r = { 0 };
	char analysis[SCAN_ANALYSIS_LEN];
	int rc = scan_prepare(&j, env, msg != NULL ? msg : "", len);
	memset(&st, 0, sizeof(st));
	j.period = stats_active(&e->stats);
	j.seen = rc == 0 && counted && j.cfg->record_sigs_seen ? j.period : NULL;
	if (rc == 0) {
		enum wl_kind wl_kind = WL_LOCAL;
		const struct wl_entry *wl_hit = scan_whitelist(&j, &wl_kind);
		/* A whitelist hit decides; with "favor analysis" the engines
		 * still run so that the analysis shows what they saw. */
		if (wl_hit == NULL || j.cfg->favor_analysis)
			scan_engines_run(&j, db, &st);
		score_finish(&st, &r);
		if (wl_hit != NULL) {
			r.score = 0;
			j.rescan = 0; /* final whatever data arrives later */
		} else if (r.score == 0 && j.cfg->consider_empty_spam && scan_text_is_empty(&j.in))
			score_empty(e, &r);
		/* Below the threshold the message is not called abuse of any kind. */
		if (r.score < (unsigned)j.cfg->minimum_score)
			r.category = r.subcategory = 0;
		if (atomic_load_explicit(&e->data_loaded_ms, memory_order_relaxed) == 0 &&
		    wl_hit == NULL)
			j.rescan = 1; /* no known fingerprints at all: nothing was really checked */
		if (data_is_stale(e) && wl_hit == NULL)
			j.rescan = 1; /* an expired set: the next one may know this message */
		score_analysis(&st, &r, db, j.rescan, analysis,
		               sizeof(analysis) - SCAN_WL_ANALYSIS_LEN);
		if (wl_hit != NULL) {
			size_t at = strlen(analysis);
			snprintf(analysis + at, sizeof(analysis) - at, "; wl=%s:%s:%u",
			         wl_kind_name(wl_kind), wl_type_name(wl_hit->type), wl_hit->line);
		}
		*out = verdict_new(e, j.cfg, &r, analysis, j.rescan);
		if (*out == NULL)
			rc = WHORL_ENOMEM;
		else if (counted)
			scan_count(&j, &st, &r, len, wl_hit, wl_kind);
	}
	sigdb_unref(db);
	engine_scratch_release(e, j.s);
	return rc;
}

int scan_score(whorl_engine *e, const struct whorl_envelope *env, const char *msg, size_t len,
               struct whorl_verdict **out)
{
	return scan_score_run(e, NULL, env, msg, len, out, 1);
}

int scan_score_uncounted(whorl_engine *e, const struct cfg *cfg, const struct whorl_envelope *env,
                         const char *msg, size_t len, struct whorl_verdict **out)
{
	return scan_score_run(e, cfg, env, msg, len, out, 0);
}

void scan_verdict_free(whorl_engine *e, struct whorl_verdict *v)
{
	free(v);
}

/* Whether a key is for looking up only: a body part key (body.c) is a
 * paragraph of a message, not the message, and is never published. */
static int fp_is_query_only(const struct whorl_fp *f)
{
	return f->engine == WHORL_FP_BODY && (f->flags & FP_BODY_F_PART) != 0;
}

/* Copies the fingerprint list, without its query-only keys, into one
 * malloc'd block the host frees. */
static struct whorl_fpset *fpset_new(const struct fp_list *l, int rescan)
{
	size_t bytes = 0, n_fps = 0;
	for (size_t i = 0; i < l->n_fps; i++)
		n_fps += !fp_is_query_only(&l->fps[i]);
	for (size_t i = 0; i < l->n_sketches; i++)
		bytes += l->sketches[i].len;
	size_t size = sizeof(struct whorl_fpset) + n_fps * sizeof(struct whorl_fp) +
	              l->n_sketches * sizeof(struct whorl_sketch) + bytes;
	struct whorl_fpset *set = calloc(1, size);
	if (set == NULL)
		return NULL;
	struct whorl_fp *fps = (struct whorl_fp *)(set + 1);
	struct whorl_sketch *sks = (struct whorl_sketch *)(fps + n_fps);
	uint8_t *data = (uint8_t *)(sks + l->n_sketches);
	set->size = sizeof(*set);
	set->n_fps = n_fps;
	set->fps = fps;
	set->n_sketches = l->n_sketches;
	set->sketches = sks;
	set->rescan = rescan;
	for (size_t i = 0, k = 0; i < l->n_fps; i++)
		if (!fp_is_query_only(&l->fps[i]))
			fps[k++] = l->fps[i];
	for (size_t i = 0; i < l->n_sketches; i++) {
		const struct fp_sketch *s = &l->sketches[i];
		sks[i] = (struct whorl_sketch){ s->engine, s->algo_version, s->len, data };
		memcpy(data, s->bytes, s->len);
		data += s->len;
	}
	return set;
}

int scan_fingerprint(whorl_engine *e, const char *msg, size_t len, struct whorl_fpset **out)
{
	return scan_fingerprint_cfg(e, NULL, msg, len, out);
}

int scan_fingerprint_cfg(whorl_engine *e, const struct cfg *cfg, const char *msg, size_t len,
                         struct whorl_fpset **out)
{
	*out = NULL;
	if (msg == NULL && len > 0)
		return WHORL_EINVAL;
	struct scan_job j = { .e = e, .s = engine_scratch_acquire(e), .cfg = cfg };
	if (j.s == NULL)
		return WHORL_ENOMEM;
	int rc = scan_prepare(&j, NULL, msg != NULL ? msg : "", len);
	if (rc == 0) {
		j.in.publishing = 1;
		for (size_t k = 0; k < FP_N_ENGINES; k++)
			scan_engine_at(k, 0)->compute(&j.in, &j.s->fps);
		for (size_t u = 0; u < j.units.n; u++)
			for (size_t k = 0; k < FP_N_ENGINES; k++)
				if (scan_engine_at(k, 1) != NULL)
					scan_engine_at(k, 1)->compute(&j.units.in[u], &j.s->fps);
		*out = fpset_new(&j.s->fps, j.rescan || j.s->fps.overflow);
		if (*out == NULL)
			rc = WHORL_ENOMEM;
	}
	engine_scratch_release(e, j.s);
	return rc;
}

void scan_fpset_free(whorl_engine *e, struct whorl_fpset *fps)
{
	free(fps);
}
