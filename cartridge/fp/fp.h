/*
 * fp.h - what every fingerprint engine sees, and what it produces.
 *
 * The scan parses a message once (mime/), renders its visible text once
 * (text/), then hands the same struct fp_input to each engine in turn. An
 * engine appends exact keys (struct whorl_fp, looked up in the snapshot's
 * hash table) and/or similarity sketches (matched through anchors, then
 * verified with fp_sketch_similarity()). Everything lives in the scan's arena.
 *
 * Every engine is described once, in engines.c (id, name, algorithm version,
 * compute function, scan order, scoring class, sketch operations): bump its
 * algo_version there whenever its output changes, and update its golden
 * vectors in tests/unit/.
 *
 * Not for: looking fingerprints up (sigdb/) or scoring (engine scan code).
 */
#ifndef WHORL_FP_H
#define WHORL_FP_H

#include <stddef.h>
#include <stdint.h>

#include "../../abi/whorl_cartridge.h"
#include "../cfg/cfg.h"
#include "../mime/mime.h"
#include "../text/text.h"
#include "../util/arena.h"

struct img_qr_lib;

#define FP_MAX_FPS 1024          /* exact keys per message; more are dropped (rescan) */
#define FP_MAX_SKETCHES 256      /* sketches per message (a publisher's image crops: 198) */
#define FP_MAX_QUERY_ANCHORS 64  /* anchors one sketch is looked up by */
#define FP_MAX_STORED_ANCHORS 16 /* anchors one stored sketch is indexed by */
#define FP_MAX_SKETCH_BYTES 240  /* stored sketch size bound */
#define FP_BODY_MAX_PARTS 64     /* lines and paragraphs of a text looked at (body.c) */

struct fp_input {
	const struct mime_msg *mime;
	const char *visible; /* visible text of all text parts, UTF-8, joined by "\n" */
	size_t visible_len;
	const char *norm; /* text_normalise(visible with links and addresses blanked) */
	size_t norm_len;
	/* Ranges in norm of its lines and paragraphs (text_normalise_parts), the
	 * first FP_BODY_MAX_PARTS; NULL/0 when not gathered. */
	const struct text_part *parts;
	size_t n_parts;
	const struct text_link *links; /* links from HTML and from plain text */
	size_t n_links;
	const char *skeleton; /* HTML tag skeleton of the first HTML part, "" if none */
	size_t skeleton_len;
	unsigned text_flags;              /* TEXT_F_* gathered while rendering */
	const struct whorl_envelope *env; /* may be NULL */
	const struct cfg *cfg;
	struct arena *arena;
	/* Set by fingerprint() (a publisher's or a feedback's record), not by
	 * score(): an engine may then add sketches only a stored record needs
	 * (the image engine's crops, img.h), so the scan keeps its own work. */
	int publishing;
	/* libzbar for the image engine's QR codes (img/img_qr.h), the engine's;
	 * NULL: no code is read and a picture that would be searched makes the
	 * message rescan. */
	struct img_qr_lib *qr;
};

/* A sketch as produced by an engine for one message. */
struct fp_sketch {
	uint8_t engine; /* WHORL_FP_* */
	uint8_t algo_version;
	uint16_t len;
	const uint8_t *bytes;          /* stored form, what publishers store */
	const uint32_t *query_anchors; /* anchors to look up at scan time */
	size_t n_query_anchors;
	/* What a query keeps beyond its stored form to verify with (the fuzzy
	 * engine: which values each bin holds, for containment); NULL/0 when
	 * the engine keeps nothing. Never stored or published. */
	const uint8_t *query_extra;
	size_t query_extra_len;
};

struct fp_list {
	struct whorl_fp fps[FP_MAX_FPS];
	size_t n_fps;
	struct fp_sketch sketches[FP_MAX_SKETCHES];
	size_t n_sketches;
	int overflow; /* a limit above was reached */
};

/* Appends an exact key: raw is engine-local, the stored key is
 * whorl_fp_key(engine, raw), stamped with the engine's algo_version.
 * Duplicates within a message are dropped. */
void fp_list_add(struct fp_list *out, uint8_t engine, uint64_t raw, uint16_t flags);
/* Appends a sketch, stamped with its engine's algo_version (sk's is not
 * read); bytes and anchors must live in the scan's arena. */
void fp_list_add_sketch(struct fp_list *out, const struct fp_sketch *sk);

typedef void (*fp_engine_fn)(const struct fp_input *in, struct fp_list *out);

#define FP_N_ENGINES 7              /* = WHORL_FP_ENGINE_MAX (asserted in engines.c) */
#define FP_ENGINE_CONTENT (1u << 0) /* a match is content evidence (score.c) */
#define FP_ENGINE_TEXT (1u << 1)    /* also runs on attachments' text units */

/* One engine (engines.c). Sketch members are NULL for engines that make
 * only exact keys. */
