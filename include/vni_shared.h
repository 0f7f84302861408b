/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Records shared by the BPF programs (bpf/) and the loader (loader/).
 * This is the one definition of the map layouts: `bpftool map dump` prints
 * these field names because the BPF objects carry their BTF.
 */
#ifndef VNI_SHARED_H
#define VNI_SHARED_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* vni_inst.flags */
#define VNI_F_V4 (1u << 0)        /* vip4 is set */
#define VNI_F_V6 (1u << 1)        /* vip6 is set */
#define VNI_F_ALLOW_RAW (1u << 2) /* opt-out: raw, packet, ping, SCTP... allowed */

/*
 * One instance, stored in the cgroup storage of the instance cgroup (key:
 * cgroup id). aid == 0 means "not configured yet": programs refuse every
 * socket operation until the loader has written the record (fail closed).
 */
struct vni_inst {
	__u32 aid;
	__u32 flags;
	__u64 cgid; /* the instance cgroup's id: what socket tags and VIP owners name */
	/* network byte order; bytes so that bpftool prints [10,10,0,1] */
	__u8 vip4[4] __attribute__((aligned(4)));
	__u8 vip6[16] __attribute__((aligned(4)));
};

/* Per-instance counters (per-CPU cgroup storage; the loader sums CPUs). */
struct vni_stats {
	__u64 bind_rewritten;  /* wildcard bind turned into a VIP bind */
	__u64 bind_allowed;    /* bind to the VIP or loopback */
	__u64 connect_src_set; /* connect given the VIP as source */
	__u64 send_src_set;    /* unconnected/cmsg send given the VIP as source */
	__u64 denied_bind;
	__u64 denied_connect;
	__u64 denied_send;
	__u64 denied_socket; /* socket type vni cannot steer (raw, ping, ...) */
};

/* Who owns a VIP, for the node-wide guard (cgroup2 root programs). */
struct vni_vip_key {
	__u64 netns_cookie; /* addresses are per network namespace */
	__u32 family;       /* AF_INET or AF_INET6 */
	__u8 addr[16] __attribute__((aligned(4))); /* v4 in the first 4 bytes */
	__u32 pad;          /* explicit, so keys built in BPF hash the same */
};

/* Owners and tags name the instance by cgroup id, which the kernel never
 * hands out twice in a boot: a socket tagged by a detached instance can never
 * pass for a later one (AIDs can be reused). */
struct vni_vip_owner {
	__u32 aid;
	__u32 pad;
	__u64 cgid;
};

/* Per-socket tag set by an instance's programs when the socket uses its VIP. */
struct vni_sk_tag {
	__u64 cgid;
};

/* Mirror of the instance records keyed by cgroup id, for task-based hooks (LSM). */
struct vni_cgrp_val {
	__u32 aid;
	__u32 flags;
};

/* Node-wide counters of the guard programs. */
struct vni_guard_stats {
	__u64 denied_bind;
	__u64 denied_send;
	__u64 denied_packet;
};

#define VNI_MAX_VIPS 65536
#define VNI_MAX_INSTANCES 65536
#define VNI_MAX_TAGGED_SOCKETS 262144 /* live instance sockets on their VIP */

#endif
