/*
 * whorl-publish - fingerprint labelled mail with the same cartridge.so the
 * gateways run (through libwhorl) and publish the result as a signed update
 * set in a mirror directory.
 *
 *   whorl-publish --key KEY --out MIRROR [--category NAME=DIR]... [--legit DIR]...
 *                 [--cartridge PATH] [--config-dir DIR] [--confidence N]
 *                 [--expiry-days N] [--full-every N] [--full] [--drop-deltas]
 *                 [--check-interval S] [--full-interval S] [--awl FILE]
 *                 [--statistics-interval S] [--infra-campaigns N]
 *
 * Each DIR (a directory, a maildir, an mbox or a message file) is read by
 * libwhorl's mail reader exactly as whorl-scan reads it (host/libwhorl/mail.h:
 * symbolic links to files followed, mbox files split, maildirs' cur/ and
 * new/). A DIR that gives no message is an error and nothing is published;
 * files that cannot be read are named and counted in the summary line.
 * Legitimate mail wins: an exact fingerprint
 * or sketch seen in --legit mail is published as legitimate, never as abuse.
 * --awl FILE publishes FILE (whitelist.cfg grammar) as the backend whitelist
 * (the awl source); without it the set carries an empty one, so give it on
 * every run that should keep it. The delta chain is kept across complete
 * files (the newest 64 deltas), so a gateway a few deltas behind never needs
 * the complete file; --drop-deltas drops it whenever a complete file is
 * written (--keep-deltas, the default, is accepted); --check-interval and
 * --full-interval set the schedule the manifest gives gateways under
 * `micro-update interval = auto` (seconds; 60 and 10800 by default);
 * --statistics-interval puts "statistics interval = S" in the acf source,
 * the period of the statistics reports of gateways with `statistics
 * interval = auto` (without it they report hourly; give it on every run
 * that should keep it, like --awl).
 * Links, sending addresses and templates that messages of N or more
 * different campaigns carry (--infra-campaigns, default 3; 0 turns it off)
 * are shared infrastructure and are not published as abuse
 * (publisher/lib/infra.h, docs/SCORING.md).
 *
 *   whorl-publish --key KEY --out MIRROR --never-seen DATABASE
 *
 * lists the abuse fingerprints MIRROR publishes that no gateway reported
 * seeing, read from whorl-collect's database (DATABASE: the value of its
 * collect.cfg "database" line): candidates for expiry, nothing is expired
 * (never_seen.c, docs/COLLECT.md).
 *
 * Not for: the set format (publisher/lib, cartridge/update).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../cartridge/cfg/cfg.h"
#include "../../cartridge/update/update_format.h"
#include "../../cartridge/util/file_read.h"
#include "../../host/libwhorl/mail.h"
#include "../lib/infra.h"
#include "../lib/publish.h"
#include "never_seen.h"
#include "whorl.h"

#define MAX_DIRS 64 /* --category and --legit options */

struct label {
	const char *spec; /* as given on the command line */
	const char *dir;
	struct sigdb_meta meta;
};

struct args {
	const char *key, *out, *cartridge, *config_dir, *awl;
	struct label labels[MAX_DIRS]; /* abuse first, then legit */
	int n_labels;
	unsigned confidence, expiry_days, full_every, check_interval, full_interval;
	unsigned statistics_interval; /* 0: none in the acf */
	unsigned infra_campaigns;     /* 0: publish infrastructure keys as they come */
	int force_full, keep_deltas;
};

/* What the mail of every label added (one walk at a time). */
static struct {
	whorl_host *host;
	struct publish_set *set;
	const struct sigdb_meta *meta;
	struct infra_learner *infra; /* NULL with --infra-campaigns 0 */
	size_t n_msgs, n_failed, n_unreadable;
	int infra_rc; /* first infra_observe() failure */
} walk;

static void add_message(const char *msg, size_t len)
{
	struct whorl_fpset *fps = NULL;

	if (whorl_host_fingerprint(walk.host, msg, len, &fps) != 0 || !fps) {
		walk.n_failed++;
		return;
	}
	for (size_t i = 0; i < fps->n_fps; i++)
		publish_set_add_fp(walk.set, fps->fps[i].key, fps->fps[i].engine,
		                   fps->fps[i].algo_version, walk.meta);
	for (size_t i = 0; i < fps->n_sketches; i++)
		publish_set_add_sketch(walk.set, fps->sketches[i].engine,
		                       fps->sketches[i].algo_version, fps->sketches[i].bytes,
		                       fps->sketches[i].len, walk.meta);
	if (walk.infra && !walk.infra_rc)
		walk.infra_rc = infra_observe(walk.infra, fps);
	whorl_host_fpset_free(walk.host, fps);
	walk.n_msgs++;
}

