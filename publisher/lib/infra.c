/*
 * infra.c - shared infrastructure learning (see infra.h).
 *
 * Campaigns are the connected groups of messages linked by shared content:
 * a union-find over messages, joined by equal body or attachment keys and
 * by sketches that share a stored anchor and match at the engine's
 * threshold (fp_sketch_similarity, the gateway's own test, linked from the
 * cartridge's internal library). An anchor shared by more than
 * INFRA_MAX_FANOUT sketches is boilerplate and links nothing, as in sigdb.
 * Then, per infrastructure key, the distinct campaigns among the messages
 * that carry it are counted.
 *
 * Not for: deciding weights (cartridge/score.c) or reading mail (whorl-publish).
 */
#include "infra.h"

#include <stdlib.h>
#include <string.h>

#include "../../cartridge/fp/fp.h"
#include "../../cartridge/score.h"

struct infra_occ { /* one exact key of one message */
	uint64_t key;
	uint32_t msg;
	uint8_t engine;
};

struct infra_sketch { /* one sketch, its bytes in the pool */
	size_t off;
	uint32_t msg;
	uint16_t len;
	uint8_t engine, algo;
};

struct infra_anchor {    /* one stored anchor of one sketch */
	uint64_t anchor; /* engine, algo and anchor */
	size_t sketch;
};

struct infra_learner {
	uint32_t n_msgs;
	struct infra_occ *content, *support;
	size_t n_content, cap_content, n_support, cap_support;
	struct infra_sketch *sketches;
	size_t n_sketches, cap_sketches;
	uint8_t *pool;
	size_t pool_len, pool_cap;
};

struct infra_learner *infra_new(void)
{
	return calloc(1, sizeof(struct infra_learner));
}

void infra_free(struct infra_learner *l)
{
	if (!l)
		return;
	free(l->content);
	free(l->support);
	free(l->sketches);
	free(l->pool);
	free(l);
}

/* Makes room for `need` elements of `size` bytes in *p (capacity *cap). */
static int reserve(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 256;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / size)
		return WHORL_ELIMIT;
	void *q = realloc(*p, n * size);
	if (!q)
		return WHORL_ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

int infra_observe(struct infra_learner *l, const struct whorl_fpset *fps)
{
	size_t n_content = 0, n_support = 0, bytes = 0;

	if (l->n_msgs == UINT32_MAX)
		return WHORL_ELIMIT;
	for (size_t i = 0; i < fps->n_fps; i++) {
		if (score_engine_is_content(fps->fps[i].engine))
			n_content++;
		else
			n_support++;
	}
	for (size_t i = 0; i < fps->n_sketches; i++)
		bytes += fps->sketches[i].len;
	int rc;
	if ((rc = reserve((void **)&l->content, &l->cap_content, l->n_content + n_content,
	                  sizeof *l->content)) ||
	    (rc = reserve((void **)&l->support, &l->cap_support, l->n_support + n_support,
	                  sizeof *l->support)) ||
	    (rc = reserve((void **)&l->sketches, &l->cap_sketches, l->n_sketches + fps->n_sketches,
	                  sizeof *l->sketches)) ||
	    (rc = reserve((void **)&l->pool, &l->pool_cap, l->pool_len + bytes, 1)))
		return rc;
	uint32_t msg = l->n_msgs++;
	for (size_t i = 0; i < fps->n_fps; i++) {
		const struct whorl_fp *f = &fps->fps[i];
		struct infra_occ o = { .key = f->key, .msg = msg, .engine = f->engine };
		if (score_engine_is_content(f->engine))
			l->content[l->n_content++] = o;
		else
			l->support[l->n_support++] = o;
	}
	for (size_t i = 0; i < fps->n_sketches; i++) {
		const struct whorl_sketch *sk = &fps->sketches[i];
		l->sketches[l->n_sketches++] = (struct infra_sketch){ .off = l->pool_len,
			                                              .msg = msg,
			                                              .len = sk->len,
			                                              .engine = sk->engine,
			                                              .algo = sk->algo_version };
		memcpy(l->pool + l->pool_len, sk->bytes, sk->len);
		l->pool_len += sk->len;
	}
	return 0;
}

/* Union-find over messages (path halving; the smaller index is the root,
 * so campaigns do not depend on the order pairs are met). */
