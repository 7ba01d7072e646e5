/*
 * test_cfg_capture.h - a test logger that keeps every line, for the cfg tests.
 */
#ifndef WHORL_TEST_CFG_CAPTURE_H
#define WHORL_TEST_CFG_CAPTURE_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "cartridge/cfg/cfg.h"

#define CAPTURE_MAX 64

struct capture {
	int n;
	int level[CAPTURE_MAX];
	char module[CAPTURE_MAX][16];
	char text[CAPTURE_MAX][LOG_MAX_LINE];
};

static void capture_line(void *ctx, int level, const char *module, const char *message)
{
	struct capture *cap = ctx;

	if (cap->n >= CAPTURE_MAX)
		return;
	cap->level[cap->n] = level;
	snprintf(cap->module[cap->n], sizeof(cap->module[0]), "%s", module);
	snprintf(cap->text[cap->n], sizeof(cap->text[0]), "%s", message);
	cap->n++;
}

static inline void capture_init(struct capture *cap, struct logger *lg)
{
	memset(cap, 0, sizeof(*cap));
	lg->fn = capture_line;
	lg->ctx = cap;
	lg->min_level = WHORL_LOG_DEBUG;
}

/* Index of the line with exactly this level and text, or -1. */
static inline int capture_find(const struct capture *cap, int level, const char *text)
{
	for (int i = 0; i < cap->n; i++)
		if (cap->level[i] == level && strcmp(cap->text[i], text) == 0)
			return i;
	return -1;
}

/* Lines other than the two load-time summary lines. */
static inline int capture_count_other(const struct capture *cap)
{
	int n = 0;

	for (int i = 0; i < cap->n; i++)
		if (strstr(cap->text[i], "consider empty messages as spam") == NULL &&
		    strncmp(cap->text[i], "Statistics reporting is enabled", 31) != 0)
			n++;
	return n;
}

#define ck_assert_logged(cap, lvl, txt)                                                 \
	do {                                                                            \
		int found_ = capture_find((cap), (lvl), (txt));                         \
		if (found_ < 0) {                                                       \
			for (int i_ = 0; i_ < (cap)->n; i_++)                           \
				fprintf(stderr, "  logged [%d] %s\n", (cap)->level[i_], \
				        (cap)->text[i_]);                               \
		}                                                                       \
		ck_assert_msg(found_ >= 0, "not logged at level %d: %s", (lvl), (txt)); \
		ck_assert_str_eq((cap)->module[found_], "CONFIG");                      \
	} while (0)

#endif
