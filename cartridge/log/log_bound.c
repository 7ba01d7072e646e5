/*
 * log_bound.c - count, rather than log, a file's problem lines past a bound
 * (see log_bound.h).
 */
#include "log_bound.h"

static void log_bound_line(void *ctx, int level, const char *module, const char *message)
{
	struct log_bound *b = ctx;

	if (b->next == NULL || level < b->next->min_level)
		return;
	if (level >= WHORL_LOG_WARN && b->n_logged >= b->max_lines) {
		b->n_dropped++;
		if (level > b->worst_dropped)
			b->worst_dropped = level;
		return;
	}
	if (level >= WHORL_LOG_WARN)
		b->n_logged++;
	log_msg(b->next, level, module, "%s", message);
}

void log_bound_init(struct log_bound *b, const struct logger *next, unsigned max_lines)
{
	b->next = next;
	b->max_lines = max_lines;
	b->n_logged = 0;
	b->n_dropped = 0;
	b->worst_dropped = WHORL_LOG_WARN;
	b->lg.fn = log_bound_line;
	b->lg.ctx = b;
	b->lg.min_level = next != NULL ? next->min_level : WHORL_LOG_DEBUG;
}

void log_bound_end(const struct log_bound *b, const char *module, const char *what)
{
	if (b->n_dropped == 0)
		return;
	log_msg(b->next, b->worst_dropped, module,
	        "%u more problems in %s were not logged (the first %u were)", b->n_dropped, what,
	        b->max_lines);
}
