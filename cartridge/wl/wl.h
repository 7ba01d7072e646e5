/*
 * wl.h - the whitelists: whitelist.cfg (local) and the backend list (the
 * "awl" update source), one grammar, one compiled form, one matcher.
 *
 * A list is compiled once (at open, reload, or when an awl arrives) into an
 * immutable struct wl that scans read through an atomic pointer; only its
 * hit counters and once-only log flags change afterwards, and those are
 * atomic. Regular expressions are PCRE2, JIT-compiled where available, and
 * matched with match, depth and heap limits: a pattern that reaches a limit
 * is given up for that message (logged once per entry), never retried
 * until it stalls the scan.
 *
 * Grammar (the Cartridge guide's chapter 5), one entry per line:
 *   type = host;     address = [1.2.3.4 | 192.168.1 | 10.0.0.0/8 | 2001:db8::/32 | bar.com]
 *   type = header;   header = [From]; value = [regex]
 *   type = body;     regex = [regex]
 *   type = envelope; command = [helo | mail from | rcpt to]; value = [regex]
 * Keys and type names are case-insensitive; "=" may have spaces around it;
 * a trailing ";" is allowed; "#" lines and blank lines are ignored.
 *
 * Not for: finding the client address (fp/ip.c) or the scan flow (scan.c).
 */
#ifndef WHORL_WL_H
#define WHORL_WL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../../abi/whorl_cartridge.h"
#include "../log/log.h"
#include "../mime/mime.h"
#include "../util/arena.h"

#define WL_FILE "whitelist.cfg"
#define WL_MAX_FILE_BYTES ((size_t)1 << 20) /* larger whitelist.cfg files are refused */
#define WL_MAX_LINE 4096                    /* longer lines are malformed */
#define WL_MAX_ENTRIES 10000                /* per list; later lines are skipped */
#define WL_MAX_NAME 256                     /* host and header names */
#define WL_MATCH_LIMIT 1000000u             /* pcre2_set_match_limit: backtracking steps */
#define WL_DEPTH_LIMIT 10000u               /* pcre2_set_depth_limit: nested backtracks */
#define WL_HEAP_LIMIT_KIB 8192u             /* pcre2_set_heap_limit: interpreter frames */
/* Regex work one message may cost one list, in units: every regex call
 * costs the bytes of its subject plus one, and a call stopped by the match
 * limit costs that limit. Each call's match limit is also cut to what is
 * left. When it is spent, the list's remaining regex entries are skipped
 * for that message (logged once per list, naming the costliest entries). */
#define WL_MSG_REGEX_BUDGET (8u * 1024 * 1024)
#define WL_BUDGET_TOP 3 /* costliest entries the log names */

enum wl_kind {
	WL_LOCAL = 0,
	WL_AWL = 1,
	WL_N_KINDS
};
enum wl_type {
	WL_HOST = 0,
	WL_HEADER,
	WL_BODY,
	WL_ENVELOPE,
	WL_N_TYPES
};
enum wl_command {
	WL_CMD_HELO = 0,
	WL_CMD_MAIL_FROM,
	WL_CMD_RCPT_TO
};

struct wl_entry {
	enum wl_type type;
	unsigned line; /* 1-based line in the source text */
	/* host */
	int family;             /* 0: hostname; 4 or 6: address */
	uint8_t addr[16];       /* masked to `bits` */
	unsigned bits;          /* prefix length in bits */
	char name[WL_MAX_NAME]; /* header name, or lower-case host name */
	enum wl_command command;
	void *re;                  /* pcre2_code_8 *; NULL for host entries */
	atomic_uint_fast64_t hits; /* messages this entry whitelisted */
	atomic_int limit_logged;   /* "gave up" logged for this entry */
};

struct wl {
	enum wl_kind kind;
	size_t n;
	struct wl_entry *entries;    /* n, in file order */
	size_t per_type[WL_N_TYPES]; /* entries of each type */
	void *mctx;                  /* pcre2_match_context_8 * with the limits */
	atomic_int budget_logged;    /* WL_MSG_REGEX_BUDGET exhaustion logged */
};

/* Messages whitelisted, by list and type (the guide's "local header
 * whitelist = N" ...). Lives in the engine; survives list reloads. */
struct wl_stats {
	atomic_uint_fast64_t by_type[WL_N_KINDS][WL_N_TYPES];
};

/* What a message offers to the whitelists; members may be NULL/empty. */
struct wl_subject {
	const char *client_ip;   /* text; NULL when unknown */
	const char *client_host; /* reverse name; NULL when unknown */
	const struct mime_msg *mime;
	const char *body; /* decoded visible text */
	size_t body_len;
	const struct whorl_envelope *env;
	struct arena *arena; /* scan's arena: decoded headers, match data */
	/* Set to 1 by wl_match when a regex entry was skipped for this message
	 * (the message's WL_MSG_REGEX_BUDGET was spent, or the entry reached
	 * its own limit): a miss is then not a full answer, and the verdict
	 * says rescan. NULL: not wanted. */
	int *skipped;
};

/* Compiles text[0..len) as a list of `kind`. Malformed lines are skipped
 * with "Malformed line '<line>', <why>, skipping" (WARN, module WHITELIST)
 * and each type with entries logs "(<Type> whitelist) [Backend whitelist ]
 * enabled with N entries" (INFO). Returns NULL only when out of memory.
 * The result is freed with wl_free. Not for scans: it allocates. */
struct wl *wl_compile(const char *text, size_t len, enum wl_kind kind, const struct logger *lg);

/* Reads <config_dir>/whitelist.cfg and compiles it as the local list.
 * A missing file or directory logs the guide's WARN line and gives an
 * empty list (rc 0: the administrator removed it). An unreadable or
 * oversized file gives *out NULL and WHORL_EIO / WHORL_ELIMIT, so that a
 * reload keeps the list in use. WHORL_ENOMEM likewise. */
int wl_load_file(const char *config_dir, const struct logger *lg, struct wl **out);

void wl_free(struct wl *w);

/* The first entry of w that matches the message, or NULL. Counts the hit
 * on the entry (not the per-type stats: the caller does, once per message).
 * Thread safe, no locks; allocates only from s->arena. */
const struct wl_entry *wl_match(const struct wl *w, const struct wl_subject *s,
                                const struct logger *lg);

/* "host", "header", "body", "envelope"; "local" / "awl". */
const char *wl_type_name(enum wl_type t);
const char *wl_kind_name(enum wl_kind k);

/* Parses one host address form ("1.2.3.4", "192.168.1", "10.0.0.0/8",
 * "2001:db8::/32", "2001:db8", "bar.com") into e's host members. 0, or -1
 * with *why set to a static reason. Exposed for the tests. */
int wl_host_parse(const char *s, size_t len, struct wl_entry *e, const char **why);

/* 1 when the host entry e matches the client (ip text and/or host name). */
int wl_host_match(const struct wl_entry *e, const char *ip, const char *host);

/* Appends the stats lines (per type, then per entry with hits) to buf at
 * *pos (capacity cap); stops cleanly when full. */
void wl_stats_format(const struct wl_stats *st, const struct wl *const lists[WL_N_KINDS], char *buf,
                     size_t cap, size_t *pos);

#endif
