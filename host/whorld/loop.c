/*
 * loop.c - whorld's event loop (main thread, epoll): accepts connections,
 * reads requests without blocking, and hands each complete request to the
 * bounded queue, or answers at once: PING, protocol errors, "too many
 * connections", "busy" when the queue is full, timeouts.
 *
 * Limits enforced here (whorld.cfg): max connections (accepted and
 * answered EX_TEMPFAIL beyond it), the head bound (SPAMD_HEAD_MAX), max
 * message size (checked on Content-length before any body byte is
 * buffered, and on bodies without one as they arrive), idle timeout (no
 * byte for that long) and client timeout (the whole request not received
 * in that time; stops slowloris clients that trickle bytes). An idle
 * connection costs its struct only: the buffer is allocated on the first
 * byte. Error answers linger (WHORLD_LINGER_MS) reading and dropping what
 * the client still sends, so it sees the answer rather than a reset.
 * Signals arrive on a signalfd: SIGHUP reloads, SIGTERM and SIGINT
 * drain and stop.
 * Not for: scanning (work.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "whorld.h"

#define LOOP_TAG_SIGNAL 100u /* epoll tag of the signalfd; listeners are 0..7 */
#define LOOP_EVENTS 64
#define LOOP_ACCEPT_PAUSE_MS 100 /* after EMFILE: listeners rest this long */

struct loop {
	struct whorld *d;
	int ep, sig_fd;
	struct conn *reading; /* connections whose request is arriving */
	int stopping;
	uint64_t stop_deadline_ms;
	uint64_t accept_paused_until;
};

void conn_free(struct whorld *d, struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
	atomic_fetch_sub(&d->n_conns, 1);
}

static void loop_unlink(struct loop *lp, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		lp->reading = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	epoll_ctl(lp->ep, EPOLL_CTL_DEL, c->fd, NULL);
}

static void loop_close(struct loop *lp, struct conn *c)
{
	loop_unlink(lp, c);
	conn_free(lp->d, c);
}

/* Answers a connection that is still the loop's, then lingers: a client
 * still sending when the answer goes out would otherwise get a reset
 * that discards the answer. Its bytes are read and dropped until it
 * closes or WHORLD_LINGER_MS pass. */
static void loop_answer(struct loop *lp, struct conn *c, int code, const char *text)
{
	struct obuf o = { 0 };

	spamd_reply_error(&o, c->head_done && c->req.rspamc, code, text);
	work_send(c->fd, o.p, o.len, 0, 0);
	obuf_free(&o);
	shutdown(c->fd, SHUT_WR);
	c->closing = 1;
	c->t_last_ms = whorld_now_ms();
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

/* A lingering connection is readable: drop what it sends. */
static void loop_linger_read(struct loop *lp, struct conn *c)
{
	char sink[4096];
	ssize_t n;

	for (int i = 0; i < 16; i++) {
		n = recv(c->fd, sink, sizeof(sink), 0);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		break;
	}
	if (n > 0)
		return; /* more next time; the linger timeout bounds it */
	loop_close(lp, c);
}

static void loop_peer_name(const struct sockaddr_storage *sa, char *out, size_t len)
{
	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
		          (socklen_t)len);
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		          (socklen_t)len);
	else
		snprintf(out, len, "unix");
}

static void loop_pause_accept(struct loop *lp, int pause)
{
	struct epoll_event ev = { .events = EPOLLIN };

	for (size_t i = 0; i < lp->d->n_listeners; i++) {
		ev.data.u64 = i;
		epoll_ctl(lp->ep, pause ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, lp->d->listeners[i].fd,
		          &ev);
	}
}

