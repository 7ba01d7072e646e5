/*
 * master.c - whorld with `workers = N`: crash containment by processes.
 *
 * The master opens the listeners (or adopts systemd's), writes the pid
 * file and forks N workers; it never loads the cartridge. Each worker
 * opens the cartridge through libwhorl with its own rollback record
 * (STATE_DIR/worker-K, K = 1..N) and serves on the inherited listeners
 * exactly as a one-process whorld does (loop.c, work.c, http.c). A worker
 * that dies is started again (at most MASTER_RESTART_BURST restarts per
 * MASTER_RESTART_WINDOW_MS; later ones wait, logged), so a cartridge that
 * crashes on a message costs the requests in flight in that worker only:
 * connections still in the listen backlog go to the other workers. Every
 * start of a crashing trial cartridge counts in the worker's record, and
 * its fourth start runs the last viable cartridge with its safe data set
 * (libwhorl's rollback, docs/HOSTING.md).
 *
 * Counters live in memory shared by all (one slot per worker, slot 0 the
 * master's), so /metrics from any worker covers the whole service. Each
 * worker has a SOCK_SEQPACKET channel to the master: one "READY" note
 * when it serves, then answers to the control commands the master
 * forwards (control.c). SIGHUP reloads the master's configuration and is
 * passed on; SIGTERM is passed on, the master waits for the workers to
 * drain (drain timeout + MASTER_KILL_GRACE_MS, then SIGKILL) and stops.
 * Not for: serving requests (the workers run whorld_serve()).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "whorld.h"

#define MASTER_RESTART_BURST 10        /* restarts allowed per window ... */
#define MASTER_RESTART_WINDOW_MS 10000 /* ... before the next ones wait */
#define MASTER_READY_TIMEOUT_MS 120000 /* a starting worker's open + self test */
#define MASTER_ASK_TIMEOUT_MS 120000   /* a forwarded command (a swap self-tests) */
#define MASTER_KILL_GRACE_MS 5000      /* after the drain timeout: SIGKILL */
#define MASTER_REPLY_MAX (256u << 10)  /* longest answer from a worker */
#define MASTER_READY_NOTE "READY\n"

struct master_worker {
	pid_t pid;              /* 0: not running */
	int chan;               /* the master's end of the channel, or -1 */
	uint64_t restart_at_ms; /* a pending restart (0: none) */
};

struct master {
	struct whorld *d;
	unsigned n;
	struct master_worker w[WHORL_DCFG_MAX_WORKERS];
	pthread_mutex_t mu; /* pid, chan and d->cartridge_path vs. the control thread */
	uint64_t restarts[MASTER_RESTART_BURST]; /* when the last ones were due (a ring) */
	size_t next_restart;
	int sig_fd;
	int stopping, killed, status;
	uint64_t stop_deadline_ms;
};

static struct master master;

static int master_counters_map(struct whorld *d, unsigned n)
{
	size_t len = (size_t)(n + 1) * sizeof(struct whorld_counters);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	d->all_counters = p; /* zeroed by mmap */
	d->n_all_counters = n + 1;
	d->counters = &d->all_counters[0];
	return 0;
}

/* The child side of a fork: becomes worker i + 1 and never returns. */
static void master_worker_main(struct master *m, unsigned i, int chan)
{
	struct whorld *d = m->d;
	const struct whorl_dcfg *c = whorld_cfg(d);
	char state[WHORL_DCFG_PATH_MAX + 32];
	const char *state_dir = NULL;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGTERM); /* the master gone: drain and stop */
	close(m->sig_fd);
	whorl_ctl_serve_forget(d->ctl); /* the master's control socket (its path stays) */
	d->ctl = NULL;
	for (unsigned k = 0; k < m->n; k++)
		if (m->w[k].chan >= 0)
			close(m->w[k].chan);
	for (size_t k = 0; k < d->n_listeners; k++)
		d->listeners[k].created = 0; /* the master unlinks its sockets */
	for (size_t k = 0; k < d->n_http_listeners; k++)
		d->http_listeners[k].created = 0;
	d->ready_fd = -1;
	d->chan_fd = chan;
	d->worker_id = i + 1;
	d->counters = &d->all_counters[i + 1];
	d->t_start_ms = whorld_now_ms();
	if (!d->foreground)
		whorld_detach_stdio();
	if (c->state_dir[0] != '\0') {
		snprintf(state, sizeof(state), "%s/worker-%u", c->state_dir, i + 1);
		if (mkdir(state, 0700) != 0 && errno != EEXIST)
			whorl_dlog_write(WHORL_LOG_ERROR, "MAIN", "%s: %s", state, strerror(errno));
		state_dir = state;
	}
	if (whorl_daemon_host_open(c, d->cartridge_path, state_dir, WHORLD_NAME, &d->host) != 0)
		_exit(WHORLD_EXIT_CONFIG);
	rc = whorld_serve(d, c);
	if (rc == WHORLD_EXIT_OK)
		whorl_host_close(d->host);
	_exit(rc);
}

