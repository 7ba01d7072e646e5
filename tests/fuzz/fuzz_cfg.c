/*
 * fuzz_cfg.c - libFuzzer target for the config parsers: cartridge.cfg text
 * (cfg_parse) and the categories list (categories_parse), on arbitrary
 * bytes. Checks that the parsed structures stay within their bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/cfg/cfg.h"

static void fuzz_log(void *ctx, int level, const char *module, const char *message)
{
	size_t *total = ctx;

	*total += strlen(message) + strlen(module) + (size_t)level;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg c; /* large: keep it off the stack */
	static struct categories cats;
	size_t total = 0;
	struct logger lg = { fuzz_log, &total, WHORL_LOG_DEBUG };
	const char *sub;

	cfg_defaults(&c, "/etc/whorl");
	cfg_parse(&c, (const char *)data, size, &lg);
	if (c.n_gateway_hosts < 0 || c.n_gateway_hosts > CFG_MAX_GATEWAY_HOSTS || c.mu_port < 1 ||
	    c.mu_port > 65535 || c.minimum_score < 0 || c.minimum_score > 100 ||
	    memchr(c.customer_id, '\0', sizeof(c.customer_id)) == NULL ||
	    memchr(c.http_proxy, '\0', sizeof(c.http_proxy)) == NULL)
		abort();

	categories_defaults(&cats);
	if (categories_parse(&cats, (const char *)data, size) == 0) {
		if (cats.n < 1 || cats.n > CATS_MAX)
			abort();
		for (int i = 0; i < cats.n; i++) {
			const char *name = categories_name(&cats, cats.names[i].category,
			                                   cats.names[i].subcategory, &sub);
			if (categories_lookup(&cats, name) != (int)cats.names[i].category)
				abort();
		}
	}
	return 0;
}
