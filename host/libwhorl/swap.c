/*
 * swap.c - whorl_host_swap(): replace the running cartridge while scans run.
 *
 * Order: install a content-addressed copy, record it as on trial (with a
 * state directory), open it and run its self test (slot.c), publish it with
 * one atomic exchange of `cur`, wait up to drain_ms for calls still pinned
 * to the old slot, then quiesce, close and unload the old one and check it
 * is no longer mapped. An old slot that does not drain in time is parked
 * and retired at the next swap or at close. A refused cartridge leaves the
 * running one in place; the reason is logged and returned.
 * Not for: opening the first cartridge (host.c) or the rollback record.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host_internal.h"

#define SWAP_POLL_NS 50000L /* sleep between looks at the old slot's count */

static uint64_t swap_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* 0 when no call is pinned to s any more; WHORL_EBUSY at the deadline. */
static int swap_drain(struct host_slot *s, uint32_t ms)
{
	const struct timespec pause = { 0, SWAP_POLL_NS };
	uint64_t until = swap_now_ms() + ms;

	while (atomic_load(&s->refs) != 0) {
		if (swap_now_ms() >= until)
			return WHORL_EBUSY;
		nanosleep(&pause, NULL);
	}
	return 0;
}

/* Retires parked slots that have drained since. */
static void swap_reap_parked(struct whorl_host *h)
{
	struct host_slot **pp = &h->parked, *s;

	while ((s = *pp) != NULL) {
		if (atomic_load(&s->refs) != 0) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		slot_retire(h, s);
	}
}

static void swap_retire_old(struct whorl_host *h, struct host_slot *old)
{
	if (swap_drain(old, h->drain_ms) != 0) {
		host_logf(h, WHORL_LOG_WARN,
		          "cartridge %s still had scans in flight after %u ms; it stays loaded "
		          "until they finish",
		          old->version, h->drain_ms);
		old->next = h->parked;
		h->parked = old;
		return;
	}
	slot_retire(h, old);
}

static int swap_refuse(struct whorl_host *h, const char *path, const char *hash, int rc,
                       char *errbuf, size_t errlen)
{
	struct host_slot *cur = atomic_load(&h->cur);

	if (hash != NULL && h->rb != NULL)
		rollback_refused(h, hash);
	host_logf(h, WHORL_LOG_ERROR, "swap to %s refused: %s; still running %s", path,
	          errbuf != NULL && errbuf[0] != '\0' ? errbuf : whorl_strerror(rc), cur->version);
	return rc;
}

static int swap_locked(struct whorl_host *h, const char *path, char *errbuf, size_t errlen)
{
	char installed[PATH_MAX], hash[HOST_HASH_HEX + 1];
	struct host_slot *cur = atomic_load(&h->cur), *s = NULL;
	uint32_t flags;
	int rc;

	swap_reap_parked(h);
	rc = install_cartridge(h, path, installed, sizeof(installed), hash, errbuf, errlen);
	if (rc != 0)
		return swap_refuse(h, path, NULL, rc, errbuf, errlen);
	if (strcmp(hash, cur->hash) == 0) {
		host_logf(h, WHORL_LOG_INFO, "swap to %s: that cartridge (%s) is already running",
		          path, cur->version);
		return 0;
	}
	if (h->rb != NULL && (rc = rollback_trial(h, installed, hash)) != 0) {
		snprintf(errbuf, errlen, "cannot record the trial in the state directory");
		return swap_refuse(h, path, NULL, rc, errbuf, errlen);
	}
	flags = h->start_flags;
	h->start_flags = 0; /* a swapped-in cartridge starts on its normal data */
	rc = slot_open(h, path, installed, hash, &s, errbuf, errlen);
	if (rc != 0) {
		h->start_flags = flags;
		return swap_refuse(h, path, hash, rc, errbuf, errlen);
	}
	atomic_exchange(&h->cur, s);
	host_logf(h, WHORL_LOG_INFO, "swapped cartridge %s for %s (%s)", cur->version, s->version,
	          path);
	swap_retire_old(h, cur);
	return 0;
}

int whorl_host_swap(whorl_host *h, const char *path, char *errbuf, size_t errlen)
{
	char local[HOST_ERR_MAX] = "";
	int rc;

	if (h == NULL || path == NULL || *path == '\0')
		return WHORL_EINVAL;
	if (errbuf == NULL || errlen == 0) {
		errbuf = local;
		errlen = sizeof(local);
	}
	errbuf[0] = '\0';
	pthread_mutex_lock(&h->swap_mu);
	rc = swap_locked(h, path, errbuf, errlen);
	pthread_mutex_unlock(&h->swap_mu);
	return rc;
}
