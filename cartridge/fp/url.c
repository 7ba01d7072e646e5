/*
 * url.c - the "url" engine: normalised link hosts and paths.
 *
 * Catches campaigns that rotate all their wording around the same payload
 * link, and phishing kits reused under new lures. Two keys per link: the
 * host with the path (strong), and the registered domain (weaker, catches
 * rotated subdomains and paths). Misses links whose host rotates on every
 * message (URL rotation), which the text engines must catch instead, and
 * redirector chains it cannot see through.
 *
 * Normalisation: scheme and userinfo dropped ("http://bank@evil.test" is
 * evil.test), host lower-cased with a leading "www." and trailing dot
 * dropped, default ports dropped, path cut at "?" or "#", trailing "/"
 * dropped, percent-escapes of unreserved characters decoded.
 */
#include "fp.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "../util/hash.h"
#include "../util/hex.h"

#define FP_URL_SEED 0x75726c31ull /* "url1" */
#define FP_URL_MAX_HOST 253
#define FP_URL_MAX_PATH 512

#define FP_URL_F_HOSTPATH 1
#define FP_URL_F_DOMAIN 2

struct url_parts {
	char host[FP_URL_MAX_HOST + 1];
	size_t host_len;
	char path[FP_URL_MAX_PATH + 1];
	size_t path_len;
};

/* Skips "scheme://" (http, https, ftp) or accepts a bare "www." link.
 * Returns the offset of the authority, or -1 for links we do not key. */
static long authority_start(const char *u, size_t len)
{
	static const char *const schemes[] = { "http://", "https://", "ftp://", "hxxp://" };
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		if (len >= n && strncasecmp(u, schemes[i], n) == 0)
			return (long)n;
	}
	if (len >= 4 && strncasecmp(u, "www.", 4) == 0)
		return 0;
	return -1;
}

static void host_copy(struct url_parts *p, const char *h, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < FP_URL_MAX_HOST; i++) {
		int c = (unsigned char)h[i];
		if (c == '%' && i + 2 < n && hex_digit_value(h[i + 1]) >= 0 &&
		    hex_digit_value(h[i + 2]) >= 0) {
			c = hex_digit_value(h[i + 1]) * 16 + hex_digit_value(h[i + 2]);
			i += 2;
		}
		p->host[k++] = (char)tolower(c);
	}
	while (k > 0 && p->host[k - 1] == '.')
		k--;
	size_t skip = (k > 4 && memcmp(p->host, "www.", 4) == 0) ? 4 : 0;
	memmove(p->host, p->host + skip, k - skip);
	p->host_len = k - skip;
	p->host[p->host_len] = '\0';
}

static void path_copy(struct url_parts *p, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < FP_URL_MAX_PATH; i++) {
		int c = (unsigned char)s[i];
		if (c == '?' || c == '#')
			break;
		if (c == '%' && i + 2 < n && hex_digit_value(s[i + 1]) >= 0 &&
		    hex_digit_value(s[i + 2]) >= 0) {
			int d = hex_digit_value(s[i + 1]) * 16 + hex_digit_value(s[i + 2]);
			if (isalnum(d) || d == '-' || d == '.' || d == '_' || d == '~') {
				c = d;
				i += 2;
			}
		}
		p->path[k++] = (char)c;
	}
	while (k > 0 && p->path[k - 1] == '/')
		k--;
	p->path_len = k;
	p->path[k] = '\0';
}

/* Splits a link into normalised host and path; 0 when it has a host. */
static int url_split(const char *u, size_t len, struct url_parts *p)
{
	while (len > 0 && isspace((unsigned char)*u))
		u++, len--;
	long a = authority_start(u, len);
	if (a < 0)
		return -1;
	const char *auth = u + a, *end = u + len;
	const char *slash = auth;
	while (slash < end && *slash != '/' && *slash != '?' && *slash != '#' && *slash != '\\')
		slash++;
	const char *host = auth;
	for (const char *q = auth; q < slash; q++)
		if (*q == '@')
			host = q + 1;
	const char *host_end = slash;
	if (host < host_end && *host == '[') { /* IPv6 literal */
		const char *rb = memchr(host, ']', (size_t)(host_end - host));
		if (rb != NULL)
			host_end = rb + 1;
	} else {
		const char *colon = memchr(host, ':', (size_t)(host_end - host));
		if (colon != NULL)
			host_end = colon;
	}
	host_copy(p, host, (size_t)(host_end - host));
	path_copy(p, slash, (size_t)(end - slash));
	return p->host_len > 0 && memchr(p->host, '.', p->host_len) != NULL ? 0 : -1;
}

/* Length of the registered domain's suffix of host: the last two labels, or
 * three under common second-level registries ("example.co.uk"). */
static size_t registered_domain(const char *host, size_t len, const char **start)
{
	static const char *const second_levels[] = { "co",  "com", "net", "org", "ac",  "gov",
		                                     "edu", "ne",  "or",  "go",  "gob", "nic" };
	size_t dots[3] = { 0 }, nd = 0;
	for (size_t i = len; i-- > 0 && nd < 3;)
		if (host[i] == '.')
			dots[nd++] = i;
	if (nd < 2) {
		*start = host;
		return len;
	}
	size_t labels = 2;
	size_t tld_len = len - dots[0] - 1;
	size_t sld_len = dots[0] - dots[1] - 1;
	if (tld_len == 2)
		for (size_t i = 0; i < sizeof(second_levels) / sizeof(second_levels[0]); i++)
			if (strlen(second_levels[i]) == sld_len &&
			    memcmp(host + dots[1] + 1, second_levels[i], sld_len) == 0)
				labels = 3;
	if (labels == 3 && nd < 3) {
		*start = host;
		return len;
	}
	size_t from = dots[labels - 1] + 1;
	*start = host + from;
	return len - from;
}

int fp_url_add_link(struct fp_list *out, const char *url, size_t len, uint64_t *hostpath)
{
	struct url_parts p;
	if (url_split(url, len, &p) != 0)
		return -1;
	uint64_t h = whorl_hash_combine(whorl_hash64(p.host, p.host_len, FP_URL_SEED),
	                                whorl_hash64(p.path, p.path_len, FP_URL_SEED));
	if (hostpath != NULL)
		*hostpath = h;
	fp_list_add(out, WHORL_FP_URL, h, FP_URL_F_HOSTPATH);
	const char *dom;
	size_t dom_len = registered_domain(p.host, p.host_len, &dom);
	fp_list_add(out, WHORL_FP_URL, whorl_hash64(dom, dom_len, FP_URL_SEED ^ FP_URL_F_DOMAIN),
	            FP_URL_F_DOMAIN);
	return 0;
}

void fp_url_compute(const struct fp_input *in, struct fp_list *out)
{
	for (size_t i = 0; i < in->n_links; i++) {
		const struct text_link *l = &in->links[i];
		if (l->kind != TEXT_LINK_IMG)
			(void)fp_url_add_link(out, l->url, l->len, NULL);
	}
}
