/*
 * short_verdict.c - test cartridge built "before" the verdict's optional
 * members existed: its verdicts stop after `analysis` (size =
 * WHORL_VERDICT_MIN_SIZE) and are allocated exactly that long, as an older
 * cartridge's would be when a host has appended members. The host must read
 * only `size` bytes and treat the rest as zero (no category descriptions).
 * Otherwise it is good_echo. Test fixture only.
 */
#include <stddef.h>

#include "whorl_cartridge.h"

static int short_verdict_score(whorl_engine *e, const struct whorl_envelope *envelope,
                               const char *msg, size_t len, struct whorl_verdict **verdict_out);
#define ECHO_SCORE_FN short_verdict_score
#include "good_echo.c"

static int short_verdict_score(whorl_engine *e, const struct whorl_envelope *envelope,
                               const char *msg, size_t len, struct whorl_verdict **verdict_out)
{
	struct whorl_verdict *full = NULL, *v;
	int rc = echo_score(e, envelope, msg, len, &full);

	*verdict_out = NULL;
	if (rc != 0)
		return rc;
	/* One block: the short struct, then the analysis text. */
	v = malloc(WHORL_VERDICT_MIN_SIZE + strlen(full->analysis) + 1);
	if (v == NULL) {
		echo_verdict_free(e, full);
		return WHORL_ENOMEM;
	}
	memcpy(v, full, WHORL_VERDICT_MIN_SIZE);
	v->size = WHORL_VERDICT_MIN_SIZE;
	v->analysis = strcpy((char *)v + WHORL_VERDICT_MIN_SIZE, full->analysis);
	echo_verdict_free(e, full);
	*verdict_out = v;
	return 0;
}
