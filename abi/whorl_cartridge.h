/*
 * whorl_cartridge.h - the one contract between a host and cartridge.so.
 *
 * A cartridge exports exactly one symbol, whorl_cartridge_entry(). The host
 * calls it with the ABI version it speaks and gets back the cartridge's
 * function table, or NULL when the cartridge cannot serve that major version.
 * The host hands the cartridge its services (logging, clock) at open().
 *
 * Rules, so that either side can grow without breaking the other:
 *   - Every table and every struct passed across starts with `size`, set by
 *     whoever fills it. Members are only ever appended. Before touching a
 *     member, read WHORL_HAS_MEMBER(ptr, member): the filler's size covers it.
 *   - A different abi_major, a table smaller than WHORL_CARTRIDGE_API_MIN_SIZE
 *     or a different build_signature means "not binary compatible".
 *   - Whoever allocates frees: verdicts, fingerprint sets and stats texts are
 *     allocated by the cartridge and released through its table.
 *   - Return codes: 0 is success, negative WHORL_E* values are failures. They
 *     are never renumbered; new ones are appended.
 *   - The cartridge never writes to stdout/stderr, never calls exit(),
 *     atexit() or pthread_key_create(), and keeps all state in the engine
 *     object, so two cartridge versions can be loaded side by side.
 *
 * Thread safety: score() and fingerprint() may be called from any number of
 * threads at once on the same engine, concurrently with reload() and with
 * background updates. open(), quiesce() and close() must not race with any
 * other call on the same engine.
 *
 * Not for: host conveniences (see host/whorl.h) or internal engine types.
 */
#ifndef WHORL_CARTRIDGE_H
#define WHORL_CARTRIDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WHORL_ABI_MAJOR 1
#define WHORL_ABI_MINOR 0

/* Name of the one exported symbol, for dlsym(). */
#define WHORL_CARTRIDGE_ENTRY_SYMBOL "whorl_cartridge_entry"

/*
 * Build signature: widths of the types that cross the boundary and the byte
 * order, packed so that a host can compare it with its own in one step.
 * Bits 24-31 sizeof(void *), 16-23 sizeof(size_t), 8-15 sizeof(long),
 * 0-7 byte order (1 little endian, 2 big endian).
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define WHORL_BUILD_BYTE_ORDER 2u
#else
#define WHORL_BUILD_BYTE_ORDER 1u
#endif
#define WHORL_BUILD_SIGNATURE                                                  \
	(((uint32_t)sizeof(void *) << 24) | ((uint32_t)sizeof(size_t) << 16) | \
	 ((uint32_t)sizeof(long) << 8) | WHORL_BUILD_BYTE_ORDER)

/* True when the struct at `p`, filled by the other side, contains `member`. */
#define WHORL_HAS_MEMBER(p, member) \
	((p)->size >= offsetof(__typeof__(*(p)), member) + sizeof((p)->member))

/* Return codes. Never renumbered. */
enum whorl_error {
	WHORL_OK = 0,
	WHORL_EINVAL = -1,     /* bad argument or malformed request */
	WHORL_ENOMEM = -2,     /* out of memory */
	WHORL_EIO = -3,        /* file or directory could not be read or written */
	WHORL_ECONFIG = -4,    /* configuration unusable */
	WHORL_EABI = -5,       /* ABI version or table size not supported */
	WHORL_EBUILD = -6,     /* build signature differs */
	WHORL_EFORMAT = -7,    /* data file malformed */
	WHORL_ESIGNATURE = -8, /* signature or hash verification failed */
	WHORL_ESTALE = -9,     /* serial older than the one in use, or expired */
	WHORL_ENODATA = -10,   /* nothing to load */
	WHORL_EBUSY = -11,     /* refused while work is in flight */
	WHORL_ESELFTEST = -12, /* self_test() found the engine unusable */
	WHORL_ENOTSUP = -13,   /* capability not built into this cartridge */
	WHORL_ELIMIT = -14,    /* a documented hard limit was exceeded */
	WHORL_ENETWORK = -15   /* network transfer failed */
};

/* Text for a code, as this header's version knows them. Both sides compile
 * their own copy: a cartridge's strerror member knows the codes of the
 * header it was built with, which may be newer than the host's. */
static inline const char *whorl_error_text(int code)
{
	switch (code) {
	case WHORL_OK: return "success";
	case WHORL_EINVAL: return "invalid argument";
	case WHORL_ENOMEM: return "out of memory";
	case WHORL_EIO: return "file or directory could not be read or written";
	case WHORL_ECONFIG: return "configuration unusable";
	case WHORL_EABI: return "ABI version or table size not supported";
	case WHORL_EBUILD: return "build signature differs";
	case WHORL_EFORMAT: return "data file malformed";
	case WHORL_ESIGNATURE: return "signature or hash verification failed";
	case WHORL_ESTALE: return "data older than the data in use, or expired";
	case WHORL_ENODATA: return "nothing to load";
	case WHORL_EBUSY: return "refused while work is in flight";
	case WHORL_ESELFTEST: return "self test failed";
	case WHORL_ENOTSUP: return "not supported by this cartridge";
	case WHORL_ELIMIT: return "a hard limit was exceeded";
	case WHORL_ENETWORK: return "network transfer failed";
	}
	return "unknown error";
}

