// SPDX-License-Identifier: GPL-2.0-only
/*
 * loadgen: socket micro-benchmarks with no interpreter in the timed loop.
 *
 * Servers print READY once listening and run until SIGTERM/SIGINT.
 * Clients print one line of KEY=VALUE pairs on stdout.
 * Errors: one line on stderr, exit status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHECK_EVERY	64	/* iterations between clock reads */
#define LISTEN_BACKLOG	4096
#define UDP_PAYLOAD	64
#define IO_TIMEOUT_SEC	5
#define IO_BUF		65536
#define MAX_COUNT	100000000L	/* rr round trips */
#define MODE_NAMES	"server-accept|server-echo|server-udp|udp-sink|connect|crr|rr|udp|bind"

/* ADDR PORT: an IPv4 or IPv6 address */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};

struct opts {
	double secs;			/* -d */
	long threads;			/* -t */
	long count;			/* -n */
	struct addr addr;		/* ADDR PORT */
};

struct mode {
	const char *name;
	const char *optstr;	/* getopt string; d and n are mandatory */
	int nargs;		/* positional arguments after the options */
	const char *usage;
	void (*run)(const struct opts *o);
};

/* A timed loop: op() is called until deadline; 0 is success. */
struct job {
	int (*op)(void *arg);
	void *arg;
	double deadline;
};

struct worker {
	pthread_t tid;
	const struct job *job;
	unsigned long n, errors;
};

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static _Noreturn void die_sys(const char *what)
{
	die("%s: %s", what, strerror(errno));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long parse_long(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die("invalid %s '%s' (expected %ld..%ld)", what, s, min, max);
	return v;
}

static double parse_secs(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0 && v < 1e7))
		die("invalid duration '%s'", s);
	return v;
}

static void parse_addr(const char *ip, const char *port, struct addr *a)
{
	uint16_t p = htons(parse_long(port, 1, 65535, "port"));

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, ip, &a->u.in4.sin_addr) == 1) {
		a->u.in4.sin_family = AF_INET;
		a->u.in4.sin_port = p;
		a->len = sizeof(a->u.in4);
	} else if (inet_pton(AF_INET6, ip, &a->u.in6.sin6_addr) == 1) {
		a->u.in6.sin6_family = AF_INET6;
		a->u.in6.sin6_port = p;
		a->len = sizeof(a->u.in6);
	} else {
		die("invalid IP address '%s'", ip);
	}
}

static void set_int_opt(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)))
		die_sys(what);
}

/* Bound client I/O; SO_SNDTIMEO also bounds a blocking connect(). */
static void set_io_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_SEC };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		die_sys("setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)");
}

static int xsocket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die_sys("socket");
	return fd;
}

/* ---- servers ---- */

static void on_signal(int sig)
{
	(void)sig;
	_exit(0);
}

/* SIGTERM/SIGINT end a server with status 0 */
static void exit_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		die_sys("sigaction");
}

static void announce_ready(void)
{
	fputs("READY\n", stdout);
	fflush(stdout);
}

static int server_socket(int type, const struct addr *a)
{
	int fd = xsocket(a->u.sa.sa_family, type);

	exit_on_signals();
	set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
	if (bind(fd, &a->u.sa, a->len))
		die_sys("bind");
	return fd;
}

static int tcp_listener(const struct addr *a)
{
	int fd = server_socket(SOCK_STREAM, a);

	if (listen(fd, LISTEN_BACKLOG))
		die_sys("listen");
	announce_ready();
	return fd;
}

/* accept(), retrying on errors that concern one connection or are transient. */
static int accept_one(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			return fd;
		switch (errno) {
		case EINTR: case ECONNABORTED: case EPROTO: case EPERM:
		case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
			continue;
		default:
			die_sys("accept");
		}
	}
}

static void serve_accept(const struct opts *o)
{
	int lfd = tcp_listener(&o->addr);

	for (;;)
		close(accept_one(lfd));
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= w;
	}
	return 0;
}

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[IO_BUF];
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || send_all(fd, buf, r))
			break;
	}
	close(fd);
	return NULL;
}

static void serve_echo(const struct opts *o)
{
	int lfd = tcp_listener(&o->addr);
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		int fd = accept_one(lfd);
		pthread_t tid;

		/* no Nagle delay on the echoed byte */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		if (pthread_create(&tid, &attr, echo_conn, (void *)(intptr_t)fd))
			close(fd);
	}
}