static int master_spawn(struct master *m, unsigned i)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	pthread_mutex_lock(&m->mu); /* the child copies a consistent cartridge path */
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		master_worker_main(m, i, sv[1]);
	}
	close(sv[1]);
	if (pid < 0) {
		pthread_mutex_unlock(&m->mu);
		close(sv[0]);
		return -1;
	}
	m->w[i].pid = pid;
	m->w[i].chan = sv[0];
	pthread_mutex_unlock(&m->mu);
	whorl_dlog_write(WHORL_LOG_INFO, "MASTER", "worker %u started (pid %ld)", i + 1, (long)pid);
	return 0;
}

/* When the next restart may happen: now, unless MASTER_RESTART_BURST
 * restarts already fell in the last window. */
static uint64_t master_restart_time(struct master *m, unsigned i)
{
	uint64_t now = whorld_now_ms(), oldest = m->restarts[m->next_restart], at = now;

	if (oldest != 0 && now - oldest < MASTER_RESTART_WINDOW_MS) {
		at = oldest + MASTER_RESTART_WINDOW_MS;
		whorl_dlog_write(WHORL_LOG_WARN, "MASTER",
		                 "%u restarts within %u s: worker %u restarts in %llu ms",
		                 MASTER_RESTART_BURST, MASTER_RESTART_WINDOW_MS / 1000, i + 1,
		                 (unsigned long long)(at - now));
	}
	m->restarts[m->next_restart] = at;
	m->next_restart = (m->next_restart + 1) % MASTER_RESTART_BURST;
	return at;
}

static void master_describe_exit(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(st),
		         strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
}

static void master_reap(struct master *m)
{
	char why[96];
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		unsigned i = 0;
		while (i < m->n && m->w[i].pid != pid)
			i++;
		if (i == m->n)
			continue;
		pthread_mutex_lock(&m->mu);
		m->w[i].pid = 0;
		close(m->w[i].chan);
		m->w[i].chan = -1;
		pthread_mutex_unlock(&m->mu);
		master_describe_exit(st, why, sizeof(why));
		if (m->stopping) {
			if (!WIFEXITED(st) || WEXITSTATUS(st) != WHORLD_EXIT_OK)
				m->status = WHORLD_EXIT_RUNTIME;
			whorl_dlog_write(WHORL_LOG_INFO, "MASTER", "worker %u (pid %ld) %s", i + 1,
			                 (long)pid, why);
			continue;
		}
		whorl_dlog_write(WHORL_LOG_ERROR, "MASTER",
		                 "worker %u (pid %ld) %s; the requests in flight in it are lost; "
		                 "starting it again",
		                 i + 1, (long)pid, why);
		atomic_fetch_add(&m->d->counters->worker_restarts, 1);
		m->w[i].restart_at_ms = master_restart_time(m, i);
	}
}

static void master_restart_due(struct master *m)
{
	uint64_t now = whorld_now_ms();

	for (unsigned i = 0; i < m->n; i++) {
		struct master_worker *w = &m->w[i];
		if (w->pid != 0 || w->restart_at_ms == 0 || now < w->restart_at_ms)
			continue;
		w->restart_at_ms = 0;
		if (master_spawn(m, i) != 0) {
			whorl_dlog_write(WHORL_LOG_ERROR, "MASTER", "worker %u: fork: %s", i + 1,
			                 strerror(errno));
			w->restart_at_ms = now + 1000;
		}
	}
}

/* SIGTERM (or a failed start): the workers drain, the master stops
 * accepting by closing its copies of the listeners. */
static void master_stop(struct master *m)
{
	const struct whorl_dcfg *c = whorld_cfg(m->d);

	if (m->stopping)
		return;
	m->stopping = 1;
	m->stop_deadline_ms = whorld_now_ms() + c->drain_timeout_ms + MASTER_KILL_GRACE_MS;
	for (unsigned i = 0; i < m->n; i++)
		if (m->w[i].pid != 0)
			kill(m->w[i].pid, SIGTERM);
	listen_close(m->d);
	listen_close_http(m->d);
	whorl_dlog_write(WHORL_LOG_INFO, "MASTER", "stopping: the workers drain (at most %u ms)",
	                 c->drain_timeout_ms);
}

