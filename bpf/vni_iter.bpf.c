// SPDX-License-Identifier: GPL-2.0-only
/*
 * Members' sockets that exist already into the dispatch map of services.
 * A TCP listener goes there by itself when it starts to listen (sockops,
 * bpf/vni_service.bpf.h), but one that listened before its instance became
 * a member did so unseen; and no program that runs for a UDP socket may add
 * it to a SOCKHASH at all. So vnictl runs these iterators over the TCP
 * listeners or the UDP sockets of its network namespace (service add,
 * add-member, sync; core/svcmaps.c): each socket of a member instance (its
 * cgroup or one below, up to 4 levels) at the port of one of its services
 * goes into its slot. Loaded, run once and closed; not pinned. A socket's
 * place in the slot is its cookie modulo VNI_SVC_SUBS, as sockops puts it,
 * so running them again puts every socket where it already is.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define VNI_MAP_SVCMEM
#define VNI_MAP_SVCSOCK
#include "vni_shared.h"
#include "vni_defs.bpf.h"
#include "vni_maps.bpf.h"
#include "vni_service.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define TCP_ESTABLISHED 1
#define TCP_LISTEN 10
#define CGROUP_LEVELS 4

/* How many sockets went in (read by vnictl). */
__u64 vni_added = 0;

static __always_inline void add(struct sock *sk, __u64 cgid, __u16 port, __u8 proto,
				__u8 family)
{
	struct vni_svc_sock_key k;

	if (svc_sock_place(cgid, port, proto, family, bpf_get_socket_cookie(sk), &k) &&
	    !bpf_map_update_elem(&vni_svc_socks, &k, sk, BPF_ANY))
		vni_added++;
}

/* The socket's instance and its services at its port. */
static __always_inline void add_member_sock(struct sock *sk, __u8 proto)
{
	struct cgroup *cg;
	__u16 family, port;
	bool v6only;
	__u64 cgid;
	int i;

	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	v6only = BPF_CORE_READ_BITFIELD_PROBED(&sk->__sk_common, skc_ipv6only);
	port = BPF_CORE_READ(sk, __sk_common.skc_num);
	cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	for (i = 0; i < CGROUP_LEVELS && cg; i++) {
		cgid = BPF_CORE_READ(cg, kn, id);
		if (family == AF_INET6)
			add(sk, cgid, port, proto, AF_INET6);
		/* a dual-stack socket serves a v4 service too */
		if (family == AF_INET || !v6only)
			add(sk, cgid, port, proto, AF_INET);
		/* the parent's css is its cgroup's first member */
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	}
}

SEC("iter/udp")
int vni_svc_udp(struct bpf_iter__udp *ctx)
{
	struct sock *sk = (struct sock *)ctx->udp_sk;

	/* a connected socket cannot be handed datagrams (sk_assign) */
	if (sk && BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_ESTABLISHED)
		add_member_sock(sk, IPPROTO_UDP);
	return 0;
}

SEC("iter/tcp")
int vni_svc_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	/* listeners only (the iterator shows request and time-wait socks too) */
	if (skc && BPF_CORE_READ(skc, skc_state) == TCP_LISTEN)
		add_member_sock((struct sock *)skc, IPPROTO_TCP);
	return 0;
}
