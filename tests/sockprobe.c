// SPDX-License-Identifier: GPL-2.0-only
/*
 * sockprobe - perform exactly one socket operation and print what a user
 * would observe, one machine-parseable fact per line on stdout.
 *
 * Used by the vni shell tests. Addresses are taken as literals only (no
 * name resolution); the family of the literal selects AF_INET or AF_INET6.
 * Address and port are always separate arguments.
 *
 * Exit status: 0 success, 1 internal error (e.g. the -R file cannot be
 * written), 2 usage error, 3 the socket operation failed ("ERR <ERRNAME>").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define HELLO_TEXT	"hello"
#define REPLY_TEXT	"OK\n"
#define BUF_SIZE	256
#define ADDR_STRLEN	(INET6_ADDRSTRLEN + IF_NAMESIZE + 16)
#define LINE_LEN	(ADDR_STRLEN + 32)
#define TEXT_LEN	(BUF_SIZE * 4 + 1)

enum {
	EXIT_INTERNAL = 1,
	EXIT_USAGE = 2,
	EXIT_SOCKERR = 3,
};

static const char usage_text[] =
"usage: sockprobe [-t SECONDS] COMMAND [OPTIONS] ARGS...\n"
"\n"
"Perform one socket operation and print what was observed.\n"
"ADDR is an IPv4 literal (AF_INET socket) or an IPv6 literal (AF_INET6\n"
"socket; ::ffff:a.b.c.d, :: and fe80::1%IF are accepted). PORT is decimal.\n"
"\n"
"Commands:\n"
"  listen [-u] [-6only 0|1] [-R FILE] ADDR PORT\n"
"      bind (TCP: and listen), print BOUND, then serve one client:\n"
"      print PEER, LOCAL and DATA (if any), answer \"OK\"\n"
"  serve [-u] [-6only 0|1] [-R FILE] [-n COUNT] ADDR PORT\n"
"      like listen, for COUNT clients (default 1, 0 = until SIGTERM),\n"
"      printing one PEER line per client\n"
"  bind [-u] [-6only 0|1] [-L] ADDR PORT\n"
"      bind (-L: and listen), print BOUND\n"
"  connect [-u] [-6only 0|1] [-B ADDR] [-P PORT] [-A] ADDR PORT\n"
"      connect, print LOCAL and REMOTE, send \"hello\", print REPLY\n"
"  sendto [-6only 0|1] [-B ADDR] [-P PORT] [-S SRCADDR] [-C] ADDR PORT\n"
"      UDP sendmsg() with ADDR PORT in msg_name, print SENT, then\n"
"      \"REPLY TEXT FROM SOURCE\"\n"
"  socket KIND\n"
"      create one socket and print OK; KIND is one of raw4 raw6 packet\n"
"      packetdgram ping4 ping6 sctp tcp4 tcp6 udp4 udp6\n"
"  passfd-server [-6] [-u] [-6only 0|1] [-R FILE] SOCKPATH\n"
"      create an unconnected AF_INET (-6: AF_INET6) TCP (-u: UDP) socket,\n"
"      listen on the unix socket SOCKPATH, print READY, pass the socket to\n"
"      the first client with SCM_RIGHTS, print SENT\n"
"  passfd-client [-B ADDR] [-P PORT] SOCKPATH ADDR PORT\n"
"      receive a socket from SOCKPATH, then do what connect does with it\n"
"  tally [-6only 0|1] [-R FILE] [-n COUNT] ADDR PORT\n"
"      TCP server counting its clients by address: print BOUND, accept\n"
"      and close each client at once, for COUNT clients (default 1,\n"
"      0 = until SIGTERM or SIGINT), then print \"PEER ADDR N\" for each\n"
"      address (v4-mapped ones as v4) and \"TOTAL N\"\n"
"  connect-many [-6only 0|1] [-U FILE] N ADDR PORT\n"
"      print STARTED, then make N TCP connections one after another,\n"
"      each closed after the server's close (-U: after N, go on until\n"
"      FILE exists); print \"LOCAL ADDR N\" for each local address seen\n"
"      and \"CONNECTED N\"; if any failed, \"FAILED N\" and the first\n"
"      error as ERR\n"
"\n"
"Options:\n"
"  -t SECONDS  bound every blocking wait (default 10, fractions allowed,\n"
"              0 = unbounded); may be given before or after COMMAND\n"
"  -u          use UDP instead of TCP\n"
"  -6only N    set IPV6_V6ONLY to N on AF_INET6 sockets (default: untouched)\n"
"  -R FILE     also write the BOUND/READY line to FILE (via FILE.tmp+rename)\n"
"  -n COUNT    number of clients to serve (tally: to count)\n"
"  -L          listen after bind\n"
"  -B ADDR     bind to ADDR before connecting/sending\n"
"  -P PORT     bind to PORT before connecting/sending (wildcard without -B)\n"
"  -S SRCADDR  add an IP_PKTINFO (v4 SRCADDR) or IPV6_PKTINFO (v6 SRCADDR)\n"
"              control message selecting the source address\n"
"  -C          connect() first and sendmsg() without msg_name\n"
"  -A          (connect, UDP) sendto() the destination before connect()\n"
"  -6          passfd-server: create an AF_INET6 socket\n"
"  -U FILE     connect-many: after N connections, go on until FILE exists\n"
"\n"
"Output: addresses print as ADDR:PORT (v4) or [ADDR]:PORT (v6). A failed\n"
"socket operation prints \"ERR <ERRNAME>\" (ETIMEDOUT when a wait ran out,\n"
"EOF when the peer closed without replying) and exits 3.\n";

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;
	struct sockaddr_storage ss;
};

struct addr {
	union sockaddr_any u;
	socklen_t len;
};

/* Large enough for one pktinfo (sending) or everything we enable (receiving) */
union cmsg_buf {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) * 4];
	struct cmsghdr align;
};

