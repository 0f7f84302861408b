/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Service addresses (vnictl service; include/vni_shared.h, vni_svc_key): one
 * ADDR:PORT served by several instances, dispatched in the kernel. No proxy,
 * no NAT, no rewriting of packets:
 *  - vni_lookup (sk_lookup) picks a member for each new connection or UDP
 *    datagram to ADDR:PORT by a hash of the 4-tuple, and hands it to one of
 *    the member's sockets (bpf_sk_assign): to_service() below;
 *  - the member's TCP listeners get into vni_svc_socks when they listen
 *    (sockops, svc_listening()); UDP sockets, and listeners that listened
 *    before their instance became a member, when vnictl runs
 *    bpf/vni_iter.bpf.c (no program of a UDP socket may add it);
 *  - a member's UDP reply to a dispatched flow leaves from ADDR (sendmsg:
 *    svc_reply_src4/6()); a TCP connection's local address is ADDR already.
 * Each part is compiled into the object that names its maps first.
 */
#ifndef VNI_SERVICE_BPF_H
#define VNI_SERVICE_BPF_H

#include "vni_shared.h"
#include "vni_defs.bpf.h"
#include "vni_addr.bpf.h"

#if defined(VNI_MAP_SVCMEM)
/* Where a member's socket at (port, proto) goes in vni_svc_socks, when its
 * instance serves a service of that family there: true and *k. Its place
 * in the slot is the socket's cookie modulo VNI_SVC_SUBS (sockops and
 * vnictl's iterators agree, so a socket is put where it already is). */
static __always_inline bool svc_sock_place(__u64 cgid, __u16 port, __u8 proto, __u8 family,
					   __u64 cookie, struct vni_svc_sock_key *k)
{
	struct vni_svc_member_key mk = {
		.cgid = cgid, .port = port, .proto = proto, .family = family
	};
	struct vni_svc_member *m = bpf_map_lookup_elem(&vni_svc_members, &mk);

	if (!m)
		return false;
	k->id = m->id;
	k->slot = (__u16)m->slot;
	k->sub = (__u16)(cookie % VNI_SVC_SUBS);
	return true;
}

/* Whether any instance is a member of a service (vni_svcn). */
static __always_inline bool any_member(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&vni_svcn, &zero);

	return n && *n;
}
#endif

/* ---- sk_lookup: dispatch ----------------------------------------------- */

#if defined(VNI_MAP_SVCS) && defined(VNI_MAP_SVCSOCK) && defined(VNI_MAP_SVCSLOT) && \
	defined(VNI_MAP_SVCFLOW) && defined(VNI_IN_LOOKUP)