static void serve_udp(const struct opts *o)
{
	int fd = server_socket(SOCK_DGRAM, &o->addr);
	char buf[IO_BUF];

	announce_ready();
	for (;;)
		if (recv(fd, buf, sizeof(buf), 0) < 0 && errno != EINTR)
			die_sys("recv");
}

/* Counts datagrams for -d seconds from the first one; prints the rate.
 * Measures the receiving side (the kernel's lookup included) of a flood
 * sent by a 'udp' client. */
static void run_udp_sink(const struct opts *o)
{
	int fd = server_socket(SOCK_DGRAM, &o->addr);
	struct timeval tv = { .tv_sec = 1 };
	char buf[IO_BUF];
	unsigned long n = 0;
	double start = 0, t = 0;

	announce_ready();
	if (recv(fd, buf, sizeof(buf), 0) < 0)
		die_sys("recv");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	start = now();
	while ((t = now()) < start + o->secs) {
		if (recv(fd, buf, sizeof(buf), 0) < 0) {
			if (errno == EINTR)
				continue;
			break; /* the sender stopped early */
		}
		n++;
	}
	printf("rate=%.0f n=%lu\n", n / (t - start), n);
	close(fd);
}

/* ---- timed client loops ---- */

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct job *job = w->job;

	do {
		for (int i = 0; i < CHECK_EVERY; i++) {
			if (job->op(job->arg))
				w->errors++;
			else
				w->n++;
		}
	} while (now() < job->deadline);
	return NULL;
}

/* Run op in nthreads threads for secs; print rate (successes/s), n, errors. */
static void run_timed(int (*op)(void *), void *arg, double secs, long nthreads)
{
	struct worker *w = calloc(nthreads, sizeof(*w));
	double start = now(), elapsed;
	struct job job = { op, arg, start + secs };
	unsigned long n = 0, errors = 0;
	long i;

	if (!w)
		die("out of memory");
	for (i = 0; i < nthreads; i++) {
		w[i].job = &job;
		errno = pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
		if (errno)
			die_sys("pthread_create");
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		n += w[i].n;
		errors += w[i].errors;
	}
	elapsed = now() - start;
	free(w);
	printf("rate=%.1f n=%lu errors=%lu\n", n / elapsed, n, errors);
}

static int op_connect(void *arg)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	const struct addr *a = arg;
	int fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -1;
	ret = connect(fd, &a->u.sa, a->len);
	/* close with RST: no TIME_WAIT pile-up */
	if (!ret)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	close(fd);
	return ret;
}

static void run_connect(const struct opts *o)
{
	run_timed(op_connect, (void *)&o->addr, o->secs, o->threads);
}

/* connect, 1 byte each way, close with RST: a whole transaction, so that
 * through a proxy the count is of connections the server answered, not of
 * handshakes with the proxy. Against server-echo. */
static int op_crr(void *arg)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	const struct addr *a = arg;
	int fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char c = 'x';
	int ret = -1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	set_io_timeouts(fd);
	if (!connect(fd, &a->u.sa, a->len) && !send_all(fd, &c, 1) &&
	    recv(fd, &c, 1, 0) == 1)
		ret = 0;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	close(fd);
	return ret;
}

static void run_crr(const struct opts *o)
{
	run_timed(op_crr, (void *)&o->addr, o->secs, o->threads);
}

struct udp_ctx {
	int fd;
	const struct addr *dst;
};

static int op_sendto(void *arg)
{
	static const char payload[UDP_PAYLOAD];
	const struct udp_ctx *c = arg;

	return sendto(c->fd, payload, sizeof(payload), 0, &c->dst->u.sa, c->dst->len) ==
	       sizeof(payload) ? 0 : -1;
}

static void run_udp(const struct opts *o)
{
	struct udp_ctx c = { xsocket(o->addr.u.sa.sa_family, SOCK_DGRAM), &o->addr };

	set_io_timeouts(c.fd);
	run_timed(op_sendto, &c, o->secs, 1);
	close(c.fd);
}

