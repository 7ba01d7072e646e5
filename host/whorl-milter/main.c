/*
 * main.c - whorl-milter: a milter (Debian's libmilter) that scans each
 * message in process through libwhorl and accepts, marks, rejects,
 * quarantines or discards it (docs/WHORL-MILTER.md).
 *
 *   whorl-milter [-c FILE]      run in the foreground (systemd, or a test)
 *   whorl-milter -t [-c FILE]   check the configuration and the cartridge
 *
 * libmilter owns the socket, the threads (one per MTA connection) and the
 * signals: SIGTERM, SIGINT and SIGHUP stop smfi_main (a reload is
 * "whorlctl reload", control.c), after which scans
 * that missed their deadline are given "scan deadline" to finish before
 * the cartridge is closed.
 * Not for: the callbacks (conn.c) or the keys (cfg.c).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "milter.h"

#define WM_MAX_FD_SCAN 1024 /* descriptors looked at for libmilter's socket */

/*
 * TCP_NODELAY on libmilter's TCP listening socket, which Linux passes on
 * to every accepted connection. At end of message the milter writes one
 * small packet per header change and then its decision, while the MTA
 * only reads: with Nagle's algorithm the second packet waited for the
 * MTA's delayed ACK (40 ms on Linux) on every message
 * (docs/WHORL-MILTER.md, "Time added"). libmilter keeps the socket to
 * itself, so it is found as this process's one listening TCP socket
 * (nothing else listens on TCP here). Returns how many were set.
 */
static unsigned wm_listen_nodelay(void)
{
	unsigned n = 0;
	int one = 1;

	for (int fd = 0; fd < WM_MAX_FD_SCAN; fd++) {
		int listening = 0, proto = 0;
		socklen_t len = sizeof(int);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
			continue;
		len = sizeof(int);
		if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0 ||
		    proto != IPPROTO_TCP)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0)
			n++;
	}
	return n;
}

/* Opens the milter socket (a stale unix socket is removed first) and
 * gives a unix socket the configured mode. 0 or -1 (logged). */
static int wm_listen(const struct wm_cfg *c)
{
	const char *path = NULL;

	if (smfi_setconn((char *)c->milter_socket) != MI_SUCCESS ||
	    smfi_settimeout((int)(c->milter_timeout_ms / 1000)) != MI_SUCCESS ||
	    wm_conn_register() != 0 || smfi_opensocket(1) != MI_SUCCESS) {
		whorl_dlog_write(WHORL_LOG_ERROR, "MAIN", "cannot listen on %s", c->milter_socket);
		return -1;
	}
	if (strncmp(c->milter_socket, "unix:", 5) == 0)
		path = c->milter_socket + 5;
	else if (strncmp(c->milter_socket, "local:", 6) == 0)
		path = c->milter_socket + 6;
	if (path != NULL && chmod(path, c->common.unix_socket_mode) != 0)
		whorl_dlog_write(WHORL_LOG_WARN, "MAIN", "chmod %o %s failed",
		                 c->common.unix_socket_mode, path);
	if (strncmp(c->milter_socket, "inet", 4) == 0 && wm_listen_nodelay() == 0)
		whorl_dlog_write(WHORL_LOG_WARN, "MAIN",
		                 "TCP_NODELAY not set on %s: each message may wait for a "
		                 "delayed ACK",
		                 c->milter_socket);
	return 0;
}

static int wm_run(const struct wm_cfg *c)
{
	sigset_t set;
	int rc;

	/* Blocked before the cartridge starts its threads, which inherit the
	 * mask: libmilter's signal thread (sigwait) must be the one to get
	 * SIGTERM, not an update thread with the default action. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (whorl_daemon_host_open(&c->common, c->common.cartridge, c->common.state_dir, WM_NAME,
	                           &wm_daemon.host) != 0)
		return WM_EXIT_CONFIG;
	if (wm_listen(c) != 0 || wm_control_start(c) != 0) {
		whorl_host_close(wm_daemon.host);
		return WM_EXIT_RUNTIME;
	}
	whorl_daemon_pid_file(c->common.pid_file, 1);
	whorl_dlog_write(WHORL_LOG_INFO, "MAIN", "whorl-milter %s ready on %s, pid %ld",
	                 WHORL_VERSION, c->milter_socket, (long)getpid());
	rc = smfi_main();
	wm_control_stop(); /* no swap or reload from here on */
	whorl_daemon_pid_file(c->common.pid_file, 0);
	if (wm_scan_drain(c->scan_deadline_ms) > 0) {
		/* A scan still inside the cartridge: closing it now would
		 * pull the code from under that thread. */
		whorl_dlog_write(WHORL_LOG_WARN, "MAIN",
		                 "scans still running; exiting without "
		                 "closing the cartridge");
		return WM_EXIT_RUNTIME;
	}
	whorl_host_close(wm_daemon.host);
	whorl_dlog_write(WHORL_LOG_INFO, "MAIN", "stopped");
	return rc == MI_SUCCESS ? WM_EXIT_OK : WM_EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
	static struct wm_cfg cfg;
	static struct whorl_daemon_args a;
	int rc;

	rc = whorl_daemon_args(argc, argv, WM_NAME, 0, &a);
	if (rc <= 0)
		return rc == 0 ? WM_EXIT_OK : WM_EXIT_CONFIG;
	whorl_dlog_setup(WHORL_DLOG_STDERR, 1, WM_NAME, 0, WHORL_LOG_INFO);
	wm_cfg_defaults(&cfg);
	if ((a.cfg_given || access(a.cfg_path, F_OK) == 0) && wm_cfg_load(a.cfg_path, &cfg) != 0)
		return WM_EXIT_CONFIG;
	atomic_store(&wm_daemon.cfg, &cfg);
	wm_daemon.cfg_path = a.cfg_path;
	if (a.check) {
		rc = whorl_daemon_host_open(&cfg.common, cfg.common.cartridge, cfg.common.state_dir,
		                            WM_NAME, &wm_daemon.host);
		if (rc == 0)
			whorl_host_close(wm_daemon.host);
		printf("%s: %s\n", a.cfg_path,
		       rc == 0 ? "configuration and cartridge OK"
		               : "cartridge failed to open (see above)");
		return rc == 0 ? WM_EXIT_OK : WM_EXIT_CONFIG;
	}
	whorl_dlog_setup(cfg.common.log_destination, 1, WM_NAME, cfg.common.syslog_facility,
	                 cfg.common.log_level);
	return wm_run(&cfg);
}
