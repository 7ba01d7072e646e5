/*
 * slow_on_marker.c - the echo cartridge, except that scoring a message
 * with a line "X-Whorl-Sleep-Ms: N" first sleeps N milliseconds (at most
 * 10 s), the way a scan stuck on a hard message would (test fixture only:
 * whorld's queue, deadline and drain tests).
 */
#include <stdlib.h>
#include <time.h>

#define ECHO_NO_ENTRY 1
#include "good_echo.c"

#define SLOW_MARKER "X-Whorl-Sleep-Ms: "
#define SLOW_MAX_MS 10000L

static int slow_score(whorl_engine *e, const struct whorl_envelope *envelope, const char *msg,
                      size_t len, struct whorl_verdict **verdict_out)
{
	const char *m = memmem(msg, len, SLOW_MARKER, sizeof(SLOW_MARKER) - 1);

	if (m != NULL) {
		long ms = 0;
		for (m += sizeof(SLOW_MARKER) - 1; m < msg + len && *m >= '0' && *m <= '9'; m++)
			ms = ms < SLOW_MAX_MS ? ms * 10 + (*m - '0') : ms;
		ms = ms < SLOW_MAX_MS ? ms : SLOW_MAX_MS;
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	return echo_score(e, envelope, msg, len, verdict_out);
}

/* The table overrides one member of ECHO_API_FUNCTIONS on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const struct whorl_cartridge_api slow_api = {
	.size = sizeof(struct whorl_cartridge_api),
	.abi_major = WHORL_ABI_MAJOR,
	.abi_minor = WHORL_ABI_MINOR,
	.capabilities = ECHO_CAPABILITIES,
	.build_signature = WHORL_BUILD_SIGNATURE,
	.version = "whorl-test-slow-on-marker",
	ECHO_API_FUNCTIONS,
	.score = slow_score,
};
#pragma GCC diagnostic pop

ECHO_EXPORT const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major,
                                                                    uint32_t host_minor)
{
	(void)host_minor;
	return host_major == WHORL_ABI_MAJOR ? &slow_api : NULL;
}
