/*
 * log.h - log lines from the cartridge to the host's callback.
 *
 * Every line has a level (WHORL_LOG_*), a module tag ("CONFIG",
 * "MICROUPDATE", "WHITELIST", "ENGINE", "SIGDB", "STATS") and a message
 * whose text follows the Cartridge guide's Appendix A wherever it has one.
 * A logger belongs to one engine; it is safe from any thread. With no host
 * callback, lines are dropped (the cartridge never writes to stderr).
 *
 * Not for: statistics (stats/).
 */
#ifndef WHORL_LOG_H
#define WHORL_LOG_H

#include <stdarg.h>

#include "../../abi/whorl_cartridge.h"

#define LOG_MAX_LINE 1024 /* longer messages are cut */

struct logger {
	void (*fn)(void *ctx, int level, const char *module, const char *message);
	void *ctx;
	int min_level; /* lines below it are dropped; default WHORL_LOG_DEBUG */
};

/* A logger that calls the host's log service (which may be NULL). */
void log_init(struct logger *lg, const struct whorl_host_services *host);

void log_msg(const struct logger *lg, int level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void log_vmsg(const struct logger *lg, int level, const char *module, const char *fmt, va_list ap);

#define log_info(lg, mod, ...) log_msg((lg), WHORL_LOG_INFO, (mod), __VA_ARGS__)
#define log_warn(lg, mod, ...) log_msg((lg), WHORL_LOG_WARN, (mod), __VA_ARGS__)
#define log_error(lg, mod, ...) log_msg((lg), WHORL_LOG_ERROR, (mod), __VA_ARGS__)
#define log_crit(lg, mod, ...) log_msg((lg), WHORL_LOG_CRITICAL, (mod), __VA_ARGS__)

#endif
