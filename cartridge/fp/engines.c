/*
 * engines.c - every fingerprint engine, described once.
 *
 * An engine's id, name, algorithm version, compute function, place in the
 * scan, scoring class and sketch operations are written here and nowhere
 * else: fp_list stamps the version on what an engine adds, sketch.c
 * compares stored sketches through the table, scan.c runs the engines in
 * table order, score.c reads the class and how much a legitimate hit
 * counts, analysis strings and statistics take the name. Adding or
 * versioning an engine is one edit here (and its golden vectors).
 * Bump an engine's algo_version whenever its output changes: stored
 * fingerprints of another version are then never compared with new ones.
 * Not for: how much an abuse hit weighs (score.c's one switch: the weights
 * are formulas of the match, not constants).
 */
#include "fp.h"
#include "sketch.h"

#include "../img/img.h"

static double image_threshold(void)
{
	return IMG_SKETCH_THRESHOLD;
}

/* Indexed by WHORL_FP_*; scan order is the order of fp_engine_scan_order. */
static const struct fp_engine fp_engine_table[] = {
	[WHORL_FP_BODY] = {
		.id = WHORL_FP_BODY, .name = "body", .algo_version = 1,
		.compute = fp_body_compute, .flags = FP_ENGINE_CONTENT | FP_ENGINE_TEXT,
		.legit_factor = 1.0,
	},
	[WHORL_FP_FUZZY] = {
		.id = WHORL_FP_FUZZY, .name = "fuzzy", .algo_version = 2,
		.compute = fp_fuzzy_compute, .flags = FP_ENGINE_CONTENT | FP_ENGINE_TEXT,
		.legit_factor = 1.0,
		.stored_anchors = fp_fuzzy_stored_anchors, .similarity = fp_fuzzy_similarity,
		.containment = fp_fuzzy_containment,
		.threshold = fp_fuzzy_threshold, .weak_threshold = fp_fuzzy_weak_threshold,
	},
	[WHORL_FP_URL] = {
		.id = WHORL_FP_URL, .name = "url", .algo_version = 1,
		.compute = fp_url_compute, .flags = FP_ENGINE_TEXT, .legit_factor = 0.4,
	},
	[WHORL_FP_IP] = {
		.id = WHORL_FP_IP, .name = "ip", .algo_version = 2,
		.compute = fp_ip_compute, .legit_factor = 0.4,
	},
	[WHORL_FP_ATTACH] = {
		.id = WHORL_FP_ATTACH, .name = "attach", .algo_version = 1,
		.compute = fp_attach_compute, .flags = FP_ENGINE_CONTENT, .legit_factor = 1.0,
	},
	[WHORL_FP_IMAGE] = {
		.id = WHORL_FP_IMAGE, .name = "image", .algo_version = 3,
		.compute = fp_image_compute, .flags = FP_ENGINE_CONTENT, .legit_factor = 1.0,
		.stored_anchors = img_sketch_anchors, .similarity = img_sketch_similarity,
		.threshold = image_threshold, .weak_threshold = image_threshold,
	},
	[WHORL_FP_STRUCT] = {
		.id = WHORL_FP_STRUCT, .name = "struct", .algo_version = 1,
		.compute = fp_struct_compute, .legit_factor = 0.4,
	},
};
_Static_assert(sizeof(fp_engine_table) / sizeof(fp_engine_table[0]) == WHORL_FP_ENGINE_MAX + 1,
               "one descriptor per engine id of abi/whorl_cartridge.h");

/* Cheapest and most decisive first, so that "favor analysis over speed = no"
 * can stop early. */
const uint8_t fp_engine_scan_order[FP_N_ENGINES] = {
	WHORL_FP_BODY,  WHORL_FP_ATTACH, WHORL_FP_URL,    WHORL_FP_FUZZY,
	WHORL_FP_IMAGE, WHORL_FP_IP,     WHORL_FP_STRUCT,
};
_Static_assert(FP_N_ENGINES == WHORL_FP_ENGINE_MAX, "every engine runs once per scan");

const struct fp_engine *fp_engine_get(unsigned id)
{
	if (id == 0 || id > WHORL_FP_ENGINE_MAX)
		return NULL;
	return &fp_engine_table[id];
}

const char *fp_engine_name(unsigned engine)
{
	const struct fp_engine *e = fp_engine_get(engine);
	return e != NULL ? e->name : engine == 0 ? "none" : "unknown";
}
