// SPDX-License-Identifier: GPL-2.0-only
/*
 * vni socket hooks.
 *
 * Two groups of programs share this object:
 *  - instance programs (vni_sock_create, vni_bind4/6, vni_connect4/6,
 *    vni_sendmsg4/6), attached to every instance cgroup. The kernel runs the
 *    programs of the cgroup the *socket* was created in, and the cgroup
 *    storage seen by a program is the one of the cgroup it is attached to, so
 *    bpf_get_local_storage() names the instance that owns the socket, even
 *    when the socket is later used by a process elsewhere (SCM_RIGHTS) and for
 *    sockets made in sub-cgroups. Cost per call is constant in the number of
 *    instances.
 *  - guard programs (vni_guard_*), attached once to the cgroup2 root, so they
 *    see every socket on the node: a VIP may be bound or used as a source only
 *    by sockets that its own instance tagged.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "vni_shared.h"
#include "vni_defs.bpf.h"
#include "vni_recv.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
	__type(key, __u64); /* cgroup id: one record per cgroup, shared by all hooks */
	__type(value, struct vni_inst);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_inst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE);
	__type(key, __u64);
	__type(value, struct vni_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_stats SEC(".maps");

/*
 * Socket cookie -> the instance that last gave the socket its VIP. The guard
 * always checks right after the instance's program tagged the socket in the
 * same call, so an LRU map cannot lose a tag that is needed, and cookies are
 * never reused. vni_sock_release deletes the tag when the socket goes, which
 * keeps the map far from full: an LRU insert that must evict is what costs
 * (as does a socket-storage allocation per socket, the first design).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, VNI_MAX_TAGGED_SOCKETS);
	__type(key, __u64);
	__type(value, struct vni_sk_tag);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_sktag SEC(".maps");

#define COUNT(field)                                                   \
	do {                                                           \
		struct vni_stats *__s = bpf_get_local_storage(&vni_stats, 0); \
		__s->field++;                                          \
	} while (0)

/* The VIPs as 32-bit words, as the context fields hold them. */
#define VIP4(in) (*(const __u32 *)(in)->vip4)
#define VIP6(in) ((const __u32 *)(in)->vip6)

static __always_inline struct vni_inst *instance(void)
{
	return bpf_get_local_storage(&vni_inst, 0);
}

static __always_inline bool is_lo4(__u32 a)
{
	return (bpf_ntohl(a) >> 24) == 127;
}

static __always_inline bool is_mapped(__u32 a0, __u32 a1, __u32 a2)
{
	return a0 == 0 && a1 == 0 && a2 == bpf_htonl(0xffff);
}

static __always_inline bool is_lo6(__u32 a0, __u32 a1, __u32 a2, __u32 a3)
{
	return a0 == 0 && a1 == 0 && a2 == 0 && a3 == bpf_htonl(1);
}

static __always_inline bool eq6(__u32 a0, __u32 a1, __u32 a2, __u32 a3, const __u32 *b)
{
	return a0 == b[0] && a1 == b[1] && a2 == b[2] && a3 == b[3];
}

/* user_ip6 must be written one 32-bit word at a time (verifier). */
static __always_inline void set_user_ip6(struct bpf_sock_addr *ctx, __u32 a0, __u32 a1,
					 __u32 a2, __u32 a3)
{
	ctx->user_ip6[0] = a0;
	barrier();
	ctx->user_ip6[1] = a1;
	barrier();
	ctx->user_ip6[2] = a2;
	barrier();
	ctx->user_ip6[3] = a3;
}

static __always_inline void set_msg_src_ip6(struct bpf_sock_addr *ctx, __u32 a0, __u32 a1,
					    __u32 a2, __u32 a3)
{
	ctx->msg_src_ip6[0] = a0;
	barrier();
	ctx->msg_src_ip6[1] = a1;
	barrier();
	ctx->msg_src_ip6[2] = a2;
	barrier();
	ctx->msg_src_ip6[3] = a3;
}

/* The socket's tag, made (or moved) to name this instance: the root guard
 * lets a socket use a VIP only with its owner's tag. NULL if the map is full. */
static __always_inline struct vni_sk_tag *tag_socket(void *ctx, const struct vni_inst *in,
						     __u32 flags)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct vni_sk_tag *t = bpf_map_lookup_elem(&vni_sktag, &cookie);
	struct vni_sk_tag tag = { .cgid = in->cgid, .flags = flags };

	/* write only when needed: a UDP socket tags itself on every send */
	if (t && t->cgid == in->cgid) {
		if (flags & ~t->flags)
			t->flags |= flags;
		return t;
	}
	bpf_map_update_elem(&vni_sktag, &cookie, &tag, BPF_ANY);
	return bpf_map_lookup_elem(&vni_sktag, &cookie);
}

