/*
 * strerror.c - text for every WHORL_E* code, on the host side.
 *
 * Works without a cartridge (the loader's own failures need it). Not for:
 * the cartridge's strerror table member, which may know newer codes.
 */
#include "whorl.h"

const char *whorl_strerror(int code)
{
	switch (code) {
	case WHORL_OK: return "success";
	case WHORL_EINVAL: return "invalid argument";
	case WHORL_ENOMEM: return "out of memory";
	case WHORL_EIO: return "file or directory could not be read or written";
	case WHORL_ECONFIG: return "configuration unusable";
	case WHORL_EABI: return "ABI version or table size not supported";
	case WHORL_EBUILD: return "build signature differs";
	case WHORL_EFORMAT: return "data file malformed";
	case WHORL_ESIGNATURE: return "signature or hash verification failed";
	case WHORL_ESTALE: return "data older than the data in use, or expired";
	case WHORL_ENODATA: return "nothing to load";
	case WHORL_EBUSY: return "refused while work is in flight";
	case WHORL_ESELFTEST: return "self test failed";
	case WHORL_ENOTSUP: return "not supported by this cartridge";
	case WHORL_ELIMIT: return "a hard limit was exceeded";
	case WHORL_ENETWORK: return "network transfer failed";
	}
	return "unknown error";
}
