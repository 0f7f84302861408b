// SPDX-License-Identifier: GPL-2.0-only
/*
 * The node-wide guard, linked once to the cgroup2 root (links pinned under
 * guard/), so it sees every socket of the node, in an instance or not: a VIP
 * (or an instance's private address) may be bound or used as a source only by
 * a socket that its own instance tagged (vni_sktag, set by the instance
 * programs of vni_inst.bpf.c, which run first for the instance's sockets).
 * The same holds for dialing an instance's private ::1 (--loopback private):
 * the kernel gives a socket dialing an address of the node that very address
 * as source, which vni_lookup would take for the instance's own traffic.
 * (v4 needs no such guard: a socket dialing 127/8 gets 127.0.0.1.)
 * A service address (vnictl service) is no instance's: no socket binds it,
 * and only a member's UDP reply to a flow dispatched to it leaves from it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define VNI_MAP_VIPS
#define VNI_MAP_SKTAG
#define VNI_MAP_GSTATS
#define VNI_MAP_EVENTS
#define VNI_MAP_SVCS
#define VNI_MAP_SVCMEM
#define VNI_IN_GUARD
#include "vni_shared.h"
#include "vni_defs.bpf.h"
#include "vni_maps.bpf.h"
#include "vni_addr.bpf.h"
#include "vni_events.bpf.h"
#include "vni_service.bpf.h"
#include "vni_vouch.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The owner of address (family, a) when this socket may not use it (bind
 * it, or send from it): the address is a VIP and the socket was not tagged
 * by the VIP's instance. NULL when the socket may. */
static __always_inline struct vni_vip_owner *refused_owner(struct bpf_sock_addr *ctx,
							   __u32 family, const union vni_ip *a,
							   bool send)
{
	struct vni_vip_key key = {
		.netns_cookie = bpf_get_netns_cookie(ctx),
		.family = family,
	};
	struct vni_vip_owner *owner;
	struct vni_sk_tag *tag;
	__u64 cookie;

	*(union vni_ip *)key.addr = *a;
	owner = bpf_map_lookup_elem(&vni_vips, &key);
	if (!owner)
		return NULL;
	cookie = bpf_get_socket_cookie(ctx);
	tag = bpf_map_lookup_elem(&vni_sktag, &cookie);
	if (owner->flags & VNI_VIP_PARK) /* any instance's socket may be parked there */
		return tag ? NULL : owner;
	if (owner->flags & VNI_VIP_SERVICE)
		return send && tag && svc_reply_ok(ctx, &key, tag->cgid) ? NULL : owner;
	return tag && tag->cgid == owner->cgid ? NULL : owner;
}

/* A v6 address: ::ffff:a.b.c.d is the v4 VIP a.b.c.d. */
static __always_inline struct vni_vip_owner *refused_owner6(struct bpf_sock_addr *ctx,
							    const union vni_ip *a, bool send)
{
	union vni_ip v4 = { .w = { a->w[3] } };

	if (is_any6(a))
		return NULL;
	if (is_mapped(a))
		return v4.w[0] ? refused_owner(ctx, AF_INET, &v4, send) : NULL;
	return refused_owner(ctx, AF_INET6, a, send);
}

/* The event names the VIP's owner; pid and comm are the outsider's. */
static __always_inline int guard_deny(const struct vni_vip_owner *o, __u32 op, __u32 family,
				      const union vni_ip *a, __u32 port)
{
	struct vni_guard_stats *s = guard_stats();

	if (s) {
		if (op == VNI_OP_GUARD_BIND)
			s->denied_bind++;
		else
			s->denied_send++; /* (and connects: the map's layout is kept) */
	}
	/* (the parking address is no instance's: its cgid field counts holders) */
	report_addr(op, o->flags & VNI_VIP_PARK ? 0 : o->cgid, o->aid, family, a, port);
	return VNI_DENY;
}

/* A destination that is an instance's private loopback, not for this socket. */
static __always_inline struct vni_vip_owner *refused_lo_dst(struct bpf_sock_addr *ctx,
							    const union vni_ip *dst)
{
	struct vni_vip_owner *o = refused_owner6(ctx, dst, false);

	return o && (o->flags & VNI_VIP_LOOPBACK) ? o : NULL;
}

SEC("cgroup/bind4")
int vni_guard_bind4(struct bpf_sock_addr *ctx)
{
	union vni_ip a = { .w = { ctx->user_ip4 } };
	struct vni_vip_owner *o = a.w[0] ? refused_owner(ctx, AF_INET, &a, false) : NULL;

	return o ? guard_deny(o, VNI_OP_GUARD_BIND, AF_INET, &a, ctx->user_port) : VNI_ALLOW;
}

/* The address the context's user_ip6 names: binding a VIP (op bind), or
 * dialing an instance's private ::1 (op connect). */
static __always_inline int guard_user6(struct bpf_sock_addr *ctx, __u32 op)
{
	struct vni_vip_owner *o;
	union vni_ip a;

	get_user_ip6(ctx, &a);
	o = op == VNI_OP_GUARD_BIND ? refused_owner6(ctx, &a, false) : refused_lo_dst(ctx, &a);
	return o ? guard_deny(o, op, AF_INET6, &a, ctx->user_port) : VNI_ALLOW;
}

SEC("cgroup/bind6")
int vni_guard_bind6(struct bpf_sock_addr *ctx)
{
	return guard_user6(ctx, VNI_OP_GUARD_BIND);
}

SEC("cgroup/sendmsg4")
int vni_guard_send4(struct bpf_sock_addr *ctx)
{
	union vni_ip src = { .w = { ctx->msg_src_ip4 } };
	struct vni_vip_owner *o;

	if (!src.w[0] || vouched())
		return VNI_ALLOW;
	o = refused_owner(ctx, AF_INET, &src, true);
	return o ? guard_deny(o, VNI_OP_GUARD_SEND, AF_INET, &src, 0) : VNI_ALLOW;
}

SEC("cgroup/sendmsg6")
int vni_guard_send6(struct bpf_sock_addr *ctx)
{
	struct vni_vip_owner *o;
	union vni_ip src;

	get_msg_src_ip6(ctx, &src);
	o = is_any6(&src) || vouched() ? NULL : refused_owner6(ctx, &src, true);
	if (o)
		return guard_deny(o, VNI_OP_GUARD_SEND, AF_INET6, &src, 0);
	/* (vouched or not: the destination may be another instance's ::1) */
	return guard_user6(ctx, VNI_OP_GUARD_CONNECT);
}

SEC("cgroup/connect6")
int vni_guard_connect6(struct bpf_sock_addr *ctx)
{
	return guard_user6(ctx, VNI_OP_GUARD_CONNECT);
}