/* The mail reader's report: an input skipped while walking. */
static void report_unreadable(void *ctx, const char *path, const char *why)
{
	fprintf(stderr, "whorl-publish: %s: %s\n", path, why);
}

/* One source being read: its list (for names) and the messages it gave. */
struct source_read {
	const struct mail_list *l;
	size_t i; /* the entry being read */
	size_t read_ok;
};

/* mail_read_each's callback: a message published, or one that could not
 * be read named and counted. */
static void source_message(void *ctx, size_t index, int rc, int why, const char *msg, size_t len)
{
	struct source_read *sr = ctx;
	char name[4096];

	if (rc == 0) {
		add_message(msg, len);
		sr->read_ok++;
		return;
	}
	fprintf(stderr, "whorl-publish: %s: %s\n",
	        mail_msg_name(index, mail_msg_path(sr->l, &sr->l->msgs[sr->i]), name, sizeof name),
	        why != 0 ? file_why_text(why) : whorl_strerror(rc));
	walk.n_unreadable++;
}

/* Reads every message of one label's source with libwhorl's mail reader
 * (files, mbox files, maildirs, symbolic links to files: as whorl-scan).
 * Messages that cannot be read are named and counted. Returns 0; -1 when
 * the source gave no message (named; nothing may be published) or memory
 * ran out. */
static int add_source(const struct label *lb)
{
	struct mail_list l;
	struct mail_buf b;
	struct source_read sr = { &l, 0, 0 };
	int rc;

	memset(&b, 0, sizeof(b));
	mail_list_init(&l, report_unreadable, NULL);
	rc = mail_list_add_path(&l, lb->dir);
	for (sr.i = 0; rc == 0 && sr.i < l.n_msgs; sr.i++)
		rc = mail_read_each(&l, sr.i, &b, source_message, &sr);
	walk.n_unreadable += l.n_unreadable;
	mail_list_free(&l);
	mail_buf_free(&b);
	if (rc != 0) {
		fprintf(stderr, "whorl-publish: %s: %s\n", lb->spec, whorl_strerror(rc));
		return -1;
	}
	if (sr.read_ok == 0) {
		fprintf(stderr,
		        "whorl-publish: %s %s: no message could be read from %s; nothing "
		        "published\n",
		        lb->meta.flags & SIGDB_F_LEGIT ? "--legit" : "--category", lb->spec,
		        lb->dir);
		return -1;
	}
	return 0;
}