enum opt_flag {
	OPT_T		= 1 << 0,
	OPT_U		= 1 << 1,
	OPT_V6ONLY	= 1 << 2,
	OPT_R		= 1 << 3,
	OPT_B		= 1 << 4,
	OPT_P		= 1 << 5,
	OPT_S		= 1 << 6,
	OPT_C		= 1 << 7,
	OPT_L		= 1 << 8,
	OPT_N		= 1 << 9,
	OPT_6		= 1 << 10,
	OPT_A		= 1 << 11,
	OPT_UNTIL	= 1 << 12,
};

static const struct {
	const char *name;
	unsigned int flag;
	bool has_arg;
} option_defs[] = {
	{ "-t",		OPT_T,		true },
	{ "-u",		OPT_U,		false },
	{ "-6only",	OPT_V6ONLY,	true },
	{ "-R",		OPT_R,		true },
	{ "-B",		OPT_B,		true },
	{ "-P",		OPT_P,		true },
	{ "-S",		OPT_S,		true },
	{ "-C",		OPT_C,		false },
	{ "-L",		OPT_L,		false },
	{ "-n",		OPT_N,		true },
	{ "-6",		OPT_6,		false },
	{ "-A",		OPT_A,		false },
	{ "-U",		OPT_UNTIL,	true },
};

struct opts {
	struct timeval timeout;		/* -t, zero = unbounded */
	bool udp;			/* -u */
	bool use_v6;			/* -6 */
	bool connect_first;		/* -C */
	bool send_first;		/* -A */
	bool do_listen;			/* -L */
	int v6only;			/* -6only, -1 = system default */
	int bind_port;			/* -P, -1 = not given */
	bool have_bind;			/* -B given */
	struct addr bind;		/* -B */
	bool have_src;			/* -S given */
	struct addr src;		/* -S */
	unsigned long count;		/* -n */
	const char *ready_file;		/* -R */
	const char *until_file;		/* -U */
};

#define ERRNAME(e) { e, #e }
static const struct {
	int err;
	const char *name;
} errnames[] = {
	ERRNAME(EPERM), ERRNAME(ENOENT), ERRNAME(EINTR), ERRNAME(EBADF),
	ERRNAME(EAGAIN), ERRNAME(ENOMEM), ERRNAME(EACCES), ERRNAME(EFAULT),
	ERRNAME(ENODEV), ERRNAME(EINVAL), ERRNAME(ENFILE), ERRNAME(EMFILE),
	ERRNAME(EPIPE), ERRNAME(ENOTSOCK), ERRNAME(EDESTADDRREQ),
	ERRNAME(EMSGSIZE), ERRNAME(EPROTOTYPE), ERRNAME(ENOPROTOOPT),
	ERRNAME(EPROTONOSUPPORT), ERRNAME(ESOCKTNOSUPPORT),
	ERRNAME(EOPNOTSUPP), ERRNAME(EPFNOSUPPORT), ERRNAME(EAFNOSUPPORT),
	ERRNAME(EADDRINUSE), ERRNAME(EADDRNOTAVAIL), ERRNAME(ENETDOWN),
	ERRNAME(ENETUNREACH), ERRNAME(ECONNABORTED), ERRNAME(ECONNRESET),
	ERRNAME(ENOBUFS), ERRNAME(EISCONN), ERRNAME(ENOTCONN),
	ERRNAME(ETIMEDOUT), ERRNAME(ECONNREFUSED), ERRNAME(EHOSTDOWN),
	ERRNAME(EHOSTUNREACH), ERRNAME(EALREADY), ERRNAME(EINPROGRESS),
	ERRNAME(EPROTO),
};

/* ---- reporting ---------------------------------------------------------- */

static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sockprobe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'sockprobe -h' for usage.\n", stderr);
	exit(EXIT_USAGE);
}

static _Noreturn void die_internal(const char *what)
{
	fprintf(stderr, "sockprobe: %s: %s\n", what, strerror(errno));
	exit(EXIT_INTERNAL);
}

/* The socket operation @op failed: "ERR <name>" on stdout, details on stderr */
static _Noreturn void report(const char *op, const char *name, const char *why)
{
	fprintf(stderr, "sockprobe: %s: %s\n", op, why);
	printf("ERR %s\n", name);
	exit(EXIT_SOCKERR);
}

static _Noreturn void fail(const char *op, int err)
{
	char name[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errnames); i++)
		if (errnames[i].err == err)
			report(op, errnames[i].name, strerror(err));
	snprintf(name, sizeof(name), "E%d", err);
	report(op, name, strerror(err));
}

