/*
 * whorld.h - the parts of whorld and how they talk to each other.
 *
 * main.c reads the command line and whorld.cfg, opens the cartridge and
 * runs; check.c is "whorld -t"; listen.c opens the listeners (or takes
 * them from systemd); loop.c holds the event loops: one per spamd thread,
 * which accepts, reads and answers spamd requests on that thread, and the
 * main thread's, which handles signals and takes the connections that
 * arrive while every spamd thread is busy; both read without blocking and
 * enforce the connection limit and the idle and client timeouts. work.c
 * admits requests (a bounded number in flight), bounds the scans running
 * at once, and carries the main loop's requests to the spamd threads;
 * HTTP requests are answered on libmicrohttpd's connection threads
 * (http.c).
 * Not for: protocol bytes (spamd.h) or anything the milter will share
 * (host/whorl_daemon.h, in libwhorl).
 */
#ifndef WHORLD_H
#define WHORLD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "spamd.h"
#include "whorl.h"
#include "whorl_daemon.h"

#define WHORLD_NAME "whorld"
#define WHORLD_MAX_LISTENERS WHORL_DCFG_MAX_LISTEN
#define WHORLD_READ_CHUNK 65536 /* bytes read from a client per call */
#define WHORLD_TICK_MS 100      /* how often timeouts are checked */
#define WHORLD_BACKLOG 511
#define WHORLD_LATENCY_BUCKETS 11 /* /metrics histogram (bounds in http_metrics.c) */
#define WHORLD_CATEGORIES 16      /* verdict counters by category number (0-15) */
#define WHORLD_LINGER_MS 1000     /* after an error answer: drop client bytes this long */

/* Exit statuses (whorld(8)). */
#define WHORLD_EXIT_OK 0
#define WHORLD_EXIT_CONFIG 1  /* bad configuration, cartridge refused, -t failed */
#define WHORLD_EXIT_RUNTIME 2 /* could not listen or run */

struct whorld_listener {
	int fd;
	int is_unix;
	int created;                         /* we bound it (unlink the path at exit) */
	char name[WHORL_DCFG_PATH_MAX + 16]; /* "127.0.0.1:783" or the path, for logs */
};

struct work_scratch;
struct whorld;

/* What the queue holds: a job a scanning thread runs (and that frees
 * itself). spamd connections and HTTP requests embed one. */
struct work_item {
	void (*run)(struct whorld *d, struct work_item *it, struct work_scratch *w);
	uint64_t t_accept_ms; /* for the request deadline (CLOCK_MONOTONIC) */
};

/* A client connection. Owned by the loop while its request arrives, then
 * by the queue and a worker, which closes and frees it. */
struct conn {
	struct work_item item; /* first: the queue holds &conn->item */
	int fd;
	char *buf; /* the request as received */
	size_t len, cap;
	struct spamd_req req;
	int head_done;
	int closing;                     /* answered; dropping its bytes until it closes */
	int linked;                      /* on a loop's reading list and in its epoll */
	uint64_t t_accept_ms, t_last_ms; /* CLOCK_MONOTONIC */
	char peer[64];
	struct conn *prev, *next; /* the loop's list of reading connections (next: the inbox's) */
};

/* Counters (atomic; whorlctl status and /metrics read them). Only
 * atomic_ulong members: whorld_counters_sum() adds them member by member.
 * With workers each worker has one in memory shared with the master and
 * its siblings, so /metrics in any worker reports the whole service. */
struct whorld_counters {
	atomic_ulong accepted, refused_limit, refused_busy, requests, scanned, errors, timeouts,
	    too_large, tells;
	atomic_ulong http_requests, http_errors, http_busy, http_too_large, http_refused_limit;
	atomic_ulong latency_buckets[WHORLD_LATENCY_BUCKETS + 1]; /* scans, by duration */
	atomic_ulong latency_sum_us;
	atomic_ulong verdicts[WHORLD_CATEGORIES]; /* scans, by category */
	atomic_ulong swaps;                       /* counted by the master with workers */
	atomic_ulong worker_restarts;             /* master only */
};

