/*
 * fuzz_scan.c - libFuzzer target: the whole scan path (parse, render, every
 * fingerprint engine, lookups, scoring, the verdict) on arbitrary bytes.
 *
 * One engine is opened in LLVMFuzzerInitialize (fuzz_engine.h: a small
 * published set, every engine on). Per input: scan_score + scan_verdict_free and
 * scan_fingerprint + scan_fpset_free, checking the verdict's and the
 * fingerprint set's invariants.
 *
 * Not for: the parts alone (fuzz_mime, fuzz_html, fuzz_update, ...).
 */
#include "fuzz_engine.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_engine_open("fuzz_scan");
	return 0;
}

static void check_verdict(const struct whorl_verdict *v)
{
	if (v->size != sizeof(*v) || v->score > 100 || v->is_spam != (v->score >= 50) ||
	    v->analysis == NULL || strncmp(v->analysis, "whorl/", 6) != 0 ||
	    v->category_desc == NULL || v->subcategory_desc == NULL)
		fuzz_die("bad verdict");
	if (!v->is_spam && v->category != 0)
		fuzz_die("a category below the threshold");
	(void)strlen(v->category_desc);
	(void)strlen(v->subcategory_desc);
}

static void check_fpset(const struct whorl_fpset *s)
{
	for (size_t i = 0; i < s->n_fps; i++)
		if (s->fps[i].engine < 1 || s->fps[i].engine > WHORL_FP_ENGINE_MAX)
			fuzz_die("bad fingerprint engine");
	for (size_t i = 0; i < s->n_sketches; i++) {
		const struct whorl_sketch *k = &s->sketches[i];
		if (k->engine < 1 || k->engine > WHORL_FP_ENGINE_MAX || k->len == 0 ||
		    k->bytes == NULL)
			fuzz_die("bad sketch");
		volatile uint8_t last = k->bytes[k->len - 1]; /* in bounds for ASan */
		(void)last;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy so reads past the end are caught by ASan. */
	char *msg = malloc(size ? size : 1);
	struct whorl_verdict *v = NULL;
	struct whorl_fpset *fps = NULL;
	if (msg == NULL)
		return 0;
	memcpy(msg, data, size);
	if (scan_score(fuzz_engine, NULL, msg, size, &v) == 0) {
		check_verdict(v);
		scan_verdict_free(fuzz_engine, v);
	}
	if (scan_fingerprint(fuzz_engine, msg, size, &fps) == 0) {
		check_fpset(fps);
		scan_fpset_free(fuzz_engine, fps);
	}
	free(msg);
	return 0;
}
