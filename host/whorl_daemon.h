/*
 * whorl_daemon.h - what the daemons hosting a cartridge share, in libwhorl:
 * the whorld.cfg reader, log plumbing (stderr or syslog, cartridge lines
 * passed through with their level and module), the feedback spool, the
 * control socket (both ends) and what the mains do alike.
 *
 * whorld uses all of it; whorl-milter will use the same configuration
 * reader, log sink and spool, so none of it lives in a program's folder
 * (DESIGN.md section 8). docs/WHORLD.md documents every configuration key.
 *
 * Thread safety: whorl_dcfg_* functions touch only the struct they are
 * given. whorl_dlog_write() and whorl_dlog_cartridge() may be called from
 * any thread; whorl_dlog_setup() must not race with them.
 * whorl_spool_write() may be called from any number of threads at once.
 * Not for: protocol parsing (the programs) or the scan path.
 */
#ifndef WHORL_DAEMON_H
#define WHORL_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "whorl.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define WHORL_DCFG_PATH_MAX 512        /* longest path or address in whorld.cfg */
#define WHORL_DCFG_MAX_LISTEN 8        /* listeners per protocol */
#define WHORL_DCFG_LINE_MAX 2048       /* longest line of whorld.cfg */
#define WHORL_DCFG_FILE_MAX (1u << 20) /* largest whorld.cfg read */
#define WHORL_DCFG_ERRORS_MAX 16       /* problems reported by one load */
#define WHORL_DCFG_MAX_WORKERS 64      /* worker processes under one master */

/* One listening address: a TCP host and port, or a unix socket path. */
struct whorl_dcfg_listen {
	int is_unix;
	char addr[WHORL_DCFG_PATH_MAX]; /* host (IPv4, IPv6 without brackets) or path */
	unsigned port;                  /* TCP only */
};

/* A list of listening addresses (one key's value). */
struct whorl_dcfg_listens {
	struct whorl_dcfg_listen a[WHORL_DCFG_MAX_LISTEN];
	size_t n;
};

enum whorl_dlog_dest {
	WHORL_DLOG_AUTO = 0, /* stderr in the foreground, syslog as a service */
	WHORL_DLOG_STDERR = 1,
	WHORL_DLOG_SYSLOG = 2
};

/* whorld.cfg, parsed. Defaults: whorl_dcfg_defaults(). */
struct whorl_dcfg {
	struct whorl_dcfg_listens spamd_listen; /* spamd protocol and RSPAMC/1.3 */
	struct whorl_dcfg_listens http_listen;  /* HTTP: /v1/score, Cloudmark API, /metrics */
	unsigned unix_socket_mode;              /* permission bits of unix sockets created */
	char unix_socket_owner[64];             /* user name or empty */
	char unix_socket_group[64];             /* group name or empty */
	unsigned threads;                       /* scan slots and spamd threads (per worker) */
	unsigned workers;             /* worker processes under a master; 0: one process */
	size_t max_message_size;      /* bytes; larger requests are refused whole */
	uint32_t request_deadline_ms; /* from accept to the start of the scan */
	unsigned queue_size;          /* complete requests that may wait for a scan slot */
	unsigned max_connections;     /* open client connections */
	uint32_t idle_timeout_ms;     /* longest silence while a request arrives */
	uint32_t client_timeout_ms;   /* longest time to receive a request or send a reply */
	uint32_t drain_timeout_ms;    /* SIGTERM: longest wait for requests in flight */
	int spamd_protocol;           /* SPAMC/x.y requests served */
	int rspamc_protocol;          /* RSPAMC/1.3 requests served */
	int cloudmark_api;            /* /score/v2/... served on the HTTP listeners */
	unsigned minimum_score;       /* Spam: True at or above (Momentum's MinimumScore) */
	int cmae_headers;             /* PROCESS/HEADERS add X-CMAE-Score and X-CMAE-Analysis */
	int log_destination;          /* enum whorl_dlog_dest */
	int log_level;                /* WHORL_LOG_*: lines below are dropped */
	int log_scans;                /* an INFO line per scan (like spamd's result: line) */
	int syslog_facility;          /* LOG_MAIL, LOG_DAEMON, LOG_LOCAL0-7 */
	char cartridge[WHORL_DCFG_PATH_MAX];            /* empty: libwhorl's default */
	char cartridge_config_dir[WHORL_DCFG_PATH_MAX]; /* empty: libwhorl's default */
	char state_dir[WHORL_DCFG_PATH_MAX];            /* empty: no rollback record */
	uint32_t cartridge_trial_ms; /* clean run before a cartridge is viable (0: libwhorl's) */
	char feedback_spool[WHORL_DCFG_PATH_MAX]; /* empty: TELL refused */
	char pid_file[WHORL_DCFG_PATH_MAX];       /* empty: none written */
	char control_socket[WHORL_DCFG_PATH_MAX]; /* empty: no control socket */
	int feedback_content;                     /* WHORL_FEEDBACK_MESSAGE and/or _FINGERPRINTS */
};

