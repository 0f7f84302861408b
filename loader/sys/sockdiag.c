// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "sys/sockdiag.h"
#include "sys/util.h"

struct match {
	int family;
	unsigned char addr[16]; /* as it appears in idiag_src for that family */
	bool found;
	char *conn; /* sd_established: the first match, "LOCAL -> REMOTE" */
	size_t conn_len;
};

static void endpoint(int family, const __be32 *a, __be16 port, char *buf, size_t n)
{
	char s[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, a, s, sizeof(s));
	snprintf(buf, n, family == AF_INET6 ? "[%s]:%u" : "%s:%u", s, ntohs(port));
}

static int on_socket(const struct nlmsghdr *nlh, void *arg)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct match *x = arg;

	if (m->idiag_family == x->family &&
	    !memcmp(m->id.idiag_src, x->addr, x->family == AF_INET ? 4 : 16) && !x->found) {
		x->found = true;
		if (x->conn) {
			char l[INET6_ADDRSTRLEN + 8], r[INET6_ADDRSTRLEN + 8];

			endpoint(m->idiag_family, m->id.idiag_src, m->id.idiag_sport, l, sizeof(l));
			endpoint(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport, r, sizeof(r));
			snprintf(x->conn, x->conn_len, "%s -> %s", l, r);
		}
	}
	return MNL_CB_OK;
}

/* Sockets that have sent their FIN can use the address no more: a detached
 * instance's connections closing (or in TIME_WAIT) must not keep its VIP
 * from being attached again. Everything else counts, unconnected too. */
#define CLOSING_STATES                                                                 \
	((1u << TCP_FIN_WAIT1) | (1u << TCP_FIN_WAIT2) | (1u << TCP_TIME_WAIT) |           \
	 (1u << TCP_LAST_ACK) | (1u << TCP_CLOSING))

/*
 * The kernel filters the dump by local address (inet_diag bytecode, one
 * INET_DIAG_BC_S_COND: any port, the whole address), so only the sockets on
 * it are formatted and copied, not every socket of the node. "yes" goes on
 * to the end of the program (keep the socket), "no" 4 bytes past it (drop).
 */
static void put_filter(struct nlmsghdr *nlh, const struct match *x)
{
	size_t alen = x->family == AF_INET ? 4 : 16;
	struct {
		struct inet_diag_bc_op op;
		struct inet_diag_hostcond cond;
		__be32 addr[4];
	} bc = {};
	size_t len = sizeof(bc.op) + sizeof(bc.cond) + alen;

	bc.op.code = INET_DIAG_BC_S_COND;
	bc.op.yes = (unsigned char)len;
	bc.op.no = (unsigned short)(len + 4);
	bc.cond.family = (__u8)x->family;
	bc.cond.prefix_len = (__u8)(alen * 8);
	bc.cond.port = -1;
	memcpy(bc.addr, x->addr, alen);
	mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, len, &bc);
}

/* Dumps the sockets of one family and protocol in the given states, those
 * with x's address only (x NULL: all), to cb. */
static int dump(struct mnl_socket *nl, int family, const struct match *x, int protocol,
		__u32 states, mnl_cb_t cb, void *arg, char *err)
{
	char buf[32768]; /* MNL_SOCKET_BUFFER_SIZE is not a constant */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	unsigned int seq = (unsigned int)time(NULL), portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (__u8)family;
	req->sdiag_protocol = (__u8)protocol;
	req->idiag_states = states;
	if (x)
		put_filter(nlh, x);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return vni_err(err, -errno, "sock_diag: %s", strerror(errno));
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return vni_err(err, -errno, "sock_diag: %s", strerror(errno));
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, arg);
	} while (ret > 0);
	/* a protocol without diag support (module not loaded) has no sockets to show */
	if (ret < 0 && errno != ENOENT)
		return vni_err(err, -errno, "sock_diag: %s", strerror(errno));
	return 0;
}

/* The sockets of nprotocols protocols in the given states with addr as local address. */
static int find(int family, const void *addr, const int *protocols, int nprotocols, __u32 states,
		char *conn, size_t conn_len, char *err)
{
	struct mnl_socket *nl;
	struct match x[2] = { { .conn = conn, .conn_len = conn_len },
			      { .conn = conn, .conn_len = conn_len } };
	int i, p, nx = 1, ret = 0;

	x[0].family = family;
	memcpy(x[0].addr, addr, family == AF_INET ? 4 : 16);
	if (family == AF_INET) { /* dual-stack sockets hold v4 as ::ffff:a.b.c.d */
		x[1].family = AF_INET6;
		x[1].addr[10] = x[1].addr[11] = 0xff;
		memcpy(x[1].addr + 12, addr, 4);
		nx = 2;
	}
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = vni_err(err, -errno, "sock_diag: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < nx && !ret && !x[0].found; i++)
		for (p = 0; p < nprotocols && !ret && !x[i].found; p++)
			ret = dump(nl, x[i].family, &x[i], protocols[p], states, on_socket, &x[i],
				   err);
	if (!ret)
		ret = x[0].found || x[1].found;
out:
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

int sd_addr_in_use(int family, const void *addr, char *err)
{
	static const int protocols[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE };

	return find(family, addr, protocols, 3, ~CLOSING_STATES, NULL, 0, err);
}

int sd_established(int family, const void *addr, char *conn, size_t n, char *err)
{
	static const int tcp[] = { IPPROTO_TCP };

	return find(family, addr, tcp, 1,
		    (1u << TCP_ESTABLISHED) | (1u << TCP_SYN_RECV) | (1u << TCP_CLOSE_WAIT), conn,
		    n, err);
}

struct each {
	int (*fn)(int family, const void *addr, void *arg);
	void *arg;
	int ret;
};

static int on_any(const struct nlmsghdr *nlh, void *arg)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	const unsigned char *a = (const unsigned char *)m->id.idiag_src;
	struct each *e = arg;

	if (e->ret)
		return MNL_CB_OK;
	if (m->idiag_family == AF_INET6 && !memcmp(a, mapped, sizeof(mapped)))
		e->ret = e->fn(AF_INET, a + 12, e->arg);
	else
		e->ret = e->fn(m->idiag_family, a, e->arg);
	return MNL_CB_OK;
}

int sd_each_local_addr(int (*fn)(int family, const void *addr, void *arg), void *arg, char *err)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const int protocols[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE };
	struct each e = { fn, arg, 0 };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	int ret = 0;
	size_t f, p;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		ret = vni_err(err, -errno, "sock_diag: %s", strerror(errno));
	for (f = 0; f < 2 && !ret && !e.ret; f++)
		for (p = 0; p < 3 && !ret && !e.ret; p++)
			ret = dump(nl, families[f], NULL, protocols[p], ~CLOSING_STATES, on_any, &e,
				   err);
	if (nl)
		mnl_socket_close(nl);
	return ret ? ret : e.ret;
}
