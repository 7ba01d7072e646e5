/*
 * fuzz_whitelist.c - whitelist.cfg / awl text of any bytes: compile it
 * (every line parsed, every regex compiled with its limits), then match the
 * list once against a small fixed message, and free it.
 */
#include <stdint.h>
#include <string.h>

#include "../../cartridge/wl/wl.h"

static const char fuzz_msg[] =
    "From: \"A\" <a@example.gov>\r\nSubject: hi\r\n\r\nCLOUDMARK body\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logger lg = { .fn = NULL, .ctx = NULL, .min_level = 0 };
	struct wl *w = wl_compile((const char *)data, size, WL_LOCAL, &lg);
	if (w == NULL)
		return 0;
	struct arena a;
	struct mime_msg m;
	struct mime_limits lim = { 0 };
	arena_init(&a);
	const char *rcpt[] = { "<b@site.ite>" };
	struct whorl_envelope env = { .size = sizeof(env),
		                      .client_ip = "192.0.2.1",
		                      .client_hostname = "mx.bar.com",
		                      .helo = "mx.bar.com",
		                      .mail_from = "<a@example.gov>",
		                      .rcpt_to = rcpt,
		                      .n_rcpt_to = 1 };
	if (mime_parse(&a, NULL, fuzz_msg, sizeof(fuzz_msg) - 1, &lim, &m) == 0) {
		struct wl_subject s = { .client_ip = env.client_ip,
			                .client_host = env.client_hostname,
			                .mime = &m,
			                .body = "CLOUDMARK body",
			                .body_len = 14,
			                .env = &env,
			                .arena = &a };
		wl_match(w, &s, &lg);
	}
	arena_destroy(&a);
	wl_free(w);
	return 0;
}
