/*
 * good_echo2.c - a second build of the echo cartridge (test fixture only):
 * the same rules as good_echo.c with version "whorl-test-echo 2.0", so its
 * file differs and the swap tests and tests/bench/swap_stress can switch
 * between two images.
 */
#define ECHO_NO_ENTRY 1
#include "good_echo.c"

static const struct whorl_cartridge_api echo2_api = {
	.size = sizeof(struct whorl_cartridge_api),
	.abi_major = WHORL_ABI_MAJOR,
	.abi_minor = WHORL_ABI_MINOR,
	.capabilities = ECHO_CAPABILITIES,
	.build_signature = WHORL_BUILD_SIGNATURE,
	.version = "whorl-test-echo 2.0",
	ECHO_API_FUNCTIONS,
};

ECHO_EXPORT const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major,
                                                                    uint32_t host_minor)
{
	(void)host_minor;
	return host_major == WHORL_ABI_MAJOR ? &echo2_api : NULL;
}
