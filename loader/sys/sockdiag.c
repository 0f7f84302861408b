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
	const struct sd_addr *addrs; /* the addresses asked about */
	size_t n;
	size_t found; /* 1 + the index of the first one a socket has, or 0 */
	char *conn; /* sd_established: the first match, "LOCAL -> REMOTE" */
	size_t conn_len;
};

static void endpoint(int family, const __be32 *a, __be16 port, char *buf, size_t n)
{
	char s[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, a, s, sizeof(s));
	snprintf(buf, n, family == AF_INET6 ? "[%s]:%u" : "%s:%u", s, ntohs(port));
}

/* Which of the addresses a socket's local address is (v4 also as
 * ::ffff:a.b.c.d): 1 + its index, 0 for none. */
static size_t which(const struct match *x, int family, const __be32 *src)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	size_t i;

	for (i = 0; i < x->n; i++) {
		const struct sd_addr *a = &x->addrs[i];

		if (a->family == family && !memcmp(src, a->addr, family == AF_INET ? 4 : 16))
			return i + 1;
		if (a->family == AF_INET && family == AF_INET6 && !memcmp(src, mapped, 12) &&
		    !memcmp(src + 3, a->addr, 4))
			return i + 1;
	}
	return 0;
}

/* The kernel's filter let only sockets on the addresses through. */
static int on_socket(const struct nlmsghdr *nlh, void *arg)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct match *x = arg;

	if (x->found)
		return MNL_CB_OK;
	x->found = which(x, m->idiag_family, m->id.idiag_src);
	if (x->found && x->conn) {
		char l[INET6_ADDRSTRLEN + 8], r[INET6_ADDRSTRLEN + 8];

		endpoint(m->idiag_family, m->id.idiag_src, m->id.idiag_sport, l, sizeof(l));
		endpoint(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport, r, sizeof(r));
		snprintf(x->conn, x->conn_len, "%s -> %s", l, r);
	}
	return MNL_CB_OK;
}

/* Sockets that have sent their FIN can use the address no more: a detached
 * instance's connections closing (or in TIME_WAIT) must not keep its VIP
 * from being attached again. Everything else counts, unconnected too. */
#define CLOSING_STATES                                                                 \
	((1u << TCP_FIN_WAIT1) | (1u << TCP_FIN_WAIT2) | (1u << TCP_TIME_WAIT) |           \
	 (1u << TCP_LAST_ACK) | (1u << TCP_CLOSING))

/* What to dump: the protocol, the family (AF_UNSPEC: both), the states and
 * the local addresses (none: every socket). */
struct query {
	int protocol, family;
	__u32 states;
	const struct sd_addr *addrs;
	size_t n;
};

/*
 * The kernel filters the dump by local address (inet_diag bytecode), so only
 * the sockets on them are formatted and copied, not every socket of the
 * node. One INET_DIAG_BC_S_COND per address (any port, the whole address;
 * an IPv4 one also matches a dual-stack socket's ::ffff:a.b.c.d), laid out
 * as ss(8) does "A or B": a match goes on ("yes") to a jump to the end (keep
 * the socket), a miss ("no") skips that jump to the next condition; the last
 * one's match is the end, its miss 4 bytes past it (drop). The kernel wants
 * every "no" to land on an instruction the chain of "yes" reaches.
 */
static void put_filter(struct nlmsghdr *nlh, const struct query *q)
{
	struct cond {
		struct inet_diag_bc_op op;
		struct inet_diag_hostcond cond;
		__be32 addr[4];
	};
	unsigned char bc[SD_ADDRS_MAX * (sizeof(struct cond) + sizeof(struct inet_diag_bc_op))] = {};
	size_t i, off = 0, len = 0, alen;

	for (i = 0; i < q->n; i++)
		len += sizeof(struct inet_diag_bc_op) * (i ? 2 : 1) + sizeof(struct inet_diag_hostcond) +
		       (q->addrs[i].family == AF_INET ? 4 : 16);
	for (i = 0; i < q->n; i++) {
		struct cond *c = (struct cond *)(bc + off);
		size_t size;

		alen = q->addrs[i].family == AF_INET ? 4 : 16;
		size = sizeof(c->op) + sizeof(c->cond) + alen;
		c->op.code = INET_DIAG_BC_S_COND;
		c->op.yes = (unsigned char)size;
		c->op.no = (unsigned short)(size + 4);
		c->cond.family = (__u8)q->addrs[i].family;
		c->cond.prefix_len = (__u8)(alen * 8);
		c->cond.port = -1;
		memcpy(c->addr, q->addrs[i].addr, alen);
		off += size;
		if (i + 1 < q->n) {
			struct inet_diag_bc_op *jmp = (struct inet_diag_bc_op *)(bc + off);

			jmp->code = INET_DIAG_BC_JMP;
			jmp->yes = 4;
			jmp->no = (unsigned short)(len - off);
			off += sizeof(*jmp);
		}
	}
	mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, len, bc);
}