static int usage(void)
{
	fprintf(
	    stderr,
	    "usage: whorl-publish --key KEY --out MIRROR [--category NAME=DIR]... "
	    "[--legit DIR]...\n       [--cartridge PATH] [--config-dir DIR] [--confidence N] "
	    "[--expiry-days N] [--full-every N] [--full] [--drop-deltas]\n       [--check-interval S] "
	    "[--full-interval S] [--statistics-interval S] [--awl FILE] [--infra-campaigns N]\n");
	return 2;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s < '0' || *s > '9' || *end || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* <config_dir>/categories, or the built-in table when there is none; a
 * file that cannot be read or is malformed is an error naming the reason. */
static int load_categories(const char *config_dir, struct categories *cats, uint8_t **text,
                           size_t *len)
{
	char path[4096], why_text[CATS_WHY_MAX];
	int why = 0, rc;

	categories_defaults(cats);
	snprintf(path, sizeof path, "%s/categories", config_dir);
	rc = file_read_whole(path, 0, UPDATE_MAX_TEXT_BYTES, (char **)text, len, &why);
	if (rc != 0 && why == ENOENT)
		return 0; /* built-in defaults, no cats source */
	if (rc != 0) {
		fprintf(stderr, "whorl-publish: cannot read %s: %s\n", path, file_why_text(why));
		return -1;
	}
	if (categories_parse_why(cats, (const char *)*text, *len, why_text, sizeof why_text) != 0) {
		fprintf(stderr, "whorl-publish: %s is malformed: %s\n", path, why_text);
		return -1;
	}
	return 0;
}

/* Resolves "--category NAME=DIR" and "--legit DIR" into labels. */
static int add_label(struct args *a, const struct categories *cats, const char *spec, int legit)
{
	struct label *l = &a->labels[a->n_labels];
	uint16_t today = (uint16_t)(time(NULL) / 86400);
	const char *eq = legit ? NULL : strchr(spec, '=');
	char name[64];
	int cat;

	if (a->n_labels == MAX_DIRS || (!legit && (!eq || (size_t)(eq - spec) >= sizeof name)))
		return -1;
	l->spec = spec;
	if (legit) {
		cat = categories_lookup(cats, "legit");
		l->dir = spec;
	} else {
		snprintf(name, sizeof name, "%.*s", (int)(eq - spec), spec);
		if ((cat = categories_lookup(cats, name)) < 0) {
			fprintf(stderr, "whorl-publish: unknown category '%s'\n", name);
			return -1;
		}
		l->dir = eq + 1;
	}
	l->meta = (struct sigdb_meta){ .category = (uint8_t)(cat < 0 ? 0 : cat),
		                       .confidence = (uint8_t)a->confidence,
		                       .flags = legit ? SIGDB_F_LEGIT : 0,
		                       .first_seen = today,
		                       .last_seen = today };
	a->n_labels++;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a, const char **specs, int *legit,
                      int *n_specs)
{
	*a = (struct args){ .confidence = 90,
		            .keep_deltas = 1,
		            .infra_campaigns = INFRA_DEFAULT_MIN_CAMPAIGNS };
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--full") == 0) {
			a->force_full = 1;
			continue;
		}
		if (strcmp(o, "--keep-deltas") == 0 || strcmp(o, "--drop-deltas") == 0) {
			a->keep_deltas = o[2] == 'k';
			continue;
		}
		if (!v || *n_specs == MAX_DIRS)
			return -1;
		i++;
		if (strcmp(o, "--key") == 0)
			a->key = v;
		else if (strcmp(o, "--out") == 0)
			a->out = v;
		else if (strcmp(o, "--cartridge") == 0)
			a->cartridge = v;
		else if (strcmp(o, "--config-dir") == 0)
			a->config_dir = v;
		else if (strcmp(o, "--awl") == 0)
			a->awl = v;
		else if (strcmp(o, "--confidence") == 0) {
			if (parse_uint(v, 100, &a->confidence))
				return -1;
		} else if (strcmp(o, "--expiry-days") == 0) {
			if (parse_uint(v, PUBLISH_MAX_EXPIRY_DAYS, &a->expiry_days) ||
			    !a->expiry_days)
				return -1;
		} else if (strcmp(o, "--check-interval") == 0) {
			if (parse_uint(v, UPDATE_MAX_INTERVAL, &a->check_interval) ||
			    !a->check_interval)
				return -1;
		} else if (strcmp(o, "--full-interval") == 0) {
			if (parse_uint(v, UPDATE_MAX_INTERVAL, &a->full_interval) ||
			    !a->full_interval)
				return -1;
		} else if (strcmp(o, "--statistics-interval") == 0) {
			if (parse_uint(v, CFG_MAX_STATS_INTERVAL, &a->statistics_interval) ||
			    !a->statistics_interval)
				return -1;
		} else if (strcmp(o, "--infra-campaigns") == 0) {
			if (parse_uint(v, UINT16_MAX, &a->infra_campaigns) ||
			    a->infra_campaigns == 1)
				return -1;
		} else if (strcmp(o, "--full-every") == 0) {
			if (parse_uint(v, UPDATE_MAX_DELTAS, &a->full_every) || !a->full_every)
				return -1;
		} else if (strcmp(o, "--category") == 0 || strcmp(o, "--legit") == 0) {
			legit[*n_specs] = o[2] == 'l';
			specs[(*n_specs)++] = v;
		} else
			return -1;
	}
	return a->key && a->out ? 0 : -1;
}

/* Takes shared infrastructure out of the abuse records and says how much. */
static int hold_back_infrastructure(unsigned min_campaigns)
{
	struct infra_report r;
	int rc = walk.infra_rc;

	if (rc == 0)
		rc = infra_hold_back(walk.infra, walk.set, min_campaigns, &r);
	if (rc != 0) {
		fprintf(stderr, "whorl-publish: infrastructure learning failed (%d)\n", rc);
		return -1;
	}
	printf("%zu messages in %zu campaigns; shared by %u+ campaigns, not published as abuse: "
	       "%zu url, %zu ip, %zu struct keys\n",
	       r.n_msgs, r.n_campaigns, min_campaigns, r.n_held[WHORL_FP_URL],
	       r.n_held[WHORL_FP_IP], r.n_held[WHORL_FP_STRUCT]);
	return 0;
}

