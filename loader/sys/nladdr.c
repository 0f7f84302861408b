// SPDX-License-Identifier: GPL-2.0-only
/*
 * VIP management over rtnetlink (libmnl).
 */
#include "sys/nladdr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* Fixed so it can live on the stack; the kernel sizes dump skbs to fit. */
#define NL_BUFSZ	8192
#define ADDR_STRLEN	(INET6_ADDRSTRLEN + 4)	/* "addr/128" */
#define DEV_STRLEN	(IF_NAMESIZE + 16)	/* "ifindex N" */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

static size_t addr_len(int family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

static void fmt_addr(int family, const void *addr, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, len, "%s/%u", ip, family == AF_INET ? 32u : 128u);
}

static void fmt_dev(int ifindex, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (ifindex > 0 && if_indextoname((unsigned int)ifindex, name))
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "ifindex %d", ifindex);
}

static int check_args(int family, const void *addr, char *err, size_t errlen)
{
	if (!addr_len(family)) {
		set_err(err, errlen, "unsupported address family %d", family);
		return -EAFNOSUPPORT;
	}
	if (!addr) {
		set_err(err, errlen, "no address given");
		return -EINVAL;
	}
	return 0;
}

static struct mnl_socket *nl_open(void)
{
	struct mnl_socket *nl;
	int saved;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		saved = errno;
		mnl_socket_close(nl);
		errno = saved;
		return NULL;
	}
	return nl;
}

/*
 * Sends the request in buf and runs cb on every reply until the ACK or
 * NLMSG_DONE. Returns 0 or a negative errno (the kernel's, for NLMSG_ERROR).
 */
static int nl_talk(const struct nlmsghdr *req, char *buf, mnl_cb_t cb,
		   void *data)
{
	unsigned int seq = req->nlmsg_seq;
	struct mnl_socket *nl;
	unsigned int portid;
	ssize_t n;
	int ret;

	nl = nl_open();
	if (!nl)
		return neg_errno();
	portid = mnl_socket_get_portid(nl);

	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		ret = neg_errno();
		goto out;
	}
	/* req lives in buf: nothing below may look at it again. */
	do {
		n = mnl_socket_recvfrom(nl, buf, NL_BUFSZ);
		if (n < 0 && errno == EINTR) {
			ret = MNL_CB_OK;
			continue;
		}
		if (n <= 0) {
			ret = n < 0 ? neg_errno() : -EPROTO;
			goto out;
		}
		errno = 0;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
	} while (ret > MNL_CB_STOP);
	ret = ret < 0 ? neg_errno() : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

/* A request's netlink header, at the start of buf. */
static struct nlmsghdr *put_req(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	return nlh;
}

static struct nlmsghdr *put_hdr(char *buf, uint16_t type, uint16_t flags,
				int family, int ifindex)
{
	struct nlmsghdr *nlh = put_req(buf, type, flags);
	struct ifaddrmsg *ifa;

	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_index = (uint32_t)ifindex;
	return nlh;
}

/*
 * An IPv4 VIP is a local route (table local, type local, /32, on the device)
 * instead of an address: what makes it bind, answer ARP and deliver to the
 * node's sockets is that route, which the kernel makes for each address
 * anyway. Adding an address also walks every address of the device and
 * every route of its fib info hash (__inet_insert_ifa, fib_sync_up): 27 us
 * with 100 VIPs, 331 us with 10,000; the route alone stays at 22 us. Our
 * routes carry their own protocol number, so `ip route show table local
 * proto 118` lists them and a delete never takes someone else's.
 */
#define VNI_RTPROT 118

static struct nlmsghdr *put_route_hdr(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = put_req(buf, type, flags);
	struct rtmsg *rtm;

	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	return nlh;
}

static int route_change(uint16_t type, int ifindex, const void *addr)
{
	bool add = type == RTM_NEWROUTE;
	char buf[NL_BUFSZ];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = put_route_hdr(buf, type, NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0));
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_dst_len = 32;
	rtm->rtm_table = RT_TABLE_LOCAL;
	rtm->rtm_protocol = VNI_RTPROT;
	/* host scope, as the kernel's route of an address: never a source the
	 * kernel picks for someone else's unbound socket (it picks among
	 * addresses only) */
	rtm->rtm_scope = RT_SCOPE_HOST;
	rtm->rtm_type = RTN_LOCAL;
	mnl_attr_put(nlh, RTA_DST, 4, addr);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return nl_talk(nlh, buf, NULL, NULL);
}

