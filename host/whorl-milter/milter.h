/*
 * milter.h - what whorl-milter's files share: whorl-milter.cfg parsed
 * (the common daemon keys through libwhorl's reader plus the milter's own),
 * the actions, the per-connection state and the scan with a deadline.
 * Not for: anything another program needs (that goes in libwhorl).
 */
#ifndef WHORL_MILTER_H
#define WHORL_MILTER_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "whorl.h"
#include "whorl_daemon.h"

#define WM_NAME "whorl-milter"
#define WM_MAX_BANDS 8             /* "score band" lines */
#define WM_MAX_CATEGORY_ACTIONS 16 /* "category action" lines */
#define WM_MAX_NETS 32             /* networks in "local networks" */
#define WM_MAX_RCPT 256            /* RCPT TO addresses passed to the engine per message */
#define WM_ADDR_MAX 512            /* longest HELO, MAIL FROM or RCPT TO kept */
#define WM_REPLY_MAX 512           /* longest reject reply or quarantine reason */
#define WM_CATEGORY_MAX 32         /* longest category name in "category action" */

enum wm_exit {
	WM_EXIT_OK = 0,
	WM_EXIT_CONFIG = 1,
	WM_EXIT_RUNTIME = 2
};

/* What happens to a message. Names in wm_action_name(). */
enum wm_action {
	WM_ACCEPT = 0,     /* delivered untouched */
	WM_HEADERS = 1,    /* delivered with the verdict headers */
	WM_REJECT = 2,     /* refused with "reject reply" */
	WM_QUARANTINE = 3, /* held by the MTA (smfi_quarantine), with headers */
	WM_DISCARD = 4     /* accepted and silently dropped */
};

enum wm_on_fail {
	WM_FAIL_TEMPFAIL = 0,
	WM_FAIL_ACCEPT = 1
};
enum wm_header_names {
	WM_NAMES_WHORL = 0,
	WM_NAMES_CLOUDMARK = 1
};

struct wm_band {
	unsigned score; /* at or above */
	enum wm_action action;
};

struct wm_category_action {
	char category[WM_CATEGORY_MAX]; /* category description, e.g. "virus" */
	enum wm_action action;
};

/* ActiveFilter (activefilter.c, docs/FEEDBACK.md): what to do when the
 * local decision and the verdict disagree. */
enum wm_af_mode {
	WM_AF_OFF = 0,
	WM_AF_KEEP = 1,   /* report; deliver as it is */
	WM_AF_MOVE = 2,   /* report; X-Whorl-Folder names where it belongs */
	WM_AF_DISCARD = 3 /* report; drop the missed spam */
};
struct wm_af_cfg {
	enum wm_af_mode mode;
	unsigned score;         /* score_af: "not spam" locally, at or above: reported */
	char header[128];       /* the local decision's header */
	char spam_folder[128];  /* move: where a missed spam goes */
	char inbox_folder[128]; /* move: where a false positive goes */
};

/* An IPv4 network is kept as its IPv4-mapped IPv6 form (::ffff:a.b.c.d). */
struct wm_net {
	uint8_t addr[16];
	unsigned prefix; /* 0-128 */
};

/* whorl-milter.cfg, parsed; defaults from wm_cfg_defaults(). */
struct wm_cfg {
	struct whorl_dcfg common;                /* log, cartridge, minimum score, pid file ... */
	char milter_socket[WHORL_DCFG_PATH_MAX]; /* libmilter's "unix:PATH" / "inet:PORT@HOST" */
	uint32_t scan_deadline_ms;               /* longest scan before "on fail" */
	uint32_t progress_interval_ms;           /* smfi_progress while a scan runs */
	uint32_t milter_timeout_ms;              /* libmilter's I/O timeout with the MTA */
	size_t max_body_length;                  /* bytes of the message scanned, at most */
	enum wm_on_fail on_fail;
	enum wm_action spam_action; /* is-spam verdicts no band or category names */
	enum wm_action ham_action;  /* the other verdicts */
	struct wm_band bands[WM_MAX_BANDS];
	size_t n_bands;
	struct wm_category_action category_actions[WM_MAX_CATEGORY_ACTIONS];
	size_t n_category_actions;
	char reject_reply[WM_REPLY_MAX]; /* "550 5.7.1 text", %c category, %s score */
	char quarantine_reason[WM_REPLY_MAX];
	enum wm_header_names header_names;
	int skip_authenticated;
	struct wm_net local_networks[WM_MAX_NETS];
	size_t n_local_networks;
	struct wm_af_cfg af;
};

/* Fills c with the documented defaults (docs/WHORL-MILTER.md). */
void wm_cfg_defaults(struct wm_cfg *c);
/* Reads path over the defaults. 0, WHORL_EIO or WHORL_ECONFIG; every
 * problem is logged as "file:line: why". */
int wm_cfg_load(const char *path, struct wm_cfg *c);
/* 1 when the sockaddr's address is in one of c's local networks. */
int wm_cfg_is_local(const struct wm_cfg *c, const struct sockaddr *sa);
const char *wm_action_name(enum wm_action a);

/*
 * The action for a verdict: the "category action" naming the verdict's
 * category when it is spam, else the highest "score band" at or below the
 * score, else "spam action" or "ham action" by is_spam.
 */
enum wm_action wm_action_for(const struct wm_cfg *c, unsigned score, int is_spam,
                             const char *category);

