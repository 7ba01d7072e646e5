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
 * the first public address met walking down from the top that is not one
 * of our own relays. A hop is one of ours when the hop below it was
 * received *by* it: its reverse name or address (written by our MTA, not by
 * the sender) is the next hop's "by" host. Mail taken from a mail store has
 * such internal hops on top ("from mx1 [192.0.2.25] by store").
 */
#include "fp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../util/hash.h"

#define FP_IP_SEED 0x69707631ull /* "ipv1" */
#define FP_IP_MAX_HOPS 32        /* Received headers looked at */
#define FP_IP_MAX_NAME 256       /* host names kept per hop */

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
		if (a[0] == 100 && (a[1] & 0xc0) == 64) /* carrier-grade NAT */
			return 0;
		return 1;
	}
	if (inet_pton(AF_INET6, text, a) == 1) {
		static const unsigned char loop[16] = { [15] = 1 };
		if (memcmp(a, loop, 16) == 0 || (a[0] & 0xfe) == 0xfc ||
		    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
			return 0;
		return 1;
	}
	return 0;
}

/* a as inet_ntop(AF_INET) writes it ("%u.%u.%u.%u"), without its
 * formatted printing (this runs for every bracketed address of every
 * Received header); -1 when cap cannot hold it. */
static int ipv4_text(const unsigned char a[4], char *out, size_t cap)
{
	char t[16];
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (v >= 100)
			t[n++] = (char)('0' + v / 100);
		if (v >= 10)
			t[n++] = (char)('0' + v / 10 % 10);
		t[n++] = (char)('0' + v % 10);
		t[n++] = i < 3 ? '.' : '\0';
	}
	if (n > cap)
		return -1;
	memcpy(out, t, n);
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
		return ipv4_text(a, out, cap);
	if (inet_pton(AF_INET6, buf, a) == 1)
		return inet_ntop(AF_INET6, a, out, (socklen_t)cap) ? 0 : -1;
	return -1;
}

/* Finds the word "by" as a token in a Received value; returns its offset
 * or len when absent. */
static size_t find_by(const char *v, size_t len)
{
	/* The letters first (a byte or'ed with 0x20 is 'b' only for 'b' and
	 * 'B'), then the spaces around them. */
	for (size_t i = 0; i + 3 <= len; i++)
		if ((v[i] | 0x20) == 'b' && (v[i + 1] | 0x20) == 'y' &&
		    (i == 0 || isspace((unsigned char)v[i - 1])) &&
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
			    (i + n == len || !(isalnum((unsigned char)by[i + n]) ||
			                       by[i + n] == '.' || by[i + n] == '-')))
				return 1;
	}
	return 0;
}

/* What one Received header says about its hop. */
struct ip_hop {
	char ip[INET6_ADDRSTRLEN]; /* "" when none */
	char rdns[FP_IP_MAX_NAME]; /* reverse name in the comment, "" when none */
	char by[FP_IP_MAX_NAME];   /* the receiving host, "" when none */
};

