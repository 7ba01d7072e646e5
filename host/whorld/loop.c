/*
 * loop.c - whorld's spamd event loops (epoll): each accepts connections,
 * reads requests without blocking, and answers at once what needs no scan:
 * PING, protocol errors, "too many connections", "busy" when as many
 * requests as allowed are in flight, timeouts.
 *
 * One loop per spamd thread (`threads`) accepts one connection at a time,
 * reads its request and answers it on its own thread, so a request costs
 * one wake-up and no hand over. It waits for the request's bytes at most
 * LOOP_GRACE_MS from the accept (poll on that connection alone); a slower
 * or idle client, and an error answer that lingers, are given to the main
 * loop (work_give), so a spamd thread never holds a connection while it
 * scans another and slow clients cannot hold the threads.
 *
 * The main thread's loop handles signals, the connections given to it, and
 * the connections that arrive while every spamd thread is busy: all loops
 * watch the listeners with EPOLLEXCLUSIVE, which wakes the first waiting
 * loop in the order they registered, and the spamd threads' loops register
 * first (work_start() runs before loop_run()). Woken for a new connection,
 * the main loop leaves it LOOP_DEFER_MS in the listen queue for a spamd
 * thread that comes free (a scan takes well under a millisecond), and
 * accepts what is still waiting then. It puts what it reads on the bounded
 * ring (work_submit) for the next spamd thread that comes free; so PING is
 * answered and a full queue refused within LOOP_DEFER_MS even while every
 * thread scans. The spamd loops empty the ring between their own requests.
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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "whorld.h"

#define LOOP_TAG_SIGNAL 100u /* epoll tag of the signalfd; listeners are 0..7 */
#define LOOP_TAG_WAKE 101u   /* epoll tag of the ring's eventfd (spamd loops) */
#define LOOP_TAG_INBOX 102u  /* epoll tag of the inbox's eventfd (main loop) */
#define LOOP_GRACE_MS 10     /* a spamd loop waits this long for a request's bytes */
#define LOOP_DEFER_MS 2      /* the main loop leaves a new connection to the spamd loops */
#define LOOP_EVENTS 64
#define LOOP_ACCEPT_PAUSE_MS 100 /* after EMFILE: listeners rest this long */

struct loop {
	struct whorld *d;
	int ep, sig_fd;                /* sig_fd: the main loop's; -1 in spamd loops */
	int wake_fd;                   /* spamd loops: the ring's eventfd (not owned) */
	int scans;                     /* a spamd thread's loop: answers what it reads */
	int lfd[WHORLD_MAX_LISTENERS]; /* the spamd listeners (copied: the main loop */
	size_t n_lfd;                  /* closes d->listeners while others still run) */
	struct conn *reading;          /* connections whose request is arriving */
	int stopping;                  /* main: draining; spamd: let go of the listeners */
	int listeners_closed;          /* main: closed once every spamd loop let go */
	uint64_t stop_deadline_ms;
	uint64_t accept_paused_until; /* listeners rest (EMFILE, or the main loop's defer) */
	int accept_armed;             /* main: the defer is over, accept what waits (next round) */
	struct work_scratch w;        /* spamd loops: reply and inflate buffers */
	char *first;                  /* WHORLD_READ_CHUNK: a connection's first bytes */
	int gone;                     /* the connection being handled was freed */
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
	if (!c->linked)
		return; /* a spamd loop's: in no list, no epoll */
	c->linked = 0;
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
	lp->gone = 1;
}

/* Puts c on lp's reading list and in its epoll. 0, or -1 (c untouched). */
static int loop_link(struct loop *lp, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };

	if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		return -1;
	c->linked = 1;
	c->prev = NULL;
	c->next = lp->reading;
	if (lp->reading != NULL)
		lp->reading->prev = c;
	lp->reading = c;
	return 0;
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
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };

	for (size_t i = 0; i < lp->n_lfd; i++) {
		ev.data.u64 = i;
		epoll_ctl(lp->ep, pause ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, lp->lfd[i], &ev);
	}
}

/* The new connection (the main loop's: on its reading list); NULL when it
 * was closed or answered at once. */
static struct conn *loop_accept_one(struct loop *lp, int fd, const struct sockaddr_storage *sa)
{
	struct whorld *d = lp->d;
	struct conn *c = calloc(1, sizeof(*c));

