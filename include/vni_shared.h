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
#define VNI_F_PRIVATE_LO (1u << 3) /* --loopback private: 127.0.0.1 and ::1 are its own */
#define VNI_F_VIDS (1u << 4)      /* has virtual ids in vni_vids (a clone) */

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
	/* not a count: the cookie of the socket this CPU last found tagged and
	 * counted when it sent (vni_inst.bpf.c, count_sender) */
	__u64 sender;
};

/* Who owns a VIP, for the node-wide guard (cgroup2 root programs). */
struct vni_vip_key {
	__u64 netns_cookie; /* addresses are per network namespace */
	__u32 family;       /* AF_INET or AF_INET6 */
	__u8 addr[16] __attribute__((aligned(4))); /* v4 in the first 4 bytes */
	__u32 pad;          /* explicit, so keys built in BPF hash the same */
};

/* vni_vip_owner.flags */
#define VNI_VIP_PRIVATE (1u << 0) /* the instance's private address, not a VIP */
#define VNI_VIP_LOOPBACK (1u << 1) /* ... that is its 127.0.0.1 / ::1 (--loopback private):
				      its own sockets reach it */
#define VNI_VIP_SERVICE (1u << 2)  /* a service address (vnictl service): owned by no
				      instance (cgid 0), dispatched to its members */
#define VNI_VIP_PARK (1u << 3)     /* the parking address (VNI_PARK6): no instance's,
				      every instance's sockets may bind it; .users
				      counts the instances holding it */
#define VNI_VIP_PARKED (1u << 4)   /* on an instance's v4 VIP: it holds one of those */

/* Owners and tags name the instance by cgroup id, which the kernel never
 * hands out twice in a boot: a socket tagged by a detached instance can never
 * pass for a later one (AIDs can be reused). */
struct vni_vip_owner {
	__u32 aid;
	__u32 flags;
	union {
		__u64 cgid;
		__u64 users; /* VNI_VIP_PARK */
	};
};

/*
 * The private address of an instance: where a wildcard socket of a family
 * it has no VIP of lands, so it binds as on a host whose addresses are the
 * VIPs, and no one outside the instance reaches it (sk_lookup drops traffic
 * to it). v4: 127.128.0.0/9 + the AID's low 23 bits (loopback: local without
 * an address), for v6-only instances. v6: fd76:6e69:6c6f::/96 + the AID (a
 * ULA, added to lo), only with --loopback private; a v4-only instance's
 * v6-only wildcard sockets are parked instead (below: nginx's
 * `listen [::]:80`). With --loopback private the instance has both, whatever
 * its VIPs: they are its 127.0.0.1 and ::1 (bind, connect and send go there,
 * what it reads back says 127.0.0.1 and ::1), reached by its own sockets
 * only.
 */
#define VNI_PRIV4_NET 0x7f800000u  /* host order */
#define VNI_PRIV4_HOST 0x007fffffu /* host bits (of the AID) */
#define VNI_PRIV6_W0 0xfd766e69u   /* host order words 0 and 1; word 2 is 0, 3 the AID */
#define VNI_PRIV6_W1 0x6c6f0000u

/*
 * The parking address: fd76:6e69:6c6f:: (the private v6 address of AID 0,
 * which no instance has). A v4-only instance with a shared loopback gets no
 * private v6 address of its own: its [::] sockets with IPV6_V6ONLY are
 * parked there, on the port asked when no other instance's socket holds it
 * there, else on one the kernel picks. No one reaches them (as a private
 * address). One address per network namespace instead of one per instance:
 * every IPv6 address of a namespace costs each IPv6 address add and
 * removal, and each source address the kernel picks for the node's own v6
 * traffic, a walk over all of them (docs/benchmarks.md).
 */
#define VNI_PARK6_AID 0

