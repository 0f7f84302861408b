// SPDX-License-Identifier: GPL-2.0-only
/*
 * The instance programs, linked to every instance cgroup (links/<cgid>/ under
 * the bpffs dir; the programs are pinned once under progs/). The kernel runs
 * the programs of the cgroup the *socket* was created in, and the cgroup
 * storage seen by a program is the one of the cgroup it is attached to, so
 * bpf_get_local_storage() names the instance that owns the socket, even when
 * the socket is later used by a process elsewhere (SCM_RIGHTS) and for
 * sockets made in sub-cgroups. Cost per call is constant in the number of
 * instances.
 *
 * They give the instance's sockets its addresses (bind, connect, sendmsg),
 * refuse what they cannot steer (sock_create), tag the sockets that use a VIP
 * (for the guard, vni_guard.bpf.c) and count where the instance receives (for
 * the receive filter, vni_lookup.bpf.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* vni_cgrp is only read by the LSM object, but made here: the loader writes
 * it whether or not BPF LSM is available. */
#define VNI_MAP_INST
#define VNI_MAP_STATS
#define VNI_MAP_CGRP
#define VNI_MAP_SKTAG
#define VNI_MAP_PORTS
#define VNI_MAP_WILD
#define VNI_MAP_WILDN
#define VNI_MAP_DUAL
#define VNI_MAP_LOSEND
#define VNI_MAP_VIDS
#define VNI_MAP_GSTATS
#define VNI_MAP_EVENTS
#define VNI_MAP_SVCMEM
#define VNI_MAP_SVCSOCK
#define VNI_MAP_SVCFLOW
#define VNI_IN_INSTANCE
#include "vni_shared.h"
#include "vni_defs.bpf.h"
#include "vni_maps.bpf.h"
#include "vni_addr.bpf.h"
#include "vni_events.bpf.h"
#include "vni_loopback.bpf.h"
#include "vni_service.bpf.h"
#include "vni_vouch.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader: whether sockops programs may read their namespace's
 * cookie (5.15). Before that, a TCP socket that listens without a bind of
 * its own is not counted in vni_wild (the node's addresses stay open to it). */
const volatile bool vni_sockops_netns = true;

#define COUNT(field)                                                   \
	do {                                                           \
		struct vni_stats *__s = bpf_get_local_storage(&vni_stats, 0); \
		__s->field++;                                          \
	} while (0)

static __always_inline struct vni_inst *instance(void)
{
	return bpf_get_local_storage(&vni_inst, 0);
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

/* tag_socket() for a bind, which needs no pointer back: a socket binds once,
 * so its tag is usually new, and one insert does what a lookup (a miss), an
 * insert and a lookup did (bpf_stats: vni_bind4 about 30-50 ns less). */
static __always_inline void tag_bound(void *ctx, const struct vni_inst *in, __u32 flags)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct vni_sk_tag tag = { .cgid = in->cgid, .flags = flags };

	if (bpf_map_update_elem(&vni_sktag, &cookie, &tag, BPF_NOEXIST))
		tag_socket(ctx, in, flags); /* tagged before (sendmsg, connect6) */
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

/* Refusals: the address is still the one asked for (a: its words, as read
 * from the context before anything was changed). */
static __always_inline int deny(struct bpf_sock_addr *ctx, const struct vni_inst *in, __u32 op,
				__u32 family, const union vni_ip *a)
{
	report_addr(op, in->cgid, in->aid, family, a, ctx->user_port);
	return VNI_DENY;
}

/* ---- virtual ids (a clone's template VIPs) ------------------------------ */

/* The instance's own address that a stands for, in *a (v4: w[0], the rest
 * 0); false, and a untouched, when a is no virtual id of the instance. */
static __always_inline bool real_addr(const struct vni_inst *in, __u32 family, union vni_ip *a)
{
	struct vni_vid_key k = { .cgid = in->cgid, .family = family };
	struct vni_vid_val *v;

	if (!(in->flags & VNI_F_VIDS))
		return false;
	*(union vni_ip *)k.addr = *a;
	v = bpf_map_lookup_elem(&vni_vids, &k);
	if (!v)
		return false;
	*a = *(union vni_ip *)v->addr;
	return true;
}

/* ---- receive counters (what vni_lookup needs to know) ------------------ */

static struct vni_port_val no_ports; /* a new block: zeros (global: 128 bytes off the stack) */

/* Adds d (1 or -1) to the counters of (instance, port); 0, or -1 if the
 * entry could not be made (map full). */
static __always_inline int count_port(__u64 cgid, __u16 port, __u8 proto, __u32 reg, int d)
{
	bool priv = reg & VNI_REG_PRIV;
	struct vni_port_cnt *v = port_count(cgid, port, proto, priv);

	if (!v && d > 0) {
		struct vni_port_key k = port_key(cgid, port, proto, priv);

		/* (if another CPU made it first, this fails and finds it) */
		bpf_map_update_elem(&vni_ports, &k, &no_ports, BPF_NOEXIST);
		v = port_count(cgid, port, proto, priv);
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

/* What a v4 socket bound to a receives at: a VIP or a private address. */
static __always_inline __u32 addr_reg4(const struct vni_inst *in, __u32 a)
{
	if ((in->flags & VNI_F_V4) && a == VIP4(in))
		return VNI_REG_V4;
	return a == priv4(in->aid) ? VNI_REG_V4 | VNI_REG_PRIV : 0;
}

/* The same for a v6 socket (bound to ::ffff:a.b.c.d, it receives v4). */
static __always_inline __u32 addr_reg6(const struct vni_inst *in, const union vni_ip *a)
{
	union vni_ip own;

	if (is_mapped(a))
		return addr_reg4(in, a->w[3]);
	if ((in->flags & VNI_F_V6) && eq6(a, VIP6(in)))
		return VNI_REG_V6;
	priv6(in->aid, &own);
	return eq6(a, &own) ? VNI_REG_V6 | VNI_REG_PRIV : 0;
}

/* What a socket bound to its local address receives on: a VIP, or (bound to
 * the wildcard address without a bind of its own: autobind) everything. */
static __always_inline __u32 socket_reg(const struct vni_inst *in, struct bpf_sock *sk)
{
	union vni_ip a;

	if (sk->family == AF_INET)
		return sk->src_ip4 ? addr_reg4(in, sk->src_ip4) : VNI_REG_V4 | VNI_REG_WILD;
	get_src_ip6(sk, &a);
	if (is_any6(&a))
		return VNI_REG_V6 | VNI_REG_WILD | (v6only(sk) ? 0 : VNI_REG_V4);
	return addr_reg6(in, &a);
}

/* ---- socket lifetime --------------------------------------------------- */

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

/* ---- bind -------------------------------------------------------------- */

/* The socket is bound to an address of the instance: a VIP, or its private
 * address (rewritten from a wildcard, or asked for). */
static __always_inline int bind_vip(struct bpf_sock_addr *ctx, struct vni_inst *in,
				    bool rewritten, __u32 tag_flags)
{
	tag_bound(ctx, in, tag_flags);
	if (rewritten)
		COUNT(bind_rewritten);
	else
		COUNT(bind_allowed);
	return VNI_ALLOW;
}

/* Any other address: loopback is left alone, the rest refused. */
static __always_inline int bind_other(struct bpf_sock_addr *ctx, const struct vni_inst *in,
				      bool loopback, __u32 family, const union vni_ip *a)
{
	if (loopback) {
		COUNT(bind_allowed);
		return VNI_ALLOW;
	}
	COUNT(denied_bind);
	return deny(ctx, in, VNI_OP_BIND, family, a);
}

/* Whether the socket sk found at the parking address is this instance's. */
static __always_inline bool parked_here(struct bpf_sock *sk, const struct vni_inst *in)
{
	struct tcp6_sock *t = bpf_skc_to_tcp6_sock(sk);
	struct udp6_sock *u = t ? NULL : bpf_skc_to_udp6_sock(sk);
	struct vni_sk_tag *tag;
	__u64 cookie = 0;

	/* its cookie was made when the instance tagged it at bind */
	if (t)
		cookie = BPF_CORE_READ(&t->tcp.inet_conn.icsk_inet.sk, __sk_common.skc_cookie.counter);
	else if (u)
		cookie = BPF_CORE_READ(&u->udp.inet.sk, __sk_common.skc_cookie.counter);
	tag = cookie ? bpf_map_lookup_elem(&vni_sktag, &cookie) : NULL;
	return tag && tag->cgid == in->cgid;
}

/*
 * A v6-only wildcard socket of a v4-only instance (with a shared loopback) is
 * parked at the parking address (VNI_PARK6_AID), which all such instances
 * share: on the port asked, unless another instance's socket holds it there
 * (clones of one template ask for the same ports), then on one the kernel
 * picks. No one reaches it either way. When the port is free there or held
 * by this instance, the kernel decides, as on a host (EADDRINUSE, or
 * SO_REUSEPORT); when another instance holds it, a second bind of the port
 * in this one gets a port of its own too.
 */
static __always_inline int bind_park(struct bpf_sock_addr *ctx, struct vni_inst *in,
				     bool rewritten)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = NULL;
	__u32 proto = ctx->protocol;

	if (ctx->user_port) {
		park6((union vni_ip *)t.ipv6.daddr);
		t.ipv6.dport = (__be16)ctx->user_port;
		if (proto == IPPROTO_TCP)
			sk = bpf_sk_lookup_tcp(ctx, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
		else if (proto == IPPROTO_UDP)
			sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
		if (sk) {
			if (!parked_here(sk, in))
				ctx->user_port = 0;
			bpf_sk_release(sk);
		} else if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
			ctx->user_port = 0; /* (UDP-Lite: not looked up) */
		}
	}
	return bind_vip(ctx, in, rewritten, 0);
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
	union vni_ip a = { .w = { ctx->user_ip4 } }, real;
	__u32 own;

	if (!in->aid)
		return bind_other(ctx, in, false, AF_INET, &a);
	own = (in->flags & VNI_F_V4) ? VIP4(in) : priv4(in->aid);
	if (a.w[0] == 0 || (a.w[0] == LO4 && private_lo(in))) {
		ctx->user_ip4 = a.w[0] ? priv4(in->aid) : own;
		return bind_vip(ctx, in, true, 0);
	}
	if (a.w[0] == own || a.w[0] == priv4(in->aid))
		return bind_vip(ctx, in, false, 0);
	real = a;
	if (real_addr(in, AF_INET, &real)) {
		ctx->user_ip4 = real.w[0];
		return bind_vip(ctx, in, true, 0);
	}
	return bind_other(ctx, in, is_lo4(a.w[0]), AF_INET, &a);
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
	bool v4 = in->flags & VNI_F_V4, v6 = in->flags & VNI_F_V6, park;
	union vni_ip a, own6, dual, real = {};
	__u32 own4;

	get_user_ip6(ctx, &a);
	if (!in->aid)
		return bind_other(ctx, in, false, AF_INET6, &a);
	own4 = v4 ? VIP4(in) : priv4(in->aid);
	park = !v6 && !private_lo(in);
	if (v6)
		own6 = *VIP6(in);
	else if (park)
		park6(&own6);
	else
		priv6(in->aid, &own6);
	if (is_any6(&a)) {
		if (v4 && !v6only(ctx->sk)) {
			set_mapped(&dual, own4);
			set_user_ip6(ctx, &dual);
			return bind_vip(ctx, in, true, VNI_TAG_DUAL);
		}
		set_user_ip6(ctx, &own6);
		return park ? bind_park(ctx, in, true) : bind_vip(ctx, in, true, 0);
	}
	if (is_mapped(&a)) {
		if (a.w[3] == 0 || (a.w[3] == LO4 && private_lo(in))) {
			ctx->user_ip6[3] = a.w[3] ? priv4(in->aid) : own4;
			return bind_vip(ctx, in, true, 0);
		}
		if (a.w[3] == own4 || a.w[3] == priv4(in->aid))
			return bind_vip(ctx, in, false, 0);
		real.w[0] = a.w[3];
		if (real_addr(in, AF_INET, &real)) {
			ctx->user_ip6[3] = real.w[0];
			return bind_vip(ctx, in, true, 0);
		}
		return bind_other(ctx, in, is_lo4(a.w[3]), AF_INET6, &a);
	}
	if (is_lo6(&a) && private_lo(in)) {
		priv6(in->aid, &own6);
		set_user_ip6(ctx, &own6);
		return bind_vip(ctx, in, true, 0);
	}
	if (eq6(&a, &own6))
		return park ? bind_park(ctx, in, false) : bind_vip(ctx, in, false, 0);
	priv6(in->aid, &dual);
	if (eq6(&a, &dual))
		return bind_vip(ctx, in, false, 0);
	real = a;
	if (real_addr(in, AF_INET6, &real)) {
		set_user_ip6(ctx, &real);
		return bind_vip(ctx, in, true, 0);
	}
	return bind_other(ctx, in, is_lo6(&a), AF_INET6, &a);
}

/* A UDP socket bound to a VIP receives there (TCP: counted when it listens). */
SEC("cgroup/post_bind4")
int vni_post_bind4(struct bpf_sock *ctx)
{
	struct vni_inst *in = instance();
	__u32 reg;

	if (!in->aid || ctx->protocol == IPPROTO_TCP)
		return VNI_ALLOW;
	reg = addr_reg4(in, ctx->src_ip4);
	if (reg)
		count_socket(ctx, tag_socket(ctx, in, 0), ctx->src_port, ctx->protocol, reg);
	return VNI_ALLOW;
}

SEC("cgroup/post_bind6")
int vni_post_bind6(struct bpf_sock *ctx)
{
	struct vni_inst *in = instance();
	union vni_ip a;
	__u32 reg;

	if (!in->aid || ctx->protocol == IPPROTO_TCP)
		return VNI_ALLOW;
	get_src_ip6(ctx, &a);
	reg = addr_reg6(in, &a);
	if (reg)
		count_socket(ctx, tag_socket(ctx, in, 0), ctx->src_port, ctx->protocol, reg);
	return VNI_ALLOW;
}

/* ---- listen ------------------------------------------------------------ */

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
	/* (a v4-only instance has no v6 connections to hand it, but for
	 * those to its ::1 when its loopback is private) */
	if (t && (t->flags & VNI_TAG_DUAL) && (in->flags & (VNI_F_V6 | VNI_F_PRIVATE_LO)))
		add_dual(ctx, in->cgid, port);
	svc_listening(ctx, in->cgid, port, reg, t && (t->flags & VNI_TAG_DUAL));
	return 1;
}

/* ---- connect ----------------------------------------------------------- */

/*
 * Give an unbound socket the VIP as source. bpf_bind() fails on a socket that
 * already has a port, so a socket already on the VIP (explicit bind, CRIU
 * restore, second UDP connect) passes as it is, and one that got a port
 * without an address (UDP sendto before connect) is refused: its source would
 * otherwise be picked by the route. 127.0.0.1 of a private-loopback instance
 * is its own (vni_loopback.bpf.h), with its private address as source (or
 * its VIP, for a socket already bound there).
 */
SEC("cgroup/connect4")
int vni_connect4(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	struct bpf_sock *sk = ctx->sk;
	union vni_ip dst = { .w = { ctx->user_ip4 } }, to;
	struct sockaddr_in sa = {};
	__u32 src, alt;

	if (!in->aid || !sk)
		goto deny;
	if (dst.w[0] == LO4 && private_lo(in)) {
		ctx->user_ip4 = lo_target4(in, ctx->user_port, ctx->protocol);
		src = priv4(in->aid);
		alt = (in->flags & VNI_F_V4) ? VIP4(in) : src;
	} else if (is_lo4(dst.w[0])) {
		return VNI_ALLOW;
	} else if (in->flags & VNI_F_V4) {
		src = alt = VIP4(in);
		to = dst;
		if (real_addr(in, AF_INET, &to)) /* a clone dialing its template's VIP */
			ctx->user_ip4 = to.w[0];
	} else {
		goto deny;
	}
	if (sk->src_ip4 == src || sk->src_ip4 == alt)
		return VNI_ALLOW;
	if (sk->src_ip4 || sk->src_port)
		goto deny;
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = src;
	if (bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa)))
		goto deny;
	COUNT(connect_src_set);
	return VNI_ALLOW;
deny:
	COUNT(denied_connect);
	return deny(ctx, in, VNI_OP_CONNECT, AF_INET, &dst);
}

