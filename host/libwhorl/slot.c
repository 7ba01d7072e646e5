/*
 * slot.c - one cartridge image with one engine: open it, retire it.
 *
 * slot_open() loads the image (loader.c: permissions and ABI checks), then
 * runs the cartridge's open() and self_test() on a thread of their own (a
 * whorl_job, job.c) and waits at most open_timeout_ms. When the deadline
 * passes the slot is abandoned to that thread: the host refuses the cartridge and never
 * dlcloses an image a thread may still be executing. If open() ever
 * returns, the job's release quiesces and closes the engine; the image stays
 * mapped (and its record allocated) for the life of the process. The log
 * callback of an abandoned slot drops every line, so a late cartridge never
 * reaches a host that may be gone.
 * slot_retire() quiesces, closes and dlcloses, then reads /proc/self/maps
 * to make sure the image is really gone. host_slot_acquire()/release() pin
 * the running slot for the length of one call.
 * Not for: choosing what to open (host.c, swap.c, rollback.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host_internal.h"

/* What the thread that runs open() gets and gives back (a whorl_job's arg). */
struct slot_job {
	int rc;
	int taken; /* the host took the result; else release() closes the engine */
	struct host_slot *slot;
	struct whorl_host_services services;
	char config_dir[PATH_MAX];
	char why[HOST_ERR_MAX];
};

/* The services' log: may run on any thread, also after an abandoned open. */
static void slot_log_forward(void *ctx, int level, const char *module, const char *message)
{
	struct host_slot *s = ctx;
	struct whorl_host *h;

	pthread_mutex_lock(&s->log_mu);
	h = s->abandoned ? NULL : s->host;
	if (h != NULL && h->log != NULL && level >= h->log_min_level)
		h->log(h->log_ctx, level, module != NULL ? module : "ENGINE",
		       message != NULL ? message : "");
	pthread_mutex_unlock(&s->log_mu);
}

static uint64_t slot_clock_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void slot_services_fill(struct whorl_host *h, struct host_slot *s,
                               struct whorl_host_services *sv)
{
	memset(sv, 0, sizeof(*sv));
	sv->size = sizeof(*sv);
	sv->abi_major = WHORL_ABI_MAJOR;
	sv->abi_minor = WHORL_ABI_MINOR;
	sv->ctx = s;
	sv->log = slot_log_forward;
	sv->clock_ms = slot_clock_ms;
	sv->app_name = h->app_name;
	sv->app_version = h->app_version != NULL ? h->app_version : WHORL_VERSION;
	sv->start_flags = h->start_flags;
	sv->cmae_version = h->cmae_version;
}

/* open() then self_test(); the engine is closed again when the test fails. */
static int slot_job_open_engine(struct slot_job *j)
{
	struct host_slot *s = j->slot;
	int rc;

	rc = s->api->open(&j->services, j->config_dir, &s->engine, j->why, sizeof(j->why));
	if (rc == 0 && s->engine == NULL)
		rc = WHORL_EINVAL;
	if (rc != 0) {
		s->engine = NULL;
		return rc;
	}
	rc = s->api->self_test(s->engine, j->why, sizeof(j->why));
	if (rc != 0) {
		if (rc != WHORL_ESELFTEST)
			rc = WHORL_ESELFTEST;
		s->api->quiesce(s->engine);
		s->api->close(s->engine);
		s->engine = NULL;
	}
	return rc;
}

static void slot_job_run(void *arg)
{
	struct slot_job *j = arg;

	j->rc = slot_job_open_engine(j);
}

/* Last one out: after an abandoned open, close what open() made. */
static void slot_job_release(void *arg)
{
	struct slot_job *j = arg;

	if (!j->taken && j->slot->engine != NULL) {
		j->slot->api->quiesce(j->slot->engine);
		j->slot->api->close(j->slot->engine);
	}
	free(j); /* the slot and its image are kept mapped on purpose */
}

static struct slot_job *slot_job_new(struct whorl_host *h, struct host_slot *s)
{
	struct slot_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->slot = s;
	slot_services_fill(h, s, &j->services);
	snprintf(j->config_dir, sizeof(j->config_dir), "%s", h->config_dir);
	return j;
}