static _Noreturn void fail_eof(const char *op)
{
	report(op, "EOF", "peer closed without replying");
}

/* A bounded wait gives EAGAIN (recv/accept) or EINPROGRESS (connect). */
static int wait_err(int err)
{
	return err == EAGAIN || err == EINPROGRESS ? ETIMEDOUT : err;
}

/* ---- parsing and formatting -------------------------------------------- */

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out <= max;
}

static uint16_t parse_port(const char *s)
{
	unsigned long port;

	if (!parse_ulong(s, 65535, &port))
		usage_error("invalid port '%s'", s);
	return port;
}

static uint16_t get_port(const struct addr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return ntohs(a->u.in4.sin_port);
	return ntohs(a->u.in6.sin6_port);
}

static void set_port(struct addr *a, uint16_t port)
{
	if (a->u.sa.sa_family == AF_INET)
		a->u.in4.sin_port = htons(port);
	else
		a->u.in6.sin6_port = htons(port);
}

/* IPv4 or IPv6 literal (optionally %scope) into @a, usage error if neither */
static void parse_addr(const char *s, uint16_t port, struct addr *a)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	unsigned long scope_id = 0;
	char *scope;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u.in4.sin_addr) == 1) {
		a->u.in4.sin_family = AF_INET;
		a->len = sizeof(a->u.in4);
		set_port(a, port);
		return;
	}
	if (strlen(s) >= sizeof(host))
		usage_error("invalid address '%s'", s);
	strcpy(host, s);
	scope = strchr(host, '%');
	if (scope) {
		*scope++ = '\0';
		scope_id = if_nametoindex(scope);
		if (!scope_id && !parse_ulong(scope, UINT32_MAX, &scope_id))
			usage_error("invalid scope in '%s'", s);
	}
	if (inet_pton(AF_INET6, host, &a->u.in6.sin6_addr) != 1)
		usage_error("invalid address '%s'", s);
	a->u.in6.sin6_family = AF_INET6;
	a->u.in6.sin6_scope_id = scope_id;
	a->len = sizeof(a->u.in6);
	set_port(a, port);
}

static void parse_addr_port(const char *addr, const char *port, struct addr *a)
{
	parse_addr(addr, parse_port(port), a);
}

static void parse_unix(const char *path, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (strlen(path) >= sizeof(a->u.un.sun_path))
		usage_error("unix socket path too long '%s'", path);
	a->u.un.sun_family = AF_UNIX;
	strcpy(a->u.un.sun_path, path);
	a->len = sizeof(a->u.un);
}

/* The address alone, without port or scope (AF_INET or AF_INET6 only) */
static const char *fmt_host(const union sockaddr_any *u, char *buf,
			    socklen_t len)
{
	if (u->sa.sa_family == AF_INET)
		return inet_ntop(AF_INET, &u->in4.sin_addr, buf, len);
	return inet_ntop(AF_INET6, &u->in6.sin6_addr, buf, len);
}

static const char *fmt_addr(const union sockaddr_any *u, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 2] = "";
	unsigned int id;

	switch (u->sa.sa_family) {
	case AF_INET:
		fmt_host(u, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(u->in4.sin_port));
		break;
	case AF_INET6:
		fmt_host(u, host, sizeof(host));
		id = u->in6.sin6_scope_id;
		if (id && !if_indextoname(id, scope + 1))
			snprintf(scope + 1, sizeof(scope) - 1, "%u", id);
		if (id)
			scope[0] = '%';
		snprintf(buf, len, "[%s%s]:%u", host, scope,
			 ntohs(u->in6.sin6_port));
		break;
	default:
		snprintf(buf, len, "AF%u", u->sa.sa_family);
		break;
	}
	return buf;
}

static void print_addr(const char *tag, const union sockaddr_any *u)
{
	char buf[ADDR_STRLEN];

	printf("%s %s\n", tag, fmt_addr(u, buf, sizeof(buf)));
}

static void get_name(int fd, bool peer, struct addr *a)
{
	int ret;

	memset(a, 0, sizeof(*a));
	a->len = sizeof(a->u);
	if (peer)
		ret = getpeername(fd, &a->u.sa, &a->len);
	else
		ret = getsockname(fd, &a->u.sa, &a->len);
	if (ret < 0)
		fail(peer ? "getpeername" : "getsockname", errno);
}

static void print_name(const char *tag, int fd, bool peer)
{
	struct addr a;

	get_name(fd, peer, &a);
	print_addr(tag, &a.u);
}

/* One line of received data: trailing CR/LF dropped, the rest escaped. */
static void print_text(const char *prefix, const char *data, size_t n,
		       const char *suffix)
{
	char out[TEXT_LEN], *p = out;
	size_t i;

	while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	for (i = 0; i < n; i++) {
		unsigned char c = data[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = c;
	}
	*p = '\0';
	printf("%s %s%s\n", prefix, out, suffix);
}

/* Print @line, and if @file is set, also publish it there atomically. */
static void announce(const char *line, const char *file)
{
	char tmp[PATH_MAX];
	FILE *f;

	printf("%s\n", line);
	if (!file)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		die_internal(file);
	}
	f = fopen(tmp, "w");
	if (!f)
		die_internal(tmp);
	fprintf(f, "%s\n", line);
	if (ferror(f) | fclose(f))
		die_internal(tmp);
	if (rename(tmp, file) < 0)
		die_internal(file);
}