/* Whether an AF_INET6 socket is V6ONLY (struct bpf_sock does not say). */
static __always_inline bool v6only(struct bpf_sock *sk)
{
	struct tcp6_sock *t = bpf_skc_to_tcp6_sock(sk);
	struct udp6_sock *u;

	if (t)
		return BPF_CORE_READ_BITFIELD(&t->tcp.inet_conn.icsk_inet.sk,
					      __sk_common.skc_ipv6only);
	u = bpf_skc_to_udp6_sock(sk);
	if (u)
		return BPF_CORE_READ_BITFIELD(&u->udp.inet.sk, __sk_common.skc_ipv6only);
	return false;
}

/* ---- receive counters (what vni_lookup needs to know) ------------------ */

/* Adds d (1 or -1) to the counters of (instance, port); 0, or -1 if the
 * entry could not be made (map full). */
static __always_inline int count_port(__u64 cgid, __u16 port, __u8 proto, __u32 reg, int d)
{
	struct vni_port_key k = { .cgid = cgid, .port = port, .proto = proto };
	struct vni_port_val *v, init = {};

	v = bpf_map_lookup_elem(&vni_ports, &k);
	if (!v && d > 0) {
		init.v4 = !!(reg & VNI_REG_V4);
		init.v6 = !!(reg & VNI_REG_V6);
		if (!bpf_map_update_elem(&vni_ports, &k, &init, BPF_NOEXIST))
			return 0;
		v = bpf_map_lookup_elem(&vni_ports, &k); /* another CPU made it */
	}
	if (!v)
		return -1;
	/* entries are never deleted while the instance lives: an increment
	 * racing with a delete would be lost, and its socket cut off */
	if (reg & VNI_REG_V4)
		__sync_fetch_and_add(&v->v4, d);
	if (reg & VNI_REG_V6)
		__sync_fetch_and_add(&v->v6, d);
	return 0;
}

static __always_inline int count_wild(void *ctx, __u64 cgid, __u16 port, __u8 proto, int d)
{
	struct vni_wild_key k = {
		.netns_cookie = bpf_get_netns_cookie(ctx), .port = port, .proto = proto
	};
	struct vni_wild_val *v, init = { .cgid = cgid, .count = 1 };
	__u64 *total = wild_total();

	if (!total)
		return -1;
	v = bpf_map_lookup_elem(&vni_wild, &k);
	if (!v && d > 0) {
		if (!bpf_map_update_elem(&vni_wild, &k, &init, BPF_NOEXIST))
			goto counted;
		v = bpf_map_lookup_elem(&vni_wild, &k);
	}
	if (!v)
		return -1;
	__sync_fetch_and_add(&v->count, d);
counted:
	__sync_fetch_and_add(total, d);
	return 0;
}

/* Counts the socket as receiving at port, once (a socket has one port); the
 * tag remembers it for sock_release. */
static __always_inline void count_socket(void *ctx, struct vni_sk_tag *t, __u16 port,
					 __u8 proto, __u32 reg)
{
	struct vni_guard_stats *s;
	__u32 done = 0;

	if (!t || t->reg || !reg || !port)
		return;
	if ((reg & (VNI_REG_V4 | VNI_REG_V6)) && !count_port(t->cgid, port, proto, reg, 1))
		done = reg & (VNI_REG_V4 | VNI_REG_V6);
	if ((reg & VNI_REG_WILD) && !count_wild(ctx, t->cgid, port, proto, 1))
		done |= VNI_REG_WILD;
	if (done != reg && (s = guard_stats()))
		s->ports_full++;
	t->port = port;
	t->proto = proto;
	t->reg = done;
}

