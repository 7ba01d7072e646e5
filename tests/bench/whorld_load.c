/*
 * whorld_load.c - a load generator for scanning daemons: N concurrent
 * clients send the corpus messages (held in memory) to a server over HTTP
 * (persistent HTTP/1.1 keep-alive connections, a POST per message: whorld's
 * /v1/score, rspamd's /checkv2) or over the spamd protocol (CHECK SPAMC/1.5,
 * one connection per request as spamc opens them: connect, request, shut
 * the write side, read the reply to EOF, close). Prints figures
 * "LABEL_name = value unit": messages/s, p50/p99/max latency, errors,
 * connections opened, spam verdicts. Never passes or fails on timing; exits
 * 1 when no request succeeded and 2 on bad usage.
 *
 *   whorld_load --proto http|spamd --target 127.0.0.1:PORT|unix:/PATH [--path /v1/score]
 *               [--clients N] [--seconds S] [--warmup S] [--rate R]
 *               [--expect TEXT] [--spam-marker TEXT] [--label NAME] DIR|FILE...
 *
 * --rate R paces the clients to R requests/s in all (each client keeps its
 * own schedule); latency is then also given from each request's scheduled
 * start (latency_sched_*: a late server delays the next requests too, and
 * that wait counts, so coordinated omission cannot hide a stall).
 * --expect TEXT: a reply whose body lacks TEXT is an error (the server did
 * not really scan). --spam-marker TEXT: replies containing TEXT are counted
 * as spam verdicts (spamd: "Spam: True" by default).
 *
 * The HTTP client is written by hand (and reads only what these servers
 * send: a status line, headers, a Content-Length body; chunked replies are
 * reported as errors): a library client (libcurl) would add its own cost to
 * the figures being measured. Not for: pass/fail tests, protocol
 * conformance (tests/integration/whorld_*.sh do that with the real clients).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LOAD_MAX_CLIENTS 256
#define LOAD_MAX_MSG_BYTES (10u << 20)  /* larger corpus files are skipped */
#define LOAD_MAX_REPLY_BYTES (4u << 20) /* a reply larger than this is an error */
#define LOAD_IO_TIMEOUT_S 10
#define LOAD_HIST_FINE 10000   /* 1 us buckets below 10 ms */
#define LOAD_HIST_COARSE 10000 /* then 1 ms buckets up to ~10 s */
#define LOAD_HIST_N (LOAD_HIST_FINE + LOAD_HIST_COARSE)

struct msg {
	char *data;
	size_t len;
};

struct corpus {
	struct msg *m;
	size_t n, cap, bytes;
};

enum proto {
	PROTO_HTTP,
	PROTO_SPAMD
};

struct opts {
	enum proto proto;
	struct sockaddr_storage addr; /* sockaddr_in, or sockaddr_un for unix:PATH */
	socklen_t addr_len;
	char host[64]; /* the Host header: the address, or localhost for a unix socket */
	const char *path, *expect, *spam_marker, *label;
	int clients;
	double seconds, warmup, rate;
};

struct hist {
	uint64_t b[LOAD_HIST_N];
};

struct client {
	pthread_t tid;
	int id, fd;
	const struct opts *o;
	const struct corpus *c;
	char *rbuf;
	size_t rcap, rlen;
	struct hist lat, sched;
	double max_s, max_at; /* the slowest request, and when it ended (s after start) */
	uint64_t ok, errors, spam, connects, reconnects;
	char first_error[160];
};

static atomic_int measuring, stopping;
static double started; /* now_s() when the clients were started */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hist_add(struct hist *h, double seconds)
{
	double us = seconds * 1e6;
	size_t i;

	if (us < LOAD_HIST_FINE)
		i = us < 0 ? 0 : (size_t)us;
	else {
		i = LOAD_HIST_FINE + (size_t)((us - LOAD_HIST_FINE) / 1000.0);
		if (i >= LOAD_HIST_N)
			i = LOAD_HIST_N - 1;
	}
	h->b[i]++;
}

/* The upper edge of bucket i, in milliseconds. */
static double hist_edge_ms(size_t i)
{
	if (i < LOAD_HIST_FINE)
		return (double)(i + 1) / 1000.0;
	return (double)LOAD_HIST_FINE / 1000.0 + (double)(i - LOAD_HIST_FINE + 1);
}

