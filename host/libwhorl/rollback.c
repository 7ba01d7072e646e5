/*
 * rollback.c - the on-disk record that brings a host back to the last
 * viable cartridge after a crash (docs/HOSTING.md).
 *
 * STATE_DIR/rollback holds "key value" lines: the cartridge on trial and the
 * last viable one (installed path and BLAKE2b hash each), the hash of a
 * cartridge that was rolled back, and `unclean`, the number of starts since
 * the last clean shutdown. Every start bumps it (written and fsync'd before
 * the cartridge is used); whorl_host_close() clears it. A start that finds
 * it at ROLLBACK_THRESHOLD with a trial recorded runs the last viable
 * cartridge instead, with WHORL_START_SAFE_DATA, and logs why. A trial that
 * has run trial_ms without a crash becomes the last viable one (a thread
 * waits for that; clean shutdown after that long does it too).
 * The file is rewritten whole: temp file, fsync, rename, fsync of the dir;
 * then the installed copies it no longer names are removed (install.c).
 * Not for: more than one host process per state directory at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../cartridge/util/file_read.h"
#include "host_internal.h"

#define ROLLBACK_THRESHOLD 3u /* unclean starts before the trial is dropped */
#define ROLLBACK_FILE "rollback"
#define ROLLBACK_LINE_MAX (PATH_MAX + 32)     /* longest line read; longer ones: malformed */
#define ROLLBACK_MAX_BYTES ((size_t)64 << 10) /* a larger record is unreadable */

struct rb_entry {
	char path[PATH_MAX];
	char hash[HOST_HASH_HEX + 1];
};

struct host_rollback {
	char file[PATH_MAX];
	char dir[PATH_MAX];
	struct rb_entry trial, viable;
	char refused[HOST_HASH_HEX + 1];
	unsigned unclean;
	struct timespec trial_since; /* CLOCK_MONOTONIC when this trial began here */
	pthread_t timer;
	int timer_running;
	int stop;           /* under mu */
	pthread_mutex_t mu; /* guards the record and `stop` */
	pthread_cond_t cv;
};

static void rb_set(char *dst, size_t len, const char *val)
{
	if ((size_t)snprintf(dst, len, "%s", val) >= len)
		dst[0] = '\0'; /* an over-long value names nothing */
}

/* One "key value" line into the record; unknown keys are ignored. */
static void rb_parse_line(struct host_rollback *rb, char *line)
{
	char *val = strchr(line, ' ');

	if (val == NULL)
		return;
	*val++ = '\0';
	val[strcspn(val, "\n")] = '\0';
	if (strcmp(line, "trial_path") == 0)
		rb_set(rb->trial.path, sizeof(rb->trial.path), val);
	else if (strcmp(line, "trial_hash") == 0)
		rb_set(rb->trial.hash, sizeof(rb->trial.hash), val);
	else if (strcmp(line, "viable_path") == 0)
		rb_set(rb->viable.path, sizeof(rb->viable.path), val);
	else if (strcmp(line, "viable_hash") == 0)
		rb_set(rb->viable.hash, sizeof(rb->viable.hash), val);
	else if (strcmp(line, "refused_hash") == 0)
		rb_set(rb->refused, sizeof(rb->refused), val);
	else if (strcmp(line, "unclean") == 0)
		rb->unclean = (unsigned)strtoul(val, NULL, 10);
}

/* The record is read whole through file_read (a regular file, not a link,
 * at most ROLLBACK_MAX_BYTES), then line by line; a line of
 * ROLLBACK_LINE_MAX bytes or more is malformed and skipped. */
static int rb_read(struct host_rollback *rb)
{
	char line[ROLLBACK_LINE_MAX], *text = NULL;
	size_t len = 0, pos = 0, n;
	const char *nl;
	int why = 0, rc;

	rc = file_read_whole(rb->file, FILE_READ_NOFOLLOW, ROLLBACK_MAX_BYTES, &text, &len, &why);
	if (rc != 0)
		return why == ENOENT ? 0 : WHORL_EIO;
	while (pos < len) {
		nl = memchr(text + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - text) - pos : len - pos;
		if (n < sizeof(line)) {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			rb_parse_line(rb, line);
		}
		pos += n + 1;
	}
	free(text);
	if (rb->trial.path[0] == '\0' || rb->trial.hash[0] == '\0')
		memset(&rb->trial, 0, sizeof(rb->trial));
	if (rb->viable.path[0] == '\0' || rb->viable.hash[0] == '\0')
		memset(&rb->viable, 0, sizeof(rb->viable));
	return 0;
}

