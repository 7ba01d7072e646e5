/*
 * signed.c - the signature line of manifests and checksum files, key ids,
 * source names and file-name rules shared by every part of the format.
 *
 * Not for: parsing the signed body (manifest.c, cksum.c).
 */
#include <sodium.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "update_format.h"
#include "update_lines.h"

#define SIG_LINE_BYTES (4 + 2 * UPDATE_SIG_BYTES + 1) /* "sig " hex "\n" */

static const char *const source_names[UPDATE_N_SOURCES] = { "sigs", "awl", "cats", "acf" };

const char *update_source_name(int source)
{
	if (source < 0 || source >= UPDATE_N_SOURCES)
		return "unknown";
	return source_names[source];
}

int update_source_lookup(const char *name, size_t len)
{
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		if (strlen(source_names[i]) == len && memcmp(source_names[i], name, len) == 0)
			return i;
	return -1;
}

void update_key_id(const uint8_t pk[UPDATE_KEY_BYTES], uint8_t id[UPDATE_KEY_ID_BYTES])
{
	uint8_t h[UPDATE_HASH_BYTES];

	crypto_generichash(h, sizeof h, pk, UPDATE_KEY_BYTES, NULL, 0);
	memcpy(id, h, UPDATE_KEY_ID_BYTES);
}

int update_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > UPDATE_MAX_NAME || s[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

long update_signed_open(const uint8_t *buf, size_t len, const uint8_t pk[UPDATE_KEY_BYTES])
{
	struct uline_reader r;
	struct uline l;
	uint8_t sig[UPDATE_SIG_BYTES];
	size_t body;

	if (len < SIG_LINE_BYTES)
		return WHORL_EFORMAT;
	body = len - SIG_LINE_BYTES;
	if (body > 0 && buf[body - 1] != '\n')
		return WHORL_EFORMAT;
	r = (struct uline_reader){ .p = (const char *)buf + body, .len = SIG_LINE_BYTES };
	if (uline_next(&r, &l) != 1 || l.n != 2 || !uline_is(&l, 0, "sig") ||
	    uline_hex(&l, 1, sig, sizeof sig) != 0)
		return WHORL_EFORMAT;
	if (crypto_sign_verify_detached(sig, buf, body, pk) != 0)
		return WHORL_ESIGNATURE;
	return (long)body;
}

long update_signed_close(char *buf, size_t len, size_t cap, const uint8_t *sk)
{
	uint8_t sig[UPDATE_SIG_BYTES];
	struct uline_writer w = { .buf = buf, .cap = cap, .len = len };

	if (len > cap)
		return WHORL_ELIMIT;
	crypto_sign_detached(sig, NULL, (const uint8_t *)buf, len, sk);
	uline_printf(&w, "sig ");
	uline_hex_put(&w, sig, sizeof sig);
	uline_printf(&w, "\n");
	return w.overflow ? WHORL_ELIMIT : (long)w.len;
}