/* Shared by add and del: one RTM_{NEW,DEL}ADDR request for addr/32|128. */
static int addr_request(uint16_t type, int ifindex, int family, const void *addr)
{
	char buf[NL_BUFSZ];
	bool add = type == RTM_NEWADDR;
	size_t alen = addr_len(family);
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	nlh = put_hdr(buf, type, NLM_F_ACK |
		      (add ? NLM_F_CREATE | NLM_F_EXCL : 0), family, ifindex);
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_prefixlen = (uint8_t)(alen * 8);
	/*
	 * A VIP is used by its instance only: the kernel must never pick it as
	 * the source of someone else's unbound socket. A zero preferred
	 * lifetime (deprecated) keeps a v6 address out of source selection
	 * (host scope a v4 one); both still bind and answer.
	 */
	ifa->ifa_scope = family == AF_INET ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	if (add && family == AF_INET6) {
		struct ifa_cacheinfo ci = { .ifa_prefered = 0, .ifa_valid = 0xffffffffu };

		/* Skip DAD so the VIP is never tentative and binds at once.
		 * No prefix route: the /128 is delivered by its local route
		 * (as a v4 /32, which gets none); each route more is walked by
		 * every later v6 address removal (rt6_remove_prefsrc walks
		 * all routes): 10,000 removals took 22 s with them, 8 without. */
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
		mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	}
	return nl_talk(nlh, buf, NULL, NULL);
}

/* Add or remove a VIP: a v4 local route or a v6 address. */
static int addr_change(bool add, int ifindex, int family, const void *addr, char *err,
		       size_t errlen)
{
	char astr[ADDR_STRLEN], dstr[DEV_STRLEN];
	int ret;

	ret = check_args(family, addr, err, errlen);
	if (ret)
		return ret;
	if (family == AF_INET) {
		ret = route_change(add ? RTM_NEWROUTE : RTM_DELROUTE, ifindex, addr);
		/* not ours: a VIP an older vnictl put on as an address */
		if (!add && ret == -ESRCH)
			ret = addr_request(RTM_DELADDR, ifindex, family, addr);
	} else {
		ret = addr_request(add ? RTM_NEWADDR : RTM_DELADDR, ifindex, family, addr);
	}
	if (!ret)
		return 0;
	/* The kernel says EADDRNOTAVAIL for "no such address" on delete. */
	if (!add && ret == -EADDRNOTAVAIL)
		ret = -ENOENT;

	fmt_addr(family, addr, astr, sizeof(astr));
	fmt_dev(ifindex, dstr, sizeof(dstr));
	set_err(err, errlen, "cannot %s %s %s %s: %s", add ? "add" : "remove",
		astr, add ? "to" : "from", dstr, strerror(-ret));
	return ret;
}

int nl_addr_add(int ifindex, int family, const void *addr, char *err,
		size_t errlen)
{
	return addr_change(true, ifindex, family, addr, err, errlen);
}

int nl_addr_del(int ifindex, int family, const void *addr, char *err,
		size_t errlen)
{
	return addr_change(false, ifindex, family, addr, err, errlen);
}

static int find_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, RTA_MAX) >= 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

struct each_ctx {
	nl_addr_fn fn;
	void *arg;
	int stop; /* what fn returned, once non-zero */
};

static int each_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct each_ctx *ctx = data;
	const struct nlattr *a;

	if (ctx->stop || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), find_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	/* On point-to-point links IFA_ADDRESS is the peer, IFA_LOCAL ours. */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (a && mnl_attr_get_payload_len(a) == addr_len(ifa->ifa_family))
		ctx->stop = ctx->fn(ifa->ifa_family, mnl_attr_get_payload(a), (int)ifa->ifa_index,
				    ctx->arg);
	/* Keep reading to NLMSG_DONE so the dump is consumed cleanly. */
	return MNL_CB_OK;
}

/* A v4 local route for one address (/32): of an address or of a VIP. */
static int each_route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct each_ctx *ctx = data;
	uint32_t table = rtm->rtm_table;

	if (ctx->stop || rtm->rtm_family != AF_INET || rtm->rtm_type != RTN_LOCAL ||
	    rtm->rtm_dst_len != 32)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (tb[RTA_TABLE])
		table = mnl_attr_get_u32(tb[RTA_TABLE]);
	if (table == RT_TABLE_LOCAL && tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == 4)
		ctx->stop = ctx->fn(AF_INET, mnl_attr_get_payload(tb[RTA_DST]),
				    tb[RTA_OIF] ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0, ctx->arg);
	return MNL_CB_OK;
}