/* Log levels, as in the Cartridge guide's Appendix A. */
enum whorl_log_level {
	WHORL_LOG_DEBUG = 0,
	WHORL_LOG_INFO = 1,
	WHORL_LOG_WARN = 2,
	WHORL_LOG_ERROR = 3,
	WHORL_LOG_CRITICAL = 4
};

/*
 * Services the host gives the cartridge at open(). The cartridge copies what
 * it needs; the struct itself may be freed after open() returns, but `ctx`
 * and the functions must stay valid until close() returns.
 */
struct whorl_host_services {
	size_t size; /* sizeof(struct whorl_host_services) */
	uint32_t abi_major;
	uint32_t abi_minor;
	void *ctx; /* passed back to every callback */
	/* Called from any thread, including the cartridge's own threads.
	 * `module` is a short tag such as "MICROUPDATE" or "CONFIG". */
	void (*log)(void *ctx, int level, const char *module, const char *message);
	/* Wall clock in milliseconds since the Unix epoch; NULL means time(). */
	uint64_t (*clock_ms)(void *ctx);
	/* Application name and version, for statistics reports; may be NULL. */
	const char *app_name;
	const char *app_version;
	/* WHORL_START_* flags (appended in ABI 1.0; read with WHORL_HAS_MEMBER). */
	uint32_t start_flags;
	/* The CMAE API version when the host is a CMAE-compatible facade, for
	 * the statistics' "cmae version"; NULL for other hosts (appended in
	 * ABI 1.0; read with WHORL_HAS_MEMBER). */
	const char *cmae_version;
};

/* The host rolled back to its last viable cartridge after unclean starts:
 * the cartridge should load its safe (last known good) data set. */
#define WHORL_START_SAFE_DATA (1u << 0)

/* The SMTP envelope of a message. Any member may be NULL when unknown.
 * Addresses keep their angle brackets, e.g. "<a@example.org>". */
struct whorl_envelope {
	size_t size;                 /* sizeof(struct whorl_envelope) */
	const char *client_ip;       /* connecting client, IPv4 or IPv6 text */
	const char *client_hostname; /* its verified reverse name */
	const char *helo;
	const char *mail_from;
	const char *const *rcpt_to; /* n_rcpt_to addresses */
	size_t n_rcpt_to;
};

/* The verdict on one message; allocated by score(), freed by verdict_free(). */
struct whorl_verdict {
	size_t size;       /* set by the cartridge */
	unsigned score;    /* 0-100; higher is more certainly abuse */
	int is_spam;       /* score >= "minimum score" */
	unsigned category; /* numbers from the cats source */
	unsigned subcategory;
	int rescan;                   /* 1: the engine could not see everything */
	const char *analysis;         /* short header value explaining the verdict */
	const char *category_desc;    /* e.g. "virus"; owned by the verdict */
	const char *subcategory_desc; /* e.g. "undefined"; owned by the verdict */
};

/*
 * The smallest verdict a host accepts: ABI 1.0's members up to analysis. The
 * descriptions and every member appended later are optional: a host copies
 * min(size, its sizeof) bytes and reads a missing member as zero (NULL), so a
 * cartridge built before a member was appended still works with a newer host.
 */
#define WHORL_VERDICT_MIN_SIZE \
	(offsetof(struct whorl_verdict, analysis) + sizeof(((struct whorl_verdict *)0)->analysis))

/* Fingerprint engine ids. Never renumbered. */
enum whorl_fp_engine {
	WHORL_FP_BODY = 1,
	WHORL_FP_FUZZY = 2,
	WHORL_FP_URL = 3,
	WHORL_FP_IP = 4,
	WHORL_FP_ATTACH = 5,
	WHORL_FP_IMAGE = 6,
	WHORL_FP_STRUCT = 7
};
#define WHORL_FP_ENGINE_MAX 7

/* One exact fingerprint: a 64-bit key in the space of its engine. */
struct whorl_fp {
	uint64_t key;
	uint8_t engine;       /* enum whorl_fp_engine */
	uint8_t algo_version; /* bumped whenever the algorithm changes */
	uint16_t flags;       /* engine specific, see docs/FORMATS.md */
};

/* One similarity sketch (fuzzy text, perceptual image hash). Its bytes are
 * opaque to hosts and publishers: only the cartridge that made it reads it. */
struct whorl_sketch {
	uint8_t engine;
	uint8_t algo_version;
	uint16_t len; /* bytes in `bytes` */
	const uint8_t *bytes;
};

/* All fingerprints of one message; allocated by fingerprint(), freed by
 * fpset_free(). */
