/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Addresses: one 4-word union, in network byte order as the context fields
 * hold them; a v4 address is w[0] (in an AF_INET key or event), or w[3] of
 * ::ffff:a.b.c.d. The helpers take it by pointer; being always_inline,
 * what stays of it after clang is four registers or 16 bytes of stack.
 */
#ifndef VNI_ADDR_BPF_H
#define VNI_ADDR_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "vni_shared.h"

union vni_ip {
	__u32 w[4];
};

static __always_inline bool is_lo4(__u32 a)
{
	return (bpf_ntohl(a) >> 24) == 127;
}

static __always_inline bool is_any6(const union vni_ip *a)
{
	return !(a->w[0] | a->w[1] | a->w[2] | a->w[3]);
}

/* ::ffff:a.b.c.d (the v4 address is w[3]) */
static __always_inline bool is_mapped(const union vni_ip *a)
{
	return a->w[0] == 0 && a->w[1] == 0 && a->w[2] == bpf_htonl(0xffff);
}

static __always_inline bool is_lo6(const union vni_ip *a)
{
	return a->w[0] == 0 && a->w[1] == 0 && a->w[2] == 0 && a->w[3] == bpf_htonl(1);
}

static __always_inline bool eq6(const union vni_ip *a, const union vni_ip *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2] &&
	       a->w[3] == b->w[3];
}

/* ::ffff:v4 */
static __always_inline void set_mapped(union vni_ip *a, __u32 v4)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = bpf_htonl(0xffff);
	a->w[3] = v4;
}

/* The instance's private addresses (include/vni_shared.h). */
static __always_inline __u32 priv4(__u32 aid)
{
	return bpf_htonl(VNI_PRIV4_NET | (aid & VNI_PRIV4_HOST));
}

static __always_inline void priv6(__u32 aid, union vni_ip *a)
{
	a->w[0] = bpf_htonl(VNI_PRIV6_W0);
	a->w[1] = bpf_htonl(VNI_PRIV6_W1);
	a->w[2] = 0;
	a->w[3] = bpf_htonl(aid);
}

/* The parking address of v4-only instances' v6-only wildcard sockets. */
static __always_inline void park6(union vni_ip *a)
{
	priv6(VNI_PARK6_AID, a);
}

/*
 * Context fields. The verifier takes user_ip6[i], msg_src_ip6[i] and
 * src_ip6[i] only as single 4-byte accesses at the context pointer plus a
 * constant: one word per statement, with barrier()s so clang merges none of
 * them. Programs read them into a union early, before clang can keep a
 * pointer moved to the field (the verifier refuses "modified ctx ptr").
 */
static __always_inline void get_user_ip6(const struct bpf_sock_addr *ctx, union vni_ip *a)
{
	a->w[0] = ctx->user_ip6[0];
	barrier();
	a->w[1] = ctx->user_ip6[1];
	barrier();
	a->w[2] = ctx->user_ip6[2];
	barrier();
	a->w[3] = ctx->user_ip6[3];
}

static __always_inline void get_msg_src_ip6(const struct bpf_sock_addr *ctx, union vni_ip *a)
{
	a->w[0] = ctx->msg_src_ip6[0];
	barrier();
	a->w[1] = ctx->msg_src_ip6[1];
	barrier();
	a->w[2] = ctx->msg_src_ip6[2];
	barrier();
	a->w[3] = ctx->msg_src_ip6[3];
}

/* A socket's local v6 address (the program's context, or ctx->sk). */
static __always_inline void get_src_ip6(const struct bpf_sock *sk, union vni_ip *a)
{
	a->w[0] = sk->src_ip6[0];
	barrier();
	a->w[1] = sk->src_ip6[1];
	barrier();
	a->w[2] = sk->src_ip6[2];
	barrier();
	a->w[3] = sk->src_ip6[3];
}

/* ... and its peer's. */
static __always_inline void get_dst_ip6(const struct bpf_sock *sk, union vni_ip *a)
{
	a->w[0] = sk->dst_ip6[0];
	barrier();
	a->w[1] = sk->dst_ip6[1];
	barrier();
	a->w[2] = sk->dst_ip6[2];
	barrier();
	a->w[3] = sk->dst_ip6[3];
}

static __always_inline void set_user_ip6(struct bpf_sock_addr *ctx, const union vni_ip *a)
{
	ctx->user_ip6[0] = a->w[0];
	barrier();
	ctx->user_ip6[1] = a->w[1];
	barrier();
	ctx->user_ip6[2] = a->w[2];
	barrier();
	ctx->user_ip6[3] = a->w[3];
}

static __always_inline void set_msg_src_ip6(struct bpf_sock_addr *ctx, const union vni_ip *a)
{
	ctx->msg_src_ip6[0] = a->w[0];
	barrier();
	ctx->msg_src_ip6[1] = a->w[1];
	barrier();
	ctx->msg_src_ip6[2] = a->w[2];
	barrier();
	ctx->msg_src_ip6[3] = a->w[3];
}

#endif