/* ---- socket helpers ----------------------------------------------------- */

static void set_opt(int fd, int level, int name, const void *val,
		    socklen_t len, const char *what)
{
	if (setsockopt(fd, level, name, val, len) < 0)
		fail(what, errno);
}

static void set_int_opt(int fd, int level, int name, int val,
			const char *what)
{
	set_opt(fd, level, name, &val, sizeof(val), what);
}

static void set_timeouts(int fd, const struct timeval *tv)
{
	set_opt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, sizeof(*tv), "SO_RCVTIMEO");
	set_opt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, sizeof(*tv), "SO_SNDTIMEO");
}

static int open_socket(int family, int type, const struct opts *o)
{
	int fd = socket(family, type, 0);

	if (fd < 0)
		fail("socket", errno);
	set_timeouts(fd, &o->timeout);
	if (family == AF_INET6 && o->v6only >= 0)
		set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, o->v6only,
			    "IPV6_V6ONLY");
	return fd;
}

static int sock_type(const struct opts *o)
{
	return o->udp ? SOCK_DGRAM : SOCK_STREAM;
}

static void do_bind(int fd, const struct addr *a)
{
	if (bind(fd, &a->u.sa, a->len) < 0)
		fail("bind", errno);
}

/* -B/-P: bind before connecting or sending; -P alone binds the wildcard */
static void bind_local(int fd, const struct opts *o)
{
	socklen_t len = sizeof(int);
	struct addr a;
	int family;

	if (!o->have_bind && o->bind_port < 0)
		return;
	if (o->have_bind) {
		a = o->bind;
	} else {
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0)
			fail("SO_DOMAIN", errno);
		parse_addr(family == AF_INET6 ? "::" : "0.0.0.0", 0, &a);
	}
	set_port(&a, o->bind_port < 0 ? 0 : o->bind_port);
	do_bind(fd, &a);
}

static void put_cmsg(struct msghdr *m, union cmsg_buf *cb, int level,
		     int type, const void *data, size_t len)
{
	struct cmsghdr *c;

	memset(cb, 0, sizeof(*cb));
	m->msg_control = cb->buf;
	m->msg_controllen = CMSG_SPACE(len);
	c = CMSG_FIRSTHDR(m);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
}

/* Source address selection by control message; @src's family picks which */
static void put_pktinfo(struct msghdr *m, union cmsg_buf *cb,
			const struct addr *src)
{
	struct in6_pktinfo pi6 = { 0 };
	struct in_pktinfo pi4 = { 0 };

	if (src->u.sa.sa_family == AF_INET) {
		pi4.ipi_spec_dst = src->u.in4.sin_addr;
		put_cmsg(m, cb, IPPROTO_IP, IP_PKTINFO, &pi4, sizeof(pi4));
	} else {
		pi6.ipi6_addr = src->u.in6.sin6_addr;
		pi6.ipi6_ifindex = src->u.in6.sin6_scope_id;
		put_cmsg(m, cb, IPPROTO_IPV6, IPV6_PKTINFO, &pi6, sizeof(pi6));
	}
}

/* Destination address of a received datagram from its pktinfo, if any */
static bool get_pktinfo(struct msghdr *m, struct addr *dst)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi4;
	struct cmsghdr *c;

	memset(dst, 0, sizeof(*dst));
	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO) {
			memcpy(&pi4, CMSG_DATA(c), sizeof(pi4));
			dst->u.in4.sin_family = AF_INET;
			dst->u.in4.sin_addr = pi4.ipi_addr;
			dst->len = sizeof(dst->u.in4);
			return true;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
			dst->u.in6.sin6_family = AF_INET6;
			dst->u.in6.sin6_addr = pi6.ipi6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
				dst->u.in6.sin6_scope_id = pi6.ipi6_ifindex;
			dst->len = sizeof(dst->u.in6);
			return true;
		}
	}
	return false;
}

/* sendmsg() to @dst (NULL: connected) with source @src (NULL: no cmsg) */
static ssize_t send_dgram(int fd, const char *data, const struct addr *dst,
			  const struct addr *src)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = strlen(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	union cmsg_buf cb;

	if (dst) {
		m.msg_name = (void *)&dst->u;
		m.msg_namelen = dst->len;
	}
	if (src)
		put_pktinfo(&m, &cb, src);
	return sendmsg(fd, &m, 0);
}

/* recvmsg() one datagram; @to (optional) gets its destination address */
static ssize_t recv_dgram(int fd, char *buf, size_t len, struct addr *from,
			  struct addr *to)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_name = &from->u,
		.msg_namelen = sizeof(from->u),
	};
	union cmsg_buf cb;
	ssize_t n;

	memset(from, 0, sizeof(*from));
	m.msg_control = cb.buf;
	m.msg_controllen = sizeof(cb.buf);
	n = recvmsg(fd, &m, 0);
	if (n < 0)
		return n;
	from->len = m.msg_namelen;
	if (to && !get_pktinfo(&m, to))
		get_name(fd, false, to);
	return n;
}