/* Runs open + self_test on a thread. 1 when the slot was abandoned. */
static int slot_engine_open(struct whorl_host *h, struct host_slot *s, int *rc_out, char *why,
                            size_t why_len)
{
	struct slot_job *j = slot_job_new(h, s);
	whorl_job *job;

	if (j == NULL || whorl_job_start(slot_job_run, slot_job_release, j, &job) != 0) {
		free(j);
		*rc_out = WHORL_ENOMEM;
		snprintf(why, why_len, "cannot start the thread that opens the engine");
		return 0;
	}
	if (!whorl_job_wait(job, h->open_timeout_ms, 0, NULL, NULL)) {
		pthread_mutex_lock(&s->log_mu);
		s->abandoned = 1;
		pthread_mutex_unlock(&s->log_mu);
		whorl_job_put(job); /* the thread closes the engine if open() returns */
		*rc_out = WHORL_ELIMIT;
		snprintf(why, why_len,
		         "open and self test did not finish within %u ms; the image "
		         "stays loaded because a thread is still inside it",
		         h->open_timeout_ms);
		return 1;
	}
	j->taken = 1;
	*rc_out = j->rc;
	snprintf(why, why_len, "%s", j->why[0] != '\0' ? j->why : whorl_strerror(j->rc));
	whorl_job_put(job);
	return 0;
}

static struct host_slot *slot_record(struct whorl_host *h)
{
	struct host_slot *s = h->free_slots;

	if (s != NULL) {
		h->free_slots = s->next;
	} else {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return NULL;
		pthread_mutex_init(&s->log_mu, NULL);
	}
	s->next = NULL;
	s->cart = NULL;
	s->api = NULL;
	s->engine = NULL;
	s->host = h;
	s->abandoned = 0;
	return s;
}

static void slot_record_put(struct whorl_host *h, struct host_slot *s)
{
	s->next = h->free_slots;
	h->free_slots = s;
}

static int slot_load(struct whorl_host *h, const char *src, struct host_slot *s, char *errbuf,
                     size_t errlen)
{
	char why[HOST_ERR_MAX];
	int rc = whorl_cartridge_load(s->path, &s->cart, why, sizeof(why));

	if (rc != 0) {
		snprintf(errbuf, errlen, "cartridge %s refused: %s", src, why);
		return rc;
	}
	s->api = whorl_cartridge_table(s->cart);
	snprintf(s->version, sizeof(s->version), "%s", whorl_cartridge_version(s->cart));
	return 0;
}

int slot_open(struct whorl_host *h, const char *src, const char *installed_path, const char *hash,
              struct host_slot **out, char *errbuf, size_t errlen)
{
	char why[HOST_ERR_MAX], local[HOST_ERR_MAX];
	struct host_slot *s;
	int rc;

	if (errbuf == NULL || errlen == 0) {
		errbuf = local;
		errlen = sizeof(local);
	}
	s = slot_record(h);
	if (s == NULL)
		return WHORL_ENOMEM;
	snprintf(s->path, sizeof(s->path), "%s", installed_path);
	snprintf(s->hash, sizeof(s->hash), "%s", hash);
	rc = slot_load(h, src, s, errbuf, errlen);
	if (rc != 0)
		goto refused;
	if (slot_engine_open(h, s, &rc, why, sizeof(why))) {
		snprintf(errbuf, errlen, "cartridge %s refused: %s", src, why);
		return rc; /* s, its image and its thread are left alone */
	}
	if (rc != 0) {
		snprintf(errbuf, errlen, "cartridge %s refused: cannot open an engine on %s: %s",
		         src, h->config_dir, why);
		whorl_cartridge_unload(s->cart);
		goto refused;
	}
	atomic_store(&s->refs, 0);
	*out = s;
	return 0;
refused:
	slot_record_put(h, s);
	return rc;
}

int slot_image_mapped(const char *path)
{
	char line[PATH_MAX + 256];
	size_t n = strlen(path);
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;
	char *p;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		p = strstr(line, path);
		found = p != NULL && (p[n] == '\n' || p[n] == '\0' || p[n] == ' ');
	}
	fclose(f);
	return found;
}

int slot_retire(struct whorl_host *h, struct host_slot *s)
{
	int rc = 0;

	s->api->quiesce(s->engine);
	s->api->close(s->engine);
	s->engine = NULL;
	whorl_cartridge_unload(s->cart);
	s->cart = NULL;
	if (slot_image_mapped(s->path)) {
		host_logf(h, WHORL_LOG_WARN, "cartridge %s (%s) is still mapped after dlclose",
		          s->path, s->version);
		rc = WHORL_EBUSY;
	}
	slot_record_put(h, s);
	return rc;
}

/*
 * Pins the current slot. The count is raised first and `cur` read again: a
 * swap publishes the new slot before it reads the old count, so either the
 * swap sees this call's increment and waits for it, or this call sees the
 * new `cur` and retries without touching the old engine. Records are never
 * freed while the host lives, so the stray increment is always to memory.
 */
struct host_slot *host_slot_acquire(struct whorl_host *h)
{
	struct host_slot *s;

	for (;;) {
		s = atomic_load(&h->cur);
		atomic_fetch_add(&s->refs, 1);
		if (atomic_load(&h->cur) == s)
			return s;
		atomic_fetch_sub(&s->refs, 1);
	}
}

void host_slot_release(struct host_slot *s)
{
	atomic_fetch_sub_explicit(&s->refs, 1, memory_order_release);
}