/* Copies the host name token at s (letters, digits, "-", ".") into out. */
static void name_copy(const char *s, const char *end, char *out)
{
	size_t n = 0;
	while (s < end && n + 1 < FP_IP_MAX_NAME &&
	       (isalnum((unsigned char)*s) || *s == '-' || *s == '.'))
		out[n++] = (char)tolower((unsigned char)*s++);
	while (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
}

static void hop_parse(const char *v, size_t len, struct ip_hop *h)
{
	memset(h, 0, sizeof(*h));
	size_t by = find_by(v, len);
	if (first_bracketed_ip(v, by, h->ip, sizeof(h->ip)) != 0)
		h->ip[0] = '\0';
	const char *paren = memchr(v, '(', by);
	if (paren != NULL && paren + 1 < v + by && paren[1] != '[')
		name_copy(paren + 1, v + by, h->rdns);
	if (by + 3 < len)
		name_copy(v + by + 3, v + len, h->by);
}

/* 1 when `below` was received by the sender of `h`: h is an internal hop. */
static int hop_is_relay(const struct ip_hop *h, const struct ip_hop *below)
{
	if (below->by[0] == '\0')
		return 0;
	return (h->rdns[0] != '\0' && strcmp(h->rdns, below->by) == 0) ||
	       (h->ip[0] != '\0' && strcmp(h->ip, below->by) == 0);
}

static int sender_from_gateways(const struct fp_input *in, char *buf, size_t len)
{
	const struct mime_msg *m = in->mime;
	int hops = 0;
	for (size_t i = 0; i < m->n_headers && hops < FP_IP_MAX_HOPS; i++) {
		const struct mime_header *h = &m->headers[i];
		if (strcasecmp(h->name, "Received") != 0)
			continue;
		hops++;
		size_t by = find_by(h->raw, h->raw_len);
		char ip[INET6_ADDRSTRLEN];
		if (by_is_gateway(in->cfg, h->raw + by, h->raw_len - by) &&
		    first_bracketed_ip(h->raw, by, ip, sizeof(ip)) == 0) {
			snprintf(buf, len, "%s", ip);
			return 0;
		}
	}
	return -1;
}

/* The first public "from" address walking down the Received chain (its
 * first FP_IP_MAX_HOPS headers) that is not one of our relays. A hop is
 * parsed when the walk reaches it, and only the hop below one with a public
 * address: the answer depends on nothing further down. */
static int sender_by_heuristics(const struct fp_input *in, char *buf, size_t len)
{
	const struct mime_msg *m = in->mime;
	const struct mime_header *rcvd[FP_IP_MAX_HOPS];
	size_t n = 0;
	for (size_t i = 0; i < m->n_headers && n < FP_IP_MAX_HOPS; i++)
		if (strcasecmp(m->headers[i].name, "Received") == 0)
			rcvd[n++] = &m->headers[i];
	struct ip_hop hop[2]; /* hop i in hop[i % 2]; hop i + 1 once parsed */
	size_t parsed = 0;    /* hops 0..parsed-1 were parsed (the last two kept) */
	for (size_t i = 0; i < n; i++) {
		struct ip_hop *h = &hop[i % 2];
		if (parsed <= i)
			hop_parse(rcvd[i]->raw, rcvd[i]->raw_len, h), parsed = i + 1;
		if (h->ip[0] == '\0' || !ip_is_public(h->ip))
			continue;
		if (i + 1 < n) {
			hop_parse(rcvd[i + 1]->raw, rcvd[i + 1]->raw_len, &hop[(i + 1) % 2]);
			parsed = i + 2;
			if (hop_is_relay(h, &hop[(i + 1) % 2]))
				continue;
		}
		snprintf(buf, len, "%s", h->ip);
		return 0;
	}
	return -1;
}

/* The sending hop per the rules above (gateways, else heuristics), with
 * its reverse name: for the whitelist, which needs both. */
int fp_ip_sender_hop(const struct fp_input *in, char *ip, size_t iplen, char *name, size_t namelen)
{
	const struct mime_msg *m = in->mime;
	int gateways = in->cfg->n_gateway_hosts > 0;
	if (gateways ? sender_from_gateways(in, ip, iplen) != 0
	             : sender_by_heuristics(in, ip, iplen) != 0)
		return -1;
	name[0] = '\0';
	size_t hops = 0;
	for (size_t i = 0; i < m->n_headers && hops < FP_IP_MAX_HOPS; i++) {
		if (strcasecmp(m->headers[i].name, "Received") != 0)
			continue;
		hops++;
		struct ip_hop h;
		hop_parse(m->headers[i].raw, m->headers[i].raw_len, &h);
		if (strcmp(h.ip, ip) == 0) {
			snprintf(name, namelen, "%s", h.rdns);
			break;
		}
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
	if (c->n_gateway_hosts > 0)
		return sender_from_gateways(in, buf, len);
	return sender_by_heuristics(in, buf, len);
}

void fp_ip_compute(const struct fp_input *in, struct fp_list *out)
{
	char ip[INET6_ADDRSTRLEN];
	if (fp_ip_sender(in, ip, sizeof(ip)) != 0)
		return;
	fp_list_add(out, WHORL_FP_IP, whorl_hash64(ip, strlen(ip), FP_IP_SEED), 0);
}
