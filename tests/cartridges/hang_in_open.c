/*
 * hang_in_open.c - the echo cartridge whose open() never returns (it
 * sleeps in a loop), as a cartridge stuck on a lock or a dead network
 * share would (test fixture only). The host must refuse it after its open
 * timeout and must not dlclose it while the opening thread is inside.
 */
#include <unistd.h>

#define ECHO_NO_ENTRY 1
#include "good_echo.c"

#define HANG_SLEEP_S 3600u

static int hang_open(const struct whorl_host_services *host, const char *config_dir,
                     whorl_engine **engine_out, char *errbuf, size_t errlen)
{
	for (;;)
		sleep(HANG_SLEEP_S);
	return echo_open(host, config_dir, engine_out, errbuf, errlen);
}

/* The table overrides one member of ECHO_API_FUNCTIONS on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const struct whorl_cartridge_api hang_api = {
	.size = sizeof(struct whorl_cartridge_api),
	.abi_major = WHORL_ABI_MAJOR,
	.abi_minor = WHORL_ABI_MINOR,
	.capabilities = ECHO_CAPABILITIES,
	.build_signature = WHORL_BUILD_SIGNATURE,
	.version = "whorl-test-hang-in-open",
	ECHO_API_FUNCTIONS,
	.open = hang_open,
};
#pragma GCC diagnostic pop

ECHO_EXPORT const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major,
                                                                    uint32_t host_minor)
{
	(void)host_minor;
	return host_major == WHORL_ABI_MAJOR ? &hang_api : NULL;
}
