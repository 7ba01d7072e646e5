/*
 * feedback_ctl.c - the control socket's REPORT command, served the same way
 * by every daemon that has a control socket (whorld, whorl-milter):
 *
 *   REPORT <spam|ham> <reporter> <absolute path of the message>
 *
 * whorlctl sends it for "whorlctl report spam|ham FILE" (the reporter is
 * the login name of whoever ran it). The daemon reads the file itself (the
 * control socket only admits root and the daemon's own user, so it reads
 * nothing its peer could not), bounded by the daemon's maximum message
 * size, and records the report through whorl_feedback_record() with source
 * "control", and logs what happened (CONTROL: report: ...) through the
 * daemon log (dlog.c).
 * Not for: the socket's wire form and access rules (ctl.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cartridge/util/file_read.h"
#include "whorl_daemon.h"

int whorl_feedback_ctl_report(whorl_host *h, const char *spool_dir, unsigned content,
                              size_t max_size, const char *args, char *reply, size_t reply_len)
{
	struct whorl_feedback fb = { .size = sizeof(fb),
		                     .actions = WHORL_FEEDBACK_SET_LOCAL,
		                     .content = content,
		                     .client = "unix",
		                     .source = "control",
		                     .score = -1 };
	char reporter[WHORL_FEEDBACK_TEXT_MAX], name[128], *msg = NULL;
	size_t cls_len = strcspn(args, " "), rep_len, len = 0;
	const char *path;
	int rc, why = 0;

	if (spool_dir == NULL || *spool_dir == '\0') {
		snprintf(reply, reply_len, "ERR feedback is not enabled: no feedback spool set\n");
		return WHORL_ECONFIG;
	}
	fb.feedback_class = whorl_feedback_class_parse(args, cls_len);
	rep_len = args[cls_len] == ' ' ? strcspn(args + cls_len + 1, " ") : 0;
	path = args[cls_len] == ' ' ? args + cls_len + 1 + rep_len : "";
	if (fb.feedback_class < 0 || rep_len == 0 || rep_len >= sizeof(reporter) ||
	    path[0] != ' ' || path[1] != '/') {
		snprintf(reply, reply_len, "ERR usage: REPORT spam|ham REPORTER /ABSOLUTE/PATH\n");
		return WHORL_EINVAL;
	}
	memcpy(reporter, args + cls_len + 1, rep_len);
	reporter[rep_len] = '\0';
	fb.reporter = reporter;
	path++;
	rc = file_read_whole(path, 0, max_size, &msg, &len, &why);
	if (rc != 0) {
		snprintf(reply, reply_len, "ERR %s: %s\n", path, file_why_text(why));
		return rc;
	}
	rc = whorl_feedback_record(h, spool_dir, &fb, msg, len, name, sizeof(name));
	free(msg);
	if (rc != 0) {
		snprintf(reply, reply_len, "ERR cannot record the report: %s\n",
		         whorl_strerror(rc));
		whorl_dlog_write(WHORL_LOG_ERROR, "CONTROL", "report of %s: %s", path,
		                 whorl_strerror(rc));
	} else {
		snprintf(reply, reply_len, "OK\nrecorded %s %s/new/%s\n",
		         whorl_feedback_class_name(fb.feedback_class), spool_dir, name);
		whorl_dlog_write(WHORL_LOG_INFO, "CONTROL", "report: recorded %s %s from %s: %s",
		                 whorl_feedback_class_name(fb.feedback_class), path, reporter,
		                 name);
	}
	return rc;
}