/* Connect @fd to @dst, send hello, print LOCAL, REMOTE and REPLY */
static void talk(int fd, const struct addr *dst)
{
	char buf[BUF_SIZE];
	ssize_t n;

	if (connect(fd, &dst->u.sa, dst->len) < 0)
		fail("connect", wait_err(errno));
	print_name("LOCAL", fd, false);
	print_name("REMOTE", fd, true);
	if (send(fd, HELLO_TEXT, strlen(HELLO_TEXT), 0) < 0)
		fail("send", wait_err(errno));
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		fail("recv", wait_err(errno));
	if (!n)
		fail_eof("recv");
	print_text("REPLY", buf, n, "");
}

/* ---- servers ------------------------------------------------------------ */

/*
 * listen (@verbose) reports a failure after accept() as its result; serve
 * only logs it and goes on with the next client.
 */
static bool conn_ok(bool verbose, const char *op, ssize_t ret)
{
	if (ret >= 0)
		return true;
	if (verbose)
		fail(op, errno);
	fprintf(stderr, "sockprobe: %s: %s\n", op, strerror(errno));
	return false;
}

static void tcp_serve_one(int lfd, const struct opts *o, bool verbose)
{
	struct addr peer = { .len = sizeof(peer.u) };
	char buf[BUF_SIZE];
	ssize_t n;
	int fd;

	fd = accept(lfd, &peer.u.sa, &peer.len);
	if (fd < 0)
		fail("accept", wait_err(errno));
	print_addr("PEER", &peer.u);
	if (verbose)
		print_name("LOCAL", fd, false);
	set_timeouts(fd, &o->timeout);
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && errno == EAGAIN)
		n = 0;		/* no data within the bound: nothing to print */
	if (conn_ok(verbose, "recv", n) && verbose && n > 0)
		print_text("DATA", buf, n, "");
	conn_ok(verbose, "send", send(fd, REPLY_TEXT, strlen(REPLY_TEXT), 0));
	close(fd);
}

static void udp_serve_one(int fd, uint16_t port, bool verbose)
{
	struct addr peer, local;
	char buf[BUF_SIZE];
	ssize_t n;

	n = recv_dgram(fd, buf, sizeof(buf), &peer, &local);
	if (n < 0)
		fail("recvmsg", wait_err(errno));
	set_port(&local, port);
	print_addr("PEER", &peer.u);
	if (verbose) {
		print_addr("LOCAL", &local.u);
		print_text("DATA", buf, n, "");
	}
	/* answer from the address the datagram was sent to */
	conn_ok(verbose, "sendmsg", send_dgram(fd, REPLY_TEXT, &peer, &local));
}

static void on_sigterm(int sig)
{
	(void)sig;
	_exit(0);
}

/* The bound (TCP: listening) socket of a server, announced with BOUND */
static int server_socket(const struct opts *o, char **argv, struct addr *a)
{
	static const struct timeval unbounded;
	char line[LINE_LEN], name[ADDR_STRLEN];
	int fd;

	parse_addr_port(argv[0], argv[1], a);
	fd = open_socket(a->u.sa.sa_family, sock_type(o), o);
	if (!o->udp)
		set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	else if (a->u.sa.sa_family == AF_INET)
		set_int_opt(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
	else
		set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1,
			    "IPV6_RECVPKTINFO");
	do_bind(fd, a);
	if (!o->udp && listen(fd, SOMAXCONN) < 0)
		fail("listen", errno);
	if (!o->count)
		set_timeouts(fd, &unbounded);	/* wait for clients forever */
	get_name(fd, false, a);
	snprintf(line, sizeof(line), "BOUND %s",
		 fmt_addr(&a->u, name, sizeof(name)));
	announce(line, o->ready_file);
	return fd;
}

static void run_server(const struct opts *o, char **argv, bool verbose)
{
	struct addr a;
	unsigned long i;
	int fd;

	signal(SIGTERM, on_sigterm);
	fd = server_socket(o, argv, &a);
	for (i = 0; !o->count || i < o->count; i++) {
		if (o->udp)
			udp_serve_one(fd, get_port(&a), verbose);
		else
			tcp_serve_one(fd, o, verbose);
	}
	close(fd);
}

/* ---- counting by address (tally, connect-many) ------------------------- */

/* Connections counted by address: port ignored, v4-mapped counted as v4 */
struct tally {
	struct tally_entry {
		union sockaddr_any addr;
		unsigned long count;
	} *entries;
	size_t len, cap;
	unsigned long total;
};

