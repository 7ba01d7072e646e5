/*
 * main.c - whorld, the scanning daemon: command line, whorld.cfg, the
 * cartridge through libwhorl, and the order things start and stop in.
 *
 *   whorld [-f] [-c FILE]     run (-f: stay in the foreground)
 *   whorld -t [-c FILE]       check the configuration, cartridge and data
 *
 * Without -f whorld detaches (fork, setsid, /dev/null on 0-2); the parent
 * exits only once the child listens, so errors in the configuration or
 * the cartridge still reach the terminal and the exit status. SIGHUP re-reads whorld.cfg (limits,
 * log level, minimum score, protocols, spool) and has the cartridge
 * reload its configuration and whitelists; connections are not touched.
 * Listeners, threads and the queue size keep their start values until a
 * restart (a WARN line says so when they changed).
 * Not for: sockets (listen.c, loop.c) or protocols (spamd_*.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "whorld.h"

uint64_t whorld_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t whorld_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void whorld_counters_sum(const struct whorld *d, struct whorld_counters *out)
{
	enum {
		N_MEMBERS = sizeof(struct whorld_counters) / sizeof(atomic_ulong)
	};
	_Static_assert(sizeof(struct whorld_counters) % sizeof(atomic_ulong) == 0,
	               "whorld_counters holds atomic_ulong members only");
	atomic_ulong *o = (atomic_ulong *)out;

	memset(out, 0, sizeof(*out));
	for (unsigned s = 0; s < d->n_all_counters; s++) {
		atomic_ulong *in = (atomic_ulong *)&d->all_counters[s];
		for (size_t k = 0; k < N_MEMBERS; k++)
			atomic_fetch_add(&o[k], atomic_load(&in[k]));
	}
}

/* Loads whorld.cfg into c; a missing default file means the defaults.
 * Returns 1 when the file was read, 0 for defaults, -1 on errors (printed). */
static int whorld_cfg_read(const char *path, int must_exist, struct whorl_dcfg *c)
{
	struct whorl_dcfg_errors errs;

	whorl_dcfg_defaults(c);
	if (!must_exist && access(path, F_OK) != 0)
		return 0;
	memset(&errs, 0, sizeof(errs));
	if (whorl_dcfg_load(path, c, &errs) == 0)
		return 1;
	for (size_t i = 0; i < errs.n; i++)
		whorl_dlog_write(WHORL_LOG_ERROR, "CONFIG", "%s", errs.line[i]);
	return -1;
}

int whorld_reload(struct whorld *d)
{
	struct whorl_dcfg *n = malloc(sizeof(*n)), *old;
	int rc;

	pthread_mutex_lock(&d->reload_mu);
	old = atomic_load(&d->cfg);
	if (n == NULL || whorld_cfg_read(d->cfg_path, 0, n) < 0 || d->n_old_cfgs == 64) {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONFIG",
		                 "reload of %s refused; the running "
		                 "configuration stays",
		                 d->cfg_path);
		free(n);
		pthread_mutex_unlock(&d->reload_mu);
		return -1;
	}
	if (memcmp(&n->spamd_listen, &old->spamd_listen, sizeof(n->spamd_listen)) != 0 ||
	    memcmp(&n->http_listen, &old->http_listen, sizeof(n->http_listen)) != 0 ||
	    n->threads != old->threads || n->queue_size != old->queue_size ||
	    n->workers != old->workers)
		whorl_dlog_write(WHORL_LOG_WARN, "CONFIG",
		                 "spamd listen, http listen, threads, workers and queue size "
		                 "take effect at the next start");
	whorl_dlog_set_level(n->log_level);
	d->old_cfgs[d->n_old_cfgs++] = old;
	atomic_store(&d->cfg, n);
	if (d->host == NULL) { /* the master of workers: they reload their own */
		pthread_mutex_unlock(&d->reload_mu);
		whorl_dlog_write(WHORL_LOG_INFO, "CONFIG", "reloaded %s", d->cfg_path);
		return 0;
	}
	rc = whorl_host_reload(d->host, WHORL_RELOAD_CONFIG | WHORL_RELOAD_WHITELIST);
	whorl_dlog_write(rc == 0 ? WHORL_LOG_INFO : WHORL_LOG_ERROR, "CONFIG",
	                 "reloaded %s; cartridge configuration and whitelists: %s", d->cfg_path,
	                 whorl_strerror(rc));
	pthread_mutex_unlock(&d->reload_mu);
	return rc == 0 ? 0 : -1;
}

/* Forks: the parent waits until the child says it is ready (one byte on
 * a pipe) and exits 0, or exits with the child's status when it fails to
 * start, so errors still reach the terminal and the exit status. The child
 * starts a new session and returns the pipe's write end. Called before
 * the cartridge starts its threads, which a fork would not copy. */
static int whorld_detach_start(void)
{
	int fds[2], status = WHORLD_EXIT_RUNTIME;
	char byte;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &byte, 1) == 1)
			_exit(WHORLD_EXIT_OK);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status));
		_exit(WHORLD_EXIT_RUNTIME);
	}
	close(fds[0]);
	if (setsid() < 0)
		return -1;
	return fds[1];
}