static void loop_accept_one(struct loop *lp, int fd, const struct sockaddr_storage *sa)
{
	struct whorld *d = lp->d;
	struct conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

	atomic_fetch_add(&d->n_conns, 1);
	atomic_fetch_add(&d->counters->accepted, 1);
	if (c == NULL) {
		close(fd);
		atomic_fetch_sub(&d->n_conns, 1);
		return;
	}
	c->fd = fd;
	c->item.run = request_run;
	c->item.t_accept_ms = c->t_accept_ms = c->t_last_ms = whorld_now_ms();
	loop_peer_name(sa, c->peer, sizeof(c->peer));
	if (atomic_load(&d->n_conns) > whorld_cfg(d)->max_connections) {
		atomic_fetch_add(&d->counters->refused_limit, 1);
		work_answer_now(d, c, "SPAMD/1.0 75 EX_TEMPFAIL Too many connections\r\n", 46);
		return;
	}
	ev.data.ptr = c;
	if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		conn_free(d, c);
		return;
	}
	c->next = lp->reading;
	if (lp->reading != NULL)
		lp->reading->prev = c;
	lp->reading = c;
}

static void loop_accept(struct loop *lp, int lfd)
{
	struct sockaddr_storage sa;
	socklen_t sa_len;
	int fd;

	for (;;) {
		sa_len = sizeof(sa);
		fd = accept4(lfd, (struct sockaddr *)&sa, &sa_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			loop_accept_one(lp, fd, &sa);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			whorl_dlog_write(WHORL_LOG_WARN, "LISTEN", "accept: %s; pausing %d ms",
			                 strerror(errno), LOOP_ACCEPT_PAUSE_MS);
			loop_pause_accept(lp, 1);
			lp->accept_paused_until = whorld_now_ms() + LOOP_ACCEPT_PAUSE_MS;
		}
		return; /* EAGAIN, or a client that left before accept */
	}
}

/* Room for `want` bytes in c->buf (+1 for a NUL). 0 or -1. */
static int conn_reserve(struct conn *c, size_t want)
{
	size_t cap = c->cap > 0 ? c->cap : 16384;
	char *p;

	if (want + 1 <= c->cap)
		return 0;
	while (cap < want + 1)
		cap = cap * 2 > want + 1 ? cap * 2 : want + 1;
	p = realloc(c->buf, cap);
	if (p == NULL)
		return -1;
	c->buf = p;
	c->cap = cap;
	return 0;
}

/* The number of bytes the request is complete at, or 0 while unknown. */
static size_t conn_total(const struct conn *c)
{
	if (!c->head_done || !c->req.has_length)
		return 0;
	return c->req.head_len + c->req.content_length;
}

/* Parses the head once it is complete. -1: answered and closed. */
static int loop_parse(struct loop *lp, struct conn *c)
{
	char why[256];
	int code = 0, rc;

	rc = spamd_parse_head(c->buf, c->len, whorld_cfg(lp->d)->max_message_size, &c->req, &code,
	                      why, sizeof(why));
	if (rc == SPAMD_PARSE_MORE)
		return 0;
	if (rc == SPAMD_PARSE_ERROR) {
		char text[300];
		atomic_fetch_add(code == SPAMD_EX_DATAERR ? &lp->d->counters->too_large
		                                          : &lp->d->counters->errors,
		                 1);
		snprintf(text, sizeof(text), "%s%s",
		         code == SPAMD_EX_PROTOCOL ? "Bad header line: " : "", why);
		loop_answer(lp, c, code, text);
		return -1;
	}
	c->head_done = 1;
	return 0;
}

static int loop_protocol_on(const struct whorl_dcfg *cfg, const struct spamd_req *r)
{
	return r->rspamc ? cfg->rspamc_protocol : cfg->spamd_protocol;
}