enum source { SRC_VIP, SRC_PRIVATE, SRC_LOOPBACK, SRC_NONE };

/*
 * The source a v6 socket of the instance gets for destination *dst: the VIP
 * of dst's family (v4-mapped: ::ffff:VIP4) in *own, and in *alt another
 * address it may already have; SRC_PRIVATE: *dst was the instance's own
 * loopback and now says where that is, *own is the private address;
 * loopback is otherwise left alone; SRC_NONE when the instance has no VIP of
 * that family. A clone's template VIP in *dst becomes its own (SRC_VIP).
 */
static __always_inline enum source source6(struct bpf_sock_addr *ctx, const struct vni_inst *in,
					   union vni_ip *dst, union vni_ip *own, union vni_ip *alt)
{
	union vni_ip v4 = {};

	if (is_lo6(dst)) {
		if (!private_lo(in))
			return SRC_LOOPBACK;
		priv6(in->aid, own);
		*alt = (in->flags & VNI_F_V6) ? *VIP6(in) : *own;
		lo_target6(in, ctx->user_port, ctx->protocol, dst);
		return SRC_PRIVATE;
	}
	if (is_mapped(dst)) {
		if (dst->w[3] == LO4 && private_lo(in)) {
			set_mapped(own, priv4(in->aid));
			set_mapped(alt, (in->flags & VNI_F_V4) ? VIP4(in) : priv4(in->aid));
			dst->w[3] = lo_target4(in, ctx->user_port, ctx->protocol);
			return SRC_PRIVATE;
		}
		if (is_lo4(dst->w[3]))
			return SRC_LOOPBACK;
		if (!(in->flags & VNI_F_V4))
			return SRC_NONE;
		set_mapped(own, VIP4(in));
		*alt = *own;
		v4.w[0] = dst->w[3];
		if (real_addr(in, AF_INET, &v4))
			dst->w[3] = v4.w[0];
		return SRC_VIP;
	}
	if (!(in->flags & VNI_F_V6))
		return SRC_NONE;
	*own = *VIP6(in);
	*alt = *own;
	real_addr(in, AF_INET6, dst);
	return SRC_VIP;
}

