/*
 * bad_major.c - test cartridge whose table says ABI major 2 (and returns it
 * to a host speaking 1 anyway). The loader must refuse it naming the major.
 * Everything else is good_echo's. Test fixture only.
 */
#define ECHO_NO_ENTRY 1
#include "good_echo.c"

static const struct whorl_cartridge_api bad_major_api = {
	.size = sizeof(struct whorl_cartridge_api),
	.abi_major = 2,
	.abi_minor = 0,
	.capabilities = ECHO_CAPABILITIES,
	.build_signature = WHORL_BUILD_SIGNATURE,
	.version = "whorl-test-bad-major",
	ECHO_API_FUNCTIONS,
};

ECHO_EXPORT const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major,
                                                                    uint32_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &bad_major_api;
}
