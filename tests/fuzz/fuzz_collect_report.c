/*
 * fuzz_collect_report.c - libFuzzer target for whorl-collect's report
 * reader (publisher/whorl-collect/report.c, report_parse.c). The first
 * byte picks the path: the POST body parser and opener on raw bytes
 * (base64, sealed box, zlib bounds), or the rest sealed to the test
 * collector key first, so the fuzzer reaches the Table 3 line parser
 * through the same opening steps a real report takes. Checks the parsed
 * report stays within its bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#include "publisher/whorl-collect/report.c"
#include "publisher/whorl-collect/report_parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *text, size_t len)
{
	struct collect_report r;
	const char *why = NULL;
	if (collect_parse(text, len, &r, &why) != 0) {
		if (why == NULL || r.sigs != NULL)
			abort();
		return;
	}
	if (r.n_sigs > COLLECT_MAX_SIGS || r.n_cats > COLLECT_MAX_CATS || r.serial == 0 ||
	    memchr(r.installation_id, '\0', sizeof(r.installation_id)) == NULL)
		abort();
	collect_report_free(&r);
}

/* Seals text the way a gateway does: zlib, crypto_box_seal, base64 body. */
static char *seal(const uint8_t *text, size_t len, const uint8_t pk[32], size_t *body_len)
{
	uLongf zlen = compressBound((uLong)len);
	uint8_t *z = malloc(zlen), *sealed = malloc(zlen + crypto_box_SEALBYTES);
	char *body = NULL;
	if (z != NULL && sealed != NULL && compress2(z, &zlen, text, (uLong)len, 1) == Z_OK &&
	    crypto_box_seal(sealed, z, zlen, pk) == 0) {
		size_t b64 = sodium_base64_ENCODED_LEN(zlen + crypto_box_SEALBYTES,
		                                       sodium_base64_VARIANT_ORIGINAL);
		const char *head = "report = spamdna stats\nversion = 1\nencoding = c,s\nstats = ";
		body = malloc(strlen(head) + b64 + 2);
		if (body != NULL) {
			strcpy(body, head);
			sodium_bin2base64(body + strlen(head), b64, sealed,
			                  zlen + crypto_box_SEALBYTES,
			                  sodium_base64_VARIANT_ORIGINAL);
			strcat(body, "\n");
			*body_len = strlen(body);
		}
	}
	free(z);
	free(sealed);
	return body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32], sk[32];
	static int ready;
	if (!ready) {
		if (sodium_init() < 0)
			abort();
		memset(sk, 7, sizeof(sk));
		crypto_scalarmult_base(pk, sk);
		ready = 1;
	}
	if (size == 0)
		return 0;
	char *text = NULL, *body = (char *)data + 1;
	size_t text_len = 0, body_len = size - 1;
	const char *why = NULL;
	if (data[0] & 1) {
		body = seal(data + 1, size - 1, pk, &body_len);
		if (body == NULL)
			return 0;
	}
	if (collect_open(body, body_len, pk, sk, &text, &text_len, &why) == 0) {
		if (text_len > COLLECT_MAX_TEXT || text[text_len] != '\0')
			abort();
		check(text, text_len);
		free(text);
	} else if (why == NULL || text != NULL) {
		abort();
	}
	if (data[0] & 1)
		free(body);
	else
		check((const char *)data + 1, size - 1);
	return 0;
}
