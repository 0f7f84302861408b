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
	__u64 lost_events; /* refusals not reported: the ring buffer was full */
};

/* What was refused (vni_event.op). The guard_* operations are an outsider's
 * use of an instance's VIP. */
enum vni_op {
	VNI_OP_BIND = 1,
	VNI_OP_CONNECT,
	VNI_OP_SEND,
	VNI_OP_SOCKET,     /* socket type vni cannot steer (sock_create) */
	VNI_OP_GUARD_BIND, /* bind of a VIP by a socket not its instance's */
	VNI_OP_GUARD_SEND, /* send with a VIP as source, likewise */
	VNI_OP_PACKET,     /* packet socket (BPF LSM) */
};

/* One refusal, in the ring buffer vni_events (read by 'vnictl monitor'). */
struct vni_event {
	__u64 ktime_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cgid;     /* the instance refused, or (guard) the VIP's owner; 0 if unknown */
	__u32 aid;
	__u32 pid;      /* thread group id, in the initial PID namespace */
	__u32 op;       /* enum vni_op */
	__u32 family;   /* AF_INET, AF_INET6, or the socket's family (socket, packet) */
	/* bind: the address asked; connect, send: the destination; guard_send:
	 * the VIP asked as source. Network byte order, v4 in the first 4 bytes. */
	__u8 addr[16] __attribute__((aligned(4)));
	__u16 port;     /* host byte order; 0 for guard_send */
	__u16 type;     /* socket, packet: socket type and protocol */
	__u16 protocol;
	__u16 pad;
	char comm[16];
};

#define VNI_MAX_VIPS 65536
#define VNI_MAX_INSTANCES 65536
#define VNI_MAX_TAGGED_SOCKETS 262144 /* live instance sockets on their VIP */
#define VNI_EVENTS_BYTES (256 * 1024)  /* ring buffer of refusals */

#endif