static __always_inline void uncount_socket(void *ctx, struct vni_sk_tag *t)
{
	if (t->reg & (VNI_REG_V4 | VNI_REG_V6))
		count_port(t->cgid, t->port, t->proto, t->reg, -1);
	if (t->reg & VNI_REG_WILD)
		count_wild(ctx, t->cgid, t->port, t->proto, -1);
	t->reg = 0;
}

/* What a v6 socket bound to a0..a3 receives on of the instance's VIPs. */
static __always_inline __u32 vip_reg6(const struct vni_inst *in, __u32 a0, __u32 a1, __u32 a2,
				      __u32 a3)
{
	if ((in->flags & VNI_F_V4) && is_mapped(a0, a1, a2) && a3 == VIP4(in))
		return VNI_REG_V4;
	if ((in->flags & VNI_F_V6) && eq6(a0, a1, a2, a3, VIP6(in)))
		return VNI_REG_V6;
	return 0;
}

/* What a socket bound to its local address receives on: a VIP, or (bound to
 * the wildcard address without a bind of its own: autobind) everything. */
static __always_inline __u32 socket_reg(const struct vni_inst *in, struct bpf_sock *sk)
{
	__u32 a0, a1, a2, a3;

	if (sk->family == AF_INET) {
		if (!sk->src_ip4)
			return VNI_REG_V4 | VNI_REG_WILD;
		return (in->flags & VNI_F_V4) && sk->src_ip4 == VIP4(in) ? VNI_REG_V4 : 0;
	}
	a0 = sk->src_ip6[0], a1 = sk->src_ip6[1], a2 = sk->src_ip6[2], a3 = sk->src_ip6[3];
	if (!(a0 | a1 | a2 | a3))
		return VNI_REG_V6 | VNI_REG_WILD | (v6only(sk) ? 0 : VNI_REG_V4);
	return vip_reg6(in, a0, a1, a2, a3);
}

/* Reports a refused address operation to 'vnictl monitor' (words and port in
 * network byte order, as the context holds them). */
static __always_inline void report_addr(__u32 op, __u64 cgid, __u32 aid, __u32 family,
					__u32 a0, __u32 a1, __u32 a2, __u32 a3, __u32 port)
{
	struct vni_event *e = event_new(op, cgid, aid);
	__u32 *w;

	if (!e)
		return;
	w = (__u32 *)e->addr;
	w[0] = a0;
	w[1] = a1;
	w[2] = a2;
	w[3] = a3;
	e->family = family;
	e->port = bpf_ntohs((__u16)port);
	bpf_ringbuf_submit(e, 0);
}

/* Refusals of an instance's program: the address is still the one asked for. */
static __always_inline int deny4(struct bpf_sock_addr *ctx, const struct vni_inst *in, __u32 op)
{
	report_addr(op, in->cgid, in->aid, AF_INET, ctx->user_ip4, 0, 0, 0, ctx->user_port);
	return VNI_DENY;
}

static __always_inline int deny6(struct bpf_sock_addr *ctx, const struct vni_inst *in, __u32 op)
{
	report_addr(op, in->cgid, in->aid, AF_INET6, ctx->user_ip6[0], ctx->user_ip6[1],
		    ctx->user_ip6[2], ctx->user_ip6[3], ctx->user_port);
	return VNI_DENY;
}

/* ---- instance programs ------------------------------------------------ */

/* Only TCP and UDP(-Lite) go through the address hooks; anything else in an
 * instance (raw, ping, SCTP, MPTCP) would pick its own source address. */
SEC("cgroup/sock_create")
int vni_sock_create(struct bpf_sock *ctx)
{
	struct vni_inst *in = instance();
	__u32 type = ctx->type, proto = ctx->protocol;
	struct vni_event *e;

	if (!in->aid)
		goto deny;
	if (in->flags & VNI_F_ALLOW_RAW)
		return VNI_ALLOW;
	if (type == SOCK_STREAM && proto == IPPROTO_TCP)
		return VNI_ALLOW;
	if (type == SOCK_DGRAM && (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE))
		return VNI_ALLOW;
deny:
	COUNT(denied_socket);
	e = event_new(VNI_OP_SOCKET, in->cgid, in->aid);
	if (e) {
		e->family = ctx->family;
		e->type = type;
		e->protocol = proto;
		bpf_ringbuf_submit(e, 0);
	}
	return VNI_DENY;
}

/* The socket is bound to an address of the instance: a VIP, or its private
 * address (rewritten from a wildcard, or asked for). */