struct fp_engine {
	uint8_t id;           /* WHORL_FP_* */
	const char *name;     /* analysis strings, statistics */
	uint8_t algo_version; /* stored with every fingerprint */
	fp_engine_fn compute;
	unsigned flags;      /* FP_ENGINE_* */
	double legit_factor; /* a legitimate hit's share of its weight */
	size_t (*stored_anchors)(const uint8_t *bytes, size_t len, uint32_t *anchors, size_t cap);
	double (*similarity)(const uint8_t *query, size_t qlen, const uint8_t *stored, size_t slen);
	/* How much of the stored text the query contains (0 to 1; 0 when it
	 * cannot tell or it is below the match threshold), from the query's
	 * extra; NULL for engines without it. */
	double (*containment)(const uint8_t *extra, size_t elen, const uint8_t *query, size_t qlen,
	                      const uint8_t *stored, size_t slen);
	double (*threshold)(void);      /* a match on its own */
	double (*weak_threshold)(void); /* supports other evidence (<= threshold) */
};
/* The engine with this id, or NULL. */
const struct fp_engine *fp_engine_get(unsigned id);
/* Engine ids in the order a scan runs them. */
extern const uint8_t fp_engine_scan_order[FP_N_ENGINES];

/* The engines' compute functions (engines.c says in which order they run). */
void fp_body_compute(const struct fp_input *in, struct fp_list *out);
void fp_url_compute(const struct fp_input *in, struct fp_list *out);
void fp_ip_compute(const struct fp_input *in, struct fp_list *out);
void fp_attach_compute(const struct fp_input *in, struct fp_list *out);
void fp_image_compute(const struct fp_input *in, struct fp_list *out);
void fp_struct_compute(const struct fp_input *in, struct fp_list *out);
void fp_fuzzy_compute(const struct fp_input *in, struct fp_list *out);

/* Keys of one more text or link, for text found elsewhere than in the text
 * parts (the payload of a QR code): the body engine's two digests of a
 * normalised text (text_normalise(); words and letters, body.c; none under
 * their minimum lengths), and
 * the url engine's two keys of a link, normalised as links in text are
 * (query and fragment dropped, so tracking parameters change nothing);
 * fp_url_add_link() returns 0 and the host-and-path key's raw value in
 * *hostpath (may be NULL), or -1 for a link it does not key. */
void fp_body_add_text(struct fp_list *out, const char *norm, size_t len);
/* A body key with this flag is the letters digest of one paragraph or line
 * of the text, not of the whole text (body.c): looked up against the stored
 * whole-text letters digests, never published (scan_fingerprint drops them). */
#define FP_BODY_F_PART 1u
int fp_url_add_link(struct fp_list *out, const char *url, size_t len, uint64_t *hostpath);

/* Sketch operations, dispatched on engine and algo_version. */
/* Anchors a stored sketch is indexed by; returns how many (<= cap). */
size_t fp_sketch_stored_anchors(uint8_t engine, uint8_t algo, const uint8_t *bytes, size_t len,
                                uint32_t *anchors, size_t cap);
/* Similarity of a query sketch and a stored one, 0.0 (unrelated) to 1.0
 * (same); negative when they cannot be compared (other engine or version,
 * malformed stored bytes). */
double fp_sketch_similarity(uint8_t engine, uint8_t algo, const uint8_t *query, size_t qlen,
                            const uint8_t *stored, size_t slen);
/* How much of a stored sketch's text the query sketch q contains, from q's
 * query_extra: 0.0 when the engine cannot tell (no containment operation,
 * no extra, other version, malformed bytes) or when it is below the
 * engine's match threshold, else the contained share up to 1.0. A campaign
 * padded with filler prose contains all of its text; the scan counts it
 * for abuse records only (spammers paste legitimate prose). */
double fp_sketch_containment(const struct fp_sketch *q, uint8_t algo, const uint8_t *stored,
                             size_t slen);
/* The engine that compares sketches of this engine and algo_version, or
 * NULL (the operations above then say "not comparable"). The scan resolves
 * it once per query and calls e->similarity and fp_engine_containment for
 * each candidate, as the two calls above would. */
const struct fp_engine *fp_sketch_engine(uint8_t engine, uint8_t algo);
/* fp_sketch_containment() for a query q of engine e (from fp_sketch_engine). */
double fp_engine_containment(const struct fp_engine *e, const struct fp_sketch *q,
                             const uint8_t *stored, size_t slen);
/* Smallest similarity that counts as a match for this engine on its own. */
double fp_sketch_threshold(uint8_t engine);
/* Smallest similarity that still supports other evidence (<= the above). */
double fp_sketch_weak_threshold(uint8_t engine);

/* Engine names for analysis strings: "body", "fuzzy", ... */
const char *fp_engine_name(unsigned engine);

/* ip engine helpers, also used by the whitelist: the sending IP of a
 * message per the guide's rules, into buf (capacity len); 0 when found. */
int fp_ip_sender(const struct fp_input *in, char *buf, size_t len);
/* The Received hop the same rules pick (ignoring the envelope and "use ip
 * information"): its address into ip and its reverse name ("" when none)
 * into name; 0 when found. */
int fp_ip_sender_hop(const struct fp_input *in, char *ip, size_t iplen, char *name, size_t namelen);

#endif
