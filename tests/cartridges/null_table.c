/*
 * null_table.c - test cartridge whose entry returns NULL for every major,
 * as one that cannot serve the host's ABI would. The loader must say it
 * "does not serve ABI major N". Test fixture only.
 */
#include "whorl_cartridge.h"

__attribute__((visibility("default"))) const struct whorl_cartridge_api *whorl_cartridge_entry(
    uint32_t host_major, uint32_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return NULL;
}