static __always_inline int bind_vip(struct bpf_sock_addr *ctx, struct vni_inst *in,
				    bool rewritten, __u32 tag_flags)
{
	tag_socket(ctx, in, tag_flags);
	if (rewritten)
		COUNT(bind_rewritten);
	else
		COUNT(bind_allowed);
	return VNI_ALLOW;
}

/* v6 is a constant at each call: the other family's context fields, which the
 * verifier refuses in this hook, are compiled out. */
static __always_inline int bind_other(struct bpf_sock_addr *ctx, const struct vni_inst *in,
				      bool loopback, bool v6)
{
	if (loopback) {
		COUNT(bind_allowed);
		return VNI_ALLOW;
	}
	COUNT(denied_bind);
	return v6 ? deny6(ctx, in, VNI_OP_BIND) : deny4(ctx, in, VNI_OP_BIND);
}

SEC("cgroup/sock_release")
int vni_sock_release(struct bpf_sock *ctx)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct vni_sk_tag *t = bpf_map_lookup_elem(&vni_sktag, &cookie);

	/* most sockets were never tagged: a lookup is cheaper than a delete */
	if (t) {
		if (t->reg)
			uncount_socket(ctx, t);
		bpf_map_delete_elem(&vni_sktag, &cookie);
	}
	return VNI_ALLOW;
}

/*
 * A wildcard bind lands on the instance's address of the socket's family:
 * the VIP, or where the instance has none, its private address (the
 * application starts as on a host with no address of that family to serve).
 */
SEC("cgroup/bind4")
int vni_bind4(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	__u32 ip = ctx->user_ip4, own;

	if (!in->aid)
		return bind_other(ctx, in, false, false);
	own = (in->flags & VNI_F_V4) ? VIP4(in) : priv4(in->aid);
	if (ip == 0) {
		ctx->user_ip4 = own;
		return bind_vip(ctx, in, true, 0);
	}
	if (ip == own)
		return bind_vip(ctx, in, false, 0);
	return bind_other(ctx, in, is_lo4(ip), false);
}

/*
 * [::] with IPV6_V6ONLY: the v6 VIP, or the private v6 address. Dual-stack
 * [::]: the v4 VIP as ::ffff:VIP4, which receives v4; its v6 connections,
 * if the instance has a v6 VIP, are assigned to it by vni_lookup (a socket
 * bound to a native v6 address could no longer receive v4).
 */
SEC("cgroup/bind6")
int vni_bind6(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	__u32 a0 = ctx->user_ip6[0], a1 = ctx->user_ip6[1];
	__u32 a2 = ctx->user_ip6[2], a3 = ctx->user_ip6[3];
	bool v4 = in->flags & VNI_F_V4, v6 = in->flags & VNI_F_V6;
	__u32 own4, own6[4];

	if (!in->aid)
		return bind_other(ctx, in, false, true);
	own4 = v4 ? VIP4(in) : priv4(in->aid);
	if (v6) {
		own6[0] = VIP6(in)[0], own6[1] = VIP6(in)[1];
		own6[2] = VIP6(in)[2], own6[3] = VIP6(in)[3];
	} else {
		priv6(in->aid, own6);
	}
	if (!(a0 | a1 | a2 | a3)) {
		if (v4 && !v6only(ctx->sk)) {
			set_user_ip6(ctx, 0, 0, bpf_htonl(0xffff), own4);
			return bind_vip(ctx, in, true, VNI_TAG_DUAL);
		}
		set_user_ip6(ctx, own6[0], own6[1], own6[2], own6[3]);
		return bind_vip(ctx, in, true, 0);
	}
	if (is_mapped(a0, a1, a2)) {
		if (a3 == 0) {
			ctx->user_ip6[3] = own4;
			return bind_vip(ctx, in, true, 0);
		}
		if (a3 == own4)
			return bind_vip(ctx, in, false, 0);
		return bind_other(ctx, in, is_lo4(a3), true);
	}
	if (eq6(a0, a1, a2, a3, own6))
		return bind_vip(ctx, in, false, 0);
	return bind_other(ctx, in, is_lo6(a0, a1, a2, a3), true);
}