/* The latency below which a fraction q of the samples lie (0 when empty). */
static double hist_quantile_ms(const struct hist *h, double q)
{
	uint64_t total = 0, seen = 0;
	for (size_t i = 0; i < LOAD_HIST_N; i++)
		total += h->b[i];
	if (!total)
		return 0;
	uint64_t want = (uint64_t)(q * (double)total);
	if (want >= total)
		want = total - 1;
	for (size_t i = 0; i < LOAD_HIST_N; i++) {
		seen += h->b[i];
		if (seen > want)
			return hist_edge_ms(i);
	}
	return hist_edge_ms(LOAD_HIST_N - 1);
}

static void fail_note(struct client *cl, const char *what)
{
	cl->errors++;
	if (!cl->first_error[0])
		snprintf(cl->first_error, sizeof(cl->first_error), "%s", what);
}

/* ---- corpus ------------------------------------------------------------ */

static int corpus_add_file(struct corpus *c, const char *path, off_t size)
{
	if (size <= 0 || (size_t)size > LOAD_MAX_MSG_BYTES)
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char *data = malloc((size_t)size);
	size_t got = data ? fread(data, 1, (size_t)size, f) : 0;
	fclose(f);
	if (got != (size_t)size) {
		free(data);
		return -1;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct msg *m = realloc(c->m, cap * sizeof(*m));
		if (!m) {
			free(data);
			return -1;
		}
		c->m = m;
		c->cap = cap;
	}
	c->m[c->n++] = (struct msg){ data, (size_t)size };
	c->bytes += (size_t)size;
	return 0;
}

/* Reads every regular file under path (recursively; sorted, so that the
 * order is the same in every run). Returns -1 on a read error. */
static int corpus_add(struct corpus *c, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return corpus_add_file(c, path, st.st_size);
	if (!S_ISDIR(st.st_mode))
		return 0;
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort), rc = 0;
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char child[4096];
		if (names[i]->d_name[0] != '.' && rc == 0 &&
		    snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name) <
		        (int)sizeof(child))
			rc = corpus_add(c, child);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* ---- sockets ----------------------------------------------------------- */

static int conn_open(struct client *cl)
{
	struct timeval tv = { LOAD_IO_TIMEOUT_S, 0 };
	int one = 1, family = cl->o->addr.ss_family;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (family == AF_INET)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&cl->o->addr, cl->o->addr_len) != 0) {
		close(fd);
		return -1;
	}
	cl->connects++;
	cl->fd = fd;
	return 0;
}

static void conn_close(struct client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	cl->rlen = 0;
}

