/*
 * control.c - whorl-milter's part of the control socket (whorlctl -s
 * SOCKET, or -c whorl-milter.cfg): its STATUS lines, RELOAD and REPORT
 * (whorlctl report, recorded by libwhorl's whorl_feedback_ctl_report). The
 * socket, its thread and VERSION, STATS, SWAP and UPDATE-NOW are
 * libwhorl's (whorl_ctl_serve_*), the same code whorld answers with.
 * A reload re-reads whorl-milter.cfg into a new configuration that the
 * next message uses (one in flight keeps its own; none is dropped), and
 * has the cartridge reload its configuration and whitelists. The milter
 * socket, milter timeout, control socket and cartridge keys take effect
 * at the next start (a WARN line says so when they changed).
 * Not for: the callbacks (conn.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "milter.h"

static struct timespec wm_t_start; /* CLOCK_MONOTONIC, set at start */

static void wm_control_status(void *ctx, struct whorl_ctl_reply *r)
{
	struct wm_counters *k = &wm_daemon.counters;
	struct timespec now;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &now);
	whorl_ctl_printf(r, "uptime seconds = %lld\n", (long long)(now.tv_sec - wm_t_start.tv_sec));
	whorl_ctl_printf(r,
	                 "connections = %u\nconnections total = %lu\nmessages = %lu\n"
	                 "skipped = %lu\nscanned = %lu\nfailed = %lu\n",
	                 atomic_load(&k->connections_open), atomic_load(&k->connections),
	                 atomic_load(&k->messages), atomic_load(&k->skipped),
	                 atomic_load(&k->scanned), atomic_load(&k->failed));
	for (unsigned a = 0; a < 5; a++)
		whorl_ctl_printf(r, "action %s = %lu\n", wm_action_name((enum wm_action)a),
		                 atomic_load(&k->actions[a]));
	whorl_ctl_printf(r, "reloads = %lu\nswaps = %lu\n", atomic_load(&k->reloads),
	                 atomic_load(&k->swaps));
}

static void wm_control_swapped(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&wm_daemon.counters.swaps, 1);
}

/* 1 when a key read only at start differs between a and b. */
static int wm_restart_keys_differ(const struct wm_cfg *a, const struct wm_cfg *b)
{
	return strcmp(a->milter_socket, b->milter_socket) != 0 ||
	       a->milter_timeout_ms != b->milter_timeout_ms ||
	       strcmp(a->common.control_socket, b->common.control_socket) != 0 ||
	       strcmp(a->common.cartridge, b->common.cartridge) != 0 ||
	       strcmp(a->common.cartridge_config_dir, b->common.cartridge_config_dir) != 0 ||
	       strcmp(a->common.state_dir, b->common.state_dir) != 0;
}

/* Runs on the control thread only, so reloads never overlap. */
static int wm_control_reload(void *ctx)
{
	struct wm_cfg *n = malloc(sizeof(*n));
	const struct wm_cfg *old = wm_cfg_now();
	int rc;

	(void)ctx;
	if (n != NULL)
		wm_cfg_defaults(n);
	if (n == NULL || wm_daemon.n_old_cfgs == WM_OLD_CFGS ||
	    wm_cfg_load(wm_daemon.cfg_path, n) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONFIG",
		                 "reload of %s refused; the running configuration stays%s",
		                 wm_daemon.cfg_path,
		                 wm_daemon.n_old_cfgs == WM_OLD_CFGS ? " (too many reloads)" : "");
		free(n);
		return -1;
	}
	if (wm_restart_keys_differ(n, old))
		whorl_dlog_write(WHORL_LOG_WARN, "CONFIG",
		                 "milter socket, milter timeout, control socket and the cartridge "
		                 "keys take effect at the next start");
	whorl_dlog_set_level(n->common.log_level);
	wm_daemon.old_cfgs[wm_daemon.n_old_cfgs++] = old;
	atomic_store(&wm_daemon.cfg, n);
	atomic_fetch_add(&wm_daemon.counters.reloads, 1);
	rc = whorl_host_reload(wm_daemon.host, WHORL_RELOAD_CONFIG | WHORL_RELOAD_WHITELIST);
	whorl_dlog_write(rc == 0 ? WHORL_LOG_INFO : WHORL_LOG_ERROR, "CONFIG",
	                 "reloaded %s; cartridge configuration and whitelists: %s",
	                 wm_daemon.cfg_path, whorl_strerror(rc));
	return rc == 0 ? 0 : -1;
}

/* REPORT spam|ham REPORTER PATH (whorlctl report): libwhorl records it in
 * the feedback spool of the configuration in use, bounded by max body
 * length. */
static int wm_control_command(void *ctx, const char *line, struct whorl_ctl_reply *r)
{
	const struct wm_cfg *c = wm_cfg_now();
	char reply[WHORL_CTL_LINE_MAX + 256];

	(void)ctx;
	if (strncmp(line, "REPORT ", 7) != 0)
		return 0;
	whorl_feedback_ctl_report(wm_daemon.host, c->common.feedback_spool,
	                          (unsigned)c->common.feedback_content, c->max_body_length,
	                          line + 7, reply, sizeof(reply));
	whorl_ctl_printf(r, "%s", reply);
	return 1;
}

int wm_control_start(const struct wm_cfg *c)
{
	struct whorl_ctl_ops ops = {
		.daemon_name = WM_NAME,
		.host = wm_daemon.host,
		.reload = wm_control_reload,
		.status = wm_control_status,
		.swapped = wm_control_swapped,
		.command = wm_control_command,
	};

	clock_gettime(CLOCK_MONOTONIC, &wm_t_start);
	return whorl_ctl_serve_start(c->common.control_socket, &ops, &wm_daemon.ctl);
}

void wm_control_stop(void)
{
	whorl_ctl_serve_stop(wm_daemon.ctl);
	wm_daemon.ctl = NULL;
}