/* A UDP socket bound to a VIP receives there (TCP: counted when it listens). */
SEC("cgroup/post_bind4")
int vni_post_bind4(struct bpf_sock *ctx)
{
	struct vni_inst *in = instance();

	if (in->aid && ctx->protocol != IPPROTO_TCP && (in->flags & VNI_F_V4) &&
	    ctx->src_ip4 == VIP4(in))
		count_socket(ctx, tag_socket(ctx, in, 0), ctx->src_port, ctx->protocol,
			     VNI_REG_V4);
	return VNI_ALLOW;
}

SEC("cgroup/post_bind6")
int vni_post_bind6(struct bpf_sock *ctx)
{
	struct vni_inst *in = instance();
	__u32 reg;

	if (!in->aid || ctx->protocol == IPPROTO_TCP)
		return VNI_ALLOW;
	reg = vip_reg6(in, ctx->src_ip6[0], ctx->src_ip6[1], ctx->src_ip6[2], ctx->src_ip6[3]);
	if (reg)
		count_socket(ctx, tag_socket(ctx, in, 0), ctx->src_port, ctx->protocol, reg);
	return VNI_ALLOW;
}

/* A dual-stack listener goes into a free slot of vni_dual for its port. */
static __always_inline void add_dual(struct bpf_sock_ops *ctx, __u64 cgid, __u16 port)
{
	struct vni_dual_key k = { .cgid = cgid, .port = port };
	__u16 i;

#pragma unroll
	for (i = 0; i < VNI_DUAL_SLOTS; i++) {
		k.slot = i;
		if (!bpf_sock_hash_update(ctx, &vni_dual, &k, BPF_NOEXIST))
			return;
	}
}

/* Set by the loader: whether sockops programs may read their namespace's
 * cookie (5.15). Before that, a TCP socket that listens without a bind of
 * its own is not counted in vni_wild (the node's addresses stay open to it). */
const volatile bool vni_sockops_netns = true;

/* A TCP socket starts listening: count it (and a dual-stack one goes where
 * vni_lookup can assign it v6 connections). */
SEC("sockops")
int vni_sockops(struct bpf_sock_ops *ctx)
{
	struct vni_inst *in;
	struct vni_sk_tag *t;
	struct bpf_sock *sk;
	__u32 reg;
	__u16 port;

	if (ctx->op != BPF_SOCK_OPS_TCP_LISTEN_CB)
		return 1;
	in = instance();
	sk = ctx->sk;
	if (!in->aid || !sk)
		return 1;
	reg = socket_reg(in, sk);
	if (!vni_sockops_netns)
		reg &= ~VNI_REG_WILD;
	if (!reg)
		return 1;
	port = (__u16)sk->src_port;
	t = tag_socket(ctx, in, 0);
	count_socket(ctx, t, port, IPPROTO_TCP, reg);
	/* (a v4-only instance has no v6 connections to hand it) */
	if (t && (t->flags & VNI_TAG_DUAL) && (in->flags & VNI_F_V6))
		add_dual(ctx, in->cgid, port);
	return 1;
}

/*
 * Give an unbound socket the VIP as source. bpf_bind() fails on a socket that
 * already has a port, so a socket already on the VIP (explicit bind, CRIU
 * restore, second UDP connect) passes as it is, and one that got a port
 * without an address (UDP sendto before connect) is refused: its source would
 * otherwise be picked by the route.
 */
SEC("cgroup/connect4")
int vni_connect4(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	struct bpf_sock *sk = ctx->sk;
	struct sockaddr_in sa = {};

	if (!in->aid || !sk)
		goto deny;
	if (is_lo4(ctx->user_ip4))
		return VNI_ALLOW;
	if (!(in->flags & VNI_F_V4))
		goto deny;
	if (sk->src_ip4 == VIP4(in))
		return VNI_ALLOW;
	if (sk->src_ip4 || sk->src_port)
		goto deny;
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = VIP4(in);
	if (bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa)))
		goto deny;
	COUNT(connect_src_set);
	return VNI_ALLOW;
deny:
	COUNT(denied_connect);
	return deny4(ctx, in, VNI_OP_CONNECT);
}

