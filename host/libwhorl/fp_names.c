/*
 * fp_names.c - the names of the fingerprint engines (abi/whorl_cartridge.h's
 * enum whorl_fp_engine) as programs print them and the feedback spool
 * records them: one table for whorl-scan's output and feedback reports.
 * Not for: the engines themselves (cartridge/fp/engines.c).
 */
#include "whorl.h"

static const char *const fp_engine_names[WHORL_FP_ENGINE_MAX + 1] = {
	"unknown", "body", "fuzzy", "url", "ip", "attach", "image", "struct",
};

const char *whorl_fp_engine_name(unsigned engine)
{
	return engine <= WHORL_FP_ENGINE_MAX ? fp_engine_names[engine] : "unknown";
}
