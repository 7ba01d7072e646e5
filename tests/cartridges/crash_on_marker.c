/*
 * crash_on_marker.c - the echo cartridge, except that scoring a message
 * with a line "X-Whorl-Crash: now" kills the process with SIGSEGV, the way
 * a bug in a new cartridge would (test fixture only; the rollback tests).
 */
#include <signal.h>

#define ECHO_NO_ENTRY 1
#include "good_echo.c"

#define CRASH_MARKER "X-Whorl-Crash: now"

static int crash_score(whorl_engine *e, const struct whorl_envelope *envelope, const char *msg,
                       size_t len, struct whorl_verdict **verdict_out)
{
	if (memmem(msg, len, CRASH_MARKER, sizeof(CRASH_MARKER) - 1) != NULL)
		raise(SIGSEGV);
	return echo_score(e, envelope, msg, len, verdict_out);
}

/* The table overrides one member of ECHO_API_FUNCTIONS on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const struct whorl_cartridge_api crash_api = {
	.size = sizeof(struct whorl_cartridge_api),
	.abi_major = WHORL_ABI_MAJOR,
	.abi_minor = WHORL_ABI_MINOR,
	.capabilities = ECHO_CAPABILITIES,
	.build_signature = WHORL_BUILD_SIGNATURE,
	.version = "whorl-test-crash-on-marker",
	ECHO_API_FUNCTIONS,
	.score = crash_score,
};
#pragma GCC diagnostic pop

ECHO_EXPORT const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major,
                                                                    uint32_t host_minor)
{
	(void)host_minor;
	return host_major == WHORL_ABI_MAJOR ? &crash_api : NULL;
}