/* Problems found by whorl_dcfg_load(), one line each ("file:line: why"). */
struct whorl_dcfg_errors {
	size_t n;
	char line[WHORL_DCFG_ERRORS_MAX][WHORL_DCFG_LINE_MAX + 256];
};

/* Fills c with the documented defaults. */
void whorl_dcfg_defaults(struct whorl_dcfg *c);

/*
 * Reads whorld.cfg at `path` over the values already in c (call
 * whorl_dcfg_defaults() first). Lines are "key = value" as in cartridge.cfg
 * (keys case-insensitive, blank runs as one space, '#' comments, one pair
 * of quotes dropped). Unlike cartridge.cfg, an unknown key or an invalid
 * value is an error: a daemon must not start on a configuration it
 * misread. Every problem is appended to errs (when not NULL).
 * Returns 0, WHORL_EIO (unreadable; errs says why) or WHORL_ECONFIG.
 */
int whorl_dcfg_load(const char *path, struct whorl_dcfg *c, struct whorl_dcfg_errors *errs);

/*
 * Another daemon's own keys in the same file (whorl-milter.cfg): extra is
 * called first with each normalised key (lower case, blank runs as one
 * space) and its trimmed value, and returns 0 when it took the key,
 * WHORL_ECONFIG with a reason in why when the value (or the key, for this
 * daemon) is wrong, or WHORL_DCFG_NOT_MINE to let the common keys above
 * have it. whorl_dcfg_load() is whorl_dcfg_load_ext() without extra.
 */
#define WHORL_DCFG_NOT_MINE 1
typedef int (*whorl_dcfg_extra_fn)(void *ctx, const char *key, const char *value, char *why,
                                   size_t why_len);
int whorl_dcfg_load_ext(const char *path, struct whorl_dcfg *c, whorl_dcfg_extra_fn extra,
                        void *ctx, struct whorl_dcfg_errors *errs);

/* Parses one "key = value" line into c. 0, or WHORL_ECONFIG with a
 * reason in why. Blank and comment lines return 0 and change nothing.
 * `line` need not be NUL terminated; at most len bytes are read. */
int whorl_dcfg_line(struct whorl_dcfg *c, const char *line, size_t len, char *why, size_t why_len);

/* Duration ("250ms", "20s", "2m", "20" = seconds) to milliseconds. */
int whorl_dcfg_parse_duration(const char *s, uint32_t *ms_out);
/* Size ("10M", "512K", "1G", "1000") to bytes. */
int whorl_dcfg_parse_size(const char *s, size_t *bytes_out);
/* "127.0.0.1:783", "[::1]:783" or "unix:/run/whorld.sock". */
int whorl_dcfg_parse_listen(const char *s, struct whorl_dcfg_listen *out);

/*
 * Log plumbing. whorl_dlog_setup() picks the destination once (AUTO:
 * stderr when `foreground`, else syslog with `ident` and the facility).
 * Lines are "LEVEL MODULE: message" on stderr (with a UTC time stamp) and
 * "[MODULE] message" at the matching syslog priority.
 */
void whorl_dlog_setup(int destination, int foreground, const char *ident, int facility,
                      int min_level);
