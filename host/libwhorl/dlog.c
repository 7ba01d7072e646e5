/*
 * dlog.c - a daemon's log sink: stderr (foreground) or syslog (service).
 *
 * One process-wide destination, chosen once by whorl_dlog_setup(). The
 * cartridge's lines arrive through whorl_dlog_cartridge() with their level
 * and module and leave the same way as the daemon's own, so a postmaster
 * reads one stream. stderr lines carry a UTC time stamp; syslog adds its
 * own. Lines are formatted into a stack buffer (WHORL_DLOG_LINE_MAX) and
 * written with one call, so lines from different threads never interleave.
 * Not for: statistics reports (the cartridge) or access logs.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "whorl_daemon.h"

#define WHORL_DLOG_LINE_MAX 2048

static int dlog_syslog;             /* 1: syslog, 0: stderr */
static atomic_int dlog_also_stderr; /* syslog lines on stderr too (before detaching) */
static int dlog_journal;            /* stderr is the journal: "<N>" level prefixes */
static atomic_int dlog_min_level = WHORL_LOG_INFO;

const char *whorl_dlog_level_name(int level)
{
	static const char *const names[] = { "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL" };

	return level >= 0 && level <= WHORL_LOG_CRITICAL ? names[level] : "LOG";
}

static int dlog_priority(int level)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT };

	return level >= 0 && level <= WHORL_LOG_CRITICAL ? prio[level] : LOG_NOTICE;
}

void whorl_dlog_setup(int destination, int foreground, const char *ident, int facility,
                      int min_level)
{
	dlog_syslog =
	    destination == WHORL_DLOG_SYSLOG || (destination == WHORL_DLOG_AUTO && !foreground);
	if (dlog_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
	/* systemd sets JOURNAL_STREAM when stderr goes to the journal, which
	 * reads a "<priority>" prefix as the line's level (sd-daemon(3)). */
	dlog_journal = !dlog_syslog && getenv("JOURNAL_STREAM") != NULL;
	atomic_store(&dlog_min_level, min_level);
}

void whorl_dlog_also_stderr(int on)
{
	atomic_store(&dlog_also_stderr, on);
}

void whorl_dlog_set_level(int min_level)
{
	atomic_store(&dlog_min_level, min_level);
}

static void dlog_emit(int level, const char *module, const char *message)
{
	char line[WHORL_DLOG_LINE_MAX], stamp[32];
	struct tm tm;
	time_t now;
	int n;

	if (level < atomic_load(&dlog_min_level))
		return;
	if (dlog_syslog) {
		syslog(dlog_priority(level), "%s [%s] %s", whorl_dlog_level_name(level), module,
		       message);
		if (!atomic_load(&dlog_also_stderr))
			return;
	}
	if (dlog_journal) {
		n = snprintf(line, sizeof(line), "<%d>%s %s: %s\n", dlog_priority(level),
		             whorl_dlog_level_name(level), module, message);
	} else {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(line, sizeof(line), "%s %s %s: %s\n", stamp,
		             whorl_dlog_level_name(level), module, message);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write per line; a failing stderr has nowhere to report to. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void whorl_dlog_write(int level, const char *module, const char *fmt, ...)
{
	char message[WHORL_DLOG_LINE_MAX];
	va_list ap;

	if (level < atomic_load(&dlog_min_level))
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	dlog_emit(level, module, message);
}

void whorl_dlog_cartridge(void *ctx, int level, const char *module, const char *message)
{
	(void)ctx;
	dlog_emit(level, module != NULL ? module : "CARTRIDGE", message != NULL ? message : "");
}