SEC("cgroup/connect6")
int vni_connect6(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	struct bpf_sock *sk = ctx->sk;
	struct sockaddr_in6 sa = {};
	union vni_ip dst, to, src, own, alt;
	enum source how;

	get_user_ip6(ctx, &dst);
	if (!in->aid || !sk)
		goto deny;
	to = dst;
	how = source6(ctx, in, &to, &own, &alt);
	if (how == SRC_LOOPBACK)
		return VNI_ALLOW;
	if (how == SRC_NONE)
		goto deny;
	if (how == SRC_PRIVATE) {
		set_user_ip6(ctx, &to);
		tag_socket(ctx, in, 0); /* the guard lets its own sockets dial it */
	} else if (!eq6(&to, &dst)) {
		set_user_ip6(ctx, &to); /* a virtual id */
	}
	get_src_ip6(sk, &src);
	if (eq6(&src, &own) || eq6(&src, &alt))
		return VNI_ALLOW;
	if (!is_any6(&src) || sk->src_port)
		goto deny;
	sa.sin6_family = AF_INET6;
	*(union vni_ip *)&sa.sin6_addr = own;
	if (bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa)))
		goto deny;
	COUNT(connect_src_set);
	return VNI_ALLOW;
deny:
	COUNT(denied_connect);
	return deny(ctx, in, VNI_OP_CONNECT, AF_INET6, &dst);
}

