/*
 * ip.c - the "ip" engine: the address of the host that handed the message
 * to our network.
 *
 * Catches known bad senders (botnet nodes, snowshoe ranges, compromised
 * relays) whatever they send. Misses senders it has not seen before and
 * mail relayed through a big shared provider (that address also sends
 * legitimate mail, so the publisher keeps it out of the abuse set).
 *
 * Which address, per the guide: with "use ip information = no" none; with
 * "use envelope for ip information = yes" the envelope's client address;
 * else from the Received chain: the "from" address of the first hop whose
 * "by" host is one of "gateway received hosts", or, with none configured,
 * the first public address met walking down from the top.
 */
#include "fp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../util/hash.h"

#define FP_IP_VERSION 1
#define FP_IP_SEED 0x69707631ull        /* "ipv1" */
#define FP_IP_MAX_HOPS 32               /* Received headers looked at */

/* 1 when the address is routable on the public Internet. */
static int ip_is_public(const char *text)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, text, a) == 1) {
		if (a[0] == 10 || a[0] == 127 || a[0] == 0 || a[0] >= 224)
			return 0;
		if (a[0] == 172 && (a[1] & 0xf0) == 16)
			return 0;
		if (a[0] == 192 && a[1] == 168)
			return 0;
		if (a[0] == 169 && a[1] == 254)
			return 0;
		if (a[0] == 100 && (a[1] & 0xc0) == 64)     /* carrier-grade NAT */
			return 0;
		return 1;
	}
	if (inet_pton(AF_INET6, text, a) == 1) {
		static const unsigned char loop[16] = {[15] = 1};
		if (memcmp(a, loop, 16) == 0 || (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
			return 0;
		return 1;
	}
	return 0;
}

/* Canonical text of an address (so "::FFFF:1.2.3.4" style variants agree);
 * 0 when s is an address. */
static int ip_canonical(const char *s, size_t n, char *out, size_t cap)
{
	char buf[64];
	unsigned char a[16];
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0)
		memmove(buf, buf + 5, n - 4);
	if (inet_pton(AF_INET, buf, a) == 1)
		return inet_ntop(AF_INET, a, out, (socklen_t)cap) ? 0 : -1;
	if (inet_pton(AF_INET6, buf, a) == 1)
		return inet_ntop(AF_INET6, a, out, (socklen_t)cap) ? 0 : -1;
	return -1;
}

/* Finds the word "by" as a token in a Received value; returns its offset
 * or len when absent. */
static size_t find_by(const char *v, size_t len)
{
	for (size_t i = 0; i + 3 <= len; i++)
		if ((i == 0 || isspace((unsigned char)v[i - 1])) && strncasecmp(v + i, "by", 2) == 0 &&
		    isspace((unsigned char)v[i + 2]))
			return i;
	return len;
}

/* The first bracketed address in v[0..len) ("[192.0.2.1]"), canonical. */
static int first_bracketed_ip(const char *v, size_t len, char *out, size_t cap)
{
	for (size_t i = 0; i < len; i++) {
		if (v[i] != '[')
			continue;
		const char *rb = memchr(v + i + 1, ']', len - i - 1);
		if (rb == NULL)
			return -1;
		if (ip_canonical(v + i + 1, (size_t)(rb - v - i - 1), out, cap) == 0)
			return 0;
		i = (size_t)(rb - v);
	}
	return -1;
}

/* 1 when the "by" part of v names one of the configured gateway hosts. */
static int by_is_gateway(const struct cfg *c, const char *by, size_t len)
{
	for (int g = 0; g < c->n_gateway_hosts; g++) {
		const char *name = c->gateway_hosts[g];
		size_t n = strlen(name);
		for (size_t i = 0; n > 0 && i + n <= len; i++)
			if (strncasecmp(by + i, name, n) == 0 &&
			    (i + n == len || !(isalnum((unsigned char)by[i + n]) || by[i + n] == '.' ||
			                       by[i + n] == '-')))
				return 1;
	}
	return 0;
}

int fp_ip_sender(const struct fp_input *in, char *buf, size_t len)
{
	const struct cfg *c = in->cfg;
	if (!c->use_ip_information)
		return -1;
	if (c->use_envelope_ip && in->env != NULL && WHORL_HAS_MEMBER(in->env, client_ip) &&
	    in->env->client_ip != NULL)
		return ip_canonical(in->env->client_ip, strlen(in->env->client_ip), buf, len);
	const struct mime_msg *m = in->mime;
	int hops = 0;
	for (size_t i = 0; i < m->n_headers && hops < FP_IP_MAX_HOPS; i++) {
		const struct mime_header *h = &m->headers[i];
		if (strcasecmp(h->name, "Received") != 0)
			continue;
		hops++;
		size_t by = find_by(h->raw, h->raw_len);
		char ip[INET6_ADDRSTRLEN];
		if (c->n_gateway_hosts > 0) {
			if (by_is_gateway(c, h->raw + by, h->raw_len - by) &&
			    first_bracketed_ip(h->raw, by, ip, sizeof(ip)) == 0) {
				snprintf(buf, len, "%s", ip);
				return 0;
			}
			continue;
		}
		if (first_bracketed_ip(h->raw, by, ip, sizeof(ip)) == 0 && ip_is_public(ip)) {
			snprintf(buf, len, "%s", ip);
			return 0;
		}
	}
	return -1;
}

void fp_ip_compute(const struct fp_input *in, struct fp_list *out)
{
	char ip[INET6_ADDRSTRLEN];
	if (fp_ip_sender(in, ip, sizeof(ip)) != 0)
		return;
	fp_list_add(out, WHORL_FP_IP, FP_IP_VERSION, whorl_hash64(ip, strlen(ip), FP_IP_SEED), 0);
}
