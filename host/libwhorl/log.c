/*
 * log.c - libwhorl's own log lines (module "HOST"), through the host
 * program's log callback and level. Every other libwhorl file logs through
 * here; this file calls nothing else of libwhorl, so logging ties no file
 * to another. Not for: the cartridge's lines (slot.c forwards those) or a
 * daemon's log destination (dlog.c).
 */
#include <stdarg.h>
#include <stdio.h>

#include "host_internal.h"

void host_logf(struct whorl_host *h, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (h->log == NULL || level < h->log_min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->log(h->log_ctx, level, "HOST", line);
}