/* ---- send -------------------------------------------------------------- */

/* Tags a sending UDP socket; one that got its port by autobind (no bind of
 * its own) is counted where it receives the replies; and counts the send.
 * The socket this CPU last found tagged and counted is remembered in the
 * instance's per-CPU storage (vni_stats.sender), so a socket that sends
 * again skips its vni_sktag lookup (about 40 ns of a send). What the word
 * says stays true while this instance lives: cookies are never reused, a
 * tag and its counts go only with their socket (vni_sock_release), and a
 * tag moves to another instance only while this one's programs are not
 * linked, after which a new attach here starts the storage at 0. */
static __always_inline void count_sender(struct bpf_sock_addr *ctx, const struct vni_inst *in)
{
	struct vni_stats *st = bpf_get_local_storage(&vni_stats, 0);
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct bpf_sock *sk = ctx->sk;
	struct vni_sk_tag *t;

	st->send_src_set++;
	if (st->sender == cookie)
		return;
	/* loaded here: the verifier refuses a ctx pointer moved to the field */
	asm volatile("" : "+r"(sk));
	t = tag_socket(ctx, in, 0);
	if (t && !t->reg && sk)
		count_socket(ctx, t, (__u16)sk->src_port, (__u8)sk->protocol, socket_reg(in, sk));
	if (t && t->reg)
		st->sender = cookie;
}

