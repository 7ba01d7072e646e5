/*
 * host.c - host whitelist entries: an exact address, an address prefix
 * (leading IPv4 octets or IPv6 groups), a CIDR block, or a host name that
 * matches itself and its subdomains ("bar.com" matches "x.bar.com", never
 * "foobar.com"). No regular expressions here, by the guide's rule.
 *
 * Not for: finding the client's address in a message (fp/ip.c).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wl.h"

#define WL_ADDR_TEXT 64 /* longest address text we parse */

/* Masks addr beyond `bits` to zero. */
static void addr_mask(uint8_t *addr, unsigned bits, unsigned total)
{
	for (unsigned b = bits; b < total; b++)
		addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
}

/* "192.168.1" (1 to 3 octets, an optional trailing dot): 0 and the bits. */
static int v4_prefix(const char *s, uint8_t *addr, unsigned *bits)
{
	unsigned n = 0;
	memset(addr, 0, 4);
	while (*s != '\0') {
		if (n == 3 || !isdigit((unsigned char)*s))
			return -1;
		unsigned v = 0, digits = 0;
		while (isdigit((unsigned char)*s) && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (v > 255 || digits > 3)
			return -1;
		addr[n++] = (uint8_t)v;
		if (*s == '.')
			s++;
		else if (*s != '\0')
			return -1;
	}
	*bits = 8 * n;
	return n > 0 ? 0 : -1;
}

/* "2001:db8" (1 to 7 full groups, an optional trailing ':'): 0 and bits. */
static int v6_prefix(const char *s, uint8_t *addr, unsigned *bits)
{
	unsigned n = 0;
	memset(addr, 0, 16);
	while (*s != '\0') {
		if (n == 7 || !isxdigit((unsigned char)*s))
			return -1;
		unsigned v = 0, digits = 0;
		while (isxdigit((unsigned char)*s) && digits < 5) {
			char c = (char)tolower((unsigned char)*s++);
			v = v * 16 + (unsigned)(isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10);
			digits++;
		}
		if (digits > 4)
			return -1;
		addr[2 * n] = (uint8_t)(v >> 8);
		addr[2 * n + 1] = (uint8_t)v;
		n++;
		if (*s == ':')
			s++;
		else if (*s != '\0')
			return -1;
	}
	*bits = 16 * n;
	return n > 0 ? 0 : -1;
}

/* The address in text (IPv4-mapped IPv6 read as IPv4): family 4/6, or 0. */
static int addr_parse(const char *text, uint8_t *addr)
{
	if (inet_pton(AF_INET, text, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, addr) != 1)
		return 0;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(addr, mapped, 12) == 0) {
		memmove(addr, addr + 12, 4);
		return 4;
	}
	return 6;
}

static int cidr_parse(char *text, char *slash, struct wl_entry *e, const char **why)
{
	*slash = '\0';
	char *end;
	const char *m = slash + 1;
	if (!isdigit((unsigned char)*m) || strlen(m) > 3) {
		*why = "malformed address";
		return -1;
	}
	unsigned long bits = strtoul(m, &end, 10);
	e->family = addr_parse(text, e->addr);
	if (*end != '\0' || e->family == 0) {
		*why = "malformed address";
		return -1;
	}
	unsigned total = e->family == 4 ? 32 : 128;
	if (bits == 0 || bits > total) {
		*why = "invalid CIDR mask";
		return -1;
	}
	e->bits = (unsigned)bits;
	addr_mask(e->addr, e->bits, total);
	return 0;
}

/* Host names: letters, digits, '-', '.', '_'; lower-cased, no trailing dot. */
static int name_parse(const char *s, struct wl_entry *e)
{
	size_t n = 0;
	if (*s == '.')
		s++; /* ".bar.com" means the same as "bar.com" */
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (!(isalnum(c) || c == '-' || c == '.' || c == '_') || n + 1 >= sizeof(e->name))
			return -1;
		e->name[n++] = (char)tolower(c);
	}
	while (n > 0 && e->name[n - 1] == '.')
		n--;
	e->name[n] = '\0';
	if (n == 0 || strstr(e->name, "..") != NULL)
		return -1;
	/* A top-level label is never all digits: "300.1.2" is a bad address. */
	const char *last = strrchr(e->name, '.');
	if (strspn(last != NULL ? last + 1 : e->name, "0123456789") ==
	    strlen(last != NULL ? last + 1 : e->name))
		return -1;
	e->family = 0;
	return 0;
}

int wl_host_parse(const char *s, size_t len, struct wl_entry *e, const char **why)
{
	char text[WL_MAX_NAME];
	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0) {
		*why = "missing address";
		return -1;
	}
	if (len >= sizeof(text)) {
		*why = "malformed address";
		return -1;
	}
	memcpy(text, s, len);
	text[len] = '\0';
	char *slash = strchr(text, '/');
	if (slash != NULL)
		return cidr_parse(text, slash, e, why);
	if ((e->family = addr_parse(text, e->addr)) != 0) {
		e->bits = e->family == 4 ? 32 : 128;
		return 0;
	}
	if (v4_prefix(text, e->addr, &e->bits) == 0) {
		e->family = 4;
		return 0;
	}
	/* Only groups with a ':' are an IPv6 prefix: "cafe" is a host name. */
	if (strchr(text, ':') != NULL && v6_prefix(text, e->addr, &e->bits) == 0) {
		e->family = 6;
		return 0;
	}
	if (strchr(text, ':') == NULL && name_parse(text, e) == 0)
		return 0;
	*why = "malformed address";
	return -1;
}

static int prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/* 1 when host is name or ends in "." name (case-insensitive). */
static int suffix_match(const char *name, const char *host)
{
	size_t hn = strlen(host), nn = strlen(name);
	while (hn > 0 && host[hn - 1] == '.')
		hn--;
	if (hn < nn || strncasecmp(host + hn - nn, name, nn) != 0)
		return 0;
	return hn == nn || host[hn - nn - 1] == '.';
}

int wl_host_match(const struct wl_entry *e, const char *ip, const char *host)
{
	if (e->family == 0)
		return host != NULL && *host != '\0' && suffix_match(e->name, host);
	uint8_t addr[16];
	if (ip == NULL || strlen(ip) >= WL_ADDR_TEXT)
		return 0;
	char text[WL_ADDR_TEXT];
	snprintf(text, sizeof(text), "%s", ip);
	if (strncasecmp(text, "IPv6:", 5) == 0)
		memmove(text, text + 5, strlen(text + 5) + 1);
	int family = addr_parse(text, addr);
	return family == e->family && prefix_equal(addr, e->addr, e->bits);
}