/* vni_sk_tag.reg: what a socket is counted as in vni_ports / vni_wild */
#define VNI_REG_V4 (1u << 0)   /* receives v4 at the instance's v4 VIP */
#define VNI_REG_V6 (1u << 1)   /* receives v6 at the instance's v6 VIP */
#define VNI_REG_WILD (1u << 2) /* holds its port on the wildcard address */
#define VNI_REG_PRIV (1u << 3) /* V4/V6 count at the private addresses, not the VIPs */
/* vni_sk_tag.flags */
#define VNI_TAG_DUAL (1u << 0) /* a dual-stack [::] socket bound to ::ffff:VIP4 */

/* Per-socket tag set by an instance's programs when the socket uses its VIP
 * (the guard checks it), with what the socket is counted as (sock_release
 * takes it back). */
struct vni_sk_tag {
	__u64 cgid;
	__u16 port;  /* host order: the port counted */
	__u8 proto;  /* IPPROTO_TCP (listeners) or IPPROTO_UDP */
	__u8 reg;    /* VNI_REG_*, 0: not counted */
	__u32 flags; /* VNI_TAG_* */
};

/*
 * Receive confinement (sk_lookup, bpf/vni_lookup.bpf.c): whether the owner
 * of a VIP has a socket that receives at a port. Counted by the instance
 * programs: TCP listeners when they listen (sock_ops), UDP sockets when they
 * bind to a VIP (post_bind) or send from the wildcard address (sendmsg);
 * taken back in sock_release. An entry counts a block of VNI_PORT_BLOCK
 * ports: an instance's ports fit in a few entries that stay in the cache (a
 * listener on another ephemeral port each time, one entry per port, found
 * its entry cold: about 460 ns of a listen).
 */
#define VNI_PORT_BLOCK 16

struct vni_port_key {
	__u64 cgid;  /* the instance */
	__u16 block; /* port / VNI_PORT_BLOCK (port in host order) */
	__u8 proto;
	__u8 priv;   /* 1: counts at the private addresses (v4, v6), 0: at the VIPs */
	__u8 pad[4];
};

struct vni_port_cnt {
	__u32 v4; /* sockets receiving v4 at the instance's v4 VIP (or private address) */
	__u32 v6; /* ... v6 at its v6 VIP (or private address) */
};

struct vni_port_val {
	struct vni_port_cnt n[VNI_PORT_BLOCK]; /* [port % VNI_PORT_BLOCK] */
};

/* Ports held on the wildcard address by instances' sockets (a UDP socket
 * that sent before binding, a TCP socket that listened before binding): such
 * a socket would receive on the node's addresses too, so sk_lookup drops
 * traffic to that port on any address that is not the instance's. */
struct vni_wild_key {
	__u64 netns_cookie;
	__u16 port; /* host order */
	__u8 proto;
	__u8 pad[5];
};

struct vni_wild_val {
	__u64 cgid; /* the instance (for cleanup at detach) */
	__u32 count;
	__u32 pad;
};

/* A dual-stack listener bound to ::ffff:VIP4 receives its v6 connections by
 * sk_lookup assignment from this SOCKHASH (a socket bound to a v6 address
 * can no longer receive v4: the kernel makes it V6ONLY). A few slots per
 * port keep a reuseport group reachable when one member closes. */
struct vni_dual_key {
	__u64 cgid;
	__u16 port; /* host order */
	__u16 slot;
	__u32 pad;
};
#define VNI_DUAL_SLOTS 4

/*
 * An unconnected UDP send of a private-loopback instance to 127.0.0.1:P (or
 * [::1]:P) that went to the instance's VIP, where its wildcard socket on P
 * receives: the replies come from VIP:P, and the socket must read them as
 * 127.0.0.1:P (a resolver checks who answered). Kept by sendmsg, read by
 * recvmsg; an LRU, as Cilium's socket-LB keeps its reverse NAT.
 */
struct vni_lo_key {
	__u64 cookie; /* the sending socket */
	__u32 port;   /* P as the context holds it (network order) */
	__u32 family; /* AF_INET: 127.0.0.1 -> VIP4; AF_INET6: ::1 -> VIP6 */
};

/*
 * Virtual ids (the patent's RID translation table): an address an
 * instance's sockets name that stands for one of its own. A clone's
 * template VIPs: the sockets CRIU restores bind the template's VIP and get
 * the clone's, and a connect or send to the template's VIP reaches the
 * clone's. Looked up only for instances flagged VNI_F_VIDS.
 */
