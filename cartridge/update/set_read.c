/*
 * set_read.c - update_set_read() (set_read.h): verify and read a whole set
 * in a directory with the loader's own readers (fetch.c: checksum file,
 * size, hash, decryption, inflation), for callers outside the loader.
 *
 * Not for: building snapshots (loader.c) or the network (net_read.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "set_read.h"
#include "update_internal.h"

static int set_read_manifest(struct update_run *run, struct update_manifest *m)
{
	uint8_t *buf;
	size_t len;
	long body;
	int rc = update_read_bounded(run->dir, UPDATE_MANIFEST_NAME, UPDATE_MAX_MANIFEST_BYTES,
	                             &buf, &len);

	if (rc == WHORL_EIO && errno == ENOENT)
		return WHORL_ENODATA;
	if (rc != 0) {
		log_error(run->lg, UPDATE_MOD, "%s/%s: cannot read", run->dir,
		          UPDATE_MANIFEST_NAME);
		return rc;
	}
	body = update_signed_open(buf, len, run->pk);
	rc = body < 0 ? (int)body : update_manifest_parse((char *)buf, (size_t)body, m);
	free(buf);
	if (rc != 0)
		log_error(run->lg, UPDATE_MOD, "%s/%s: not a set signed by this key", run->dir,
		          UPDATE_MANIFEST_NAME);
	return rc;
}

static int set_read_sigs_file(struct update_run *run, const struct update_file_ref *ref, int kind,
                              update_set_record_fn on_record, void *ctx)
{
	uint8_t *payload;
	size_t len;
	int rc = update_file_fetch(run, UPDATE_SRC_SIGS, ref, &payload, &len, NULL);

	if (rc != 0)
		return rc;
	rc = update_payload_parse(payload, len, kind, on_record, ctx);
	free(payload);
	return rc;
}

/* Index of the first delta after the complete file: deltas kept from
 * before it (the publisher keeps the chain) are not applied on top of it. */
static size_t set_chain_from(const struct update_manifest_source *s)
{
	for (size_t k = 0; k < s->n_deltas; k++)
		if (s->deltas[k].base == s->complete)
			return k;
	return s->n_deltas;
}

static int set_read_sources(struct update_run *run, const struct update_manifest *m,
                            update_set_record_fn on_record, void *ctx,
                            uint8_t *text[UPDATE_N_SOURCES], size_t text_len[UPDATE_N_SOURCES])
{
	const struct update_manifest_source *s = &m->src[UPDATE_SRC_SIGS];
	int rc;

	if (s->present &&
	    (rc = set_read_sigs_file(run, &s->full, UPDATE_KIND_COMPLETE, on_record, ctx)) != 0)
		return rc;
	for (size_t k = s->present ? set_chain_from(s) : s->n_deltas; k < s->n_deltas; k++)
		if ((rc =
		         set_read_sigs_file(run, &s->deltas[k], UPDATE_KIND_DELTA, on_record, ctx)))
			return rc;
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		if (i == UPDATE_SRC_SIGS || !m->src[i].present)
			continue;
		rc = update_file_fetch(run, i, &m->src[i].full, &text[i], &text_len[i], NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int update_set_read(const char *dir, const uint8_t pk[UPDATE_KEY_BYTES], const struct logger *lg,
                    struct update_manifest *m, update_set_record_fn on_record, void *ctx,
                    uint8_t *text[UPDATE_N_SOURCES], size_t text_len[UPDATE_N_SOURCES])
{
	struct update_run *run = calloc(1, sizeof *run); /* large: not on the stack */
	int rc = WHORL_ENOMEM;

	if (!run)
		return rc;
	run->lg = lg;
	memcpy(run->pk, pk, UPDATE_KEY_BYTES);
	update_key_id(pk, run->key_id);
	snprintf(run->dir, sizeof run->dir, "%s", dir);
	if ((rc = set_read_manifest(run, m)) == 0)
		rc = set_read_sources(run, m, on_record, ctx, text, text_len);
	free(run);
	return rc;
}