static int rb_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int rb_write(const struct host_rollback *rb)
{
	char tmp[PATH_MAX + 16];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.new", rb->file);
	f = fopen(tmp, "w");
	if (f == NULL)
		return WHORL_EIO;
	fprintf(f,
	        "trial_path %s\ntrial_hash %s\nviable_path %s\nviable_hash %s\n"
	        "refused_hash %s\nunclean %u\n",
	        rb->trial.path, rb->trial.hash, rb->viable.path, rb->viable.hash, rb->refused,
	        rb->unclean);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, rb->file) != 0) {
		unlink(tmp);
		return WHORL_EIO;
	}
	if (rb_fsync_dir(rb->dir) != 0)
		return WHORL_EIO;
	install_prune(rb->dir, rb->trial.hash, rb->viable.hash);
	return 0;
}

static void rb_entry_set(struct rb_entry *e, const char *path, const char *hash)
{
	rb_set(e->path, sizeof(e->path), path);
	rb_set(e->hash, sizeof(e->hash), hash);
}

/* Promotes the trial once it has run trial_ms; stops at close. */
static void *rb_timer_run(void *arg)
{
	struct whorl_host *h = arg;
	struct host_rollback *rb = h->rb;
	struct timespec until = rb->trial_since;
	int timed_out = 0;

	until.tv_sec += h->trial_ms / 1000u;
	until.tv_nsec += (long)(h->trial_ms % 1000u) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&rb->mu);
	while (!rb->stop && !timed_out)
		timed_out = pthread_cond_timedwait(&rb->cv, &rb->mu, &until) == ETIMEDOUT;
	if (!rb->stop && rb->trial.hash[0] != '\0') {
		rb->viable = rb->trial;
		memset(&rb->trial, 0, sizeof(rb->trial));
		if (rb_write(rb) == 0)
			host_logf(h, WHORL_LOG_INFO,
			          "cartridge %s ran cleanly for %u ms: it is now "
			          "the last viable one",
			          rb->viable.path, h->trial_ms);
	}
	pthread_mutex_unlock(&rb->mu);
	return NULL;
}

static void rb_timer_stop(struct host_rollback *rb)
{
	if (!rb->timer_running)
		return;
	pthread_mutex_lock(&rb->mu);
	rb->stop = 1;
	pthread_cond_signal(&rb->cv);
	pthread_mutex_unlock(&rb->mu);
	pthread_join(rb->timer, NULL);
	rb->timer_running = 0;
	rb->stop = 0;
}

/* (Re)starts the trial clock; the caller holds no lock. */
static void rb_timer_start(struct whorl_host *h)
{
	struct host_rollback *rb = h->rb;

	rb_timer_stop(rb);
	clock_gettime(CLOCK_MONOTONIC, &rb->trial_since);
	if (rb->trial.hash[0] != '\0' && pthread_create(&rb->timer, NULL, rb_timer_run, h) == 0)
		rb->timer_running = 1;
}

static struct host_rollback *rb_new(const char *state_dir)
{
	struct host_rollback *rb = calloc(1, sizeof(*rb));
	pthread_condattr_t ca;

	if (rb == NULL)
		return NULL;
	rb_set(rb->dir, sizeof(rb->dir), state_dir);
	if ((size_t)snprintf(rb->file, sizeof(rb->file), "%s/" ROLLBACK_FILE, state_dir) >=
	    sizeof(rb->file)) {
		free(rb);
		return NULL;
	}
	pthread_mutex_init(&rb->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rb->cv, &ca);
	pthread_condattr_destroy(&ca);
	return rb;
}

/* Switches path/hash to the last viable cartridge after too many crashes. */
static void rb_roll_back(struct whorl_host *h, char *path, size_t path_len, char *hash)
{
	struct host_rollback *rb = h->rb;

	host_logf(h, WHORL_LOG_ERROR,
	          "cartridge %s on trial: %u unclean starts; starting the last viable cartridge "
	          "%s with its safe data set",
	          rb->trial.path, rb->unclean, rb->viable.path);
	rb_set(rb->refused, sizeof(rb->refused), rb->trial.hash);
	memset(&rb->trial, 0, sizeof(rb->trial));
	rb->unclean = 0;
	rb_set(path, path_len, rb->viable.path);
	rb_set(hash, HOST_HASH_HEX + 1, rb->viable.hash);
	h->start_flags |= WHORL_START_SAFE_DATA;
}

