/*
 * no_entry.c - test shared object that exports a function, but not
 * whorl_cartridge_entry. The loader must say the entry symbol is missing.
 * Test fixture only.
 */
#include <stdint.h>

uint32_t whorl_not_a_cartridge(uint32_t x);

__attribute__((visibility("default"))) uint32_t whorl_not_a_cartridge(uint32_t x)
{
	return x + 1;
}
