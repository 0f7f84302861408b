// SPDX-License-Identifier: GPL-2.0-only
/*
 * Receive confinement: one sk_lookup program per network namespace that holds
 * instances (linked to the namespace, link pinned under lookup/). It runs for
 * every TCP SYN and every UDP datagram no connected socket claims, before the
 * kernel's listener lookup, and keeps the addresses of instances and of the
 * node apart:
 *  - traffic to a VIP reaches only its instance: when the instance has no
 *    socket receiving at that port, the lookup fails (SK_DROP: the client
 *    gets a RST or an ICMP port unreachable, as when nothing listens) instead
 *    of falling through to someone else's wildcard listener;
 *  - v6 connections to the VIP of an instance whose dual-stack listener sits
 *    on ::ffff:VIP4 are assigned to that listener;
 *  - an instance's private address is reached by no one, but for its own
 *    sockets when it is its loopback (attach --loopback private); nor is
 *    the parking address;
 *  - traffic to a service address goes to one of the service's members
 *    (bpf/vni_service.bpf.h), or is refused when none listens;
 *  - traffic to any other address (the node's) never reaches an instance's
 *    socket that holds its port on the wildcard address.
 * sk_lookup programs cannot read their namespace, so each namespace gets its
 * own copy of the program with the namespace cookie set at load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define VNI_MAP_VIPS
#define VNI_MAP_PORTS
#define VNI_MAP_WILD
#define VNI_MAP_WILDN
#define VNI_MAP_DUAL
#define VNI_MAP_GSTATS
#define VNI_MAP_SVCS
#define VNI_MAP_SVCSOCK
#define VNI_MAP_SVCSLOT
#define VNI_MAP_SVCFLOW
#define VNI_IN_LOOKUP
#include "vni_shared.h"
#include "vni_defs.bpf.h"
#include "vni_maps.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 vni_netns_cookie = 0;

static __always_inline int drop(void)
{
	struct vni_guard_stats *s = guard_stats();

	if (s)
		s->dropped_recv++;
	return SK_DROP;
}

#include "vni_service.bpf.h"

/* A v6 connection for a dual-stack listener of the instance: SK_PASS when
 * one took it. */
static __always_inline int assign_dual(struct bpf_sk_lookup *ctx, __u64 cgid)
{
	struct vni_dual_key k = { .cgid = cgid, .port = (__u16)ctx->local_port };
	struct bpf_sock *sk;
	__u16 i;
	long err;

#pragma unroll
	for (i = 0; i < VNI_DUAL_SLOTS; i++) {
		k.slot = i;
		sk = bpf_map_lookup_elem(&vni_dual, &k);
		if (!sk)
			continue;
		/* flags 0: a reuseport group still spreads the connections */
		err = bpf_sk_assign(ctx, sk, 0);
		bpf_sk_release(sk);
		if (!err)
			return SK_PASS;
	}
	return SK_DROP;
}

/* Traffic to one of the instance's VIPs. */
static __always_inline int to_instance(struct bpf_sk_lookup *ctx,
				       const struct vni_vip_owner *o)
{
	struct vni_port_cnt *v = port_count(o->cgid, (__u16)ctx->local_port, (__u8)ctx->protocol,
					    false);

	if (ctx->family == AF_INET)
		return v && v->v4 ? SK_PASS : drop();
	if (v && v->v6)
		return SK_PASS;
	if (ctx->protocol == IPPROTO_TCP && assign_dual(ctx, o->cgid) == SK_PASS)
		return SK_PASS;
	return drop();
}

/* The address the traffic comes from, in key (whose netns it keeps). */
static __always_inline void remote_addr(const struct bpf_sk_lookup *ctx, struct vni_vip_key *key)
{
	__u32 *w = (__u32 *)key->addr;

	if (ctx->family == AF_INET) {
		w[0] = ctx->remote_ip4;
		return;
	}
	w[0] = ctx->remote_ip6[0];
	w[1] = ctx->remote_ip6[1];
	w[2] = ctx->remote_ip6[2];
	w[3] = ctx->remote_ip6[3];
}

/*
 * Traffic to an instance's private address: when that is its loopback, from
 * its own addresses (its sockets alone may use them: the guard) to a port
 * where it receives there: a socket on the private address, a dual-stack
 * listener (v6), or one holding the port on the wildcard address.
 */
static __always_inline int to_private(struct bpf_sk_lookup *ctx, const struct vni_vip_owner *o,
				      struct vni_vip_key *key)
{
	struct vni_wild_key wk = {
		.netns_cookie = vni_netns_cookie, .port = (__u16)ctx->local_port,
		.proto = (__u8)ctx->protocol
	};
	struct vni_vip_owner *from;
	struct vni_port_cnt *v;
	struct vni_wild_val *wv;

	/* a socket lookup by a program (bpf_sk_lookup_*: no device) asks who
	 * is parked at a port (vni_inst.bpf.c, bind_park), carries no packet */
	if (o->flags & VNI_VIP_PARK)
		return ctx->ingress_ifindex ? drop() : SK_PASS;
	if (!(o->flags & VNI_VIP_LOOPBACK))
		return drop();
	remote_addr(ctx, key);
	from = bpf_map_lookup_elem(&vni_vips, key);
	if (!from || from->cgid != o->cgid)
		return drop();
	v = port_count(o->cgid, wk.port, wk.proto, true);
	if (v && (ctx->family == AF_INET ? v->v4 : v->v6))
		return SK_PASS;
	if (ctx->family == AF_INET6 && ctx->protocol == IPPROTO_TCP &&
	    assign_dual(ctx, o->cgid) == SK_PASS)
		return SK_PASS;
	wv = bpf_map_lookup_elem(&vni_wild, &wk);
	return wv && wv->count && wv->cgid == o->cgid ? SK_PASS : drop();
}

SEC("sk_lookup")
int vni_lookup(struct bpf_sk_lookup *ctx)
{
	struct vni_vip_key key = { .netns_cookie = vni_netns_cookie, .family = ctx->family };
	struct vni_wild_key wk = {
		.netns_cookie = vni_netns_cookie,
		.port = (__u16)ctx->local_port,
		.proto = (__u8)ctx->protocol,
	};
	__u32 *w = (__u32 *)key.addr;
	struct vni_vip_owner *o;
	struct vni_wild_val *wv;
	__u64 *total;

	if (ctx->family == AF_INET) {
		w[0] = ctx->local_ip4;
	} else {
		w[0] = ctx->local_ip6[0];
		w[1] = ctx->local_ip6[1];
		w[2] = ctx->local_ip6[2];
		w[3] = ctx->local_ip6[3];
	}
	o = bpf_map_lookup_elem(&vni_vips, &key);
	if (o) {
		if (o->flags & VNI_VIP_SERVICE)
			return to_service(ctx, &key);
		return o->flags & VNI_VIP_PRIVATE ? to_private(ctx, o, &key) : to_instance(ctx, o);
	}
	total = wild_total();
	if (!total || !*total)
		return SK_PASS;
	wv = bpf_map_lookup_elem(&vni_wild, &wk);
	return wv && wv->count ? drop() : SK_PASS;
}
