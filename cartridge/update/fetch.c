/*
 * fetch.c - read one data file of an update set and everything that vouches
 * for it: checksum file signature, what it names, size, hash, then decrypt
 * and inflate (datafile.c). Each refusal logs one line naming the file.
 *
 * The bytes come from update_run_read(): a directory or a network mirror
 * (net_read.c); the checks are the same for both.
 *
 * Not for: choosing files (loader.c) or the transport (net.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "update_internal.h"

void update_blob_free(struct update_blob *b)
{
	free(b->data);
	free(b->cksum);
	memset(b, 0, sizeof *b);
}

void update_fetch_fail(const struct update_run *run, int source, const char *file, const char *why)
{
	log_error(run->lg, UPDATE_MOD, "Could not update %s from %s (microupdate file %s %s).",
	          update_source_name(source), update_run_where(run), file, why);
}

/* The checksum file names exactly this file, and the manifest agrees. */
static int cksum_matches(const struct update_run *run, int source,
                         const struct update_file_ref *ref, const struct update_cksum *c)
{
	return memcmp(c->key_id, run->key_id, sizeof c->key_id) == 0 &&
	       strcmp(c->name, ref->name) == 0 && c->source == source && c->serial == ref->serial &&
	       c->base == ref->base && c->size == ref->size &&
	       memcmp(c->hash, ref->hash, sizeof c->hash) == 0;
}

int update_cksum_fetch(struct update_run *run, int source, const struct update_file_ref *ref,
                       struct update_cksum *c, uint8_t **raw, size_t *raw_len)
{
	char name[UPDATE_MAX_NAME + sizeof UPDATE_CKSUM_SUFFIX];
	long body;
	int rc;

	snprintf(name, sizeof name, "%s%s", ref->name, UPDATE_CKSUM_SUFFIX);
	rc = update_run_read(run, name, UPDATE_MAX_CKSUM_BYTES, raw, raw_len);
	if (rc != 0 && update_run_logged(run)) /* logged by the transport */
		return rc == WHORL_ELIMIT ? WHORL_ESIGNATURE : rc;
	if (rc != 0) {
		log_error(run->lg, UPDATE_MOD, "Failed to load checksum file from cache (%s): %s",
		          name, rc == WHORL_EIO ? strerror(errno) : "too large");
		return rc == WHORL_ELIMIT ? WHORL_ESIGNATURE : rc;
	}
	body = update_signed_open(*raw, *raw_len, run->pk);
	if (body < 0 || update_cksum_parse((const char *)*raw, (size_t)body, c) != 0 ||
	    !cksum_matches(run, source, ref, c)) {
		update_fetch_fail(run, source, name, "failed the integrity check");
		return WHORL_ESIGNATURE;
	}
	return 0;
}

static uint64_t source_max_raw(int source)
{
	return source == UPDATE_SRC_SIGS ? UPDATE_MAX_INFLATED_BYTES : UPDATE_MAX_TEXT_BYTES;
}

static int file_fetch(struct update_run *run, int source, const struct update_file_ref *ref,
                      uint8_t **payload, size_t *raw_len, struct update_blob *keep)
{
	struct update_cksum c;
	uint8_t *ck = NULL, *data = NULL;
	size_t ck_len = 0, data_len = 0;
	int rc;

	*payload = NULL;
	if ((rc = update_cksum_fetch(run, source, ref, &c, &ck, &ck_len)) != 0)
		goto out;
	rc = WHORL_ELIMIT;
	if (c.raw_size > source_max_raw(source)) {
		update_fetch_fail(run, source, ref->name, "declares a size past the limit");
		goto out;
	}
	rc = update_run_read(run, ref->name, (size_t)ref->size, &data, &data_len);
	if (rc != 0 && update_run_logged(run)) { /* logged by the transport */
		rc = rc == WHORL_ELIMIT ? WHORL_ESIGNATURE : rc;
		goto out;
	}
	if (rc == WHORL_EIO) {
		log_error(run->lg, UPDATE_MOD, "Could not update %s from disk (%s: %s).",
		          update_source_name(source), ref->name, strerror(errno));
		goto out;
	}
	if (rc == WHORL_ELIMIT) {
		update_fetch_fail(run, source, ref->name, "is larger than declared");
		rc = WHORL_ESIGNATURE;
		goto out;
	}
	if (rc == 0)
		rc = update_data_open(data, data_len, &c, payload);
	if (rc != 0) {
		update_fetch_fail(run, source, ref->name,
		                  rc == WHORL_ELIMIT    ? "inflates past its declared size"
		                  : rc == WHORL_EFORMAT ? "could not be decompressed"
		                                        : "failed the integrity check");
		goto out;
	}
	*raw_len = (size_t)c.raw_size;
	if (keep) {
		snprintf(keep->name, sizeof keep->name, "%s", ref->name);
		keep->data = data;
		keep->len = data_len;
		keep->cksum = ck;
		keep->cksum_len = ck_len;
		data = ck = NULL;
	}
out:
	free(ck);
	free(data);
	return rc;
}

/* Counts each file as the guide's Table 3 does: network downloads by kind,
 * complete files read from disk. */
void update_count_file(const struct update_run *run, const struct update_file_ref *ref, int ok)
{
	if (!run->hooks || !run->hooks->counters)
		return; /* the publisher re-reads its own mirror without hooks */
	if (!run->net)
		update_count(run,
		             ok ? UPDATE_COUNTER(run, disk_ok) : UPDATE_COUNTER(run, disk_fail));
	else if (ref->base == 0)
		update_count(run, ok ? UPDATE_COUNTER(run, complete_ok)
		                     : UPDATE_COUNTER(run, complete_fail));
	else
		update_count(run, ok ? UPDATE_COUNTER(run, incremental_ok)
		                     : UPDATE_COUNTER(run, incremental_fail));
}

int update_file_fetch(struct update_run *run, int source, const struct update_file_ref *ref,
                      uint8_t **payload, size_t *raw_len, struct update_blob *keep)
{
	int rc = file_fetch(run, source, ref, payload, raw_len, keep);

	update_count_file(run, ref, rc == 0);
	return rc;
}