SEC("cgroup/connect6")
int vni_connect6(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	struct bpf_sock *sk = ctx->sk;
	struct sockaddr_in6 sa = {};
	__u32 a0 = ctx->user_ip6[0], a1 = ctx->user_ip6[1];
	__u32 a2 = ctx->user_ip6[2], a3 = ctx->user_ip6[3];
	__u32 w0, w1, w2, w3;

	if (!in->aid || !sk)
		goto deny;
	if (is_lo6(a0, a1, a2, a3))
		return VNI_ALLOW;
	if (is_mapped(a0, a1, a2)) {
		if (is_lo4(a3))
			return VNI_ALLOW;
		if (!(in->flags & VNI_F_V4))
			goto deny;
		w0 = 0, w1 = 0, w2 = bpf_htonl(0xffff), w3 = VIP4(in);
	} else {
		if (!(in->flags & VNI_F_V6))
			goto deny;
		w0 = VIP6(in)[0], w1 = VIP6(in)[1], w2 = VIP6(in)[2], w3 = VIP6(in)[3];
	}
	if (sk->src_ip6[0] == w0 && sk->src_ip6[1] == w1 && sk->src_ip6[2] == w2 &&
	    sk->src_ip6[3] == w3)
		return VNI_ALLOW;
	if (sk->src_ip6[0] | sk->src_ip6[1] | sk->src_ip6[2] | sk->src_ip6[3] | sk->src_port)
		goto deny;
	sa.sin6_family = AF_INET6;
	sa.sin6_addr.in6_u.u6_addr32[0] = w0;
	sa.sin6_addr.in6_u.u6_addr32[1] = w1;
	sa.sin6_addr.in6_u.u6_addr32[2] = w2;
	sa.sin6_addr.in6_u.u6_addr32[3] = w3;
	if (bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa)))
		goto deny;
	COUNT(connect_src_set);
	return VNI_ALLOW;
deny:
	COUNT(denied_connect);
	return deny6(ctx, in, VNI_OP_CONNECT);
}

/* Tags a sending UDP socket; one that got its port by autobind (no bind of
 * its own) is counted where it receives the replies. */
static __always_inline void count_sender(struct bpf_sock_addr *ctx, const struct vni_inst *in)
{
	struct bpf_sock *sk = ctx->sk;
	struct vni_sk_tag *t;

	/* loaded here: the verifier refuses a ctx pointer moved to the field */
	asm volatile("" : "+r"(sk));
	t = tag_socket(ctx, in, 0);
	if (t && !t->reg && sk)
		count_socket(ctx, t, (__u16)sk->src_port, (__u8)sk->protocol, socket_reg(in, sk));
}

/*
 * Unconnected sends and sends with a control message: the source is the VIP,
 * whatever IP_PKTINFO asked for. A dual-stack socket's send to ::ffff:a.b.c.d
 * reaches this v4 hook too (udpv6_sendmsg hands it to udp_sendmsg).
 */
SEC("cgroup/sendmsg4")
int vni_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	__u32 dst = ctx->user_ip4;

	if (!in->aid)
		goto deny;
	if (is_lo4(dst))
		return VNI_ALLOW;
	if (!(in->flags & VNI_F_V4))
		goto deny;
	ctx->msg_src_ip4 = VIP4(in);
	count_sender(ctx, in);
	COUNT(send_src_set);
	return VNI_ALLOW;
deny:
	COUNT(denied_send);
	return deny4(ctx, in, VNI_OP_SEND);
}

SEC("cgroup/sendmsg6")
int vni_sendmsg6(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	__u32 a0 = ctx->user_ip6[0], a1 = ctx->user_ip6[1];
	__u32 a2 = ctx->user_ip6[2], a3 = ctx->user_ip6[3];

	if (!in->aid)
		goto deny;
	if (is_lo6(a0, a1, a2, a3))
		return VNI_ALLOW;
	if (is_mapped(a0, a1, a2)) {
		if (is_lo4(a3))
			return VNI_ALLOW;
		if (!(in->flags & VNI_F_V4))
			goto deny;
		set_msg_src_ip6(ctx, 0, 0, bpf_htonl(0xffff), VIP4(in));
	} else {
		if (!(in->flags & VNI_F_V6))
			goto deny;
		set_msg_src_ip6(ctx, VIP6(in)[0], VIP6(in)[1], VIP6(in)[2], VIP6(in)[3]);
	}
	count_sender(ctx, in);
	COUNT(send_src_set);
	return VNI_ALLOW;
deny:
	COUNT(denied_send);
	return deny6(ctx, in, VNI_OP_SEND);
}

