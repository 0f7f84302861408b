// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "sys/sockdiag_all.h"
#include "sys/util.h"

/* (as sys/sockdiag.c: closing sockets can use their address no more) */
#define CLOSING_STATES                                                                 \
	((1u << TCP_FIN_WAIT1) | (1u << TCP_FIN_WAIT2) | (1u << TCP_TIME_WAIT) |           \
	 (1u << TCP_LAST_ACK) | (1u << TCP_CLOSING))

struct each {
	int (*fn)(int family, const void *addr, void *arg);
	void *arg;
	int ret;
};

static int on_socket(const struct nlmsghdr *nlh, void *arg)
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

static int dump(struct mnl_socket *nl, int family, int protocol, struct each *e, char *err)
{
	char buf[32768];
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
	req->idiag_states = ~CLOSING_STATES;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return vni_err(err, -errno, "sock_diag: %s", strerror(errno));
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return vni_err(err, -errno, "sock_diag: %s", strerror(errno));
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, on_socket, e);
	} while (ret > 0);
	if (ret < 0 && errno != ENOENT) /* no diag support for it: no sockets to show */
		return vni_err(err, -errno, "sock_diag: %s", strerror(errno));
	return 0;
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
			ret = dump(nl, families[f], protocols[p], &e, err);
	if (nl)
		mnl_socket_close(nl);
	return ret ? ret : e.ret;
}
