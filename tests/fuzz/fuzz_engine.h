/*
 * fuzz_engine.h - the engine the whole-scan fuzz targets share: opened
 * through the internal engine_open() on a temporary configuration directory
 * with every engine switched on, its data a small set published
 * (publisher/lib) from the fingerprints of the built-in messages below, so
 * inputs near them reach the sketch candidate and verification code and the
 * scoring rules, not only an empty lookup.
 *
 * Included by one fuzz target each (static definitions); not a target.
 */
#ifndef WHORL_FUZZ_ENGINE_H
#define WHORL_FUZZ_ENGINE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cartridge/engine.h"
#include "publisher/lib/publish.h"

static whorl_engine *fuzz_engine;
static char fuzz_root[64];
static const char *fuzz_name = "fuzz";

/* What the published set is made of: abuse and legitimate text with links,
 * an attachment and a relay, so that every engine has something stored. */
static const char *const fuzz_known[] = {
	("Received: from x.example.net (x.example.net [203.0.113.7]) by mx1.example.com\r\n"
	 "From: offers@fastcash.example.net\r\nSubject: your loan is approved\r\n"
	 "Content-Type: text/html\r\n\r\n<p>Claim your guaranteed cash today, no credit check, "
	 "approval in minutes.</p><a href=\"http://fastcash.example.net/apply?id=1\">apply</a>\r\n"),
	("From: billing@example.net\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n"
	 "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
	 "Please open the attached invoice now.\r\n--b\r\nContent-Type: application/zip\r\n"
	 "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=i.zip\r\n\r\n"
	 "UEsDBBQAAAAIAIBJcF33u6zEsgAAAOcAAAATAAAAaW52b2ljZV8wNDI3LnBkZi5qcx2OQWrDQAxF\r\n--b--\r\n"),
	("From: martin@example.com\r\nSubject: minutes\r\n\r\nThanks for the minutes of the "
	 "allotment committee; the compost delivery is booked for the 14th.\r\n"),
};

static void fuzz_die(const char *what)
{
	fprintf(stderr, "%s: %s\n", fuzz_name, what);
	abort();
}

static void fuzz_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		fuzz_die(path);
}

static void fuzz_cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_root);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: could not remove %s\n", fuzz_name, fuzz_root);
}

/* Adds the fingerprints of one message to the set (the first two as spam,
 * the last as legitimate). */
static void fuzz_add(struct publish_set *s, const char *msg, int legit)
{
	struct whorl_fpset *fps = NULL;
	struct sigdb_meta m = { .category = legit ? 0 : 1,
		                .confidence = 90,
		                .flags = legit ? SIGDB_F_LEGIT : 0 };
	if (scan_fingerprint(fuzz_engine, msg, strlen(msg), &fps) != 0)
		fuzz_die("fingerprint");
	for (size_t i = 0; i < fps->n_fps; i++)
		publish_set_add_fp(s, fps->fps[i].key, fps->fps[i].engine, fps->fps[i].algo_version,
		                   &m);
	for (size_t i = 0; i < fps->n_sketches; i++)
		publish_set_add_sketch(s, fps->sketches[i].engine, fps->sketches[i].algo_version,
		                       fps->sketches[i].bytes, fps->sketches[i].len, &m);
	scan_fpset_free(fuzz_engine, fps);
}

static void fuzz_publish(void)
{
	char path[128], err[256] = "";
	snprintf(path, sizeof(path), "%s/keys", fuzz_root);
	if (mkdir(path, 0700) != 0 || publish_keygen(path, err, sizeof(err)) != 0)
		fuzz_die(err);
	snprintf(path, sizeof(path), "%s/keys/%s", fuzz_root, PUBLISH_SECRET_KEY_FILE);
	struct publish_key *k = publish_key_load(path, err, sizeof(err));
	struct publish_set *s = publish_set_new();
	if (k == NULL || s == NULL)
		fuzz_die(err);
	size_t n = sizeof(fuzz_known) / sizeof(fuzz_known[0]);
	for (size_t i = 0; i < n; i++)
		fuzz_add(s, fuzz_known[i], i + 1 == n);
	snprintf(path, sizeof(path), "%s/mirror", fuzz_root);
	struct publish_options o = { .out_dir = path };
	if (publish_write(k, s, &o, NULL, err, sizeof(err)) != 0)
		fuzz_die(err);
	publish_set_free(s);
	publish_key_free(k);
}

/* Opens fuzz_engine on a temporary configuration with the published set
 * loaded; `name` prefixes error messages and the temporary folder. */
static void fuzz_engine_open(const char *name)
{
	char path[128], cfg[512], err[256] = "";
	fuzz_name = name;
	snprintf(fuzz_root, sizeof(fuzz_root), "/tmp/whorl_%s.XXXXXX", name);
	if (mkdtemp(fuzz_root) == NULL)
		fuzz_die("mkdtemp");
	atexit(fuzz_cleanup); /* the fuzzer, not the cartridge: allowed here */
	snprintf(cfg, sizeof(cfg),
	         "micro-update url = file://%s/mirror\npublisher key = %s/keys/publisher.pub\n"
	         "favor analysis over speed = yes\nconsider empty messages spam = yes\n"
	         "image processing depth = high\nuse ip information = yes\n",
	         fuzz_root, fuzz_root);
	snprintf(path, sizeof(path), "%s/cartridge.cfg", fuzz_root);
	fuzz_write(path, cfg);
	/* No data yet: opened on an empty mirror, as a new gateway starts. */
	if (engine_open(NULL, fuzz_root, &fuzz_engine, err, sizeof(err)) != 0)
		fuzz_die(err);
	fuzz_publish();
	if (engine_reload(fuzz_engine, WHORL_RELOAD_DATA) != 0)
		fuzz_die("reload");
}

#endif