static void tally_add(struct tally *t, const union sockaddr_any *u)
{
	union sockaddr_any key = { 0 };
	size_t i;

	key.sa.sa_family = u->sa.sa_family;
	if (u->sa.sa_family == AF_INET) {
		key.in4.sin_addr = u->in4.sin_addr;
	} else if (IN6_IS_ADDR_V4MAPPED(&u->in6.sin6_addr)) {
		key.sa.sa_family = AF_INET;
		memcpy(&key.in4.sin_addr, &u->in6.sin6_addr.s6_addr[12], 4);
	} else {
		key.in6.sin6_addr = u->in6.sin6_addr;
	}
	t->total++;
	for (i = 0; i < t->len; i++) {
		if (!memcmp(&t->entries[i].addr, &key, sizeof(key))) {
			t->entries[i].count++;
			return;
		}
	}
	if (t->len == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->entries = realloc(t->entries, t->cap * sizeof(*t->entries));
		if (!t->entries)
			die_internal("realloc");
	}
	t->entries[t->len].addr = key;
	t->entries[t->len++].count = 1;
}

/* "@tag ADDR N" per address in order of appearance, then "@total_tag N" */
static void tally_print(const struct tally *t, const char *tag,
			const char *total_tag)
{
	char host[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < t->len; i++)
		printf("%s %s %lu\n", tag,
		       fmt_host(&t->entries[i].addr, host, sizeof(host)),
		       t->entries[i].count);
	printf("%s %lu\n", total_tag, t->total);
	free(t->entries);
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = sig;
}

/*
 * Wait for a client on @fd with the stop signals unblocked (@mask) only
 * while waiting, so none is lost between the check and the wait. False
 * when a stop signal arrived; a wait that ran out fails.
 */
static bool wait_client(int fd, const struct timeval *tv, const sigset_t *mask)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec ts = { tv->tv_sec, tv->tv_usec * 1000 };
	int n;

	n = ppoll(&p, 1, tv->tv_sec || tv->tv_usec ? &ts : NULL, mask);
	if (n < 0 && errno == EINTR)
		return !stop_requested;
	if (n < 0)
		fail("ppoll", errno);
	if (!n)
		fail("accept", ETIMEDOUT);
	return true;
}

/*
 * One connection of connect-many: the server closes first and so keeps the
 * TIME_WAIT state, and thousands of connections in a row do not use up
 * this side's ephemeral ports. Returns 0 or the error.
 */
static int connect_once(const struct opts *o, const struct addr *dst,
			struct tally *local)
{
	char buf[BUF_SIZE];
	struct addr a;
	ssize_t n;
	int fd, err = 0;

	fd = open_socket(dst->u.sa.sa_family, SOCK_STREAM, o);
	if (connect(fd, &dst->u.sa, dst->len) < 0) {
		err = wait_err(errno);
		goto out;
	}
	get_name(fd, false, &a);
	tally_add(local, &a.u);
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		;
	if (n < 0)
		err = wait_err(errno);
out:
	close(fd);
	return err;
}

/* ---- commands ----------------------------------------------------------- */

static void cmd_listen(struct opts *o, char **argv)
{
	run_server(o, argv, true);
}

static void cmd_serve(struct opts *o, char **argv)
{
	run_server(o, argv, false);
}

static void cmd_tally(struct opts *o, char **argv)
{
	static const struct timeval unbounded;
	struct sigaction sa = { .sa_handler = on_stop };
	struct tally t = { 0 };
	sigset_t stop, waiting;
	struct addr a;
	int fd, cfd;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, &waiting);
	sigaction(SIGTERM, &sa, NULL);	/* no SA_RESTART: ppoll() returns */
	sigaction(SIGINT, &sa, NULL);
	fd = server_socket(o, argv, &a);
	while ((!o->count || t.total < o->count) &&
	       wait_client(fd, o->count ? &o->timeout : &unbounded, &waiting)) {
		a.len = sizeof(a.u);
		cfd = accept(fd, &a.u.sa, &a.len);
		if (!conn_ok(false, "accept", cfd))
			continue;
		tally_add(&t, &a.u);
		close(cfd);
	}
	close(fd);
	tally_print(&t, "PEER", "TOTAL");
}

static void cmd_connect_many(struct opts *o, char **argv)
{
	unsigned long n, i, failed = 0;
	struct tally local = { 0 };
	struct addr dst;
	int err, first_err = 0;

	if (!parse_ulong(argv[0], ULONG_MAX, &n))
		usage_error("invalid count '%s'", argv[0]);
	parse_addr_port(argv[1], argv[2], &dst);
	printf("STARTED\n");
	for (i = 0; i < n || (o->until_file && access(o->until_file, F_OK));
	     i++) {
		err = connect_once(o, &dst, &local);
		if (err && !failed++)
			first_err = err;
	}
	tally_print(&local, "LOCAL", "CONNECTED");
	if (failed) {
		printf("FAILED %lu\n", failed);
		fail("connect-many", first_err);
	}
}

static void cmd_bind(struct opts *o, char **argv)
{
	struct addr a;
	int fd;

	parse_addr_port(argv[0], argv[1], &a);
	fd = open_socket(a.u.sa.sa_family, sock_type(o), o);
	do_bind(fd, &a);
	if (o->do_listen && listen(fd, SOMAXCONN) < 0)
		fail("listen", errno);
	print_name("BOUND", fd, false);
	close(fd);
}