/*
 * Unconnected sends and sends with a control message: the source is the VIP,
 * whatever IP_PKTINFO asked for (the private address for the instance's own
 * loopback). A dual-stack socket's send to ::ffff:a.b.c.d reaches this v4
 * hook too (udpv6_sendmsg hands it to udp_sendmsg).
 */
SEC("cgroup/sendmsg4")
int vni_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	struct bpf_sock *sk = ctx->sk;
	union vni_ip dst = { .w = { ctx->user_ip4 } };
	bool own = true; /* the source is the instance's own address */
	__u32 to, src;

	if (!in->aid)
		goto deny;
	if (dst.w[0] == LO4 && private_lo(in)) {
		to = lo_target4(in, ctx->user_port, ctx->protocol);
		ctx->user_ip4 = to;
		/* a socket on the VIP answers from it (its client dialed
		 * 127.0.0.1 and was sent to the VIP: connected, it takes
		 * only replies from there) */
		src = (in->flags & VNI_F_V4) && sk && sk->src_ip4 == VIP4(in) ? VIP4(in) :
									    priv4(in->aid);
		ctx->msg_src_ip4 = src;
		if (to != priv4(in->aid))
			lo_sent(ctx, ctx->user_port, AF_INET);
	} else if (is_lo4(dst.w[0])) {
		return VNI_ALLOW;
	} else if (in->flags & VNI_F_V4) {
		union vni_ip svc;

		/* a reply to a flow a service dispatched here: from the service */
		own = !svc_reply_src(ctx, in->cgid, AF_INET, &dst, &svc);
		ctx->msg_src_ip4 = own ? VIP4(in) : svc.w[0];
		if (real_addr(in, AF_INET, &dst)) /* a clone sending to its template's VIP */
			ctx->user_ip4 = dst.w[0];
	} else {
		goto deny;
	}
	count_sender(ctx, in);
	if (own) /* (a service's address the guard checks itself) */
		vouch_own_source();
	return VNI_ALLOW;
