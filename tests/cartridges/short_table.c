/*
 * short_table.c - test cartridge whose table size stops before `open`, as a
 * table from a much older or broken build would. The loader must refuse it
 * with "table too small". Test fixture only.
 */
#define ECHO_NO_ENTRY 1
#include "good_echo.c"

static const struct whorl_cartridge_api short_table_api = {
	.size = offsetof(struct whorl_cartridge_api, open),
	.abi_major = WHORL_ABI_MAJOR,
	.abi_minor = WHORL_ABI_MINOR,
	.capabilities = ECHO_CAPABILITIES,
	.build_signature = WHORL_BUILD_SIGNATURE,
	.version = "whorl-test-short-table",
	ECHO_API_FUNCTIONS,
};

ECHO_EXPORT const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major,
                                                                    uint32_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &short_table_api;
}