static void master_signals(struct master *m)
{
	struct signalfd_siginfo si;

	while (read(m->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			master_reap(m);
		} else if (si.ssi_signo == SIGHUP) {
			whorld_reload(m->d);
			for (unsigned i = 0; i < m->n; i++)
				if (m->w[i].pid != 0)
					kill(m->w[i].pid, SIGHUP);
		} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			master_stop(m);
		}
	}
}

static int master_running(const struct master *m)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->w[i].pid != 0)
			return 1;
	return 0;
}

/* Until SIGTERM and the last worker's exit. */
static void master_loop(struct master *m)
{
	struct pollfd p = { .fd = m->sig_fd, .events = POLLIN };

	for (;;) {
		poll(&p, 1, WHORLD_TICK_MS);
		master_signals(m);
		master_reap(m); /* SIGCHLDs merge; reaping is cheap */
		if (!m->stopping)
			master_restart_due(m);
		else if (!master_running(m))
			return;
		if (m->stopping && !m->killed && whorld_now_ms() >= m->stop_deadline_ms) {
			whorl_dlog_write(WHORL_LOG_WARN, "MASTER",
			                 "workers still running after the drain timeout: killed");
			for (unsigned i = 0; i < m->n; i++)
				if (m->w[i].pid != 0)
					kill(m->w[i].pid, SIGKILL);
			m->killed = 1;
			m->status = WHORLD_EXIT_RUNTIME;
		}
	}
}

/* Waits for worker i's READY note. 0, or the exit status to return. */
static int master_wait_ready(struct master *m, unsigned i)
{
	struct pollfd p = { .fd = m->w[i].chan, .events = POLLIN };
	char note[sizeof(MASTER_READY_NOTE)];
	char why[96];
	int st;

	if (poll(&p, 1, MASTER_READY_TIMEOUT_MS) == 1 &&
	    recv(m->w[i].chan, note, sizeof(note), 0) == (ssize_t)strlen(MASTER_READY_NOTE))
		return 0;
	if (waitpid(m->w[i].pid, &st, WNOHANG) == m->w[i].pid) {
		m->w[i].pid = 0;
		master_describe_exit(st, why, sizeof(why));
		whorl_dlog_write(WHORL_LOG_ERROR, "MASTER", "worker %u %s before it served", i + 1,
		                 why);
		return WIFEXITED(st) && WEXITSTATUS(st) != 0 ? WEXITSTATUS(st)
		                                             : WHORLD_EXIT_RUNTIME;
	}
	whorl_dlog_write(WHORL_LOG_ERROR, "MASTER", "worker %u did not start within %u ms", i + 1,
	                 MASTER_READY_TIMEOUT_MS);
	return WHORLD_EXIT_RUNTIME;
}

/* Starts the N workers and waits until each serves; on a failure stops
 * those that started. 0 or the exit status. */
static int master_start_workers(struct master *m)
{
	int rc = 0;

	for (unsigned i = 0; i < m->n && rc == 0; i++)
		if (master_spawn(m, i) != 0)
			rc = WHORLD_EXIT_RUNTIME;
	for (unsigned i = 0; i < m->n && rc == 0; i++)
		rc = master_wait_ready(m, i);
	if (rc != 0) {
		master_stop(m);
		master_loop(m);
	}
	return rc;
}

