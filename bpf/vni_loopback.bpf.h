/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private loopback (attach --loopback private): inside the instance,
 * 127.0.0.1 and ::1 are the instance's private addresses (priv4(), priv6(),
 * include/vni_shared.h), which only its own sockets reach (vni_lookup).
 *  - forward (bind, connect, sendmsg): 127.0.0.1 / ::1 / ::ffff:127.0.0.1 go
 *    to the private address, or to the VIP when only a socket on the VIP
 *    receives at that port (a wildcard listener: reachable at localhost, as
 *    on a host of its own); the source is the private address;
 *  - back (getsockname, getpeername, recvmsg): the private address reads as
 *    127.0.0.1 / ::1, and so does the VIP where it stands for a loopback
 *    peer (the socket's other end is the private address, or vni_lo_sends
 *    remembers the send).
 * Other loopback addresses (127.0.0.53, 127.0.1.1...) stay the node's.
 * Included by vni_inst.bpf.c, after the maps it names (INST, PORTS, LOSEND).
 */
#ifndef VNI_LOOPBACK_BPF_H
#define VNI_LOOPBACK_BPF_H

#include <bpf/bpf_endian.h>
#include "vni_addr.bpf.h"

#define LO4 bpf_htonl(0x7f000001) /* 127.0.0.1 */

#define VIP4(in) (*(const __u32 *)(in)->vip4)
#define VIP6(in) ((const union vni_ip *)(in)->vip6)

static __always_inline bool private_lo(const struct vni_inst *in)
{
	return in->flags & VNI_F_PRIVATE_LO;
}

static __always_inline void set_lo6(union vni_ip *a)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = 0;
	a->w[3] = bpf_htonl(1);
}

/* Whether the instance has a socket receiving at port (the context's
 * user_port), on its private address (priv) or on its VIP, of a family. */
static __always_inline bool receives(const struct vni_inst *in, __u32 user_port, __u32 proto,
				     bool priv, bool v6)
{
	struct vni_port_cnt *v = port_count(in->cgid, bpf_ntohs((__u16)user_port), (__u8)proto,
					    priv);

	return v && (v6 ? v->v6 : v->v4);
}

/* Where 127.0.0.1:port goes: the VIP when only a socket there receives. */
static __always_inline __u32 lo_target4(const struct vni_inst *in, __u32 user_port, __u32 proto)
{
	if ((in->flags & VNI_F_V4) && !receives(in, user_port, proto, true, false) &&
	    receives(in, user_port, proto, false, false))
		return VIP4(in);
	return priv4(in->aid);
}

/* Where [::1]:port goes, in *to; true when that is the v6 VIP. (A dual-stack
 * listener on ::ffff:VIP4 gets it at the private address: vni_lookup
 * assigns it, as it does the v6 VIP's connections.) */
static __always_inline bool lo_target6(const struct vni_inst *in, __u32 user_port, __u32 proto,
				       union vni_ip *to)
{
	if ((in->flags & VNI_F_V6) && !receives(in, user_port, proto, true, true) &&
	    receives(in, user_port, proto, false, true)) {
		*to = *VIP6(in);
		return true;
	}
	priv6(in->aid, to);
	return false;
}

/* An unconnected send to loopback went to the VIP: remember it, so that the
 * replies from VIP:port read as loopback. */
static __always_inline void lo_sent(void *ctx, __u32 user_port, __u32 family)
{
	struct vni_lo_key k = {
		.cookie = bpf_get_socket_cookie(ctx), .port = user_port, .family = family
	};
	__u32 one = 1;

	if (!bpf_map_lookup_elem(&vni_lo_sends, &k))
		bpf_map_update_elem(&vni_lo_sends, &k, &one, BPF_ANY);
}

static __always_inline bool was_sent(void *ctx, __u32 user_port, __u32 family)
{
	struct vni_lo_key k = {
		.cookie = bpf_get_socket_cookie(ctx), .port = user_port, .family = family
	};

	return bpf_map_lookup_elem(&vni_lo_sends, &k) != NULL;
}

/*
 * Read back. A v4 address a (also the w[3] of a v4-mapped one) is loopback
 * when it is the private address, or the VIP where the socket's other end
 * (other: its local address for a peer, its peer for a local address) is
 * the private address, or (peers only) a loopback send went there.
 */
static __always_inline bool lo_local4(const struct vni_inst *in, __u32 a, __u32 peer)
{
	__u32 own = priv4(in->aid);

	return a == own || ((in->flags & VNI_F_V4) && a == VIP4(in) && peer == own);
}

static __always_inline bool lo_peer4(void *ctx, const struct vni_inst *in, __u32 a,
				     __u32 local, __u32 user_port)
{
	__u32 own = priv4(in->aid);

	if (a == own)
		return true;
	if (!(in->flags & VNI_F_V4) || a != VIP4(in))
		return false;
	return local == own || was_sent(ctx, user_port, AF_INET);
}

/* The same for a native v6 address (other: the socket's other end). */
static __always_inline bool lo_addr6(void *ctx, const struct vni_inst *in, const union vni_ip *a,
				     const union vni_ip *other, bool peer, __u32 user_port)
{
	union vni_ip own;

	priv6(in->aid, &own);
	if (eq6(a, &own))
		return true;
	if (!(in->flags & VNI_F_V6) || !eq6(a, VIP6(in)))
		return false;
	return eq6(other, &own) || (peer && was_sent(ctx, user_port, AF_INET6));
}

#endif
