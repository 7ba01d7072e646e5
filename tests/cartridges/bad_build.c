/*
 * bad_build.c - test cartridge claiming the build signature of a 32-bit
 * big-endian build (4-byte pointers, size_t and long). The loader must
 * refuse it and describe both signatures. Test fixture only.
 */
#define ECHO_NO_ENTRY 1
#include "good_echo.c"

#define BAD_BUILD_SIGNATURE ((4u << 24) | (4u << 16) | (4u << 8) | 2u)

static const struct whorl_cartridge_api bad_build_api = {
	.size = sizeof(struct whorl_cartridge_api),
	.abi_major = WHORL_ABI_MAJOR,
	.abi_minor = WHORL_ABI_MINOR,
	.capabilities = ECHO_CAPABILITIES,
	.build_signature = BAD_BUILD_SIGNATURE,
	.version = "whorl-test-bad-build",
	ECHO_API_FUNCTIONS,
};

ECHO_EXPORT const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major,
                                                                    uint32_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &bad_build_api;
}
