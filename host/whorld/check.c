/*
 * check.c - "whorld -t": checks whorld.cfg, the places it names, the
 * cartridge (loaded, opened and self-tested, as a start would) and the
 * fingerprint data it loads, prints one line per check on stdout and
 * returns 0 when whorld would start, 1 when it would not (like
 * "postfix check" or "rspamadm configtest").
 * The cartridge is opened without the state directory: a check must not
 * count as a start in the rollback record.
 * Not for: binding sockets (ports may be taken by the running whorld).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "whorld.h"

/* Lines of a stats snapshot that say what data is loaded. */
static const char *const check_data_keys[] = { "mu sigs serial", "known fingerprints",
	                                       "known sketches" };

static int check_dir_of(const char *what, const char *path)
{
	char copy[WHORL_DCFG_PATH_MAX];
	struct stat st;

	snprintf(copy, sizeof(copy), "%s", path);
	const char *dir = dirname(copy);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
		printf("whorld: %s %s: directory %s is missing or not writable\n", what, path, dir);
		return 1;
	}
	return 0;
}

static int check_places(const struct whorl_dcfg *c)
{
	int bad = 0;

	for (size_t i = 0; i < c->spamd_listen.n; i++) {
		const struct whorl_dcfg_listen *l = &c->spamd_listen.a[i];
		if (l->is_unix)
			bad |= check_dir_of("spamd listen", l->addr);
		if (l->is_unix)
			printf("whorld: spamd listen unix:%s\n", l->addr);
		else
			printf("whorld: spamd listen %s:%u\n", l->addr, l->port);
	}
	if (c->feedback_spool[0] != '\0') {
		struct stat st;
		if (stat(c->feedback_spool, &st) != 0)
			bad |= check_dir_of("feedback spool", c->feedback_spool);
		else if (!S_ISDIR(st.st_mode) || access(c->feedback_spool, W_OK | X_OK) != 0)
			printf("whorld: feedback spool %s: not a writable directory\n",
			       c->feedback_spool),
			    bad = 1;
		else
			printf("whorld: feedback spool %s: ok\n", c->feedback_spool);
	} else {
		printf("whorld: feedback spool not set: TELL, POST /v1/feedback and REPORT are "
		       "refused\n");
	}
	if (c->workers > 0)
		printf("whorld: %u worker processes of %u threads each%s\n", c->workers, c->threads,
		       c->state_dir[0] ? ", rollback records in <state dir>/worker-K" : "");
	else
		printf("whorld: one process of %u threads\n", c->threads);
	return bad;
}

static void check_data(whorl_host *h)
{
	char *text = NULL;

	if (whorl_host_stats_text(h, &text) != 0) {
		printf("whorld: data: the cartridge gave no statistics\n");
		return;
	}
	for (size_t k = 0; k < sizeof(check_data_keys) / sizeof(check_data_keys[0]); k++) {
		const char *line = strstr(text, check_data_keys[k]);
		if (line != NULL)
			printf("whorld: data: %.*s\n", (int)strcspn(line, "\n"), line);
	}
	if (strstr(text, "known fingerprints = 0\n") != NULL)
		printf("whorld: data: WARNING: no fingerprints loaded; every message will score "
		       "as unknown until an update arrives\n");
	free(text);
}

static int check_cartridge(const struct whorl_dcfg *c)
{
	struct whorl_host_info info = { .size = sizeof(info) };
	struct whorl_host_options ho;
	whorl_host *h = NULL;
	char err[1024];

	memset(&ho, 0, sizeof(ho));
	ho.size = sizeof(ho);
	ho.cartridge_path = c->cartridge[0] ? c->cartridge : NULL;
	ho.config_dir = c->cartridge_config_dir[0] ? c->cartridge_config_dir : NULL;
	ho.log = whorl_dlog_cartridge;
	ho.log_min_level = WHORL_LOG_ERROR;
	ho.app_name = WHORLD_NAME;
	fflush(stdout); /* the cartridge's own lines go to stderr, in order */
	if (whorl_host_open(&ho, &h, err, sizeof(err)) != 0) {
		printf("whorld: cartridge: %s\n", err);
		return 1;
	}
	whorl_host_info(h, &info);
	printf("whorld: cartridge %s (%s): loaded, self test passed\n", info.cartridge_path,
	       info.cartridge_version);
	check_data(h);
	whorl_host_close(h);
	return 0;
}

int check_run(const struct whorl_dcfg *c, const char *cfg_path, int cfg_found)
{
	int bad;

	if (c == NULL) {
		printf("whorld: configuration %s: errors (above); whorld would not start\n",
		       cfg_path);
		return WHORLD_EXIT_CONFIG;
	}
	printf("whorld: configuration %s: %s\n", cfg_path,
	       cfg_found ? "ok" : "not found, using the defaults");
	bad = check_places(c);
	bad |= check_cartridge(c);
	printf(bad ? "whorld: FAILED: whorld would not start\n" : "whorld: OK\n");
	return bad ? WHORLD_EXIT_CONFIG : WHORLD_EXIT_OK;
}