/* One dump: v4 local routes, or v6 addresses. */
static int each_dump(int family, struct each_ctx *ctx)
{
	char buf[NL_BUFSZ];
	int ret, tries = 0;

	/* a dump the kernel marks interrupted (NLM_F_DUMP_INTR: the addresses
	 * changed meanwhile, libmnl says EINTR) is asked for again; fn may see
	 * an address twice */
	do {
		ctx->stop = 0;
		if (family == AF_INET)
			ret = nl_talk(put_route_hdr(buf, RTM_GETROUTE, NLM_F_DUMP), buf,
				      each_route_cb, ctx);
		else
			ret = nl_talk(put_hdr(buf, RTM_GETADDR, NLM_F_DUMP, family, 0), buf,
				      each_cb, ctx);
	} while (ret == -EINTR && !ctx->stop && ++tries < 10);
	return ret;
}

int nl_addr_each(int family, nl_addr_fn fn, void *arg, char *err, size_t errlen)
{
	struct each_ctx ctx = { .fn = fn, .arg = arg };
	int ret = 0;

	/* v4: the local routes, as nl_addr_find (VIPs are routes, see above) */
	if (family != AF_INET6)
		ret = each_dump(AF_INET, &ctx);
	if (!ret && !ctx.stop && family != AF_INET)
		ret = each_dump(AF_INET6, &ctx);
	if (ret) {
		set_err(err, errlen, "cannot list the addresses: %s", strerror(-ret));
		return ret;
	}
	return ctx.stop;
}

/* The one RTM_NEWROUTE (v4) or RTM_NEWADDR (v6) reply of a lookup. */
struct lookup_ctx {
	int family;
	const void *addr;
	int found;
	int ifindex;
};

/* A local route for exactly the address, as the kernel makes for each of
 * its addresses (in the device of the address); an "AnyIP" local route for
 * a prefix is no address. */
static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct lookup_ctx *ctx = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (rtm->rtm_type == RTN_LOCAL && rtm->rtm_dst_len == 32 && tb[RTA_DST] &&
	    mnl_attr_get_payload_len(tb[RTA_DST]) == 4 &&
	    !memcmp(mnl_attr_get_payload(tb[RTA_DST]), ctx->addr, 4)) {
		ctx->found = 1;
		ctx->ifindex = tb[RTA_OIF] ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	}
	return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct lookup_ctx *ctx = data;

	if (nlh->nlmsg_type == RTM_NEWADDR && ifa->ifa_family == AF_INET6) {
		ctx->found = 1;
		ctx->ifindex = (int)ifa->ifa_index;
	}
	return MNL_CB_OK;
}

/*
 * One question instead of a dump of every address (which grows with the
 * VIPs of the node): IPv6 answers RTM_GETADDR for one address; IPv4 has no
 * such query, so the route the kernel made for the address is asked for
 * (RTM_GETROUTE with RTM_F_FIB_MATCH returns the route entry itself: type,
 * prefix and device).
 */
static int lookup(struct lookup_ctx *ctx)
{
	char buf[NL_BUFSZ];
	struct nlmsghdr *nlh;
	int ret;

	if (ctx->family == AF_INET6) {
		/* the ACK after the answer ends nl_talk's read loop */
		nlh = put_hdr(buf, RTM_GETADDR, NLM_F_ACK, AF_INET6, 0);
		mnl_attr_put(nlh, IFA_ADDRESS, 16, ctx->addr);
		ret = nl_talk(nlh, buf, addr_cb, ctx);
		/* "no such address" */
		return ret == -EADDRNOTAVAIL ? 0 : ret;
	}
	nlh = put_route_hdr(buf, RTM_GETROUTE, NLM_F_ACK);
	{
		struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		rtm->rtm_dst_len = 32;
		rtm->rtm_flags = RTM_F_FIB_MATCH;
	}
	mnl_attr_put(nlh, RTA_DST, 4, ctx->addr);
	ret = nl_talk(nlh, buf, route_cb, ctx);
	/* no route at all, or an unreachable/prohibit one: not local either */
	if (ret == -ENETUNREACH || ret == -EHOSTUNREACH || ret == -EACCES || ret == -EINVAL)
		ret = 0;
	return ret;
}

int nl_addr_find(int family, const void *addr, int *ifindex, char *err,
		 size_t errlen)
{
	struct lookup_ctx ctx = { .family = family, .addr = addr };
	char astr[ADDR_STRLEN];
	int ret;

	ret = check_args(family, addr, err, errlen);
	if (ret)
		return ret;
	ret = lookup(&ctx);
	if (ret < 0) {
		fmt_addr(family, addr, astr, sizeof(astr));
		set_err(err, errlen, "cannot look up %s: %s", astr,
			strerror(-ret));
		return ret;
	}
	if (ctx.found && ifindex)
		*ifindex = ctx.ifindex;
	return ctx.found;
}