	atomic_fetch_add(&d->n_conns, 1);
	atomic_fetch_add(&d->counters->accepted, 1);
	if (c == NULL) {
		close(fd);
		atomic_fetch_sub(&d->n_conns, 1);
		return NULL;
	}
	c->fd = fd;
	c->item.run = request_run;
	c->item.t_accept_ms = c->t_accept_ms = c->t_last_ms = whorld_now_ms();
	loop_peer_name(sa, c->peer, sizeof(c->peer));
	if (atomic_load(&d->n_conns) > whorld_cfg(d)->max_connections) {
		atomic_fetch_add(&d->counters->refused_limit, 1);
		work_answer_now(d, c, "SPAMD/1.0 75 EX_TEMPFAIL Too many connections\r\n", 46);
		return NULL;
	}
	if (!lp->scans && loop_link(lp, c) != 0) {
		conn_free(d, c);
		return NULL;
	}
	return c;
}

static void loop_spamd_serve(struct loop *lp, struct conn *c);

/* Accepts what is waiting; a spamd loop accepts one connection, serves
 * it, and leaves the next to whichever loop waits first. */
static void loop_accept(struct loop *lp, int lfd)
{
	struct sockaddr_storage sa;
	socklen_t sa_len;
	struct conn *c;
	int fd;

	for (;;) {
		sa_len = sizeof(sa);
		fd = accept4(lfd, (struct sockaddr *)&sa, &sa_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			c = loop_accept_one(lp, fd, &sa);
			if (lp->scans) {
				if (c != NULL)
					loop_spamd_serve(lp, c);
				return;
			}
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

/* The request is complete: answer PING and SKIP; a spamd loop answers the
 * rest itself, the main loop queues it for a spamd thread. */
static void loop_complete(struct loop *lp, struct conn *c)
{
	struct whorld *d = lp->d;
	int rc;

	atomic_fetch_add(&d->counters->requests, 1);
	if (!loop_protocol_on(whorld_cfg(d), &c->req)) {
		loop_answer(lp, c, SPAMD_EX_UNAVAILABLE,
		            c->req.rspamc ? "Service Unavailable: rspamc protocol is off"
		                          : "Service Unavailable: spamd protocol is off");
		return;
	}
	loop_unlink(lp, c);
	lp->gone = 1; /* answered, queued or run below */
	if (c->req.cmd == SPAMD_PING) {
		work_answer_now(d, c, "SPAMD/1.5 0 PONG\r\n", 18);
		return;
	}
	if (c->req.cmd == SPAMD_SKIP) {
		work_answer_now(d, c, "", 0);
		return;
	}
	rc = lp->scans ? work_admit(d) : work_submit(d, &c->item);
	if (rc != 0) {
		atomic_fetch_add(&d->counters->refused_busy, 1);
		work_answer_now(d, c,
		                c->req.rspamc ? "RSPAMD/1.3 75 EX_TEMPFAIL Busy, try later\r\n"
		                              : "SPAMD/1.0 75 EX_TEMPFAIL Busy, try later\r\n",
		                43);
		return;
	}
	if (lp->scans)
		work_run(d, &c->item, &lp->w); /* answers, closes and frees c */
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

/* Reads what the client sent: 1 bytes came, 0 none yet, -1 the
 * connection was answered or closed. The first bytes are read into
 * lp->first and the connection's buffer allocated then: an idle
 * connection costs its struct only. */
static int loop_read_some(struct loop *lp, struct conn *c)
{
	size_t want = conn_want(lp->d, c);
	ssize_t n;

	if (c->buf == NULL && want > WHORLD_READ_CHUNK)
		want = WHORLD_READ_CHUNK;
	if (want == 0 || (c->buf != NULL && conn_reserve(c, c->len + want) != 0))
		goto too_large;
	n = recv(c->fd, c->buf != NULL ? c->buf + c->len : lp->first, want, 0);
	if (n > 0 && c->buf == NULL) {
		if (conn_reserve(c, want) != 0)
			goto too_large;
		memcpy(c->buf, lp->first, (size_t)n);
	}
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
too_large:
	atomic_fetch_add(&lp->d->counters->too_large, 1);
	loop_answer(lp, c, SPAMD_EX_DATAERR, "Message too large: exceeds max message size");
	return -1;
}

/* c is readable: reads, parses, and answers or queues the request once it
 * is complete. 1 while c is still the loop's (its request arriving, or
 * lingering after an error answer), 0 when it was freed or handed on. */
static int loop_conn_readable(struct loop *lp, struct conn *c)
{
	lp->gone = 0;
	if (c->closing) {
		loop_linger_read(lp, c);
		return !lp->gone;
	}
	while (loop_read_some(lp, c) > 0) {
		if (!c->head_done && loop_parse(lp, c) != 0)
			break;
		if (c->head_done && c->len >= conn_total(c) && conn_total(c) != 0) {
			loop_complete(lp, c);
			break;
		}
		/* Heads without a body (PING, SKIP, protocol 1.0 commands done). */
		if (c->head_done && !c->req.has_length &&
		    (c->req.cmd == SPAMD_PING || c->req.cmd == SPAMD_SKIP)) {
			loop_complete(lp, c);
			break;
		}
	}
	return !lp->gone;
}

/* A spamd loop's new connection: its request read here (poll on it
 * alone, until LOOP_GRACE_MS after the accept) and answered on this
 * thread; a client that has not sent it all by then, or an error answer
 * that lingers, goes to the main loop. */
static void loop_spamd_serve(struct loop *lp, struct conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	uint64_t until = c->t_accept_ms + LOOP_GRACE_MS, now;

	while (loop_conn_readable(lp, c)) {
		now = whorld_now_ms();
		if (c->closing || now >= until || poll(&pfd, 1, (int)(until - now)) <= 0) {
			work_give(lp->d, c);
			return;
		}
	}
}

/* The connections the spamd loops gave: on the reading list (during the
 * drain, answered "Shutting down" unless already answered). */
static void loop_adopt(struct loop *lp)
{
	struct conn *c = work_inbox_take(lp->d), *next;

	for (; c != NULL; c = next) {
		next = c->next;
		if (lp->stopping && !c->closing)
			work_send(c->fd, "SPAMD/1.0 75 EX_TEMPFAIL Shutting down\r\n", 40, 0, 0);
		if (lp->stopping || loop_link(lp, c) != 0)
			conn_free(lp->d, c);
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
	if (!lp->scans)
		http_timeouts(lp->d);
	if (lp->accept_armed > 0)
		lp->accept_armed--; /* armed for the one round after the listeners came back */
	if (lp->accept_paused_until != 0 && now >= lp->accept_paused_until && !lp->stopping) {
		lp->accept_paused_until = 0;
		lp->accept_armed = 1;
		loop_pause_accept(lp, 0);
	}
}

/* Stops accepting and closes the requests still arriving ("Shutting
 * down"); in a spamd loop, then tells the main loop it let go of the
 * listeners. */
static void loop_let_go(struct loop *lp)
{
	lp->stopping = 1;
	loop_pause_accept(lp, 1);
	while (lp->reading != NULL) {
		struct conn *c = lp->reading;
		if (!c->closing)
			work_send(c->fd, "SPAMD/1.0 75 EX_TEMPFAIL Shutting down\r\n", 40, 0, 0);
		loop_close(lp, c);
	}
	if (lp->scans)
		work_detach_done(lp->d);
}

/* The drain: the listeners are closed by loop_run once every spamd loop
 * has let go of them (a descriptor closed under another thread's accept
 * could be reused by then). */
static void loop_stop(struct loop *lp)
{
	if (lp->stopping)
		return;
	lp->stop_deadline_ms = whorld_now_ms() + whorld_cfg(lp->d)->drain_timeout_ms;
	work_refuse(lp->d); /* HTTP requests on open keep-alive connections: 503 */
	loop_let_go(lp);
	http_quiesce(lp->d);
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

/* The listeners' descriptors, copied into lp (see struct loop). */
static void loop_copy_listeners(struct loop *lp)
{
	lp->n_lfd = lp->d->n_listeners;
	for (size_t i = 0; i < lp->n_lfd; i++)
		lp->lfd[i] = lp->d->listeners[i].fd;
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
	ev.data.u64 = LOOP_TAG_INBOX;
	if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, work_inbox_fd(lp->d), &ev) != 0)
		return -1;
	lp->first = malloc(WHORLD_READ_CHUNK);
	if (lp->first == NULL)
		return -1;
	loop_copy_listeners(lp);
	loop_pause_accept(lp, 0);
	return 0;
}

/* A listener has connections waiting. The spamd loops accept at once; the
 * main loop, woken because no spamd loop was waiting, first leaves them
 * LOOP_DEFER_MS to the spamd loops (its listeners rest meanwhile), then
 * accepts what is still there. */
static void loop_listener_ready(struct loop *lp, int lfd)
{
	if (lp->scans || lp->accept_armed) {
		lp->accept_armed = 0;
		loop_accept(lp, lfd);
	} else if (lp->accept_paused_until == 0) {
		loop_pause_accept(lp, 1);
		lp->accept_paused_until = whorld_now_ms() + LOOP_DEFER_MS;
	}
}

/* How long epoll_wait may sleep: a tick, or until the listeners rest no
 * more. */
static int loop_wait_ms(const struct loop *lp)
{
	uint64_t now;

	if (lp->accept_paused_until == 0)
		return WHORLD_TICK_MS;
	now = whorld_now_ms();
	if (now >= lp->accept_paused_until)
		return 0;
	return lp->accept_paused_until - now < WHORLD_TICK_MS ? (int)(lp->accept_paused_until - now)
	                                                      : WHORLD_TICK_MS;
}

/* The ring's eventfd is readable: reset it (the ring is emptied by the
 * caller's loop). */
static void loop_wake_read(int wake_fd)
{
	uint64_t n;

	if (read(wake_fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: another spamd loop reset it first */
	}
}

static void loop_dispatch(struct loop *lp, const struct epoll_event *ev)
{
	if (ev->data.u64 == LOOP_TAG_SIGNAL)
		loop_signal(lp);
	else if (ev->data.u64 == LOOP_TAG_WAKE)
		loop_wake_read(lp->wake_fd);
	else if (ev->data.u64 == LOOP_TAG_INBOX)
		loop_adopt(lp);
	else if (ev->data.u64 < WHORLD_MAX_LISTENERS)
		loop_listener_ready(lp, lp->lfd[ev->data.u64]);
	else
		loop_conn_readable(lp, ev->data.ptr);
}

int loop_run(struct whorld *d)
{
	struct loop lp = { .d = d, .ep = -1, .sig_fd = -1, .wake_fd = -1 };
	struct epoll_event evs[LOOP_EVENTS];
	int n, status = WHORLD_EXIT_OK;

	if (loop_setup(&lp) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "MAIN", "event loop: %s", strerror(errno));
		return WHORLD_EXIT_RUNTIME;
	}
	for (;;) {
		n = epoll_wait(lp.ep, evs, LOOP_EVENTS, loop_wait_ms(&lp));
		for (int i = 0; i < n; i++)
			loop_dispatch(&lp, &evs[i]);
		loop_timeouts(&lp);
		if (lp.stopping && !lp.listeners_closed && work_all_detached(d)) {
			listen_close(d);
			lp.listeners_closed = 1;
		}
		if (lp.listeners_closed && work_in_flight(d) == 0)
			break;
		if (lp.stopping && whorld_now_ms() >= lp.stop_deadline_ms) {
			whorl_dlog_write(WHORL_LOG_WARN, "MAIN",
			                 "drain timeout: %u requests still in flight are dropped",
			                 work_in_flight(d));
			status = WHORLD_EXIT_RUNTIME;
			break;
		}
	}
	loop_adopt(&lp); /* given after the last wake-up: answered "Shutting down" */
	close(lp.ep);
	close(lp.sig_fd);
	free(lp.first);
	return status;
}

struct loop *loop_spamd_new(struct whorld *d, int wake_fd)
{
	struct loop *lp = calloc(1, sizeof(*lp));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = LOOP_TAG_WAKE };

	if (lp == NULL)
		return NULL;
	lp->d = d;
	lp->sig_fd = -1;
	lp->scans = 1;
	lp->ep = epoll_create1(EPOLL_CLOEXEC);
	lp->first = malloc(WHORLD_READ_CHUNK);
	if (lp->ep < 0 || lp->first == NULL ||
	    epoll_ctl(lp->ep, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
		if (lp->ep >= 0)
			close(lp->ep);
		free(lp->first);
		free(lp);
		return NULL;
	}
	lp->wake_fd = wake_fd;
	loop_copy_listeners(lp);
	loop_pause_accept(lp, 0);
	return lp;
}

void *loop_spamd_thread(void *arg)
{
	struct loop *lp = arg;
	struct whorld *d = lp->d;
	struct epoll_event evs[LOOP_EVENTS];
	struct work_item *it;
	int n;

	while (!work_stopping(d)) {
		while ((it = work_next(d)) != NULL)
			work_run(d, it, &lp->w);
		n = epoll_wait(lp->ep, evs, LOOP_EVENTS, loop_wait_ms(lp));
		for (int i = 0; i < n; i++)
			loop_dispatch(lp, &evs[i]);
		loop_timeouts(lp);
		if (!lp->stopping && work_refusing(d))
			loop_let_go(lp);
	}
	return NULL;
}

void loop_spamd_free(struct loop *lp)
{
	if (lp == NULL)
		return;
	close(lp->ep);
	free(lp->first);
	obuf_free(&lp->w.reply);
	free(lp->w.inflated);
	free(lp);
}
