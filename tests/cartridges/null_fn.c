/*
 * null_fn.c - test cartridge whose otherwise good table has score == NULL.
 * The loader must refuse it naming the missing function. Test fixture only.
 */
#define ECHO_NO_ENTRY 1
#include "good_echo.c"

/* The override below is the point of this file. */
#pragma GCC diagnostic ignored "-Woverride-init"

static const struct whorl_cartridge_api null_fn_api = {
	.size = sizeof(struct whorl_cartridge_api),
	.abi_major = WHORL_ABI_MAJOR,
	.abi_minor = WHORL_ABI_MINOR,
	.capabilities = ECHO_CAPABILITIES,
	.build_signature = WHORL_BUILD_SIGNATURE,
	.version = "whorl-test-null-fn",
	ECHO_API_FUNCTIONS,
	.score = NULL, /* overrides the initializer above on purpose */
};

ECHO_EXPORT const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major,
                                                                    uint32_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &null_fn_api;
}