struct whorld {
	_Atomic(struct whorl_dcfg *) cfg; /* current configuration (SIGHUP swaps it) */
	struct whorl_dcfg *old_cfgs[64];  /* replaced ones, freed at exit */
	size_t n_old_cfgs;
	const char *cfg_path;
	int foreground;
	int ready_fd; /* detaching: tells the parent we run; else -1 */
	whorl_host *host;
	struct whorld_listener listeners[WHORLD_MAX_LISTENERS]; /* spamd */
	size_t n_listeners;
	struct whorld_listener http_listeners[WHORLD_MAX_LISTENERS];
	size_t n_http_listeners;
	struct http_server *http;         /* NULL without HTTP listeners */
	pthread_mutex_t reload_mu;        /* one reload at a time (SIGHUP, whorlctl) */
	struct whorl_ctl_server *ctl;     /* control socket, or NULL */
	pthread_t chan_tid;               /* a worker's channel thread */
	atomic_uint n_conns;              /* open client connections, all states */
	struct whorld_counters *counters; /* this process's: own_counters or a shared slot */
	struct whorld_counters own_counters;
	struct whorld_counters *all_counters; /* every worker's slot (or own_counters) */
	unsigned n_all_counters;
	unsigned worker_id; /* 1..workers in a worker process; 0 otherwise */
	int chan_fd;        /* a worker's channel to the master, or -1 */
	int chan_thread;    /* its thread runs (chan_tid) */
	atomic_int chan_stopping;
	char cartridge_path[WHORL_DCFG_PATH_MAX]; /* what a worker opens (swaps change it) */
	struct work_queue *queue;
	uint64_t t_start_ms;
};

/* main.c */
uint64_t whorld_now_ms(void);
/* Adds every process's counters (all_counters) into *out. */
void whorld_counters_sum(const struct whorld *d, struct whorld_counters *out);
/* Detached: lets go of the terminal (/dev/null on 0-2, no stderr log
 * copy); _finish also tells the waiting parent we run. */
void whorld_detach_stdio(void);
void whorld_detach_finish(int ready_fd);
/* Runs one process's listeners, threads, HTTP and loop (the whole daemon
 * without workers, or one worker). Returns the exit status. */
int whorld_serve(struct whorld *d, const struct whorl_dcfg *c);
uint64_t whorld_now_us(void);
/* The configuration a request should use (never freed while running). */
static inline const struct whorl_dcfg *whorld_cfg(struct whorld *d)
{
	return atomic_load(&d->cfg);
}

/* check.c: "whorld -t". Prints what it checks; returns the exit status. */
int check_run(const struct whorl_dcfg *c, const char *cfg_path, int cfg_found);

/* listen.c: opens every listener of c, or adopts systemd's (LISTEN_FDS).
 * 0, or -1 with the reason logged. */
int listen_open(struct whorld *d, const struct whorl_dcfg *c);
void listen_close(struct whorld *d);      /* the spamd listeners */
void listen_close_http(struct whorld *d); /* after http_stop() */

/* http.c: libmicrohttpd on the HTTP listeners; requests go through the
 * same queue as spamd's. 0 or -1 (logged). */
int http_start(struct whorld *d);
/* Stops accepting; requests in flight finish (drain). */
void http_quiesce(struct whorld *d);
void http_stop(struct whorld *d);
/* The event loop's tick: cuts HTTP connections whose request has not
 * arrived within the client timeout (408, then shutdown). */
void http_timeouts(struct whorld *d);
/* Open HTTP connections of this process. */
unsigned http_connections(struct whorld *d);

/* loop.c: runs until SIGTERM/SIGINT, then drains. Returns the exit status. */
int loop_run(struct whorld *d);
void conn_free(struct whorld *d, struct conn *c);
/* A spamd thread's event loop: made by work_start() (main thread; it
 * registers the spamd listeners and wake_fd in a new epoll), run by
 * loop_spamd_thread(loop) until work_stopping(), freed by loop_spamd_free()
 * after the thread is joined. NULL when out of memory or descriptors. */
struct loop;
struct loop *loop_spamd_new(struct whorld *d, int wake_fd);
void *loop_spamd_thread(void *loop);
void loop_spamd_free(struct loop *lp);

/* work.c: admission (threads + queue size requests in flight), the
 * `threads` scan slots, and the spamd threads. All of it any thread. */