/*
 * Splits "550 5.7.1 text %c %s" into its reply code, extended code (may be
 * empty) and text with %c replaced by category and %s by score ("%%" stays,
 * as libmilter wants it). Returns 0, or WHORL_EINVAL for a template that
 * is not a 4xx/5xx reply. Buffers of WM_REPLY_MAX.
 */
int wm_reply_format(const char *tmpl, const char *category, unsigned score, char *rcode,
                    char *xcode, char *text);

/* The message under scan and its envelope, owned by one scan at a time. */
struct wm_msg {
	char client_ip[64];
	char client_hostname[256];
	char helo[WM_ADDR_MAX];
	char mail_from[WM_ADDR_MAX];
	char *rcpt[WM_MAX_RCPT]; /* malloc'd copies */
	size_t n_rcpt;
	char *buf; /* header and body as received, CRLF */
	size_t len, cap;
	int truncated; /* more than max body length arrived */
	char queue_id[64];
};

/* wm_msg_new(): a zeroed message with room for the first bytes; NULL when
 * out of memory. wm_msg_free() releases it and every copy it holds. */
struct wm_msg *wm_msg_new(void);
void wm_msg_free(struct wm_msg *m);
/* Appends up to max total bytes; past max sets truncated. 0 or WHORL_ENOMEM. */
int wm_msg_append(struct wm_msg *m, const char *p, size_t n, size_t max);

/* Scans m with a deadline, calling smfi_progress(ctx) every interval.
 * Takes m: it is freed here or by the scan thread when the deadline
 * passed first; with kept not NULL, a scan that finished in time hands m
 * back in *kept (the caller frees it), else *kept is NULL. Returns 0 with *out set (free it with
 * whorl_host_verdict_free), a WHORL_E* from the engine, or WHORL_EBUSY
 * when the deadline passed. */
int wm_scan(void *smfi_ctx, whorl_host *host, struct wm_msg *m, uint32_t deadline_ms,
            uint32_t progress_ms, struct whorl_verdict **out, struct wm_msg **kept);
/* Waits (at most ms) for abandoned scans to finish before the host closes.
 * Returns the number still running. */
unsigned wm_scan_drain(uint32_t ms);

/* Counters whorlctl status shows (atomic; any thread). */
struct wm_counters {
	atomic_ulong connections;     /* MTA connections since start */
	atomic_uint connections_open; /* open now */
	atomic_ulong messages;        /* MAIL FROM seen */
	atomic_ulong skipped;         /* local network or authenticated sender */
	atomic_ulong scanned;         /* verdicts */
	atomic_ulong failed;          /* "on fail" taken */
	atomic_ulong actions[5];      /* by enum wm_action */
	atomic_ulong swaps, reloads;  /* whorlctl swap, whorlctl reload */
};

#define WM_OLD_CFGS 64 /* reloads kept before a reload is refused */

/* The running daemon, for libmilter's callbacks (which carry no context
 * of their own). Set by main before smfi_main; cfg is replaced by a
 * reload (the replaced ones stay allocated: a message in flight keeps
 * reading the one it started with). */
struct wm_daemon {
	_Atomic(const struct wm_cfg *) cfg;
	const struct wm_cfg *old_cfgs[WM_OLD_CFGS];
	size_t n_old_cfgs;
	const char *cfg_path;
	whorl_host *host;
	struct whorl_ctl_server *ctl; /* control socket, or NULL */
	struct wm_counters counters;
};
extern struct wm_daemon wm_daemon;

/* ActiveFilter (activefilter.c). What one message's headers said. */
struct wm_af_seen {
	int local_spam;    /* the local decision header said spam */
	unsigned n_folder; /* X-Whorl-Folder copies already there */
};
/* What ActiveFilter does with one verdict. */
struct wm_af_decision {
	int report;         /* 0, or the WHORL_FEEDBACK_* class reported */
	int discard;        /* drop the message (discard mode) */
	const char *folder; /* move mode: X-Whorl-Folder's value, else NULL */
	char reason[160];
};
void wm_af_defaults(struct wm_af_cfg *c);
/* An "activefilter ..." key: 0, WHORL_ECONFIG (why says why) or
 * WHORL_DCFG_NOT_MINE. */
int wm_af_key(struct wm_af_cfg *c, const char *key, const char *v, char *why, size_t why_len);
const char *wm_af_mode_name(enum wm_af_mode m);
/* Notes a header of the message in s (reset s per message). */
void wm_af_header(const struct wm_af_cfg *c, struct wm_af_seen *s, const char *name,
                  const char *value);
/* The rule of activefilter.c's header comment; pure, for the tests. */
void wm_af_decide(const struct wm_af_cfg *c, int local_spam, unsigned score, unsigned minimum,
                  struct wm_af_decision *d);
/* Decides, records the report through whorl_feedback_record() and sets
 * X-Whorl-Folder; returns 1 when the message is to be discarded. */
int wm_af_apply(void *smfi_ctx, const struct wm_cfg *cfg, whorl_host *host,
                const struct wm_af_seen *s, const struct wm_msg *m, const struct whorl_verdict *v,
                const char *queue_id);

/* The configuration a new message uses. */
static inline const struct wm_cfg *wm_cfg_now(void)
{
	return atomic_load(&wm_daemon.cfg);
}

/* control.c: the control socket (libwhorl's server) with the milter's
 * STATUS lines and RELOAD; nothing when "control socket" is empty.
 * 0 or -1 (logged). */
int wm_control_start(const struct wm_cfg *c);
void wm_control_stop(void);

/* Registers the callbacks with libmilter (conn.c). 0 or -1. */
int wm_conn_register(void);

#endif
