/*
 * info.c - what a host program may ask about the cartridge it runs, as
 * copies: the version, path and hash of the cartridge in use, its
 * capabilities, and the statistics text or one value of it.
 *
 * Every call holds the scan slot for its duration, so a swap from another
 * thread can neither free what is being copied nor mix two cartridges'
 * answers; nothing returned points into a cartridge or a slot. This is the
 * way for whorld, whorlctl, whorl-update and benches to read serials and
 * counters, instead of the raw table and engine. Not for: scanning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"

_Static_assert(PATH_MAX <= WHORL_HOST_PATH_MAX, "an installed path must fit whorl_host_info");
_Static_assert(HOST_HASH_HEX < sizeof(((struct whorl_host_info *)0)->cartridge_hash),
               "the hash must fit whorl_host_info");

int whorl_host_info(whorl_host *h, struct whorl_host_info *out)
{
	struct whorl_host_info info;
	struct host_slot *s;

	if (h == NULL || out == NULL || out->size < sizeof(info))
		return WHORL_EINVAL;
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	s = host_slot_acquire(h);
	snprintf(info.cartridge_version, sizeof(info.cartridge_version), "%s", s->version);
	snprintf(info.cartridge_path, sizeof(info.cartridge_path), "%s", s->path);
	snprintf(info.cartridge_hash, sizeof(info.cartridge_hash), "%s", s->hash);
	info.capabilities = s->api->capabilities;
	host_slot_release(s);
	info.start_flags = h->start_flags;
	*out = info;
	return 0;
}

int whorl_host_stats_text(whorl_host *h, char **out)
{
	struct host_slot *s;
	char *text = NULL;
	int rc;

	if (h == NULL || out == NULL)
		return WHORL_EINVAL;
	*out = NULL;
	s = host_slot_acquire(h);
	rc = s->api->stats_snapshot(s->engine, &text);
	if (rc == 0 && text == NULL)
		rc = WHORL_ENODATA;
	if (rc == 0 && (*out = strdup(text)) == NULL)
		rc = WHORL_ENOMEM;
	if (text != NULL)
		s->api->text_free(s->engine, text);
	host_slot_release(s);
	return rc;
}

/* The value of the first line "key = value" in text, or NULL; *len its length. */
static const char *info_find_value(const char *text, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	const char *line = text;

	while (*line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t ll = nl != NULL ? (size_t)(nl - line) : strlen(line);

		if (ll >= kl + 3 && strncmp(line, key, kl) == 0 &&
		    strncmp(line + kl, " = ", 3) == 0) {
			*len = ll - kl - 3;
			return line + kl + 3;
		}
		line += nl != NULL ? ll + 1 : ll;
	}
	return NULL;
}

int whorl_host_stat(whorl_host *h, const char *key, char *buf, size_t len)
{
	char *text = NULL;
	const char *v;
	size_t vl = 0;
	int rc;

	if (key == NULL || buf == NULL || len == 0)
		return WHORL_EINVAL;
	buf[0] = '\0';
	rc = whorl_host_stats_text(h, &text);
	if (rc != 0)
		return rc;
	v = info_find_value(text, key, &vl);
	if (v == NULL)
		rc = WHORL_ENODATA;
	else if (vl >= len)
		rc = WHORL_ELIMIT;
	else
		snprintf(buf, len, "%.*s", (int)vl, v);
	free(text);
	return rc;
}