#define WORK_BUSY (-1)     /* as many requests in flight as allowed */
#define WORK_STOPPING (-2) /* draining after SIGTERM */
struct work_queue;
int work_start(struct whorld *d, unsigned n_threads, unsigned queue_size);
/* Counts one request in flight: 0, or WORK_BUSY / WORK_STOPPING (not
 * counted; answer "try later" at once). Each 0 needs one work_done(). */
int work_admit(struct whorld *d);
void work_done(struct whorld *d);
/* Waits for a scan slot until deadline_ms (whorld_now_ms() clock; 0: no
 * deadline): 0 holding it, -1 when the deadline passed first. Each 0 needs
 * one work_slot_give(). */
int work_slot_take(struct whorld *d, uint64_t deadline_ms);
void work_slot_give(struct whorld *d);
/* Admits a job of the main loop's and puts it on the ring for a spamd
 * thread, which answers it in a slot and frees it; WORK_BUSY /
 * WORK_STOPPING when refused (the caller still owns it). */
int work_submit(struct whorld *d, struct work_item *it);
/* A spamd thread: the next job on the ring (NULL when it is empty; never
 * waits), and running an admitted job: waits for a slot, runs it, gives
 * the slot back, counts it done. */
struct work_item *work_next(struct whorld *d);
void work_run(struct whorld *d, struct work_item *it, struct work_scratch *w);
/* work_stop() has begun: spamd threads return. */
int work_stopping(struct whorld *d);
/* work_refuse() was called (the drain): spamd threads let go of the
 * listeners, then call work_detach_done() once each; the main loop closes
 * the listeners when work_all_detached(). */
int work_refusing(struct whorld *d);
/* A spamd loop gives a connection it will not wait for (a slow or idle
 * client, an error answer lingering) to the main loop: work_give() queues
 * it and makes work_inbox_fd() readable; the main loop takes the list with
 * work_inbox_take() (NULL when empty; linked through ->next). */
void work_give(struct whorld *d, struct conn *c);
struct conn *work_inbox_take(struct whorld *d);
int work_inbox_fd(struct whorld *d);
void work_detach_done(struct whorld *d);
int work_all_detached(struct whorld *d);
/* Requests in flight (waiting for a slot or being answered). */
unsigned work_in_flight(struct whorld *d);
/* From now on work_admit() refuses (the drain). */
void work_refuse(struct whorld *d);
/* Joins the spamd threads; call after http_stop(). */
void work_stop(struct whorld *d);
/* Writes a reply: blocking = waits for socket room up to timeout_ms in all
 * (else gives up when the socket buffer is full). */
void work_send(int fd, const char *p, size_t len, int blocking, uint32_t timeout_ms);
/* Answers c on the calling thread and closes it (PING, errors). */
void work_answer_now(struct whorld *d, struct conn *c, const char *reply, size_t len);

/* request.c: a worker's buffers, kept across requests. */
struct work_scratch {
	struct obuf reply;
	char *inflated;
	size_t inflated_cap;
};
/* The work_item run of a spamd connection: answers the request (scan,
 * TELL) on a worker thread, then closes and frees the connection. */
void request_run(struct whorld *d, struct work_item *it, struct work_scratch *w);

/* Upper bounds (microseconds) of the latency histogram's buckets. */
extern const uint64_t whorld_latency_bounds_us[WHORLD_LATENCY_BUCKETS];
/* request.c: counts one scan of `us` microseconds with its category. */
void request_count_scan(struct whorld *d, uint64_t us, unsigned category);

/* main.c: SIGHUP and whorlctl reload. 0, or -1 (the running configuration stays). */
int whorld_reload(struct whorld *d);

/* control.c: the control socket's thread (nothing when path is ""). In
 * the master of workers (d->host NULL) each command is forwarded to the
 * workers (master.c). */
int control_start(struct whorld *d, const char *path);
void control_stop(struct whorld *d);
/* A worker's thread answering the master's commands on d->chan_fd. */
int control_channel_start(struct whorld *d);

/* master.c: workers = N. Owns the listeners, forks N workers that serve on
 * them, restarts those that die, forwards signals and control commands.
 * Returns the exit status. */
int master_run(struct whorld *d, const struct whorl_dcfg *c);
/* The master's control commands: forwarded to every worker, answers joined. */
void master_control(struct whorld *d, const char *line, struct obuf *o);

#endif