struct vni_vid_key {
	__u64 cgid;   /* the instance */
	__u32 family; /* AF_INET or AF_INET6 */
	__u8 addr[16] __attribute__((aligned(4))); /* the virtual address (v4: first 4 bytes) */
	__u32 pad;
};

struct vni_vid_val {
	__u8 addr[16] __attribute__((aligned(4))); /* the instance's own: its VIP */
};

/*
 * Service addresses (vnictl service; bpf/vni_service.bpf.h): ADDR:PORT served
 * by several instances, each listening on its own VIP at PORT. New
 * connections and UDP datagrams to ADDR:PORT are dispatched by vni_lookup
 * (sk_lookup) to one member's socket, chosen by a hash of the 4-tuple.
 * ADDR is owned in vni_vips with VNI_VIP_SERVICE (cgid 0: no socket may bind
 * it or send from it, but for a member's UDP replies). A member is a slot of
 * its service; its sockets are in vni_svc_socks under (service, slot).
 */
struct vni_svc_key {
	__u64 netns_cookie;
	__u32 family;
	__u8 addr[16] __attribute__((aligned(4))); /* v4 in the first 4 bytes */
	__u16 port; /* host order */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

struct vni_svc_val {
	__u32 id;    /* 1..VNI_MAX_SERVICES-1: its slots in vni_svc_slots */
	__u32 slots; /* slots in use are below this (holes: members removed) */
};

/* Which service slot a member's socket at (port, proto, family) fills: what
 * the instance programs look up when one of its sockets listens (TCP) and
 * when it sends (a UDP reply takes the service address as source). */
struct vni_svc_member_key {
	__u64 cgid;
	__u16 port;   /* host order */
	__u8 proto;
	__u8 family;  /* AF_INET or AF_INET6: the service address's */
	__u32 pad;
};

struct vni_svc_member {
	__u32 id;
	__u32 slot;
};

/* vni_svc_slots[id * VNI_SVC_MAX_MEMBERS + slot]: the member's instance (0:
 * a hole) and how many connections (TCP) or datagrams (UDP) went to it. */
struct vni_svc_slot {
	__u64 cgid;
	__u64 dispatched;
};

/* A member's sockets: a few per slot (a reuseport group, a v4 and a
 * dual-stack listener); a socket leaves the map when it closes. */
struct vni_svc_sock_key {
	__u32 id;
	__u16 slot;
	__u16 sub;
};
#define VNI_SVC_SUBS 4

/* A UDP flow dispatched to a member: its replies to the peer leave from the
 * service address (set by the member's sendmsg program). An LRU. */
struct vni_svc_flow_key {
	__u64 cgid;    /* the member */
	__u32 family;
	__u16 port;    /* the service port, host order */
	__u16 rport;   /* the peer's port, network order */
	__u8 raddr[16] __attribute__((aligned(4))); /* the peer */
};

struct vni_svc_flow {
	__u8 addr[16] __attribute__((aligned(4))); /* the service address */
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
	__u64 dropped_recv; /* connections and datagrams sk_lookup turned away */
	__u64 ports_full;   /* sockets not counted: vni_ports or vni_wild was full */
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
	VNI_OP_GUARD_CONNECT, /* connect or send to an instance's private ::1, likewise */
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
#define VNI_MAX_PORTS 65536           /* (instance, block of ports) in vni_ports */
#define VNI_MAX_WILD 65536            /* wildcard-bound ports in vni_wild */
#define VNI_MAX_DUAL 65536            /* dual-stack listener slots */
#define VNI_MAX_LO_SENDS 65536        /* vni_lo_sends: remembered loopback sends */
#define VNI_MAX_VIDS 65536            /* vni_vids: virtual ids of clones */
#define VNI_MAX_SERVICES 256          /* service ids 1..255 */
#define VNI_SVC_MAX_MEMBERS 64        /* slots per service */
#define VNI_MAX_SVC_FLOWS 65536       /* vni_svc_flows: UDP flows remembered */

#endif