static int publish_all(const struct args *a, whorl_host *host, const uint8_t *cats_text,
                       size_t cats_len, const uint8_t *awl_text, size_t awl_len)
{
	char err[512];
	struct publish_key *k = publish_key_load(a->key, err, sizeof err);
	struct publish_options o = { .out_dir = a->out,
		                     .expiry_days = a->expiry_days,
		                     .full_every = a->full_every,
		                     .force_full = a->force_full,
		                     .keep_deltas = a->keep_deltas,
		                     .check_interval = a->check_interval,
		                     .full_interval = a->full_interval,
		                     .statistics_interval = a->statistics_interval,
		                     .cats = (const char *)cats_text,
		                     .cats_len = cats_len,
		                     .awl = (const char *)awl_text,
		                     .awl_len = awl_len };
	struct publish_result res;
	int rc = 1;

	walk.host = host;
	walk.set = publish_set_new();
	walk.infra = a->infra_campaigns ? infra_new() : NULL;
	if (!k || !walk.set || (a->infra_campaigns && !walk.infra)) {
		fprintf(stderr, "whorl-publish: %s\n", k ? "out of memory" : err);
		goto out;
	}
	/* Abuse labels first, legit last: a legit record replaces an abuse one. */
	for (int i = 0; i < a->n_labels; i++) {
		walk.meta = &a->labels[i].meta;
		if (add_source(&a->labels[i]) != 0)
			goto out;
	}
	if (walk.infra && hold_back_infrastructure(a->infra_campaigns) != 0)
		goto out;
	if (publish_write(k, walk.set, &o, &res, err, sizeof err) != 0) {
		fprintf(stderr, "whorl-publish: %s\n", err);
		goto out;
	}
	printf("%zu messages (%zu not fingerprinted, %zu unreadable), %zu records; manifest %llu, "
	       "sigs %llu.%llu (%s: %zu added, %zu removed)\n",
	       walk.n_msgs, walk.n_failed, walk.n_unreadable, publish_set_count(walk.set),
	       (unsigned long long)res.manifest_serial, (unsigned long long)res.sigs_complete,
	       (unsigned long long)res.sigs_incremental, res.wrote_complete ? "complete" : "delta",
	       res.n_put, res.n_del);
	rc = 0;
out:
	publish_set_free(walk.set);
	infra_free(walk.infra);
	publish_key_free(k);
	return rc;
}

int main(int argc, char **argv)
{
	static struct args a;
	static struct categories cats;
	const char *specs[MAX_DIRS];
	int legit[MAX_DIRS], n_specs = 0, rc = 1, why = 0;
	uint8_t *cats_text = NULL, *awl_text = NULL;
	size_t cats_len = 0, awl_len = 0;
	whorl_host *host = NULL;
	char err[512];

	if (never_seen_mode(argc, argv, &rc))
		return rc;
	if (parse_args(argc, argv, &a, specs, legit, &n_specs) != 0)
		return usage();
	if (!a.config_dir)
		a.config_dir = whorl_default_config_dir();
	if (load_categories(a.config_dir, &cats, &cats_text, &cats_len) != 0)
		goto out;
	if (a.awl && file_read_whole(a.awl, 0, UPDATE_MAX_TEXT_BYTES, (char **)&awl_text, &awl_len,
	                             &why) != 0) {
		fprintf(stderr, "whorl-publish: cannot read %s: %s (at most %llu bytes)\n", a.awl,
		        file_why_text(why), (unsigned long long)UPDATE_MAX_TEXT_BYTES);
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) /* abuse labels, then legit */
		for (int i = 0; i < n_specs; i++)
			if (legit[i] == pass && add_label(&a, &cats, specs[i], legit[i]) != 0) {
				fprintf(stderr, "whorl-publish: bad label '%s'\n", specs[i]);
				goto out;
			}
	struct whorl_host_options ho = { .size = sizeof ho,
		                         .cartridge_path = a.cartridge,
		                         .config_dir = a.config_dir,
		                         .app_name = "whorl-publish" };
	if (whorl_host_open(&ho, &host, err, sizeof err) != 0) {
		fprintf(stderr, "whorl-publish: %s\n", err);
		goto out;
	}
	rc = publish_all(&a, host, cats_text, cats_len, awl_text, awl_len);
out:
	whorl_host_close(host);
	free(cats_text);
	free(awl_text);
	return rc;
}
