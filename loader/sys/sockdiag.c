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
};

static int on_socket(const struct nlmsghdr *nlh, void *arg)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct match *x = arg;

	if (m->idiag_family == x->family &&
	    !memcmp(m->id.idiag_src, x->addr, x->family == AF_INET ? 4 : 16))
		x->found = true;
	return MNL_CB_OK;
}

/* Sockets that have sent their FIN can use the address no more: a detached
 * instance's connections closing (or in TIME_WAIT) must not keep its VIP
 * from being attached again. Everything else counts, unconnected too. */
#define CLOSING_STATES                                                                 \
	((1u << TCP_FIN_WAIT1) | (1u << TCP_FIN_WAIT2) | (1u << TCP_TIME_WAIT) |           \
	 (1u << TCP_LAST_ACK) | (1u << TCP_CLOSING))

/* Dumps the sockets of one family and protocol that can still use their address. */
static int dump(struct mnl_socket *nl, struct match *x, int protocol, char *err)
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
	req->sdiag_family = (__u8)x->family;
	req->sdiag_protocol = (__u8)protocol;
	req->idiag_states = ~CLOSING_STATES;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return vni_err(err, -errno, "sock_diag: %s", strerror(errno));
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return vni_err(err, -errno, "sock_diag: %s", strerror(errno));
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, on_socket, x);
	} while (ret > 0);
	/* a protocol without diag support (module not loaded) has no sockets to show */
	if (ret < 0 && errno != ENOENT)
		return vni_err(err, -errno, "sock_diag: %s", strerror(errno));
	return 0;
}

int sd_addr_in_use(int family, const void *addr, char *err)
{
	static const int protocols[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE };
	struct mnl_socket *nl;
	struct match x[2] = {};
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
	for (i = 0; i < nx && !ret; i++)
		for (p = 0; p < 3 && !ret && !x[i].found; p++)
			ret = dump(nl, &x[i], protocols[p], err);
	if (!ret)
		ret = x[0].found || x[1].found;
out:
	if (nl)
		mnl_socket_close(nl);
	return ret;
}