deny:
	COUNT(denied_send);
	return deny(ctx, in, VNI_OP_SEND, AF_INET, &dst);
}

SEC("cgroup/sendmsg6")
int vni_sendmsg6(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	struct bpf_sock *sk = ctx->sk;
	union vni_ip dst, to, src, alt, have;
	bool own = true; /* (sendmsg4) */
	enum source how;

	get_user_ip6(ctx, &dst);
	if (!in->aid || !sk)
		goto deny;
	to = dst;
	how = source6(ctx, in, &to, &src, &alt);
	if (how == SRC_LOOPBACK)
		return VNI_ALLOW;
	if (how == SRC_NONE)
		goto deny;
	if (how == SRC_VIP && !eq6(&to, &dst))
		set_user_ip6(ctx, &to); /* a virtual id */
	if (how == SRC_VIP)
		own = !svc_reply_src(ctx, in->cgid, AF_INET6, &dst, &src); /* (sendmsg4) */
	if (how == SRC_PRIVATE) {
		set_user_ip6(ctx, &to);
		if (!eq6(&to, &src)) /* went to the VIP */
			lo_sent(ctx, ctx->user_port, is_mapped(&to) ? AF_INET : AF_INET6);
		get_src_ip6(sk, &have);
		if (eq6(&have, &alt)) /* a socket on the VIP answers from it (sendmsg4) */
			src = alt;
	}
	set_msg_src_ip6(ctx, &src);
	count_sender(ctx, in);
	if (own)
		vouch_own_source();
	return VNI_ALLOW;
deny:
	COUNT(denied_send);
	return deny(ctx, in, VNI_OP_SEND, AF_INET6, &dst);
}