static void cmd_connect(struct opts *o, char **argv)
{
	struct addr dst;
	int fd;

	parse_addr_port(argv[0], argv[1], &dst);
	fd = open_socket(dst.u.sa.sa_family, sock_type(o), o);
	bind_local(fd, o);
	/* -A: the kernel autobinds a port (no address) on this send */
	if (o->send_first &&
	    sendto(fd, HELLO_TEXT, strlen(HELLO_TEXT), 0, &dst.u.sa, dst.len) < 0)
		fail("sendto", errno);
	talk(fd, &dst);
	close(fd);
}

static void cmd_sendto(struct opts *o, char **argv)
{
	char buf[BUF_SIZE], name[ADDR_STRLEN], suffix[ADDR_STRLEN + 8];
	struct addr dst, from;
	ssize_t n;
	int fd;

	parse_addr_port(argv[0], argv[1], &dst);
	fd = open_socket(dst.u.sa.sa_family, SOCK_DGRAM, o);
	bind_local(fd, o);
	if (o->connect_first && connect(fd, &dst.u.sa, dst.len) < 0)
		fail("connect", errno);
	n = send_dgram(fd, HELLO_TEXT, o->connect_first ? NULL : &dst,
		       o->have_src ? &o->src : NULL);
	if (n < 0)
		fail("sendmsg", wait_err(errno));
	print_name("SENT", fd, false);
	n = recv_dgram(fd, buf, sizeof(buf), &from, NULL);
	if (n < 0)
		fail("recvmsg", wait_err(errno));
	snprintf(suffix, sizeof(suffix), " FROM %s",
		 fmt_addr(&from.u, name, sizeof(name)));
	print_text("REPLY", buf, n, suffix);
	close(fd);
}

static void cmd_socket(struct opts *o, char **argv)
{
	static const struct {
		const char *kind;
		int family, type, proto;
	} kinds[] = {
		{ "raw4",	 AF_INET,  SOCK_RAW,    IPPROTO_ICMP },
		{ "raw6",	 AF_INET6, SOCK_RAW,    IPPROTO_ICMPV6 },
		{ "packet",	 AF_PACKET, SOCK_RAW,   0 },
		{ "packetdgram", AF_PACKET, SOCK_DGRAM, 0 },
		{ "ping4",	 AF_INET,  SOCK_DGRAM,  IPPROTO_ICMP },
		{ "ping6",	 AF_INET6, SOCK_DGRAM,  IPPROTO_ICMPV6 },
		{ "sctp",	 AF_INET,  SOCK_STREAM, IPPROTO_SCTP },
		{ "tcp4",	 AF_INET,  SOCK_STREAM, 0 },
		{ "tcp6",	 AF_INET6, SOCK_STREAM, 0 },
		{ "udp4",	 AF_INET,  SOCK_DGRAM,  0 },
		{ "udp6",	 AF_INET6, SOCK_DGRAM,  0 },
	};
	size_t i;
	int fd, proto;

	(void)o;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strcmp(argv[0], kinds[i].kind))
			continue;
		proto = kinds[i].proto;
		if (kinds[i].family == AF_PACKET)
			proto = htons(ETH_P_ALL);
		fd = socket(kinds[i].family, kinds[i].type, proto);
		if (fd < 0)
			fail("socket", errno);
		printf("OK\n");
		close(fd);
		return;
	}
	usage_error("unknown socket kind '%s'", argv[0]);
}

static void cmd_passfd_server(struct opts *o, char **argv)
{
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	union cmsg_buf cb;
	struct addr path;
	int fd, ufd, cfd;

	parse_unix(argv[0], &path);
	fd = open_socket(o->use_v6 ? AF_INET6 : AF_INET, sock_type(o), o);
	ufd = open_socket(AF_UNIX, SOCK_STREAM, o);
	unlink(path.u.un.sun_path);
	do_bind(ufd, &path);
	if (listen(ufd, 1) < 0)
		fail("listen", errno);
	announce("READY", o->ready_file);
	cfd = accept(ufd, NULL, NULL);
	if (cfd < 0)
		fail("accept", wait_err(errno));
	unlink(path.u.un.sun_path);
	put_cmsg(&m, &cb, SOL_SOCKET, SCM_RIGHTS, &fd, sizeof(fd));
	if (sendmsg(cfd, &m, 0) < 0)
		fail("sendmsg", wait_err(errno));
	printf("SENT\n");
	close(cfd);
	close(ufd);
	close(fd);
}

static int recv_fd(int ufd)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	union cmsg_buf cb;
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	m.msg_control = cb.buf;
	m.msg_controllen = sizeof(cb.buf);
	n = recvmsg(ufd, &m, MSG_CMSG_CLOEXEC);
	if (n < 0)
		fail("recvmsg", wait_err(errno));
	if (!n)
		fail_eof("recvmsg");
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(fd)))
		fail("recvmsg: no SCM_RIGHTS", EPROTO);
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

static void cmd_passfd_client(struct opts *o, char **argv)
{
	struct addr path, dst;
	int ufd, fd;

	parse_unix(argv[0], &path);
	parse_addr_port(argv[1], argv[2], &dst);
	ufd = open_socket(AF_UNIX, SOCK_STREAM, o);
	if (connect(ufd, &path.u.sa, path.len) < 0)
		fail("connect", wait_err(errno));
	fd = recv_fd(ufd);
	close(ufd);
	set_timeouts(fd, &o->timeout);
	bind_local(fd, o);
	talk(fd, &dst);
	close(fd);
}