static int master_setup(struct master *m, struct whorld *d, const struct whorl_dcfg *c)
{
	sigset_t set;

	m->d = d;
	m->n = c->workers;
	m->status = WHORLD_EXIT_OK;
	pthread_mutex_init(&m->mu, NULL);
	for (unsigned i = 0; i < m->n; i++)
		m->w[i].chan = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	m->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->sig_fd < 0 || master_counters_map(d, c->workers) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "MASTER", "setup: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int master_run(struct whorld *d, const struct whorl_dcfg *c)
{
	struct master *m = &master;
	int rc;

	if (master_setup(m, d, c) != 0 || listen_open(d, c) != 0)
		return WHORLD_EXIT_RUNTIME;
	whorl_daemon_pid_file(c->pid_file, 1);
	rc = master_start_workers(m);
	if (rc == 0 && control_start(d, c->control_socket) != 0) {
		rc = WHORLD_EXIT_RUNTIME;
		master_stop(m);
		master_loop(m);
	}
	if (rc != 0) {
		whorl_daemon_pid_file(c->pid_file, 0);
		return rc;
	}
	if (d->ready_fd >= 0)
		whorld_detach_finish(d->ready_fd);
	whorl_dlog_write(WHORL_LOG_INFO, "MASTER",
	                 "whorld %s ready: %u workers of %u threads (queue %u each), pid %ld",
	                 WHORL_VERSION, m->n, c->threads, c->queue_size, (long)getpid());
	master_loop(m);
	control_stop(d);
	listen_close(d);
	listen_close_http(d);
	whorl_daemon_pid_file(c->pid_file, 0);
	whorl_dlog_write(WHORL_LOG_INFO, "MASTER", "stopped");
	return m->status;
}

/* Sends line to worker i and appends its answer without the "OK" line
 * (READY notes skipped) to body. 0; -1 with the reason appended; -2 when
 * the worker is not running (waiting for a restart). */
static int master_ask(struct master *m, unsigned i, const char *line, struct obuf *body, char *buf)
{
	struct pollfd p = { .events = POLLIN };
	ssize_t n = -1;

	pthread_mutex_lock(&m->mu);
	p.fd = m->w[i].chan >= 0 ? dup(m->w[i].chan) : -1; /* a restart may close it */
	pthread_mutex_unlock(&m->mu);
	if (p.fd < 0) {
		obuf_printf(body, "worker %u is not running\n", i + 1);
		return -2;
	}
	if (send(p.fd, line, strlen(line), MSG_NOSIGNAL) >= 0) {
		do {
			n = poll(&p, 1, MASTER_ASK_TIMEOUT_MS) == 1
			        ? recv(p.fd, buf, MASTER_REPLY_MAX, 0)
			        : -1;
		} while (n == (ssize_t)strlen(MASTER_READY_NOTE) &&
		         memcmp(buf, MASTER_READY_NOTE, (size_t)n) == 0);
	}
	close(p.fd);
	if (n <= 0) {
		obuf_printf(body, "worker %u died or did not answer\n", i + 1);
		return -1;
	}
	if (n >= 3 && memcmp(buf, "OK\n", 3) == 0) {
		obuf_add(body, buf + 3, (size_t)n - 3);
		return 0;
	}
	obuf_printf(body, "worker %u: %.*s", i + 1, (int)(n > 4 ? n - 4 : 0), buf + 4);
	return -1;
}

/* Appends text with each line prefixed. */
static void master_prefix_lines(struct obuf *o, const char *prefix, const struct obuf *text)
{
	const char *p = text->p, *end = text->p + text->len, *nl;

	while (p != NULL && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		obuf_printf(o, "%s%.*s\n", prefix, (int)(nl - p), p);
		p = nl + 1;
	}
}

/* STATUS: the master's lines, the sums of every worker's counters, then
 * each worker's own status with its lines prefixed "worker K: ". STATS:
 * each worker's statistics snapshot after a "# worker K" line. */
static void master_each(struct master *m, const char *line, struct obuf *o, char *buf)
{
	struct obuf one = { 0 };
	char prefix[32];
	int status = strcmp(line, "STATUS") == 0;

	for (unsigned i = 0; i < m->n; i++) {
		obuf_reset(&one);
		if (master_ask(m, i, line, &one, buf) != 0 && status)
			obuf_printf(o, "worker %u: ERR\n", i + 1);
		snprintf(prefix, sizeof(prefix), status ? "worker %u: " : "", i + 1);
		if (!status)
			obuf_printf(o, "# worker %u\n", i + 1);
		master_prefix_lines(o, prefix, &one);
	}
	obuf_free(&one);
}

static void master_status_head(struct master *m, struct obuf *o)
{
	struct whorld_counters sum;

	whorld_counters_sum(m->d, &sum);
	obuf_printf(o,
	            "OK\nworkers = %u\nworker restarts = %lu\nuptime seconds = %llu\n"
	            "requests spamd = %lu\nrequests http = %lu\nscanned = %lu\nswaps = %lu\n",
	            m->n, atomic_load(&sum.worker_restarts),
	            (unsigned long long)((whorld_now_ms() - m->d->t_start_ms) / 1000),
	            atomic_load(&sum.requests), atomic_load(&sum.http_requests),
	            atomic_load(&sum.scanned), atomic_load(&sum.swaps));
	pthread_mutex_lock(&m->mu);
	for (unsigned i = 0; i < m->n; i++)
		obuf_printf(o, "worker %u pid = %ld\n", i + 1, (long)m->w[i].pid);
	pthread_mutex_unlock(&m->mu);
}

/* Asks every worker; "OK" when all answered OK, else "ERR" with each
 * reason. Returns the number that failed. */
static unsigned master_all(struct master *m, const char *line, unsigned n, struct obuf *o,
                           char *buf)
{
	struct obuf body = { 0 };
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++)
		failed += master_ask(m, i, line, &body, buf) == -1;
	if (failed == 0) {
		obuf_printf(o, "OK\n");
	} else {
		obuf_printf(o, "ERR ");
		obuf_add(o, body.p, body.len);
	}
	obuf_free(&body);
	return failed;
}