/* Decides what this start runs: path/hash in = requested, out = chosen. */
static void rb_choose(struct whorl_host *h, char *path, size_t path_len, char *hash)
{
	struct host_rollback *rb = h->rb;
	int have_viable = rb->viable.hash[0] != '\0';

	if (have_viable && strcmp(hash, rb->refused) == 0) {
		host_logf(h, WHORL_LOG_WARN,
		          "cartridge %s was rolled back after unclean starts; "
		          "starting the last viable cartridge %s",
		          path, rb->viable.path);
		rb_set(path, path_len, rb->viable.path);
		rb_set(hash, HOST_HASH_HEX + 1, rb->viable.hash);
		h->start_flags |= WHORL_START_SAFE_DATA;
	} else if (rb->trial.hash[0] != '\0' && strcmp(hash, rb->trial.hash) == 0) {
		if (rb->unclean < ROLLBACK_THRESHOLD)
			return;
		if (have_viable)
			rb_roll_back(h, path, path_len, hash);
		else
			host_logf(h, WHORL_LOG_ERROR,
			          "cartridge %s on trial: %u unclean starts, but "
			          "there is no last viable cartridge to return to",
			          path, rb->unclean);
	} else if (have_viable && strcmp(hash, rb->viable.hash) == 0) {
		memset(&rb->trial, 0, sizeof(rb->trial));
	} else {
		rb_entry_set(&rb->trial, path, hash);
		rb->unclean = 0;
	}
}

int rollback_start(struct whorl_host *h, const char *state_dir, char *path, size_t path_len,
                   char *hash, char *errbuf, size_t errlen)
{
	struct host_rollback *rb = rb_new(state_dir);
	int rc;

	if (rb == NULL)
		return WHORL_ENOMEM;
	h->rb = rb;
	rc = rb_read(rb);
	if (rc == 0) {
		rb_choose(h, path, path_len, hash);
		rb->unclean++;
		rc = rb_write(rb);
	}
	if (rc != 0) {
		snprintf(errbuf, errlen, "rollback state %s cannot be read or written: %s",
		         rb->file, strerror(errno));
		return rc;
	}
	rb_timer_start(h);
	return 0;
}

int rollback_fallback(struct whorl_host *h, char *path, size_t path_len, char *hash)
{
	struct host_rollback *rb = h->rb;
	int rc = WHORL_ENODATA;

	rb_timer_stop(rb);
	if (rb->trial.hash[0] == '\0' || strcmp(rb->trial.hash, hash) != 0 ||
	    rb->viable.hash[0] == '\0')
		return rc;
	host_logf(h, WHORL_LOG_ERROR,
	          "cartridge %s on trial could not be started; starting the "
	          "last viable cartridge %s",
	          rb->trial.path, rb->viable.path);
	rb_set(rb->refused, sizeof(rb->refused), rb->trial.hash);
	memset(&rb->trial, 0, sizeof(rb->trial));
	rb_set(path, path_len, rb->viable.path);
	rb_set(hash, HOST_HASH_HEX + 1, rb->viable.hash);
	h->start_flags |= WHORL_START_SAFE_DATA;
	return rb_write(rb);
}

int rollback_trial(struct whorl_host *h, const char *path, const char *hash)
{
	struct host_rollback *rb = h->rb;
	struct host_slot *cur = atomic_load(&h->cur);
	int rc;

	rb_timer_stop(rb);
	pthread_mutex_lock(&rb->mu);
	/* The running cartridge stays the fallback only if it earned it. */
	if (rb->trial.hash[0] != '\0' && strcmp(rb->trial.hash, cur->hash) == 0)
		memset(&rb->trial, 0, sizeof(rb->trial));
	rb_entry_set(&rb->trial, path, hash);
	rc = rb_write(rb);
	pthread_mutex_unlock(&rb->mu);
	rb_timer_start(h);
	return rc;
}

void rollback_refused(struct whorl_host *h, const char *hash)
{
	struct host_rollback *rb = h->rb;

	rb_timer_stop(rb);
	pthread_mutex_lock(&rb->mu);
	if (strcmp(rb->trial.hash, hash) == 0)
		memset(&rb->trial, 0, sizeof(rb->trial));
	rb_set(rb->refused, sizeof(rb->refused), hash);
	if (rb_write(rb) != 0)
		host_logf(h, WHORL_LOG_ERROR, "rollback state %s cannot be written", rb->file);
	pthread_mutex_unlock(&rb->mu);
}

static uint64_t rb_elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - since->tv_sec) * 1000u +
	       (uint64_t)((now.tv_nsec - since->tv_nsec) / 1000000L);
}

void rollback_close(struct whorl_host *h)
{
	struct host_rollback *rb = h->rb;

	if (rb == NULL)
		return;
	rb_timer_stop(rb);
	if (rb->trial.hash[0] != '\0' && rb_elapsed_ms(&rb->trial_since) >= h->trial_ms) {
		rb->viable = rb->trial;
		memset(&rb->trial, 0, sizeof(rb->trial));
	}
	rb->unclean = 0;
	if (rb_write(rb) != 0)
		host_logf(h, WHORL_LOG_ERROR, "rollback state %s cannot be written", rb->file);
	rollback_abort(h);
}

void rollback_abort(struct whorl_host *h)
{
	struct host_rollback *rb = h->rb;

	if (rb == NULL)
		return;
	rb_timer_stop(rb);
	pthread_cond_destroy(&rb->cv);
	pthread_mutex_destroy(&rb->mu);
	free(rb);
	h->rb = NULL;
}