struct whorl_fpset {
	size_t size; /* set by the cartridge */
	size_t n_fps;
	const struct whorl_fp *fps;
	size_t n_sketches;
	const struct whorl_sketch *sketches;
	int rescan; /* the engine could not see everything */
};

/* The smallest fingerprint set a host accepts (ABI 1.0, through rescan). */
#define WHORL_FPSET_MIN_SIZE \
	(offsetof(struct whorl_fpset, rescan) + sizeof(((struct whorl_fpset *)0)->rescan))

/* What reload() reloads. */
#define WHORL_RELOAD_CONFIG (1u << 0)
#define WHORL_RELOAD_WHITELIST (1u << 1)
#define WHORL_RELOAD_DATA (1u << 2)
#define WHORL_RELOAD_ALL (WHORL_RELOAD_CONFIG | WHORL_RELOAD_WHITELIST | WHORL_RELOAD_DATA)

/* Capability flags in whorl_cartridge_api.capabilities. */
#define WHORL_CAP_SCORE (1ull << 0)
#define WHORL_CAP_FINGERPRINT (1ull << 1)
#define WHORL_CAP_IMAGES (1ull << 2)  /* decodes GIF, PNG, JPEG */
#define WHORL_CAP_NETWORK (1ull << 3) /* http(s) micro-updates */
#define WHORL_CAP_WHITELIST (1ull << 4)

typedef struct whorl_engine whorl_engine;

/* The cartridge's table. Members are only ever appended. */
struct whorl_cartridge_api {
	size_t size; /* sizeof the table this cartridge has */
	uint32_t abi_major;
	uint32_t abi_minor;
	uint64_t capabilities;    /* WHORL_CAP_* */
	uint32_t build_signature; /* WHORL_BUILD_SIGNATURE of the cartridge */
	const char *version;      /* e.g. "whorl-cartridge 0.1.0"; copy it */

	/* Opens an engine on the configuration directory `config_dir` (holding
	 * cartridge.cfg, license.cfg, categories, the publisher key, ...).
	 * On failure writes a reason into errbuf (NUL terminated) and returns a
	 * negative WHORL_E*; *engine_out is then NULL. */
	int (*open)(const struct whorl_host_services *host, const char *config_dir,
	            whorl_engine **engine_out, char *errbuf, size_t errlen);

	/* Scores an RFC 822 message (plain, or dot-stuffed wire form). `envelope`
	 * may be NULL. Malformed mail still gets a verdict (with rescan set).
	 * Thread safe. */
	int (*score)(whorl_engine *engine, const struct whorl_envelope *envelope, const char *msg,
	             size_t len, struct whorl_verdict **verdict_out);
	void (*verdict_free)(whorl_engine *engine, struct whorl_verdict *verdict);

	/* Computes the fingerprints of a message, for publishing and feedback.
	 * Thread safe. */
	int (*fingerprint)(whorl_engine *engine, const char *msg, size_t len,
	                   struct whorl_fpset **fpset_out);
	void (*fpset_free)(whorl_engine *engine, struct whorl_fpset *fpset);

	/* Names of a category and subcategory, copied NUL terminated into the
	 * caller's buffers. WHORL_EINVAL for an unknown pair ("unknown" is
	 * still written). */
	int (*describe_category)(whorl_engine *engine, unsigned category, unsigned subcategory,
	                         char *category_out, size_t category_len, char *subcategory_out,
	                         size_t subcategory_len);

	/* Re-reads what `what` (WHORL_RELOAD_*) names without blocking scans in
	 * flight; on a parse failure the previous state stays. */
	int (*reload)(whorl_engine *engine, unsigned what);

	/* Runs one micro-update cycle now (load newer files from the update URL). */
	int (*update_now)(whorl_engine *engine);

	/* Current statistics as "key = value" lines; freed by text_free(). */
	int (*stats_snapshot)(whorl_engine *engine, char **text_out);
	void (*text_free)(whorl_engine *engine, char *text);

	/* Scores built-in messages and checks the answers; 0 when usable. */
	int (*self_test)(whorl_engine *engine, char *errbuf, size_t errlen);

	/* Joins every background thread and drops every callback; after it only
	 * close() may be called. Required before dlclose(). */
	int (*quiesce)(whorl_engine *engine);
	void (*close)(whorl_engine *engine);

	/* Static text for a WHORL_E* code; never NULL. */
	const char *(*strerror)(int code);
};

/* The smallest table a host of this major version accepts. */
#define WHORL_CARTRIDGE_API_MIN_SIZE \
	(offsetof(struct whorl_cartridge_api, strerror) + sizeof(void (*)(void)))

/* The one exported symbol. Returns NULL when host_major is not served. */
typedef const struct whorl_cartridge_api *(*whorl_cartridge_entry_fn)(uint32_t host_major,
                                                                      uint32_t host_minor);
const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major, uint32_t host_minor);

#ifdef __cplusplus
}
#endif
#endif /* WHORL_CARTRIDGE_H */