/* The request is complete: answer PING and SKIP, queue the rest. */
static void loop_complete(struct loop *lp, struct conn *c)
{
	struct whorld *d = lp->d;

	atomic_fetch_add(&d->counters->requests, 1);
	if (!loop_protocol_on(whorld_cfg(d), &c->req)) {
		loop_answer(lp, c, SPAMD_EX_UNAVAILABLE,
		            c->req.rspamc ? "Service Unavailable: rspamc protocol is off"
		                          : "Service Unavailable: spamd protocol is off");
		return;
	}
	loop_unlink(lp, c);
	if (c->req.cmd == SPAMD_PING) {
		work_answer_now(d, c, "SPAMD/1.5 0 PONG\r\n", 18);
		return;
	}
	if (c->req.cmd == SPAMD_SKIP) {
		work_answer_now(d, c, "", 0);
		return;
	}
	if (work_submit(d, &c->item) != 0) {
		atomic_fetch_add(&d->counters->refused_busy, 1);
		work_answer_now(d, c,
		                c->req.rspamc ? "RSPAMD/1.3 75 EX_TEMPFAIL Busy, try later\r\n"
		                              : "SPAMD/1.0 75 EX_TEMPFAIL Busy, try later\r\n",
		                43);
	}
}

/* After EOF from the client. */
static void loop_eof(struct loop *lp, struct conn *c)
{
	char text[160];
	size_t total = conn_total(c);

	if (!c->head_done) {
		if (c->len == 0) {
			loop_close(lp, c);
		} else {
			loop_answer(lp, c, SPAMD_EX_PROTOCOL,
			            "Bad header line: (EOF during headers)");
		}
		return;
	}
	if (total != 0 && c->len < total) {
		atomic_fetch_add(&lp->d->counters->errors, 1);
		snprintf(
		    text, sizeof(text),
		    "Bad header line: (Content-Length mismatch: Expected %zu bytes, got %zu bytes)",
		    c->req.content_length, c->len - c->req.head_len);
		loop_answer(lp, c, SPAMD_EX_PROTOCOL, text);
		return;
	}
	loop_complete(lp, c);
}

/* How many bytes to read next; 0 when the body without Content-length
 * has reached the size limit. */
static size_t conn_want(const struct whorld *d, const struct conn *c)
{
	size_t total = conn_total(c), limit;

	if (total != 0)
		return total - c->len;
	if (!c->head_done)
		return WHORLD_READ_CHUNK;
	limit = c->req.head_len + whorld_cfg((struct whorld *)d)->max_message_size;
	if (c->len > limit)
		return 0;
	return limit + 1 - c->len < WHORLD_READ_CHUNK ? limit + 1 - c->len : WHORLD_READ_CHUNK;
}

static int loop_read_some(struct loop *lp, struct conn *c)
{
	size_t want = conn_want(lp->d, c);
	ssize_t n;

	if (want == 0 || conn_reserve(c, c->len + want) != 0) {
		atomic_fetch_add(&lp->d->counters->too_large, 1);
		loop_answer(lp, c, SPAMD_EX_DATAERR, "Message too large: exceeds max message size");
		return -1;
	}
	n = recv(c->fd, c->buf + c->len, want, 0);
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		c->t_last_ms = whorld_now_ms();
		return 1;
	}
	if (n == 0) {
		loop_eof(lp, c);
		return -1;
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	loop_close(lp, c);
	return -1;
}

static void loop_conn_readable(struct loop *lp, struct conn *c)
{
	int rc;

	if (c->closing) {
		loop_linger_read(lp, c);
		return;
	}
	while ((rc = loop_read_some(lp, c)) > 0) {
		if (!c->head_done && loop_parse(lp, c) != 0)
			return;
		if (c->head_done && c->len >= conn_total(c) && conn_total(c) != 0) {
			loop_complete(lp, c);
			return;
		}
		/* Heads without a body (PING, SKIP, protocol 1.0 commands done). */
		if (c->head_done && !c->req.has_length &&
		    (c->req.cmd == SPAMD_PING || c->req.cmd == SPAMD_SKIP)) {
			loop_complete(lp, c);
			return;
		}
	}
}

