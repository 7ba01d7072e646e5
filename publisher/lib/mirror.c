/*
 * mirror.c - read back the set a mirror directory publishes now, verified
 * with the publisher's own key, so the next run can write a delta on it.
 * Uses the cartridge's own reader (cartridge/update/fetch.c), so publisher
 * and gateway cannot disagree on what a set holds.
 *
 * Not for: writing (write.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/update/update_internal.h"
#include "pub_internal.h"

struct err_sink {
	char *err;
	size_t errlen;
};

static void sink_log(void *ctx, int level, const char *module, const char *message)
{
	struct err_sink *s = ctx;

	if (level >= WHORL_LOG_ERROR)
		snprintf(s->err, s->errlen, "%s", message);
}

static int apply_prev(void *ctx, const struct update_record *r)
{
	struct publish_set *prev = ctx;
	struct pub_rec rec = { .engine = r->engine, .algo = r->algo, .key = r->key,
	                       .meta = r->meta, .bytes = (uint8_t *)r->bytes, .len = r->len };

	switch (r->tag) {
	case UPDATE_REC_FP_DEL:
		publish_set_remove_fp(prev, r->engine, r->key);
		return 0;
	case UPDATE_REC_SK_DEL:
		publish_set_remove_sketch(prev, r->engine, r->key);
		return 0;
	default:
		rec.tag = r->tag;
		return pub_set_put(prev, &rec);
	}
}

static int read_sigs_file(struct update_run *run, const struct update_file_ref *ref, int kind,
                          struct publish_set *prev)
{
	uint8_t *payload;
	size_t len;
	int rc = update_file_fetch(run, UPDATE_SRC_SIGS, ref, &payload, &len, NULL);

	if (rc != 0)
		return rc;
	rc = update_payload_parse(payload, len, kind, apply_prev, prev);
	free(payload);
	return rc;
}

/* Index of the first delta after the complete file: deltas kept from
 * before it (publish_options.keep_deltas) are not applied on top of it. */
static size_t chain_from(const struct update_manifest_source *s)
{
	for (size_t k = 0; k < s->n_deltas; k++)
		if (s->deltas[k].base == s->complete)
			return k;
	return s->n_deltas;
}

static int read_manifest(struct update_run *run, struct update_manifest *m, char *err,
                         size_t errlen)
{
	uint8_t *buf;
	size_t len;
	long body;
	int rc = update_read_bounded(run->dir, UPDATE_MANIFEST_NAME, UPDATE_MAX_MANIFEST_BYTES,
	                             &buf, &len);

	if (rc == WHORL_EIO && errno == ENOENT)
		return WHORL_ENODATA;
	if (rc != 0) {
		snprintf(err, errlen, "%s/manifest: cannot read", run->dir);
		return rc;
	}
	body = update_signed_open(buf, len, run->pk);
	rc = body < 0 ? (int)body : update_manifest_parse((char *)buf, (size_t)body, m);
	free(buf);
	if (rc != 0)
		snprintf(err, errlen, "%s/manifest: not a set signed by this key", run->dir);
	return rc;
}

int pub_mirror_read(const char *dir, const uint8_t pk[UPDATE_KEY_BYTES],
                    struct update_manifest *m, struct publish_set *prev,
                    uint8_t *text[UPDATE_N_SOURCES], size_t text_len[UPDATE_N_SOURCES],
                    char *err, size_t errlen)
{
	struct err_sink sink = { err, errlen };
	struct logger lg = { .fn = sink_log, .ctx = &sink, .min_level = WHORL_LOG_ERROR };
	struct update_run *run = calloc(1, sizeof *run);
	const struct update_manifest_source *s = &m->src[UPDATE_SRC_SIGS];
	int rc = WHORL_ENOMEM;

	if (!run)
		return rc;
	run->lg = &lg;
	memcpy(run->pk, pk, UPDATE_KEY_BYTES);
	update_key_id(pk, run->key_id);
	snprintf(run->dir, sizeof run->dir, "%s", dir);
	if ((rc = read_manifest(run, m, err, errlen)) != 0)
		goto out;
	if (s->present && (rc = read_sigs_file(run, &s->full, UPDATE_KIND_COMPLETE, prev)) != 0)
		goto out;
	for (size_t k = s->present ? chain_from(s) : 0; s->present && k < s->n_deltas; k++)
		if ((rc = read_sigs_file(run, &s->deltas[k], UPDATE_KIND_DELTA, prev)) != 0)
			goto out;
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		if (i == UPDATE_SRC_SIGS || !m->src[i].present)
			continue;
		rc = update_file_fetch(run, i, &m->src[i].full, &text[i], &text_len[i], NULL);
		if (rc != 0)
			goto out;
	}
out:
	free(run);
	return rc;
}
