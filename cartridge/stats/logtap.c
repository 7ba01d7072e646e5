/*
 * logtap.c - keeps the period's log lines (>= INFO) for the report's
 * "log messages" key, between the engine's logger and the host.
 *
 * Every line still reaches the host unchanged; a copy "LEVEL MODULE:
 * message" goes into a fixed buffer of STATS_LOG_MAX_BYTES /
 * STATS_LOG_MAX_LINES per period, and lines past either bound are only
 * counted. Nothing is written to disk.
 *
 * Not for: formatting lines (log/log.c sanitises them before they get here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static const char *level_name(int level)
{
	switch (level) {
	case WHORL_LOG_INFO: return "INFO";
	case WHORL_LOG_WARN: return "WARN";
	case WHORL_LOG_ERROR: return "ERROR";
	case WHORL_LOG_CRITICAL: return "CRITICAL";
	}
	return "DEBUG";
}

static void stats_log_record(struct stats_log *l, int level, const char *module,
                             const char *message)
{
	pthread_mutex_lock(&l->mu);
	size_t room = sizeof(l->buf) - l->len;
	int n = l->n_lines < STATS_LOG_MAX_LINES ? snprintf(l->buf + l->len, room, "%s %s: %s\n",
	                                                    level_name(level), module, message)
	                                         : -1;
	if (n > 0 && (size_t)n < room) {
		l->len += (size_t)n;
		l->n_lines++;
	} else {
		l->buf[l->len] = '\0'; /* drop the partial line */
		l->dropped++;
	}
	pthread_mutex_unlock(&l->mu);
}

static void stats_log_tee(void *ctx, int level, const char *module, const char *message)
{
	struct stats_log *l = ctx;
	if (level >= WHORL_LOG_INFO)
		stats_log_record(l, level, module, message);
	if (l->host_fn != NULL)
		l->host_fn(l->host_ctx, level, module, message);
}

int stats_init(struct stats *s, struct logger *lg)
{
	if (pthread_mutex_init(&s->log.mu, NULL) != 0)
		return WHORL_ENOMEM;
	atomic_init(&s->active, 0);
	s->log.host_fn = lg->fn;
	s->log.host_ctx = lg->ctx;
	lg->fn = stats_log_tee;
	lg->ctx = &s->log;
	return 0;
}

void stats_destroy(struct stats *s)
{
	pthread_mutex_destroy(&s->log.mu);
}

char *stats_log_take(struct stats_log *l, unsigned *dropped)
{
	pthread_mutex_lock(&l->mu);
	char *out = malloc(l->len + 1);
	if (out != NULL) {
		memcpy(out, l->buf, l->len);
		out[l->len] = '\0';
		*dropped = l->dropped;
		l->len = 0;
		l->n_lines = 0;
		l->dropped = 0;
	}
	pthread_mutex_unlock(&l->mu);
	return out;
}

void stats_log_host(struct stats_log *l, int level, const char *module, const char *message)
{
	if (l->host_fn != NULL)
		l->host_fn(l->host_ctx, level, module, message);
}