/* murmur3's finalizer: every input bit moves every output bit */
static __always_inline __u32 mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* The flow's hash: the peer's address and port (the service's are fixed).
 * The same for every packet of the flow, and for a SYN's retransmissions
 * and syncookie ACK, which run the lookup again. */
static __always_inline __u32 flow_hash(const struct bpf_sk_lookup *ctx)
{
	__u32 h = ctx->remote_ip4;

	if (ctx->family == AF_INET6)
		h = mix32(ctx->remote_ip6[0] ^ mix32(ctx->remote_ip6[1] ^
			  mix32(ctx->remote_ip6[2] ^ mix32(ctx->remote_ip6[3]))));
	return mix32(h ^ ((__u32)ctx->remote_port << 16));
}

/* A UDP flow's replies leave from the service address (svc_reply_src4/6). */
static __always_inline void remember_flow(const struct bpf_sk_lookup *ctx, __u64 cgid,
					  const struct vni_svc_key *k)
{
	struct vni_svc_flow_key fk = {
		.cgid = cgid, .family = ctx->family, .port = k->port,
		.rport = ctx->remote_port,
	};
	struct vni_svc_flow f, *have;
	__u32 *w = (__u32 *)fk.raddr;

	if (ctx->family == AF_INET) {
		w[0] = ctx->remote_ip4;
	} else {
		w[0] = ctx->remote_ip6[0];
		w[1] = ctx->remote_ip6[1];
		w[2] = ctx->remote_ip6[2];
		w[3] = ctx->remote_ip6[3];
	}
	have = bpf_map_lookup_elem(&vni_svc_flows, &fk);
	if (have && eq6((const union vni_ip *)have->addr, (const union vni_ip *)k->addr))
		return;
	*(union vni_ip *)f.addr = *(const union vni_ip *)k->addr;
	bpf_map_update_elem(&vni_svc_flows, &fk, &f, BPF_ANY);
}

/* One of the slot's sockets takes the connection: 1, or 0 when none can
 * (no member there, not listening, of the other family). A global
 * function: the verifier checks it once, not once per probe of the loops
 * below (inlined, they made the program too complex to load). */
__noinline int vni_svc_assign(struct bpf_sk_lookup *ctx, __u32 id, __u32 slot)
{
	struct vni_svc_sock_key k = { .id = id, .slot = (__u16)slot };
	struct bpf_sock *sk;
	long err;
	__u16 i;

	if (!ctx)
		return 0;
	for (i = 0; i < VNI_SVC_SUBS; i++) {
		k.sub = i;
		sk = bpf_map_lookup_elem(&vni_svc_socks, &k);
		if (!sk)
			continue;
		/* flags 0: a reuseport group inside the member still spreads */
		err = bpf_sk_assign(ctx, sk, 0);
		bpf_sk_release(sk);
		if (!err)
			return 1;
	}
	return 0;
}

/* The member in the slot got the flow: counted, and a UDP flow remembered. */
static __always_inline int dispatched(struct bpf_sk_lookup *ctx, const struct vni_svc_key *k,
				      __u32 id, __u32 slot)
{
	__u32 idx = id * VNI_SVC_MAX_MEMBERS + slot;
	struct vni_svc_slot *s = bpf_map_lookup_elem(&vni_svc_slots, &idx);

	if (s) {
		__sync_fetch_and_add(&s->dispatched, 1);
		if (ctx->protocol == IPPROTO_UDP && s->cgid)
			remember_flow(ctx, s->cgid, k);
	}
	return SK_PASS;
}

#define SVC_REHASH 3 /* probes of a fresh hash before walking every slot */

/*
 * Traffic to a service address: the flow's member is slot hash % slots;
 * when it has no socket (a hole, not listening, detached), a few fresh
 * hashes spread its flows over the others, then every slot is tried in
 * turn. No member at all: SK_DROP, the peer is refused (RST, ICMP).
 */
static __always_inline int to_service(struct bpf_sk_lookup *ctx, const struct vni_vip_key *vk)
{
	struct vni_svc_key k = {
		.netns_cookie = vk->netns_cookie, .family = vk->family,
		.port = (__u16)ctx->local_port, .proto = (__u8)ctx->protocol,
	};
	struct vni_svc_val *v;
	__u32 h, n, i, slot, id;

	*(union vni_ip *)k.addr = *(const union vni_ip *)vk->addr;
	v = bpf_map_lookup_elem(&vni_svcs, &k);
	if (!v)
		return drop();
	n = v->slots;
	if (!n || n > VNI_SVC_MAX_MEMBERS || v->id >= VNI_MAX_SERVICES)
		return drop();
	h = flow_hash(ctx);
	id = v->id;
	h = flow_hash(ctx);
	for (i = 0; i < SVC_REHASH; i++) {
		slot = h % n;
		if (vni_svc_assign(ctx, id, slot))
			return dispatched(ctx, &k, id, slot);
		h = mix32(h + 0x9e3779b9);
	}
	slot = h % n;
	for (i = 0; i < VNI_SVC_MAX_MEMBERS && i < n; i++) {
		if (vni_svc_assign(ctx, id, slot))
			return dispatched(ctx, &k, id, slot);
		slot = slot + 1 < n ? slot + 1 : 0;
	}
	return drop();
}
#endif

/* ---- instance programs: a member's sockets ------------------------------- */

#if defined(VNI_MAP_SVCMEM) && defined(VNI_MAP_SVCSOCK) && defined(VNI_IN_INSTANCE)

/* Into the member's slot (two listeners of one member on one place: the
 * later one is dispatched to; a reuseport group is still spread by the
 * kernel). */
static __always_inline void svc_add_sock(struct bpf_sock_ops *ctx, __u64 cgid, __u16 port,
					 __u8 family)
{
	struct vni_svc_sock_key k;

	if (svc_sock_place(cgid, port, IPPROTO_TCP, family, bpf_get_socket_cookie(ctx), &k))
		bpf_sock_hash_update(ctx, &vni_svc_socks, &k, BPF_ANY);
}

/* A TCP socket of the instance listens where it receives reg (VNI_REG_*):
 * if that port is a member's of a service of the family, the service may
 * hand it connections. A dual-stack listener serves both families. */
static __always_inline void svc_listening(struct bpf_sock_ops *ctx, __u64 cgid, __u16 port,
					  __u32 reg, bool dual)
{
	if (!any_member() || (reg & VNI_REG_PRIV))
		return;
	if (reg & VNI_REG_V4)
		svc_add_sock(ctx, cgid, port, AF_INET);
	if ((reg & VNI_REG_V6) || dual)
		svc_add_sock(ctx, cgid, port, AF_INET6);
}
#endif

#if defined(VNI_MAP_SVCFLOW) && defined(VNI_IN_INSTANCE)
/* The service address a UDP reply to (dst, dport) from the socket's port
 * leaves from, when vni_lookup dispatched that flow to this instance: 1 and
 * *out, else 0. */
static __always_inline int svc_reply_src(struct bpf_sock_addr *ctx, __u64 cgid, __u32 family,
					 const union vni_ip *dst, union vni_ip *out)
{
	struct vni_svc_flow_key k = {
		.cgid = cgid, .family = family, .rport = (__u16)ctx->user_port
	};
	struct bpf_sock *sk = ctx->sk;
	struct vni_svc_flow *f;

	asm volatile("" : "+r"(sk));
	if (!sk || sk->protocol != IPPROTO_UDP || !any_member())
		return 0;
	k.port = (__u16)sk->src_port;
	*(union vni_ip *)k.raddr = *dst;
	f = bpf_map_lookup_elem(&vni_svc_flows, &k);
	if (!f)
		return 0;
	*out = *(union vni_ip *)f->addr;
	return 1;
}
#endif

/* ---- the guard: a member's UDP reply from the service address ----------- */

#if defined(VNI_MAP_SVCS) && defined(VNI_MAP_SVCMEM) && defined(VNI_IN_GUARD)
/* Whether the socket (tagged by instance tag_cgid) may send from service
 * address key: it is a member of the service at that port. Only a member's
 * own sendmsg program puts the service address there (svc_reply_src). */
static __always_inline bool svc_reply_ok(struct bpf_sock_addr *ctx, const struct vni_vip_key *vk,
					 __u64 tag_cgid)
{
	struct vni_svc_key k = { .netns_cookie = vk->netns_cookie, .family = vk->family,
				 .proto = IPPROTO_UDP };
	struct vni_svc_member_key mk = { .cgid = tag_cgid, .proto = IPPROTO_UDP,
					 .family = (__u8)vk->family };
	struct bpf_sock *sk = ctx->sk;
	struct vni_svc_member *m;
	struct vni_svc_val *v;

	asm volatile("" : "+r"(sk));
	if (!sk)
		return false;
	k.port = (__u16)sk->src_port;
	mk.port = k.port;
	*(union vni_ip *)k.addr = *(const union vni_ip *)vk->addr;
	v = bpf_map_lookup_elem(&vni_svcs, &k);
	m = bpf_map_lookup_elem(&vni_svc_members, &mk);
	return v && m && m->id == v->id;
}
#endif

#endif