/* ---- what the application reads back (private loopback) ---------------- */

/* These hooks cannot refuse (the kernel takes only 1): they only rename the
 * instance's own loopback addresses back to 127.0.0.1 and ::1. */

SEC("cgroup/getsockname4")
int vni_getsockname4(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	struct bpf_sock *sk = ctx->sk;
	__u32 a = ctx->user_ip4;

	if (private_lo(in) && sk && lo_local4(in, a, sk->dst_ip4)) {
		barrier_var(ctx); /* (the verifier takes no ctx pointer moved to a field) */
		ctx->user_ip4 = LO4;
	}
	return VNI_ALLOW;
}

/* A peer: getpeername, accept (which runs getpeername) and recvfrom. */
static __always_inline int peer4(struct bpf_sock_addr *ctx)
{
	struct vni_inst *in = instance();
	struct bpf_sock *sk = ctx->sk;
	__u32 a = ctx->user_ip4, port = ctx->user_port;

	if (private_lo(in) && sk && lo_peer4(ctx, in, a, sk->src_ip4, port)) {
		barrier_var(ctx);
		ctx->user_ip4 = LO4;
	}
	return VNI_ALLOW;
}

SEC("cgroup/getpeername4")
int vni_getpeername4(struct bpf_sock_addr *ctx)
{
	return peer4(ctx);
}

SEC("cgroup/recvmsg4")
int vni_recvmsg4(struct bpf_sock_addr *ctx)
{
	return peer4(ctx);
}

/* v6 sockets: a v4-mapped address as above, a native one against ::1. */
static __always_inline int name6(struct bpf_sock_addr *ctx, bool peer)
{
	struct vni_inst *in = instance();
	struct bpf_sock *sk = ctx->sk;
	__u32 port = ctx->user_port;
	union vni_ip a, other;
	bool lo;

	get_user_ip6(ctx, &a);
	if (!private_lo(in) || !sk)
		return VNI_ALLOW;
	if (is_mapped(&a)) {
		lo = peer ? lo_peer4(ctx, in, a.w[3], sk->src_ip4, port) :
			    lo_local4(in, a.w[3], sk->dst_ip4);
		if (lo) {
			barrier_var(ctx);
			ctx->user_ip6[3] = LO4;
		}
		return VNI_ALLOW;
	}
	if (peer)
		get_src_ip6(sk, &other);
	else
		get_dst_ip6(sk, &other);
	if (lo_addr6(ctx, in, &a, &other, peer, port)) {
		set_lo6(&a);
		barrier_var(ctx);
		set_user_ip6(ctx, &a);
	}
	return VNI_ALLOW;
}

SEC("cgroup/getsockname6")
int vni_getsockname6(struct bpf_sock_addr *ctx)
{
	return name6(ctx, false);
}

SEC("cgroup/getpeername6")
int vni_getpeername6(struct bpf_sock_addr *ctx)
{
	return name6(ctx, true);
}

SEC("cgroup/recvmsg6")
int vni_recvmsg6(struct bpf_sock_addr *ctx)
{
	return name6(ctx, true);
}
