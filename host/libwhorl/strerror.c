/*
 * strerror.c - text for every WHORL_E* code, on the host side.
 *
 * Works without a cartridge (the loader's own failures need it). Not for:
 * the cartridge's strerror table member, which may know newer codes.
 */
#include "whorl.h"

const char *whorl_strerror(int code)
{
	return whorl_error_text(code);
}
