/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every map vni pins, declared once. The objects share them by pinning by
 * name (maps/<name> under the bpffs dir, the loader's pin_root_path): the
 * first object to load creates a map, the others reuse it.
 *
 * An object has only the maps it names before it includes any vni header
 * (an unused map would still be created or reused at every load):
 *
 *	#define VNI_MAP_VIPS
 *	#define VNI_MAP_GSTATS
 *	#include "vni_maps.bpf.h"
 *
 * Layouts and sizes: include/vni_shared.h.
 */
#ifndef VNI_MAPS_BPF_H
#define VNI_MAPS_BPF_H

#include <bpf/bpf_helpers.h>
#include "vni_shared.h"

/* ---- instances -------------------------------------------------------- */

#ifdef VNI_MAP_INST
/* The instance record (aid, VIPs): storage of the instance cgroup, which the
 * programs linked there read with bpf_get_local_storage(). */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
	__type(key, __u64); /* cgroup id: one record per cgroup, shared by all hooks */
	__type(value, struct vni_inst);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_inst SEC(".maps");
#endif

#ifdef VNI_MAP_STATS
/* The instance's counters (vnictl stats). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE);
	__type(key, __u64);
	__type(value, struct vni_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_stats SEC(".maps");
#endif

#ifdef VNI_MAP_CGRP
/* Instance cgroup id -> aid, flags: a mirror of the records for hooks that
 * only know the task (LSM). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNI_MAX_INSTANCES);
	__type(key, __u64);
	__type(value, struct vni_cgrp_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_cgrp SEC(".maps");
#endif

/* ---- who may use an address ------------------------------------------- */

#ifdef VNI_MAP_VIPS
/* (netns cookie, family, address) -> the instance that owns the VIP or
 * private address: the guard keeps others off it, sk_lookup steers its
 * traffic. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNI_MAX_VIPS);
	__type(key, struct vni_vip_key);
	__type(value, struct vni_vip_owner);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_vips SEC(".maps");
#endif

#ifdef VNI_MAP_SKTAG
/*
 * Socket cookie -> the instance that last gave the socket its VIP. The guard
 * always checks right after the instance's program tagged the socket in the
 * same call, and cookies are never reused. vni_sock_release deletes the tag
 * when the socket goes, which keeps the map far from full (an LRU insert
 * that must evict is what costs, as does a socket-storage allocation per
 * socket, the first design).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, VNI_MAX_TAGGED_SOCKETS);
	__type(key, __u64);
	__type(value, struct vni_sk_tag);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_sktag SEC(".maps");
#endif

/* ---- receiving: kept by the instance programs, read by sk_lookup ------ */

#ifdef VNI_MAP_PORTS
/* (instance, block of ports, protocol) -> how many of its sockets receive
 * at each port. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, VNI_MAX_PORTS);
	__type(key, struct vni_port_key);
	__type(value, struct vni_port_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_ports SEC(".maps");

static __always_inline struct vni_port_key port_key(__u64 cgid, __u16 port, __u8 proto, bool priv)
{
	struct vni_port_key k = {
		.cgid = cgid, .block = port / VNI_PORT_BLOCK, .proto = proto, .priv = priv
	};

	return k;
}

/* The counters of the instance's sockets at port; NULL: none ever there. */
static __always_inline struct vni_port_cnt *port_count(__u64 cgid, __u16 port, __u8 proto,
							bool priv)
{
	struct vni_port_key k = port_key(cgid, port, proto, priv);
	struct vni_port_val *v = bpf_map_lookup_elem(&vni_ports, &k);

	if (!v)
		return NULL;
	barrier_var(v); /* (no arithmetic on the pointer before its NULL check) */
	return &v->n[port % VNI_PORT_BLOCK];
}
#endif

#ifdef VNI_MAP_WILD
/* (netns, port, protocol) held on the wildcard address by an instance. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, VNI_MAX_WILD);
	__type(key, struct vni_wild_key);
	__type(value, struct vni_wild_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_wild SEC(".maps");
#endif

#ifdef VNI_MAP_WILDN
/* How many sockets vni_wild counts, node-wide: while none, vni_lookup skips
 * that lookup for the node's own traffic (an array lookup costs next to
 * nothing, a hash lookup does not). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_wildn SEC(".maps");

static __always_inline __u64 *wild_total(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vni_wildn, &zero);
}
#endif

#ifdef VNI_MAP_DUAL
/* Dual-stack listeners (on ::ffff:VIP4), for sk_lookup to assign them the
 * v6 VIP's connections. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, VNI_MAX_DUAL);
	__type(key, struct vni_dual_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_dual SEC(".maps");
#endif

#ifdef VNI_MAP_VIDS
/* Virtual ids: (instance, family, address) -> the instance's own address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNI_MAX_VIDS);
	__type(key, struct vni_vid_key);
	__type(value, struct vni_vid_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_vids SEC(".maps");
#endif

#ifdef VNI_MAP_LOSEND
/* Loopback sends that went to the VIP (include/vni_shared.h, vni_lo_key). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VNI_MAX_LO_SENDS);
	__type(key, struct vni_lo_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_lo_sends SEC(".maps");
#endif

/* ---- service addresses (vnictl service; bpf/vni_service.bpf.h) -------- */

#ifdef VNI_MAP_SVCS
/* (netns, address, port, protocol) -> the service served there. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNI_MAX_SERVICES);
	__type(key, struct vni_svc_key);
	__type(value, struct vni_svc_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_svcs SEC(".maps");
#endif

#ifdef VNI_MAP_SVCMEM
/* (member, port, protocol, family) -> its service and slot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNI_MAX_SERVICES * VNI_SVC_MAX_MEMBERS);
	__type(key, struct vni_svc_member_key);
	__type(value, struct vni_svc_member);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_svc_members SEC(".maps");

/* How many entries vni_svc_members has: while none, an instance's listen and
 * send skip that lookup (an array lookup costs next to nothing). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_svcn SEC(".maps");
#endif

#ifdef VNI_MAP_SVCSLOT
/* Service slots: the member and its dispatch counter (vni_svc_slot). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VNI_MAX_SERVICES * VNI_SVC_MAX_MEMBERS);
	__type(key, __u32);
	__type(value, struct vni_svc_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_svc_slots SEC(".maps");
#endif

#ifdef VNI_MAP_SVCSOCK
/* The members' sockets: TCP listeners put there by the instance's sockops
 * program when they listen, UDP sockets by vnictl (bpf/vni_iter.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, VNI_MAX_SERVICES * VNI_SVC_MAX_MEMBERS * VNI_SVC_SUBS);
	__type(key, struct vni_svc_sock_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_svc_socks SEC(".maps");
#endif

#ifdef VNI_MAP_SVCFLOW
/* UDP flows dispatched to a member, for the source of its replies. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VNI_MAX_SVC_FLOWS);
	__type(key, struct vni_svc_flow_key);
	__type(value, struct vni_svc_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_svc_flows SEC(".maps");
#endif

/* ---- node-wide counters and reports ----------------------------------- */

#ifdef VNI_MAP_GSTATS
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vni_guard_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_gstats SEC(".maps");

static __always_inline struct vni_guard_stats *guard_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vni_gstats, &zero);
}
#endif

#ifdef VNI_MAP_EVENTS
/* Refusals for 'vnictl monitor'; written on refusal paths only
 * (bpf/vni_events.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, VNI_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_events SEC(".maps");
#endif

#endif