/* Writes head then body whole. */
static int send_all(int fd, const char *head, size_t hlen, const char *body, size_t blen)
{
	struct iovec iov[2] = { { (void *)head, hlen }, { (void *)body, blen } };
	struct iovec *v = iov;
	int nv = 2;

	while (nv > 0) {
		ssize_t w = writev(fd, v, nv);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (nv > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			nv--;
		}
		if (nv > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Reads more bytes into the client's buffer (kept NUL-terminated).
 * Returns the count read, 0 at EOF, -1 on error or overflow. */
static ssize_t recv_more(struct client *cl)
{
	if (cl->rcap - cl->rlen < 4096) {
		size_t cap = cl->rcap ? cl->rcap * 2 : 65536;
		if (cap > LOAD_MAX_REPLY_BYTES)
			return -1;
		char *b = realloc(cl->rbuf, cap + 1);
		if (!b)
			return -1;
		cl->rbuf = b;
		cl->rcap = cap;
	}
	ssize_t r;
	do
		r = read(cl->fd, cl->rbuf + cl->rlen, cl->rcap - cl->rlen);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		cl->rlen += (size_t)r;
		cl->rbuf[cl->rlen] = '\0';
	}
	return r;
}

/* ---- HTTP -------------------------------------------------------------- */

/* The value of header name in the header block [h, end), or NULL. */
static const char *header_value(const char *h, const char *end, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = h; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
		if (*p == '\n')
			p++;
		if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
	}
	return NULL;
}

/* Reads one HTTP reply. Returns 0 with *body and *blen set, 1 when the
 * connection closed before any byte (a keep-alive connection the server
 * dropped), -1 on error (cl->first_error says which). *close_after is set
 * when the server asked to close. */
static int http_read_reply(struct client *cl, const char **body, size_t *blen, int *close_after)
{
	char *hend;
	while (!(hend = cl->rlen ? strstr(cl->rbuf, "\r\n\r\n") : NULL)) {
		ssize_t r = recv_more(cl);
		if (r == 0 && cl->rlen == 0)
			return 1;
		if (r <= 0)
			return fail_note(cl, r ? "http: read error or timeout"
			                       : "http: EOF in headers"),
			       -1;
	}
	if (strncmp(cl->rbuf, "HTTP/1.", 7) != 0 || strncmp(cl->rbuf + 8, " 200", 4) != 0) {
		char line[80];
		snprintf(line, sizeof(line), "http: status %.40s", cl->rbuf);
		line[strcspn(line, "\r\n")] = '\0';
		return fail_note(cl, line), -1;
	}
	size_t hlen = (size_t)(hend - cl->rbuf) + 4;
	const char *conn = header_value(cl->rbuf, hend, "Connection");
	*close_after = conn && strncasecmp(conn, "close", 5) == 0;
	if (header_value(cl->rbuf, hend, "Transfer-Encoding"))
		return fail_note(cl, "http: chunked reply (not read by this client)"), -1;
	const char *clen = header_value(cl->rbuf, hend, "Content-Length");
	if (!clen)
		return fail_note(cl, "http: reply without Content-Length"), -1;
	size_t want = hlen + strtoul(clen, NULL, 10);
	while (cl->rlen < want)
		if (recv_more(cl) <= 0)
			return fail_note(cl, "http: body cut short"), -1;
	if (cl->rlen != want)
		return fail_note(cl, "http: bytes after the reply"), -1;
	*body = cl->rbuf + hlen;
	*blen = want - hlen;
	return 0;
}

/* One POST on the client's keep-alive connection (opened, or re-opened
 * once when the server had dropped it). Returns 1 spam, 0 not, -1 error. */
static int http_request(struct client *cl, const struct msg *m)
{
	char head[512];
	int hl = snprintf(head, sizeof(head),
	                  "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: message/rfc822\r\n"
	                  "Content-Length: %zu\r\n\r\n",
	                  cl->o->path, cl->o->host, m->len);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (cl->fd < 0 && conn_open(cl) != 0)
			return fail_note(cl, "http: connect failed"), -1;
		cl->rlen = 0;
		const char *body;
		size_t blen;
		int close_after = 0, rc = -2;
		if (send_all(cl->fd, head, (size_t)hl, m->data, m->len) == 0)
			rc = http_read_reply(cl, &body, &blen, &close_after);
		if (rc == 0) {
			int spam = cl->o->spam_marker && memmem(body, blen, cl->o->spam_marker,
			                                        strlen(cl->o->spam_marker));
			int bad = cl->o->expect &&
			          !memmem(body, blen, cl->o->expect, strlen(cl->o->expect));
			if (close_after)
				conn_close(cl);
			if (bad)
				return fail_note(cl, "http: reply lacks the --expect text"), -1;
			return spam;
		}
		conn_close(cl);
		if (rc == -1)
			return -1;
		cl->reconnects += attempt == 0 && cl->connects > 0;
	}
	return fail_note(cl, "http: connection dropped twice"), -1;
}

/* ---- spamd ------------------------------------------------------------- */

/* One CHECK as spamc sends it, on a new connection. */
static int spamd_request(struct client *cl, const struct msg *m)
{
	char head[128];
	int hl =
	    snprintf(head, sizeof(head), "CHECK SPAMC/1.5\r\nContent-length: %zu\r\n\r\n", m->len);
	if (conn_open(cl) != 0)
		return fail_note(cl, "spamd: connect failed"), -1;
	int rc = send_all(cl->fd, head, (size_t)hl, m->data, m->len);
	if (rc == 0)
		shutdown(cl->fd, SHUT_WR);
	ssize_t r = 1;
	while (rc == 0 && (r = recv_more(cl)) > 0)
		;
	if (rc != 0 || r < 0) {
		conn_close(cl);
		return fail_note(cl, "spamd: send or read failed"), -1;
	}
	const char *marker = cl->o->spam_marker ? cl->o->spam_marker : "Spam: True";
	int ok = cl->rlen > 0 && strncmp(cl->rbuf, "SPAMD/1.", 8) == 0 &&
	         strstr(cl->rbuf, " 0 EX_OK\r\n") && strstr(cl->rbuf, "\r\nSpam: ");
	int spam = ok && strstr(cl->rbuf, marker);
	if (!ok) {
		char line[80];
		snprintf(line, sizeof(line), "spamd: reply %.40s", cl->rlen ? cl->rbuf : "(empty)");
		line[strcspn(line, "\r\n")] = '\0';
		fail_note(cl, line);
	}
	conn_close(cl);
	return ok ? spam : -1;
}