static uint32_t find(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static void join(uint32_t *parent, uint32_t a, uint32_t b)
{
	a = find(parent, a);
	b = find(parent, b);
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

static int occ_order(const void *a, const void *b)
{
	const struct infra_occ *x = a, *y = b;
	if (x->engine != y->engine)
		return x->engine < y->engine ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->msg > y->msg) - (x->msg < y->msg);
}

static int anchor_order(const void *a, const void *b)
{
	const struct infra_anchor *x = a, *y = b;
	if (x->anchor != y->anchor)
		return x->anchor < y->anchor ? -1 : 1;
	return (x->sketch > y->sketch) - (x->sketch < y->sketch);
}

static int u32_order(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Joins messages that carry the same content key (body, attach). */
static void join_exact(struct infra_learner *l, uint32_t *parent)
{
	qsort(l->content, l->n_content, sizeof *l->content, occ_order);
	for (size_t i = 1; i < l->n_content; i++)
		if (l->content[i].key == l->content[i - 1].key &&
		    l->content[i].engine == l->content[i - 1].engine)
			join(parent, l->content[i].msg, l->content[i - 1].msg);
}

/* Compares the sketches of one anchor group pairwise and joins matches. */
static void join_group(const struct infra_learner *l, const struct infra_anchor *g, size_t n,
                       uint32_t *parent)
{
	for (size_t i = 0; i < n; i++) {
		const struct infra_sketch *a = &l->sketches[g[i].sketch];
		double threshold = fp_sketch_threshold(a->engine);
		for (size_t j = i + 1; j < n; j++) {
			const struct infra_sketch *b = &l->sketches[g[j].sketch];
			if (find(parent, a->msg) == find(parent, b->msg))
				continue;
			double sim = fp_sketch_similarity(a->engine, a->algo, l->pool + a->off,
			                                  a->len, l->pool + b->off, b->len);
			if (sim >= threshold)
				join(parent, a->msg, b->msg);
		}
	}
}

/* Joins messages whose sketches match (candidates: a shared stored anchor). */
static int join_sketches(const struct infra_learner *l, uint32_t *parent)
{
	size_t cap = l->n_sketches * FP_MAX_STORED_ANCHORS, n = 0;
	struct infra_anchor *v = malloc((cap ? cap : 1) * sizeof *v);
	uint32_t anchors[FP_MAX_STORED_ANCHORS];

	if (!v)
		return WHORL_ENOMEM;
	for (size_t i = 0; i < l->n_sketches; i++) {
		const struct infra_sketch *sk = &l->sketches[i];
		size_t k = fp_sketch_stored_anchors(sk->engine, sk->algo, l->pool + sk->off,
		                                    sk->len, anchors, FP_MAX_STORED_ANCHORS);
		for (size_t a = 0; a < k; a++)
			v[n++] =
			    (struct infra_anchor){ .anchor = (uint64_t)sk->engine << 40 |
				                             (uint64_t)sk->algo << 32 | anchors[a],
				                   .sketch = i };
	}
	qsort(v, n, sizeof *v, anchor_order);
	for (size_t start = 0, end; start < n; start = end) {
		for (end = start + 1; end < n && v[end].anchor == v[start].anchor; end++)
			;
		if (end - start <= INFRA_MAX_FANOUT)
			join_group(l, v + start, end - start, parent);
	}
	free(v);
	return 0;
}

/* Counts the campaigns of each infrastructure key and removes the abuse
 * records of the shared ones. roots is scratch for one key's campaigns. */
static void hold_back_shared(struct infra_learner *l, uint32_t *parent, uint32_t *roots,
                             struct publish_set *s, unsigned min_campaigns,
                             struct infra_report *rep)
{
	qsort(l->support, l->n_support, sizeof *l->support, occ_order);
	for (size_t start = 0, end; start < l->n_support; start = end) {
		const struct infra_occ *o = &l->support[start];
		size_t n = 0, distinct = 0;
		for (end = start; end < l->n_support && l->support[end].key == o->key &&
		                  l->support[end].engine == o->engine;
		     end++)
			roots[n++] = find(parent, l->support[end].msg);
		qsort(roots, n, sizeof *roots, u32_order);
		for (size_t i = 0; i < n; i++)
			distinct += i == 0 || roots[i] != roots[i - 1];
		if (distinct < min_campaigns)
			continue;
		struct sigdb_meta m;
		rep->n_shared[o->engine]++;
		if (publish_set_get_fp(s, o->engine, o->key, &m) && !(m.flags & SIGDB_F_LEGIT)) {
			publish_set_remove_fp(s, o->engine, o->key);
			rep->n_held[o->engine]++;
		}
	}
}

int infra_hold_back(struct infra_learner *l, struct publish_set *s, unsigned min_campaigns,
                    struct infra_report *rep)
{
	struct infra_report local;
	uint32_t *parent = malloc((l->n_msgs ? l->n_msgs : 1) * sizeof *parent);
	uint32_t *roots = malloc((l->n_support ? l->n_support : 1) * sizeof *roots);
	int rc = WHORL_ENOMEM;

	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof *rep);
	if (min_campaigns < 2) {
		rc = WHORL_EINVAL;
		goto out;
	}
	if (!parent || !roots)
		goto out;
	for (uint32_t i = 0; i < l->n_msgs; i++)
		parent[i] = i;
	join_exact(l, parent);
	if ((rc = join_sketches(l, parent)) != 0)
		goto out;
	rep->n_msgs = l->n_msgs;
	for (uint32_t i = 0; i < l->n_msgs; i++)
		rep->n_campaigns += find(parent, i) == i;
	hold_back_shared(l, parent, roots, s, min_campaigns, rep);
out:
	free(parent);
	free(roots);
	return rc;
}
