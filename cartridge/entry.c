/*
 * entry.c - the cartridge's one exported symbol and its function table.
 *
 * Everything else in cartridge.so is hidden (-fvisibility=hidden and the
 * version script cartridge/cartridge.map).
 */
#include "engine.h"

/* What this build can do; libwhorl refuses calls a cartridge does not claim. */
#define WHORL_CARTRIDGE_CAPS                                                              \
	(WHORL_CAP_SCORE | WHORL_CAP_FINGERPRINT | WHORL_CAP_IMAGES | WHORL_CAP_NETWORK | \
	 WHORL_CAP_WHITELIST)

static const struct whorl_cartridge_api cartridge_api = {
	.size = sizeof(struct whorl_cartridge_api),
	.abi_major = WHORL_ABI_MAJOR,
	.abi_minor = WHORL_ABI_MINOR,
	.capabilities = WHORL_CARTRIDGE_CAPS,
	.build_signature = WHORL_BUILD_SIGNATURE,
	.version = "whorl-cartridge " WHORL_VERSION,
	.open = engine_open,
	.score = scan_score,
	.verdict_free = scan_verdict_free,
	.fingerprint = scan_fingerprint,
	.fpset_free = scan_fpset_free,
	.describe_category = engine_describe_category,
	.reload = engine_reload,
	.update_now = engine_update_now,
	.stats_snapshot = engine_stats_snapshot,
	.text_free = engine_text_free,
	.self_test = engine_self_test,
	.quiesce = engine_quiesce,
	.close = engine_close,
	.strerror = engine_strerror,
};

__attribute__((visibility("default"))) const struct whorl_cartridge_api *whorl_cartridge_entry(
    uint32_t host_major, uint32_t host_minor)
{
	(void)host_minor;
	return host_major == WHORL_ABI_MAJOR ? &cartridge_api : NULL;
}