/* ---- clients ----------------------------------------------------------- */

static void sleep_until(double t)
{
	double d = t - now_s();
	if (d <= 0)
		return;
	struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void *client_main(void *arg)
{
	struct client *cl = arg;
	const struct opts *o = cl->o;
	size_t i = (size_t)cl->id * cl->c->n / (size_t)o->clients;
	double interval = o->rate > 0 ? (double)o->clients / o->rate : 0;
	/* Clients' schedules are spread over one interval, not in step. */
	double next = now_s() + interval * (double)cl->id / (double)o->clients;

	while (!atomic_load(&stopping)) {
		if (interval > 0) {
			sleep_until(next);
			if (atomic_load(&stopping))
				break;
		}
		int counted = atomic_load(&measuring);
		double t0 = now_s();
		const struct msg *m = &cl->c->m[i];
		i = (i + 1) % cl->c->n;
		int rc = o->proto == PROTO_HTTP ? http_request(cl, m) : spamd_request(cl, m);
		double t1 = now_s();
		if (!counted || atomic_load(&stopping)) {
			next += interval;
			continue;
		}
		if (rc >= 0) {
			cl->ok++;
			cl->spam += (uint64_t)rc;
			hist_add(&cl->lat, t1 - t0);
			if (t1 - t0 > cl->max_s) {
				cl->max_s = t1 - t0;
				cl->max_at = t1 - started;
			}
			if (interval > 0)
				hist_add(&cl->sched, t1 - next);
		}
		next += interval;
	}
	conn_close(cl);
	return NULL;
}

/* ---- main -------------------------------------------------------------- */

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: whorld_load --proto http|spamd --target HOST:PORT|unix:/PATH [--path P]\n"
	    "                   [--clients N] [--seconds S] [--warmup S] [--rate R] [--expect TEXT]\n"
	    "                   [--spam-marker TEXT] [--label NAME] DIR|FILE...\n");
	exit(2);
}

/* HOST:PORT (IPv4) or unix:/ABSOLUTE/PATH into o->addr and o->addr_len. */
static int parse_target(const char *s, struct opts *o)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	memset(&o->addr, 0, sizeof(o->addr));
	if (strncmp(s, "unix:/", 6) == 0) {
		struct sockaddr_un *u = (struct sockaddr_un *)&o->addr;
		if (strlen(s + 5) >= sizeof(u->sun_path))
			return -1;
		u->sun_family = AF_UNIX;
		strcpy(u->sun_path, s + 5);
		o->addr_len = sizeof(*u);
		strcpy(o->host, "localhost");
		return 0;
	}
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	long port = strtol(colon + 1, NULL, 10);
	struct sockaddr_in *a = (struct sockaddr_in *)&o->addr;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	o->addr_len = sizeof(*a);
	strcpy(o->host, host);
	return port > 0 && port < 65536 && inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

