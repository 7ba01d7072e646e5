/*
 * fail_selftest.c - the echo cartridge whose self_test() always reports the
 * engine unusable (test fixture only): a swap to it must be refused and the
 * running cartridge must stay.
 */
#define ECHO_NO_ENTRY 1
#include "good_echo.c"

static int failing_self_test(whorl_engine *e, char *errbuf, size_t errlen)
{
	(void)e;
	snprintf(errbuf, errlen, "built-in spam scored 0 (deliberately broken)");
	return WHORL_ESELFTEST;
}

/* The table overrides one member of ECHO_API_FUNCTIONS on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const struct whorl_cartridge_api fail_api = {
	.size = sizeof(struct whorl_cartridge_api),
	.abi_major = WHORL_ABI_MAJOR,
	.abi_minor = WHORL_ABI_MINOR,
	.capabilities = ECHO_CAPABILITIES,
	.build_signature = WHORL_BUILD_SIGNATURE,
	.version = "whorl-test-fail-selftest",
	ECHO_API_FUNCTIONS,
	.self_test = failing_self_test,
};
#pragma GCC diagnostic pop

ECHO_EXPORT const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major,
                                                                    uint32_t host_minor)
{
	(void)host_minor;
	return host_major == WHORL_ABI_MAJOR ? &fail_api : NULL;
}