static int op_bind(void *arg)
{
	static const struct sockaddr_in any = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	(void)arg;
	if (fd < 0)
		return -1;
	ret = bind(fd, (const struct sockaddr *)&any, sizeof(any));
	if (!ret)
		ret = listen(fd, 1);
	close(fd);
	return ret;
}

static void run_bind(const struct opts *o)
{
	run_timed(op_bind, NULL, o->secs, 1);
}

/* ---- request/response latency ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* Nearest-rank percentile of a sorted array, in microseconds. */
static double pct_us(const uint64_t *sorted, size_t n, unsigned int pct)
{
	size_t rank = (n * pct + 99) / 100;

	return sorted[rank ? rank - 1 : 0] / 1e3;
}

static void round_trip(int fd)
{
	char c = 'x';
	ssize_t r;

	if (send_all(fd, &c, 1))
		die_sys("send");
	do
		r = recv(fd, &c, 1, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		die_sys("recv");
	if (r == 0)
		die("recv: connection closed by peer");
}

static void run_rr(const struct opts *o)
{
	uint64_t *lat = malloc(o->count * sizeof(*lat));
	int fd = xsocket(o->addr.u.sa.sa_family, SOCK_STREAM);

	if (!lat)
		die("out of memory");
	set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)");
	set_io_timeouts(fd);
	if (connect(fd, &o->addr.u.sa, o->addr.len))
		die_sys("connect");
	for (long i = 0; i < o->count; i++) {
		uint64_t t0 = now_ns();

		round_trip(fd);
		lat[i] = now_ns() - t0;
	}
	close(fd);
	qsort(lat, o->count, sizeof(*lat), cmp_u64);
	printf("p50_us=%.1f p99_us=%.1f n=%ld\n", pct_us(lat, o->count, 50),
	       pct_us(lat, o->count, 99), o->count);
	free(lat);
}

/* ---- command line ---- */

static const struct mode modes[] = {
	{ "server-accept", "", 2, "ADDR PORT", serve_accept },
	{ "server-echo", "", 2, "ADDR PORT", serve_echo },
	{ "server-udp", "", 2, "ADDR PORT", serve_udp },
	{ "udp-sink", "d:", 2, "-d SECONDS ADDR PORT", run_udp_sink },
	{ "connect", "d:t:", 2, "-d SECONDS [-t THREADS] ADDR PORT", run_connect },
	{ "crr", "d:t:", 2, "-d SECONDS [-t THREADS] ADDR PORT", run_crr },
	{ "rr", "n:", 2, "-n COUNT ADDR PORT", run_rr },
	{ "udp", "d:", 2, "-d SECONDS ADDR PORT", run_udp },
	{ "bind", "d:", 0, "-d SECONDS", run_bind },
};

#define NMODES (sizeof(modes) / sizeof(modes[0]))

static const struct mode *find_mode(const char *name)
{
	for (size_t i = 0; i < NMODES; i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	die("unknown mode '%s' (" MODE_NAMES ")", name);
}

static void parse_opts(const struct mode *m, int argc, char **argv,
		       struct opts *o)
{
	char optstr[16];
	int c;

	snprintf(optstr, sizeof(optstr), ":%s", m->optstr);
	opterr = 0;
	while ((c = getopt(argc, argv, optstr)) != -1) {
		switch (c) {
		case 'd':
			o->secs = parse_secs(optarg);
			break;
		case 't':
			o->threads = parse_long(optarg, 1, 4096, "thread count");
			break;
		case 'n':
			o->count = parse_long(optarg, 1, MAX_COUNT, "count");
			break;
		default:
			die("usage: loadgen %s %s", m->name, m->usage);
		}
	}
	if (argc - optind != m->nargs ||
	    (strchr(m->optstr, 'd') && !o->secs) ||
	    (strchr(m->optstr, 'n') && !o->count))
		die("usage: loadgen %s %s", m->name, m->usage);
	if (m->nargs)
		parse_addr(argv[optind], argv[optind + 1], &o->addr);
}

int main(int argc, char **argv)
{
	struct opts o = { .threads = 1 };
	const struct mode *m;

	if (argc < 2)
		die("usage: loadgen MODE [options] ... (MODE: " MODE_NAMES ")");
	m = find_mode(argv[1]);
	parse_opts(m, argc - 1, argv + 1, &o);
	m->run(&o);
	return 0;
}