/* While on, syslog lines are also written to stderr (a daemon that has
 * not detached yet shows its start errors on the terminal). */
void whorl_dlog_also_stderr(int on);
/* Changes the lowest level written (SIGHUP). */
void whorl_dlog_set_level(int min_level);
void whorl_dlog_write(int level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A whorl_log_fn for whorl_host_options.log: the cartridge's lines, with
 * their level and module, into the same sink. ctx is unused. */
void whorl_dlog_cartridge(void *ctx, int level, const char *module, const char *message);
/* "INFO", "WARN", ...; "LOG" for an unknown level. */
const char *whorl_dlog_level_name(int level);

/*
 * Feedback spool (docs/FEEDBACK.md): one file per report, written to
 * DIR/tmp/ and renamed into DIR/new/ (maildir style, so a collector never
 * reads half a file). whorl_spool_write() creates the directories when
 * missing. `fields` are "Name: value" header lines (no CR or LF inside)
 * written before the message. Returns 0, or WHORL_EIO / WHORL_EINVAL;
 * the name of the file written goes into name_out when not NULL.
 */
int whorl_spool_write(const char *dir, const char *const *fields, size_t n_fields, const char *msg,
                      size_t len, char *name_out, size_t name_len);

/*
 * Feedback (docs/FEEDBACK.md): a report that a message is spam or not spam,
 * recorded in the feedback spool for the publisher's collector. Every front
 * end (spamd TELL, HTTP POST /v1/feedback, the control socket's REPORT,
 * whorl-milter's ActiveFilter hook) goes through whorl_feedback_record(),
 * the one writer of reports.
 */
enum whorl_feedback_class {
	WHORL_FEEDBACK_NONE = 0, /* only a removal (TELL with Remove and no class) */
	WHORL_FEEDBACK_SPAM = 1,
	WHORL_FEEDBACK_HAM = 2 /* not spam: a false positive */
};
/* What the reporter asked for (spamd's TELL Set/Remove; "set-local" for
 * every other front end). Recorded in X-Whorl-Feedback-Action. */
#define WHORL_FEEDBACK_SET_LOCAL (1u << 0)
#define WHORL_FEEDBACK_SET_REMOTE (1u << 1)
#define WHORL_FEEDBACK_REMOVE_LOCAL (1u << 2)
#define WHORL_FEEDBACK_REMOVE_REMOTE (1u << 3)
/* What the report holds: the message as given, its fingerprints (computed
 * by the running cartridge), or both. */
#define WHORL_FEEDBACK_MESSAGE (1u << 0)
#define WHORL_FEEDBACK_FINGERPRINTS (1u << 1)
#define WHORL_FEEDBACK_TEXT_MAX 256 /* longest reporter, client, source or reason kept */

struct whorl_feedback {
	size_t size;          /* caller sets sizeof(struct whorl_feedback) */
	int feedback_class;   /* enum whorl_feedback_class */
	unsigned actions;     /* WHORL_FEEDBACK_SET_LOCAL, ... */
	unsigned content;     /* WHORL_FEEDBACK_MESSAGE and/or _FINGERPRINTS; not 0 */
	const char *reporter; /* the reporter's id (user, mailbox); NULL: "(unknown)" */
	const char *client;   /* peer address, "unix"; NULL: "local" */
	const char *source;   /* front end: "spamd", "http", "control", "milter"; NULL: "api" */
	int score;            /* the verdict's score when known (0-100), else -1 */
	const char *reason;   /* why it was reported (ActiveFilter's rule); may be NULL */
};

/*
 * Records one report in the spool directory spool_dir (created when
 * missing; layout and fields in docs/FEEDBACK.md). msg/len is the message
 * (plain or wire form, as scanned); it is copied into the report when
 * fb->content has WHORL_FEEDBACK_MESSAGE, and with
 * WHORL_FEEDBACK_FINGERPRINTS the cartridge running in h fingerprints it
 * and the fingerprints and sketches are recorded (h may be NULL without
 * that flag). Text members are cleaned (control bytes become '?') and cut
 * at WHORL_FEEDBACK_TEXT_MAX. Nothing is kept: the caller still owns msg
 * and fb. The report file's name goes into name_out when not NULL.
 * Returns 0; WHORL_EINVAL (NULL or empty spool_dir, NULL msg, a size too
 * small, an unknown class, no content, fingerprints without a host),
 * WHORL_ENOTSUP (the cartridge does not fingerprint), WHORL_ENOMEM,
 * WHORL_EIO (the spool cannot be written; nothing is left in new/).
 * Thread-safe: any number of threads may record at once, also while h
 * scans or swaps.
 */
int whorl_feedback_record(whorl_host *h, const char *spool_dir, const struct whorl_feedback *fb,
                          const char *msg, size_t len, char *name_out, size_t name_len);
/* "spam" gives WHORL_FEEDBACK_SPAM; "ham", "not-spam" or "notspam" give
 * WHORL_FEEDBACK_HAM (any case; s need not be NUL terminated, len bytes
 * are read); anything else WHORL_EINVAL. */
int whorl_feedback_class_parse(const char *s, size_t len);
/* "none", "spam", "ham"; "unknown" for another value. */
const char *whorl_feedback_class_name(int feedback_class);
/*
 * The control socket's REPORT command, for any daemon that serves one:
 * args is what follows "REPORT " ("spam|ham REPORTER /ABSOLUTE/PATH").
 * Reads the file (at most max_size bytes) and records it with
 * whorl_feedback_record() (source "control", client "unix", `content` as
 * in struct whorl_feedback). Writes the whole control reply into reply:
 * "OK\nrecorded CLASS PATH-OF-THE-REPORT\n" or "ERR <why>\n", and logs a
 * recorded report (INFO) or a failure to record (ERROR). Returns 0,
 * WHORL_ECONFIG (no spool), WHORL_EINVAL (malformed args), or the
 * error of reading the file or recording. Thread-safe.
 */
int whorl_feedback_ctl_report(whorl_host *h, const char *spool_dir, unsigned content,
                              size_t max_size, const char *args, char *reply, size_t reply_len);

/*
 * Control socket (docs/WHORLD.md, "whorlctl"): a unix socket, one request
 * per connection. The client sends one line ("VERSION", "STATUS", "STATS",
 * "RELOAD", "UPDATE-NOW", "SWAP /absolute/path") and half-closes; the
 * server answers "OK" or "ERR <why>" on the first line, then text, and
 * closes. Access is by the socket's file permissions (0600) and the
 * server also refuses peers that are neither root nor its own user.
 */
#define WHORL_CTL_LINE_MAX 4096        /* longest request line */
#define WHORL_CTL_REPLY_MAX (1u << 20) /* longest reply a client reads */
/* Binds and listens on path (mode 0600; a stale socket is replaced, a
 * live one refused). Returns the fd or -1 with errno set. */
int whorl_ctl_listen(const char *path);
/* Server side, for an accepted fd: checks the peer's uid and reads the
 * request line (bounded, within timeout_ms). 0, or -1 with a reason. */
int whorl_ctl_read_request(int fd, char *line, size_t len, int timeout_ms, char *why,
                           size_t why_len);
/* Client side: sends line, reads the whole reply into *reply_out
 * (malloc'd, NUL-terminated; caller frees). 0 or -1 with errno set. */
int whorl_ctl_request(const char *path, const char *line, int timeout_ms, char **reply_out);

/*
 * The server side, shared by whorld and whorl-milter: whorl_ctl_answer()
 * answers one request line into r: VERSION ("<daemon_name> = ..." among
 * the lines), STATUS (the version lines, the daemon's lines, the
 * cartridge's snapshot lines), STATS, UPDATE-NOW and SWAP on ops->host
 * itself; RELOAD calls ops->reload, and a line it does not know goes to
 * ops->command. whorl_ctl_serve_start() runs one thread that accepts on
 * the control socket and answers each request so (or hands every line to
 * ops->forward, for a process without a host of its own). The callbacks
 * run on that thread (or the caller's), one request at a time.
 */
struct whorl_ctl_reply {
	char *p;
	size_t len, cap;
	int failed; /* out of memory: the reply becomes an ERR line */
};
/* Appends text to a reply (bounded by WHORL_CTL_REPLY_MAX). */
void whorl_ctl_printf(struct whorl_ctl_reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void whorl_ctl_reply_add(struct whorl_ctl_reply *r, const char *p, size_t n);
struct whorl_ctl_ops {
	const char *daemon_name; /* "whorld", "whorl-milter" */
	whorl_host *host;        /* must outlive the server */
	void *ctx;               /* passed to the callbacks */
	/* RELOAD: re-read the daemon's configuration and have the cartridge
	 * reload its own and the whitelists. 0, or -1 (reason logged). */
	int (*reload)(void *ctx);
	/* STATUS: the daemon's "key = value" lines, after the version lines
	 * (may be NULL). */
	void (*status)(void *ctx, struct whorl_ctl_reply *r);
	/* After a successful SWAP (a counter; may be NULL). */
	void (*swapped)(void *ctx);
	/* Any other line: returns 1 when it answered into r, 0 when the
	 * command is unknown (may be NULL). */
	int (*command)(void *ctx, const char *line, struct whorl_ctl_reply *r);
	/* When set, the server hands every line here instead (whorld's master
	 * forwarding to its workers). */
	void (*forward)(void *ctx, const char *line, struct whorl_ctl_reply *r);
};
void whorl_ctl_answer(const struct whorl_ctl_ops *ops, const char *line, struct whorl_ctl_reply *r);
struct whorl_ctl_server;
/* Listens on path (whorl_ctl_listen) and starts the thread. An empty path
 * means no control socket: 0 with *out NULL. 0, or -1 (logged). */
int whorl_ctl_serve_start(const char *path, const struct whorl_ctl_ops *ops,
                          struct whorl_ctl_server **out);
/* In a child forked while s ran: closes the listening socket and frees s
 * (the thread did not survive the fork; the path stays the parent's). */
void whorl_ctl_serve_forget(struct whorl_ctl_server *s);
/* Stops the thread, closes and removes the socket, frees s (NULL: nothing). */
void whorl_ctl_serve_stop(struct whorl_ctl_server *s);

/*
 * What the daemons' mains share. whorl_daemon_args() reads "-c FILE -t -V
 * -h" (and -f when with_foreground): returns 1 to go on, 0 when it printed
 * the version or the usage (exit 0), -1 on a wrong command line (usage on
 * stderr). Without -c, cfg_path is <config dir>/<name>.cfg.
 */
struct whorl_daemon_args {
	const char *cfg_path;
	int cfg_given;  /* -c: the file must exist */
	int foreground; /* -f */
	int check;      /* -t */
	char default_path[WHORL_DCFG_PATH_MAX + 32];
};
int whorl_daemon_args(int argc, char **argv, const char *name, int with_foreground,
                      struct whorl_daemon_args *a);
/* Opens the cartridge (NULL or "": libwhorl's default) with c's cartridge
 * config dir, cartridge trial and log level and the given state dir (NULL:
 * none), its lines into the log sink; logs what was loaded or why not.
 * Returns whorl_host_open()'s status. */
int whorl_daemon_host_open(const struct whorl_dcfg *c, const char *cartridge, const char *state_dir,
                           const char *app_name, whorl_host **out);
/* Writes our pid to path (create) or removes it; "" does nothing. A
 * failure is a WARN line. */
void whorl_daemon_pid_file(const char *path, int create);

/*
 * JSON strings (RFC 8259) for any output: calls put(ctx, bytes, n) with
 * the quoted, escaped form of the NUL-terminated s; bytes that are not
 * valid UTF-8 become U+FFFD; NULL is written as "". For whorld's HTTP
 * replies, and any program that prints JSON.
 */
typedef void (*whorl_json_put_fn)(void *ctx, const char *bytes, size_t n);
void whorl_json_string(const char *s, whorl_json_put_fn put, void *ctx);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* WHORL_DAEMON_H */