/*
 * The request. TCP of both families goes in the old TCPDIAG_GETSOCK form,
 * whose dump is not limited to one family: every TCP dump walks the whole
 * established hash (262,144 buckets here, whatever the namespace holds), and
 * one walk instead of one per family is most of an attach's socket check.
 */
static void put_request(struct nlmsghdr *nlh, const struct query *q)
{
	if (q->family == AF_UNSPEC) {
		struct inet_diag_req *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		req->idiag_states = q->states;
	} else {
		struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req->sdiag_family = (__u8)q->family;
		req->sdiag_protocol = (__u8)q->protocol;
		req->idiag_states = q->states;
	}
	if (q->n)
		put_filter(nlh, q);
}

/* Dumps the sockets q asks for to cb. */
static int dump(struct mnl_socket *nl, const struct query *q, mnl_cb_t cb, void *arg, char *err)
{
	char buf[32768]; /* MNL_SOCKET_BUFFER_SIZE is not a constant */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned int seq = (unsigned int)time(NULL), portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	put_request(nlh, q);
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

static struct mnl_socket *open_diag(char *err)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0)
		return nl;
	vni_err(err, -errno, "sock_diag: %s", strerror(errno));
	if (nl)
		mnl_socket_close(nl);
	return NULL;
}

/*
 * What can hold an address that is not local yet: TCP listeners, and every
 * UDP and UDP-Lite socket, connected or not. TCP connections are left out:
 * one with such an address as its local one exists only by IP_TRANSPARENT
 * (IP_FREEBIND alone gets no route from a non-local source) or is a
 * detached instance's, and it holds its one 4-tuple,
 * nothing more. Counting them made every attach walk all buckets of the
 * established hash (262,144 here: 160 us; the listeners' hash: 16 us). A TCP
 * socket bound but not listening is not counted either: the kernel lists
 * those (TCP_BOUND_INACTIVE, 6.8 and later) only with a walk of the whole
 * bind hash, and it holds one port, not the address's traffic.
 */
#define HOLDING_TCP (1u << TCP_LISTEN)
#define HOLDING_UDP (~CLOSING_STATES)

/* TCP (both families at once), then UDP and UDP-Lite of each family (a
 * v4 address: of both, dual-stack sockets hold it too) */
static const struct query protocols[] = {
	{ .protocol = IPPROTO_TCP, .family = AF_UNSPEC, .states = HOLDING_TCP },
	{ .protocol = IPPROTO_UDP, .family = AF_INET, .states = HOLDING_UDP },
	{ .protocol = IPPROTO_UDP, .family = AF_INET6, .states = HOLDING_UDP },
	{ .protocol = IPPROTO_UDPLITE, .family = AF_INET, .states = HOLDING_UDP },
	{ .protocol = IPPROTO_UDPLITE, .family = AF_INET6, .states = HOLDING_UDP },
};

/* The first of the n addresses a socket in the given states (0: the states
 * that hold it, per protocol) has as its local address, of the first nq
 * entries of protocols: 1 + its index, 0 for none. */
static int find(const struct sd_addr *addrs, size_t n, size_t nq, __u32 states, char *conn,
		size_t conn_len, char *err)
{
	struct match x = { .addrs = addrs, .n = n, .conn = conn, .conn_len = conn_len };
	struct mnl_socket *nl;
	bool v4 = false;
	size_t i;
	int ret;

	if (n > SD_ADDRS_MAX)
		return vni_err(err, -E2BIG, "sock_diag: more than %d addresses", SD_ADDRS_MAX);
	for (i = 0; i < n; i++)
		v4 |= addrs[i].family == AF_INET;
	nl = open_diag(err);
	ret = nl ? 0 : -EIO;
	for (i = 0; i < nq && !ret && !x.found; i++) {
		struct query q = protocols[i];

		if (q.family == AF_INET && !v4)
			continue; /* a v4 socket cannot hold a v6 address */
		if (states)
			q.states = states;
		q.addrs = addrs;
		q.n = n;
		ret = dump(nl, &q, on_socket, &x, err);
	}
	if (nl)
		mnl_socket_close(nl);
	return ret ? ret : (int)x.found;
}

int sd_addrs_in_use(const struct sd_addr *addrs, size_t n, char *err)
{
	return n ? find(addrs, n, sizeof(protocols) / sizeof(protocols[0]), 0, NULL,
			0, err) :
		   0;
}

int sd_established(int family, const void *addr, char *conn, size_t n, char *err)
{
	struct sd_addr a = { family, addr };

	return find(&a, 1, 1,
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
	struct each e = { fn, arg, 0 };
	struct mnl_socket *nl = open_diag(err);
	int ret = nl ? 0 : -EIO;
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]) && !ret && !e.ret; i++) {
		ret = dump(nl, &protocols[i], on_any, &e, err);
	}
	if (nl)
		mnl_socket_close(nl);
	return ret ? ret : e.ret;
}