/* ---- command line ------------------------------------------------------- */

static const struct command {
	const char *name;
	unsigned int opts;
	int nargs;
	void (*run)(struct opts *o, char **argv);
} commands[] = {
	{ "listen",	   OPT_U | OPT_V6ONLY | OPT_R, 2, cmd_listen },
	{ "serve",	   OPT_U | OPT_V6ONLY | OPT_R | OPT_N, 2, cmd_serve },
	{ "bind",	   OPT_U | OPT_V6ONLY | OPT_L, 2, cmd_bind },
	{ "connect",	   OPT_U | OPT_V6ONLY | OPT_B | OPT_P | OPT_A, 2,
			   cmd_connect },
	{ "sendto",	   OPT_V6ONLY | OPT_B | OPT_P | OPT_S | OPT_C, 2,
			   cmd_sendto },
	{ "socket",	   0, 1, cmd_socket },
	{ "passfd-server", OPT_6 | OPT_U | OPT_V6ONLY | OPT_R, 1,
			   cmd_passfd_server },
	{ "passfd-client", OPT_B | OPT_P, 3, cmd_passfd_client },
	{ "tally",	   OPT_V6ONLY | OPT_R | OPT_N, 2, cmd_tally },
	{ "connect-many",  OPT_V6ONLY | OPT_UNTIL, 3, cmd_connect_many },
};

static void parse_timeout(const char *s, struct timeval *tv)
{
	char *end;
	double t;

	errno = 0;
	t = strtod(s, &end);
	if (errno || end == s || *end || !(t >= 0 && t <= 1e6))
		usage_error("invalid timeout '%s'", s);
	tv->tv_sec = (time_t)t;
	tv->tv_usec = (suseconds_t)((t - (double)tv->tv_sec) * 1e6);
	if (t > 0 && !tv->tv_sec && !tv->tv_usec)
		tv->tv_usec = 1;
}

static void apply_opt(struct opts *o, unsigned int flag, const char *arg)
{
	unsigned long val;

	switch (flag) {
	case OPT_T:
		parse_timeout(arg, &o->timeout);
		break;
	case OPT_U:
		o->udp = true;
		break;
	case OPT_A:
		o->send_first = true;
		break;
	case OPT_V6ONLY:
		if (!parse_ulong(arg, 1, &val))
			usage_error("-6only takes 0 or 1, not '%s'", arg);
		o->v6only = val;
		break;
	case OPT_R:
		o->ready_file = arg;
		break;
	case OPT_B:
		parse_addr(arg, 0, &o->bind);
		o->have_bind = true;
		break;
	case OPT_P:
		o->bind_port = parse_port(arg);
		break;
	case OPT_S:
		parse_addr(arg, 0, &o->src);
		o->have_src = true;
		break;
	case OPT_C:
		o->connect_first = true;
		break;
	case OPT_L:
		o->do_listen = true;
		break;
	case OPT_N:
		if (!parse_ulong(arg, ULONG_MAX, &o->count))
			usage_error("invalid count '%s'", arg);
		break;
	case OPT_6:
		o->use_v6 = true;
		break;
	case OPT_UNTIL:
		o->until_file = arg;
		break;
	}
}

/* Consume the options allowed by @allowed from argv[*idx]; stop at the rest */
static void parse_opts(int argc, char **argv, int *idx, unsigned int allowed,
		       struct opts *o)
{
	size_t i;

	while (*idx < argc && argv[*idx][0] == '-' && argv[*idx][1]) {
		const char *arg = argv[(*idx)++];
		if (!strcmp(arg, "--"))
			return;
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage_text, stdout);
			exit(0);
		}
		for (i = 0; i < ARRAY_SIZE(option_defs); i++)
			if (!strcmp(arg, option_defs[i].name))
				break;
		if (i == ARRAY_SIZE(option_defs) ||
		    !(option_defs[i].flag & allowed))
			usage_error("unknown option '%s'", arg);
		if (option_defs[i].has_arg && *idx >= argc)
			usage_error("option '%s' needs an argument", arg);
		apply_opt(o, option_defs[i].flag,
			  option_defs[i].has_arg ? argv[(*idx)++] : NULL);
	}
}

int main(int argc, char **argv)
{
	struct opts o = {
		.timeout = { .tv_sec = 10 },
		.v6only = -1,
		.bind_port = -1,
		.count = 1,
	};
	const struct command *cmd = NULL;
	int idx = 1;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	parse_opts(argc, argv, &idx, OPT_T, &o);
	if (idx >= argc)
		usage_error("missing command");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[idx], commands[i].name))
			cmd = &commands[i];
	if (!cmd)
		usage_error("unknown command '%s'", argv[idx]);
	idx++;
	parse_opts(argc, argv, &idx, cmd->opts | OPT_T, &o);
	if (argc - idx != cmd->nargs)
		usage_error("%s takes %d argument%s", cmd->name, cmd->nargs,
			    cmd->nargs == 1 ? "" : "s");
	cmd->run(&o, argv + idx);
	return 0;
}
