/*
 * hex.h - the value of one hexadecimal digit, for every decoder that reads
 * them (quoted-printable, RFC 2231 and URL %XX escapes, HTML character
 * references and colours, checksum lines and key files).
 * Not for: encoding (each writer formats with "%02x").
 */
#ifndef WHORL_UTIL_HEX_H
#define WHORL_UTIL_HEX_H

/* 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else (any int). */
static inline int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
