/*
 * fuzz_spamd.c - libFuzzer target for whorld's spamd/RSPAMC request head
 * parser (host/whorld/spamd_parse.c) and the replies built from what it
 * parsed. Checks that every span it returns lies inside the input and
 * inside the head, and that a parsed head is never longer than the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/whorld/spamd_parse.c"
#include "host/whorld/spamd_reply.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_span(struct spamd_span s, size_t head_len)
{
	if (s.len > 0 && ((size_t)s.off + s.len >= head_len))
		abort(); /* the byte after a value (its line end) must be in the head */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spamd_req req;
	struct obuf o = { 0 };
	struct spamd_result r = { .score = 60,
		                  .minimum_score = 50,
		                  .is_spam = 1,
		                  .symbols = "WHORL_FUZZY,WHORL_SPAM",
		                  .analysis = "whorl/0.1.0; s=60; e=fuzzy:0.9",
		                  .category = "spam",
		                  .subcategory = "undefined",
		                  .cmae_headers = 0 };
	char why[256];
	int code = 0;
	int rc =
	    spamd_parse_head((const char *)data, size, 1u << 20, &req, &code, why, sizeof(why));

	if (rc != SPAMD_PARSE_DONE)
		return 0;
	if (req.head_len > size || req.n_rcpt > SPAMD_RCPT_MAX || req.content_length > (1u << 20))
		abort();
	fuzz_span(req.user, req.head_len);
	fuzz_span(req.from, req.head_len);
	fuzz_span(req.ip, req.head_len);
	for (size_t i = 0; i < req.n_rcpt; i++)
		fuzz_span(req.rcpt[i], req.head_len);
	spamd_reply_scan(&o, &req, &r, (const char *)data + req.head_len, size - req.head_len);
	obuf_free(&o);
	return 0;
}