static void loop_timeouts(struct loop *lp)
{
	const struct whorl_dcfg *cfg = whorld_cfg(lp->d);
	uint64_t now = whorld_now_ms();
	struct conn *c = lp->reading, *next;
	char text[128];

	for (; c != NULL; c = next) {
		next = c->next;
		if (c->closing) {
			if (now - c->t_last_ms > WHORLD_LINGER_MS)
				loop_close(lp, c);
			continue;
		}
		if (now - c->t_last_ms > cfg->idle_timeout_ms)
			snprintf(text, sizeof(text), "Timeout: (no data from the client for %u ms)",
			         cfg->idle_timeout_ms);
		else if (now - c->t_accept_ms > cfg->client_timeout_ms)
			snprintf(text, sizeof(text), "Timeout: (request not received within %u ms)",
			         cfg->client_timeout_ms);
		else
			continue;
		atomic_fetch_add(&lp->d->counters->timeouts, 1);
		loop_answer(lp, c, SPAMD_EX_TIMEOUT, text);
	}
	http_timeouts(lp->d);
	if (lp->accept_paused_until != 0 && now >= lp->accept_paused_until && !lp->stopping) {
		lp->accept_paused_until = 0;
		loop_pause_accept(lp, 0);
	}
}

static void loop_stop(struct loop *lp)
{
	if (lp->stopping)
		return;
	lp->stopping = 1;
	lp->stop_deadline_ms = whorld_now_ms() + whorld_cfg(lp->d)->drain_timeout_ms;
	work_refuse(lp->d); /* HTTP requests on open keep-alive connections: 503 */
	loop_pause_accept(lp, 1);
	listen_close(lp->d);
	http_quiesce(lp->d);
	while (lp->reading != NULL) {
		struct conn *c = lp->reading;
		if (!c->closing)
			work_send(c->fd, "SPAMD/1.0 75 EX_TEMPFAIL Shutting down\r\n", 40, 0, 0);
		loop_close(lp, c);
	}
	whorl_dlog_write(WHORL_LOG_INFO, "MAIN", "stopping: draining %u requests (at most %u ms)",
	                 work_in_flight(lp->d), whorld_cfg(lp->d)->drain_timeout_ms);
}

static void loop_signal(struct loop *lp)
{
	struct signalfd_siginfo si;

	while (read(lp->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			whorld_reload(lp->d);
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			loop_stop(lp);
	}
}

static int loop_setup(struct loop *lp)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	lp->ep = epoll_create1(EPOLL_CLOEXEC);
	lp->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (lp->ep < 0 || lp->sig_fd < 0)
		return -1;
	ev.data.u64 = LOOP_TAG_SIGNAL;
	if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, lp->sig_fd, &ev) != 0)
		return -1;
	loop_pause_accept(lp, 0);
	return 0;
}

static void loop_dispatch(struct loop *lp, const struct epoll_event *ev)
{
	if (ev->data.u64 == LOOP_TAG_SIGNAL)
		loop_signal(lp);
	else if (ev->data.u64 < WHORLD_MAX_LISTENERS)
		loop_accept(lp, lp->d->listeners[ev->data.u64].fd);
	else
		loop_conn_readable(lp, ev->data.ptr);
}

int loop_run(struct whorld *d)
{
	struct loop lp = { .d = d, .ep = -1, .sig_fd = -1 };
	struct epoll_event evs[LOOP_EVENTS];
	int n, status = WHORLD_EXIT_OK;

	if (loop_setup(&lp) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "MAIN", "event loop: %s", strerror(errno));
		return WHORLD_EXIT_RUNTIME;
	}
	for (;;) {
		n = epoll_wait(lp.ep, evs, LOOP_EVENTS, WHORLD_TICK_MS);
		for (int i = 0; i < n; i++)
			loop_dispatch(&lp, &evs[i]);
		loop_timeouts(&lp);
		if (lp.stopping && work_in_flight(d) == 0)
			break;
		if (lp.stopping && whorld_now_ms() >= lp.stop_deadline_ms) {
			whorl_dlog_write(WHORL_LOG_WARN, "MAIN",
			                 "drain timeout: %u requests still in flight are dropped",
			                 work_in_flight(d));
			status = WHORLD_EXIT_RUNTIME;
			break;
		}
	}
	close(lp.ep);
	close(lp.sig_fd);
	return status;
}
