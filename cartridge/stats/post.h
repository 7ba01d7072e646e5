/*
 * post.h - sends one sealed statistics report: an HTTP POST of text/plain
 * to the statistics url, through the configured proxy, with a bounded
 * number of tries. Failures are logged with the guide's Appendix A
 * statistics ERROR lines and the report is dropped; nothing is queued and
 * nothing is written to disk.
 *
 * Not for: building or sealing the report (report.h).
 */
#ifndef WHORL_STATS_POST_H
#define WHORL_STATS_POST_H

#include <stdatomic.h>
#include <stddef.h>

#include "../cfg/cfg.h"
#include "../log/log.h"

struct net_curl;

#define STATS_POST_TRIES 3         /* attempts before a report is dropped */
#define STATS_POST_RETRY_SECONDS 5 /* pause between attempts */
#define STATS_POST_MAX_REPLY 4096  /* reply bytes kept for the log line */

/* POSTs body[0..len) to url. Tries up to `tries` times (a connection
 * failure or a 5xx answer is retried, a 4xx is not), sleeping
 * STATS_POST_RETRY_SECONDS between tries unless *cancel becomes non-zero
 * (cancel may be NULL). Timeouts come from "micro-update timeout", capped at
 * max_seconds when that is non-zero. 0 when the collector answered 200;
 * WHORL_ENETWORK otherwise (logged), also when curl is NULL (the engine's
 * libcurl could not be loaded: update/net.h, net_lib_get). Thread safe. */
int stats_post(const struct net_curl *curl, const struct cfg *cfg, const struct logger *lg,
               const char *url, const char *body, size_t len, unsigned tries, long max_seconds,
               const atomic_int *cancel);

#endif