/* Fills o from argv; returns the index of the first path. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .path = "/v1/score", .clients = 4, .seconds = 10, .warmup = 1 };
	int i, have_target = 0, have_proto = 0;
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(k, "--proto")) {
			have_proto = !strcmp(v, "http") || !strcmp(v, "spamd");
			o->proto = !strcmp(v, "spamd") ? PROTO_SPAMD : PROTO_HTTP;
		} else if (!strcmp(k, "--target"))
			have_target = parse_target(v, o) == 0;
		else if (!strcmp(k, "--path"))
			o->path = v;
		else if (!strcmp(k, "--clients"))
			o->clients = atoi(v);
		else if (!strcmp(k, "--seconds"))
			o->seconds = atof(v);
		else if (!strcmp(k, "--warmup"))
			o->warmup = atof(v);
		else if (!strcmp(k, "--rate"))
			o->rate = atof(v);
		else if (!strcmp(k, "--expect"))
			o->expect = v;
		else if (!strcmp(k, "--spam-marker"))
			o->spam_marker = v;
		else if (!strcmp(k, "--label"))
			o->label = v;
		else
			usage();
	}
	if (!have_proto || !have_target || i >= argc || o->clients < 1 ||
	    o->clients > LOAD_MAX_CLIENTS || o->seconds <= 0 || o->warmup < 0 || o->rate < 0)
		usage();
	if (!o->label)
		o->label = o->proto == PROTO_HTTP ? "http" : "spamd";
	return i;
}

/* User + system CPU seconds this process has used so far. */
static double self_cpu_s(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Sums the clients' counters and prints the figures (self_cpu: this
 * process's user + system CPU seconds over the measured run). Returns the
 * number of successful requests. */
static uint64_t report(const struct opts *o, struct client *cls, double wall, double self_cpu)
{
	static struct hist lat, sched;
	uint64_t ok = 0, errors = 0, spam = 0, connects = 0, reconnects = 0;
	double max_s = 0, max_at = 0;
	const char *first_error = NULL, *l = o->label;
	for (int c = 0; c < o->clients; c++) {
		struct client *cl = &cls[c];
		ok += cl->ok;
		errors += cl->errors;
		spam += cl->spam;
		connects += cl->connects;
		reconnects += cl->reconnects;
		if (cl->max_s > max_s) {
			max_s = cl->max_s;
			max_at = cl->max_at;
		}
		if (!first_error && cl->first_error[0])
			first_error = cl->first_error;
		for (size_t i = 0; i < LOAD_HIST_N; i++) {
			lat.b[i] += cl->lat.b[i];
			sched.b[i] += cl->sched.b[i];
		}
	}
	printf("%s_clients = %d\n", l, o->clients);
	if (o->rate > 0)
		printf("%s_target_rate = %.0f msgs/s\n", l, o->rate);
	printf("%s_msgs_per_s = %.0f msgs/s\n", l, (double)ok / wall);
	printf("%s_requests = %llu msgs\n", l, (unsigned long long)ok);
	printf("%s_errors = %llu\n", l, (unsigned long long)errors);
	printf("%s_spam_verdicts = %.1f %%\n", l, ok ? 100.0 * (double)spam / (double)ok : 0);
	printf("%s_connections = %llu\n", l, (unsigned long long)connects);
	printf("%s_reconnects = %llu\n", l, (unsigned long long)reconnects);
	printf("%s_latency_p50 = %.3f ms\n", l, hist_quantile_ms(&lat, 0.50));
	printf("%s_latency_p99 = %.3f ms\n", l, hist_quantile_ms(&lat, 0.99));
	printf("%s_latency_max = %.3f ms (%.0f s after the start)\n", l, max_s * 1e3, max_at);
	if (o->rate > 0)
		printf("%s_latency_sched_p99 = %.3f ms\n", l, hist_quantile_ms(&sched, 0.99));
	printf("%s_client_cpu_s = %.2f s (the load generator's own user + system CPU)\n", l,
	       self_cpu);
	printf("%s_client_cores = %.2f cores (the same over the run's wall time)\n", l,
	       self_cpu / wall);
	if (first_error)
		fprintf(stderr, "whorld_load: %s: %llu errors, the first: %s\n", l,
		        (unsigned long long)errors, first_error);
	return ok;
}

int main(int argc, char **argv)
{
	static struct client cls[LOAD_MAX_CLIENTS];
	static struct corpus corpus;
	struct opts o;

	signal(SIGPIPE, SIG_IGN); /* a dropped connection is an error, not a crash */
	for (int i = parse_args(argc, argv, &o); i < argc; i++)
		if (corpus_add(&corpus, argv[i]) != 0) {
			fprintf(stderr, "whorld_load: cannot read %s\n", argv[i]);
			return 2;
		}
	if (corpus.n == 0) {
		fprintf(stderr, "whorld_load: no messages read\n");
		return 2;
	}
	printf("%s_messages = %zu msgs (%.1f MB in memory)\n", o.label, corpus.n,
	       (double)corpus.bytes / 1e6);
	started = now_s();
	for (int c = 0; c < o.clients; c++) {
		cls[c] = (struct client){ .id = c, .fd = -1, .o = &o, .c = &corpus };
		if (pthread_create(&cls[c].tid, NULL, client_main, &cls[c]) != 0) {
			fprintf(stderr, "whorld_load: cannot start client %d\n", c);
			return 2;
		}
	}
	sleep_until(now_s() + o.warmup);
	double cpu0 = self_cpu_s(), t0 = now_s();
	atomic_store(&measuring, 1);
	sleep_until(t0 + o.seconds);
	atomic_store(&stopping, 1);
	double wall = now_s() - t0, cpu = self_cpu_s() - cpu0;
	for (int c = 0; c < o.clients; c++)
		pthread_join(cls[c].tid, NULL);
	if (report(&o, cls, wall, cpu) == 0) {
		fprintf(stderr, "whorld_load: %s: no request succeeded\n", o.label);
		return 1;
	}
	return 0;
}