void whorld_detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	whorl_dlog_also_stderr(0);
	if (fd >= 0) {
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

void whorld_detach_finish(int ready_fd)
{
	whorld_detach_stdio();
	if (chdir("/") != 0 || write(ready_fd, "1", 1) != 1)
		whorl_dlog_write(WHORL_LOG_WARN, "MAIN", "detach: %s", strerror(errno));
	close(ready_fd);
}

/* Room for every connection plus listeners, logs and cartridge files. */
static void whorld_raise_nofile(unsigned max_connections)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_connections + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		whorl_dlog_write(WHORL_LOG_WARN, "MAIN",
		                 "only %llu file descriptors for %u connections",
		                 (unsigned long long)rl.rlim_cur, max_connections);
}

/* Blocks the signals the loop's signalfd takes, before any thread starts:
 * threads inherit the mask, and a cartridge thread (the update scheduler,
 * started by whorl_host_open) with SIGTERM unblocked would take it and die
 * of it instead of draining. */
static void whorld_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A worker (d->worker_id > 0) finds its listeners open and answers the
 * master on its channel instead of a control socket; the master writes
 * the pid file. */
int whorld_serve(struct whorld *d, const struct whorl_dcfg *c)
{
	int status, worker = d->worker_id > 0;

	if (!worker && listen_open(d, c) != 0)
		return WHORLD_EXIT_RUNTIME;
	if (!worker)
		whorl_daemon_pid_file(c->pid_file, 1);
	if (work_start(d, c->threads, c->queue_size) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "MAIN", "cannot start %u threads", c->threads);
		return WHORLD_EXIT_RUNTIME;
	}
	if (http_start(d) != 0 ||
	    (worker ? control_channel_start(d) : control_start(d, c->control_socket)) != 0)
		return WHORLD_EXIT_RUNTIME;
	if (d->ready_fd >= 0)
		whorld_detach_finish(d->ready_fd);
	if (worker)
		whorl_dlog_write(WHORL_LOG_INFO, "MAIN",
		                 "worker %u ready: %u threads, queue %u, pid %ld", d->worker_id,
		                 c->threads, c->queue_size, (long)getpid());
	else
		whorl_dlog_write(WHORL_LOG_INFO, "MAIN",
		                 "whorld %s ready: %u threads, queue %u, pid %ld", WHORL_VERSION,
		                 c->threads, c->queue_size, (long)getpid());
	status = loop_run(d);
	control_stop(d);
	if (status == WHORLD_EXIT_OK) {
		http_stop(d); /* its connection threads use the queue */
		work_stop(d);
	}
	if (!worker)
		whorl_daemon_pid_file(c->pid_file, 0);
	whorl_dlog_write(WHORL_LOG_INFO, "MAIN", "stopped");
	return status;
}

int main(int argc, char **argv)
{
	static struct whorld d;
	static struct whorl_daemon_args a;
	struct whorl_dcfg *c = malloc(sizeof(*c));
	int rc, found;

	rc = whorl_daemon_args(argc, argv, WHORLD_NAME, 1, &a);
	if (rc <= 0 || c == NULL)
		return rc == 0 ? WHORLD_EXIT_OK : WHORLD_EXIT_CONFIG;
	whorl_dlog_setup(WHORL_DLOG_STDERR, 1, WHORLD_NAME, 0, WHORL_LOG_INFO);
	found = whorld_cfg_read(a.cfg_path, a.cfg_given, c);
	if (a.check)
		return check_run(found < 0 ? NULL : c, a.cfg_path, found);
	if (found < 0)
		return WHORLD_EXIT_CONFIG;
	whorl_dlog_setup(c->log_destination, a.foreground, WHORLD_NAME, c->syslog_facility,
	                 c->log_level);
	d.cfg_path = a.cfg_path;
	d.foreground = a.foreground;
	d.t_start_ms = whorld_now_ms();
	d.ready_fd = -1;
	d.chan_fd = -1;
	d.counters = d.all_counters = &d.own_counters;
	d.n_all_counters = 1;
	snprintf(d.cartridge_path, sizeof(d.cartridge_path), "%s", c->cartridge);
	pthread_mutex_init(&d.reload_mu, NULL);
	if (!a.foreground) {
		whorl_dlog_also_stderr(1);
		d.ready_fd = whorld_detach_start();
		if (d.ready_fd < 0) {
			whorl_dlog_write(WHORL_LOG_ERROR, "MAIN", "detach: %s", strerror(errno));
			return WHORLD_EXIT_RUNTIME;
		}
	}
	atomic_store(&d.cfg, c);
	whorld_block_signals();
	whorld_raise_nofile(c->max_connections);
	if (c->workers > 0)
		return master_run(&d, c);
	if (whorl_daemon_host_open(c, d.cartridge_path, c->state_dir, WHORLD_NAME, &d.host) != 0)
		return WHORLD_EXIT_CONFIG;
	rc = whorld_serve(&d, c);
	listen_close(&d);
	if (rc == WHORLD_EXIT_OK)
		whorl_host_close(d.host);
	return rc;
}