/* SWAP on each running worker in turn. The path workers open changes
 * first, so one that restarts meanwhile opens the new cartridge too. The
 * first refusal stops it: the workers that had swapped go back to the
 * cartridge they ran, and so does the path. */
static void master_swap(struct master *m, const char *line, struct obuf *o, char *buf)
{
	char old[WHORL_DCFG_PATH_MAX], back[WHORL_DCFG_PATH_MAX + 8];
	struct obuf body = { 0 }, ignored = { 0 };
	unsigned i;
	int rc = 0;

	if (line[5] != '/' || strlen(line + 5) >= sizeof(m->d->cartridge_path)) {
		obuf_printf(o, "ERR SWAP needs an absolute path\n");
		return;
	}
	pthread_mutex_lock(&m->mu);
	snprintf(old, sizeof(old), "%s", m->d->cartridge_path);
	snprintf(back, sizeof(back), "SWAP %s", old[0] ? old : whorl_default_cartridge_path());
	snprintf(m->d->cartridge_path, sizeof(m->d->cartridge_path), "%s", line + 5);
	pthread_mutex_unlock(&m->mu);
	for (i = 0; i < m->n && rc != -1; i++) {
		obuf_reset(&body);
		rc = master_ask(m, i, line, &body, buf);
	}
	if (rc == -1) {
		whorl_dlog_write(
		    WHORL_LOG_ERROR, "CONTROL",
		    "swap to %s refused by worker %u; the workers that swapped go back", line + 5,
		    i);
		pthread_mutex_lock(&m->mu);
		memcpy(m->d->cartridge_path, old, sizeof(old));
		pthread_mutex_unlock(&m->mu);
		for (unsigned k = 0; k + 1 < i; k++)
			master_ask(m, k, back, &ignored, buf);
		obuf_printf(o, "ERR ");
	} else {
		atomic_fetch_add(&m->d->counters->swaps, 1);
		whorl_dlog_write(WHORL_LOG_INFO, "CONTROL", "swapped the workers to %s", line + 5);
		obuf_printf(o, "OK\n");
	}
	obuf_add(o, body.p, body.len);
	obuf_free(&body);
	obuf_free(&ignored);
}

/* Asks the first running worker and passes its answer on. */
static void master_one(struct master *m, const char *line, struct obuf *o, char *buf)
{
	struct obuf body = { 0 };
	unsigned i = 0;

	pthread_mutex_lock(&m->mu);
	while (i + 1 < m->n && m->w[i].pid == 0)
		i++;
	pthread_mutex_unlock(&m->mu);
	if (master_ask(m, i, line, &body, buf) == 0)
		obuf_printf(o, "OK\n");
	else
		obuf_printf(o, "ERR ");
	obuf_add(o, body.p, body.len);
	obuf_free(&body);
}

void master_control(struct whorld *d, const char *line, struct obuf *o)
{
	struct master *m = &master;
	char *buf = malloc(MASTER_REPLY_MAX);

	(void)d;
	if (buf == NULL) {
		obuf_printf(o, "ERR out of memory\n");
	} else if (strcmp(line, "VERSION") == 0) {
		master_one(m, line, o, buf);
		obuf_printf(o, "workers = %u\n", m->n);
	} else if (strncmp(line, "REPORT ", 7) == 0) {
		master_one(m, line, o, buf); /* any worker records it, once */
	} else if (strcmp(line, "STATUS") == 0) {
		master_status_head(m, o);
		master_each(m, line, o, buf);
	} else if (strcmp(line, "STATS") == 0) {
		obuf_printf(o, "OK\n");
		master_each(m, line, o, buf);
	} else if (strcmp(line, "RELOAD") == 0) {
		if (whorld_reload(d) != 0)
			obuf_printf(o, "ERR reload refused; see the log\n");
		else
			master_all(m, line, m->n, o, buf);
	} else if (strcmp(line, "UPDATE-NOW") == 0) {
		master_all(m, line, m->n, o, buf);
	} else if (strncmp(line, "SWAP ", 5) == 0) {
		master_swap(m, line, o, buf);
	} else {
		obuf_printf(o, "ERR unknown command\n");
	}
	free(buf);
}
