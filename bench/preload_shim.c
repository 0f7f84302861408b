// SPDX-License-Identifier: GPL-2.0-only
/*
 * preload_shim: the classic LD_PRELOAD way to force one IPv4 source address,
 * for comparison with the eBPF hooks.
 *
 * VNI_SHIM_ADDR=A.B.C.D (read once at load; unset means no-op):
 *  - bind() to 0.0.0.0 becomes a bind to A.B.C.D (same port); a bind to any
 *    other non-loopback address fails with EPERM;
 *  - connect() of an unbound TCP/UDP socket first binds it to A.B.C.D:0;
 *  - sendto()/sendmsg() with a destination on an unbound UDP socket too.
 * Loopback destinations (127/8) are left alone.
 *
 * Limits of the technique: static binaries, raw syscalls and libc-internal
 * calls (e.g. the DNS resolver) bypass it.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* glibc declares the sockaddr arguments as a transparent union (_GNU_SOURCE) */
#define SA(arg)	((arg).__sockaddr__)

static int (*real_bind)(int, __CONST_SOCKADDR_ARG, socklen_t);
static int (*real_connect)(int, __CONST_SOCKADDR_ARG, socklen_t);
static ssize_t (*real_sendto)(int, const void *, size_t, int,
			      __CONST_SOCKADDR_ARG, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);

static struct in_addr shim_addr;
static bool shim_on;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;

static void *resolve(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn) {
		fprintf(stderr, "preload_shim: cannot resolve %s: %s\n", name,
			dlerror());
		abort();
	}
	return fn;
}

static void shim_init(void)
{
	const char *env = getenv("VNI_SHIM_ADDR");

	real_bind = resolve("bind");
	real_connect = resolve("connect");
	real_sendto = resolve("sendto");
	real_sendmsg = resolve("sendmsg");

	if (!env || !*env)
		return;
	if (inet_pton(AF_INET, env, &shim_addr) != 1) {
		fprintf(stderr, "preload_shim: VNI_SHIM_ADDR='%s' is not an IPv4 address, shim disabled\n",
			env);
		return;
	}
	shim_on = true;
}

__attribute__((constructor)) static void shim_ctor(void)
{
	pthread_once(&shim_once, shim_init);
}

/* Another library's constructor may call us before shim_ctor() ran. */
static inline void shim_ready(void)
{
	pthread_once(&shim_once, shim_init);
}

static bool is_loopback(struct in_addr a)
{
	return (ntohl(a.s_addr) >> 24) == IN_LOOPBACKNET;
}

/* An IPv4 address worth acting on: AF_INET, complete, not loopback. */
static bool is_remote_inet(const struct sockaddr *sa, socklen_t len)
{
	return sa && len >= sizeof(struct sockaddr_in) &&
	       sa->sa_family == AF_INET &&
	       !is_loopback(((const struct sockaddr_in *)sa)->sin_addr);
}

/*
 * Bind fd to shim_addr:0 if it is an AF_INET socket of an accepted protocol
 * with no local address or port yet. Returns 0, or -1 with errno from bind().
 */
static int autobind(int fd, bool tcp_ok)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int proto;
	socklen_t plen = sizeof(proto);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) ||
	    sin.sin_family != AF_INET || sin.sin_port ||
	    sin.sin_addr.s_addr != htonl(INADDR_ANY))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &plen) ||
	    !(proto == IPPROTO_UDP || (tcp_ok && proto == IPPROTO_TCP)))
		return 0;
	sin.sin_addr = shim_addr;
	return real_bind(fd, &sin, sizeof(sin));
}

/* Auto-bind before sending to dst; false (errno set) if that failed. */
static bool prepare_send(int fd, const struct sockaddr *dst, socklen_t len,
			 bool tcp_ok)
{
	return !shim_on || !is_remote_inet(dst, len) || !autobind(fd, tcp_ok);
}

int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	const struct sockaddr_in *want = (const struct sockaddr_in *)SA(addr);
	struct sockaddr_in sin;

	shim_ready();
	if (!shim_on || !want || len < sizeof(sin) ||
	    want->sin_family != AF_INET || is_loopback(want->sin_addr) ||
	    want->sin_addr.s_addr == shim_addr.s_addr)
		return real_bind(fd, addr, len);
	if (want->sin_addr.s_addr != htonl(INADDR_ANY)) {
		errno = EPERM;
		return -1;
	}
	sin = *want;
	sin.sin_addr = shim_addr;
	return real_bind(fd, &sin, sizeof(sin));
}

int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	shim_ready();
	if (!prepare_send(fd, SA(addr), len, true))
		return -1;
	return real_connect(fd, addr, len);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags,
	       __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	shim_ready();
	if (!prepare_send(fd, SA(addr), len, false))
		return -1;
	return real_sendto(fd, buf, n, flags, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	shim_ready();
	if (msg && !prepare_send(fd, msg->msg_name, msg->msg_namelen, false))
		return -1;
	return real_sendmsg(fd, msg, flags);
}
