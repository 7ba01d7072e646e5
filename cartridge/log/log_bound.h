/*
 * log_bound.h - a logger that passes at most a fixed number of problem
 * lines (WARN and above) from one file's parse and then only counts them,
 * so a configuration with 20,000 unknown keys or 100,000 bad whitelist
 * lines logs LOG_BOUND_LINES of them and one summary line, not a flood.
 *
 * Not for: lines that are not about one file's contents, or scan-time logs.
 */
#ifndef WHORL_LOG_BOUND_H
#define WHORL_LOG_BOUND_H

#include "log.h"

#define LOG_BOUND_LINES 20u /* problem lines logged per file before counting */

struct log_bound {
	struct logger lg;          /* give this to the parser */
	const struct logger *next; /* where the lines go */
	unsigned max_lines;
	unsigned n_logged, n_dropped;
	int worst_dropped; /* highest level among the dropped lines */
};

/* Starts a bound of max_lines problem lines in front of next. Lines below
 * WHORL_LOG_WARN always pass. Single-threaded (one parse at a time). */
void log_bound_init(struct log_bound *b, const struct logger *next, unsigned max_lines);

/* When lines were dropped, logs one line at the worst dropped level on
 * module: "<n> more problems in <what> were not logged (the first <max>
 * were)". */
void log_bound_end(const struct log_bound *b, const char *module, const char *what);

#endif
