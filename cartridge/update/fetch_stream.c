/*
 * fetch_stream.c - update_sigs_stream(): a complete sigs file from the
 * mirror to the payload parser without ever holding it whole in memory.
 *
 * The file goes to <cache>/<local name>.part as it arrives (network) or is
 * copied there in pieces (file:// mirror); with no usable cache directory
 * to an unnamed scratch file instead. From that file it is verified and
 * opened through a fixed window (datastream.c), its payload fed to the
 * caller's stream parser. On success the .part stays open in run->part,
 * renamed into the cache by update_cache_store() once the set is in use.
 * Log lines and counters are those of the in-memory path (fetch.c).
 *
 * Not for: deltas and text sources (fetch.c keeps them in memory), or
 * applying records (loader.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "state.h"
#include "update_internal.h"

#define SCRATCH_DIR "/tmp" /* unnamed scratch file when the cache is unusable */

static int payload_sink(void *ctx, const uint8_t *p, size_t n)
{
	return update_payload_stream_feed(ctx, p, n);
}

/* An unnamed 0600 file nobody else can open or link. 0 or -1 (logged). */
static int part_scratch(const struct update_run *run, struct update_part *part)
{
	memset(part, 0, sizeof *part);
	part->fd = open(SCRATCH_DIR, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (part->fd < 0) {
		log_warn(run->lg, UPDATE_MOD, "Can not create partial micro-update file in %s (%s)",
		         SCRATCH_DIR, strerror(errno));
		return -1;
	}
	part->open = 1;
	return 0;
}

/* Where ref's bytes go: the cache's .part, else a scratch file. */
static int part_open(struct update_run *run, const struct update_file_ref *ref,
                     struct update_part *part)
{
	char dir[PATH_MAX], name[UPDATE_MAX_NAME + 1];

	update_cache_name(UPDATE_SRC_SIGS, ref->serial, name, sizeof name);
	if (update_cache_prepare(run->cfg, run->lg, dir, sizeof dir) == 0 &&
	    update_part_create(run, dir, name, part) == 0)
		return 0;
	return part_scratch(run, part) == 0 ? 0 : WHORL_EIO;
}

/* ref's bytes into part->fd, failures logged as the in-memory path does. */
static int part_fill(struct update_run *run, const struct update_file_ref *ref,
                     struct update_part *part)
{
	int rc = update_run_read_fd(run, ref->name, (size_t)ref->size, part->fd);

	if (rc != 0 && update_run_logged(run)) /* logged by the transport */
		return rc == WHORL_ELIMIT ? WHORL_ESIGNATURE : rc;
	if (rc == WHORL_ELIMIT) {
		update_fetch_fail(run, UPDATE_SRC_SIGS, ref->name, "is larger than declared");
		return WHORL_ESIGNATURE;
	}
	if (rc != 0)
		log_error(run->lg, UPDATE_MOD, "Could not update sigs from disk (%s: %s).",
		          ref->name, rc == WHORL_EIO ? strerror(errno) : "name too long");
	return rc;
}

static void open_fail(const struct update_run *run, const struct update_file_ref *ref, int rc)
{
	if (rc == WHORL_EIO) {
		log_error(run->lg, UPDATE_MOD, "Could not update sigs from %s (%s: %s).",
		          update_run_where(run), ref->name, strerror(errno));
		return;
	}
	update_fetch_fail(run, UPDATE_SRC_SIGS, ref->name,
	                  rc == WHORL_ELIMIT    ? "inflates past its declared size"
	                  : rc == WHORL_EFORMAT ? "could not be decompressed"
	                                        : "failed the integrity check");
}

static int sigs_stream(struct update_run *run, const struct update_file_ref *ref,
                       struct update_payload_stream *ps)
{
	struct update_part part = { 0 };
	struct update_cksum c;
	uint8_t *ck = NULL;
	size_t ck_len = 0;
	int rc;

	update_part_drop(&run->part); /* one complete sigs file per run */
	memset(&c, 0, sizeof c);
	if ((rc = update_cksum_fetch(run, UPDATE_SRC_SIGS, ref, &c, &ck, &ck_len)) != 0)
		goto out;
	rc = WHORL_ELIMIT;
	if (c.raw_size > UPDATE_MAX_INFLATED_BYTES) {
		update_fetch_fail(run, UPDATE_SRC_SIGS, ref->name,
		                  "declares a size past the limit");
		goto out;
	}
	ps->count_max = c.raw_size / UPDATE_MIN_RECORD_BYTES;
	if ((rc = part_open(run, ref, &part)) != 0 || (rc = part_fill(run, ref, &part)) != 0)
		goto out;
	rc = update_data_stream(part.fd, &c, payload_sink, ps);
	if (rc == 0)
		rc = update_payload_stream_finish(ps);
	if (rc != 0 && rc != ps->err)
		open_fail(run, ref, rc);
	if (rc == 0) {
		part.cksum = ck;
		part.cksum_len = ck_len;
		ck = NULL;
		run->part = part;
		memset(&part, 0, sizeof part);
	}
out:
	sodium_memzero(&c, sizeof c); /* the file key */
	free(ck);
	update_part_drop(&part);
	return rc;
}

int update_sigs_stream(struct update_run *run, const struct update_file_ref *ref,
                       struct update_payload_stream *ps)
{
	int rc = sigs_stream(run, ref, ps);

	update_count_file(run, ref, rc == 0);
	return rc;
}
