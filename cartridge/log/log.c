/*
 * log.c - formats one log line and hands it to the host's callback.
 *
 * The line is formatted into a stack buffer of LOG_MAX_LINE bytes (no heap,
 * safe from any thread, usable on the scan path), cut with "..." when
 * longer, and control characters are shown as '.' so that bytes taken from
 * mail or config files cannot forge extra lines in the host's log.
 *
 * Not for: deciding where lines go (the host does that); never writes to
 * stdout or stderr.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

void log_init(struct logger *lg, const struct whorl_host_services *host)
{
	size_t need = offsetof(struct whorl_host_services, log) + sizeof(host->log);

	lg->fn = NULL;
	lg->ctx = NULL;
	lg->min_level = WHORL_LOG_DEBUG;
	if (host == NULL || host->size < need)
		return;
	lg->fn = host->log;
	lg->ctx = host->ctx;
}

/* Replaces control characters (and DEL) by '.'; keeps UTF-8 bytes. */
static void log_line_sanitize(char *line)
{
	for (unsigned char *p = (unsigned char *)line; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '.';
}

/* Marks a cut line: the last three characters become "...". */
static void log_line_mark_cut(char *line, size_t size)
{
	if (size < 4)
		return;
	memcpy(line + size - 4, "...", 4);
}

void log_vmsg(const struct logger *lg, int level, const char *module, const char *fmt, va_list ap)
{
	char line[LOG_MAX_LINE];
	int n;

	if (lg == NULL || lg->fn == NULL || fmt == NULL || level < lg->min_level)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		log_line_mark_cut(line, sizeof(line));
	log_line_sanitize(line);
	lg->fn(lg->ctx, level, module != NULL ? module : "", line);
}

void log_msg(const struct logger *lg, int level, const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lg, level, module, fmt, ap);
	va_end(ap);
}