/* ---- node-wide guard (cgroup2 root) ------------------------------------ */

/* The owner of address (family, a) when this socket may not use it: the
 * address is a VIP and the socket was not tagged by the VIP's instance.
 * NULL when the socket may. */
static __always_inline struct vni_vip_owner *refused_owner(struct bpf_sock_addr *ctx,
							   __u32 family, __u32 a0, __u32 a1,
							   __u32 a2, __u32 a3)
{
	struct vni_vip_key key = {
		.netns_cookie = bpf_get_netns_cookie(ctx),
		.family = family,
	};
	__u32 *w = (__u32 *)key.addr;
	struct vni_vip_owner *owner;
	struct vni_sk_tag *tag;
	__u64 cookie;

	w[0] = a0;
	w[1] = a1;
	w[2] = a2;
	w[3] = a3;

	owner = bpf_map_lookup_elem(&vni_vips, &key);
	if (!owner)
		return NULL;
	cookie = bpf_get_socket_cookie(ctx);
	tag = bpf_map_lookup_elem(&vni_sktag, &cookie);
	return tag && tag->cgid == owner->cgid ? NULL : owner;
}

static __always_inline struct vni_vip_owner *refused_owner6(struct bpf_sock_addr *ctx, __u32 a0,
							    __u32 a1, __u32 a2, __u32 a3)
{
	if (!(a0 | a1 | a2 | a3))
		return NULL;
	if (is_mapped(a0, a1, a2))
		return a3 ? refused_owner(ctx, AF_INET, a3, 0, 0, 0) : NULL;
	return refused_owner(ctx, AF_INET6, a0, a1, a2, a3);
}

/* The event names the VIP's owner; pid and comm are the outsider's. */
static __always_inline int guard_deny(const struct vni_vip_owner *o, bool bind, __u32 family,
				      __u32 a0, __u32 a1, __u32 a2, __u32 a3, __u32 port)
{
	struct vni_guard_stats *s = guard_stats();

	if (s) {
		if (bind)
			s->denied_bind++;
		else
			s->denied_send++;
	}
	report_addr(bind ? VNI_OP_GUARD_BIND : VNI_OP_GUARD_SEND, o->cgid, o->aid, family, a0,
		    a1, a2, a3, port);
	return VNI_DENY;
}

SEC("cgroup/bind4")
int vni_guard_bind4(struct bpf_sock_addr *ctx)
{
	__u32 ip = ctx->user_ip4;
	struct vni_vip_owner *o = ip ? refused_owner(ctx, AF_INET, ip, 0, 0, 0) : NULL;

	return o ? guard_deny(o, true, AF_INET, ip, 0, 0, 0, ctx->user_port) : VNI_ALLOW;
}

SEC("cgroup/bind6")
int vni_guard_bind6(struct bpf_sock_addr *ctx)
{
	__u32 a0 = ctx->user_ip6[0], a1 = ctx->user_ip6[1];
	__u32 a2 = ctx->user_ip6[2], a3 = ctx->user_ip6[3];
	struct vni_vip_owner *o = refused_owner6(ctx, a0, a1, a2, a3);

	return o ? guard_deny(o, true, AF_INET6, a0, a1, a2, a3, ctx->user_port) : VNI_ALLOW;
}

SEC("cgroup/sendmsg4")
int vni_guard_send4(struct bpf_sock_addr *ctx)
{
	__u32 src = ctx->msg_src_ip4;
	struct vni_vip_owner *o = src ? refused_owner(ctx, AF_INET, src, 0, 0, 0) : NULL;

	return o ? guard_deny(o, false, AF_INET, src, 0, 0, 0, 0) : VNI_ALLOW;
}

SEC("cgroup/sendmsg6")
int vni_guard_send6(struct bpf_sock_addr *ctx)
{
	__u32 a0 = ctx->msg_src_ip6[0], a1 = ctx->msg_src_ip6[1];
	__u32 a2 = ctx->msg_src_ip6[2], a3 = ctx->msg_src_ip6[3];
	struct vni_vip_owner *o = refused_owner6(ctx, a0, a1, a2, a3);

	return o ? guard_deny(o, false, AF_INET6, a0, a1, a2, a3, 0) : VNI_ALLOW;
}
