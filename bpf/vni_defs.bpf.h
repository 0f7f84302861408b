/* SPDX-License-Identifier: GPL-2.0-only */
/* Constants vmlinux.h cannot provide (it has no #defines), and maps shared by
 * both BPF objects (pinned by name, so the second object reuses the first's). */
#ifndef VNI_DEFS_BPF_H
#define VNI_DEFS_BPF_H

#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17

#define SOCK_STREAM 1
#define SOCK_DGRAM 2

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_UDPLITE 136

#define EPERM 1

#define VNI_ALLOW 1
#define VNI_DENY 0

/* instance cgroup id -> aid, flags: for hooks that only know the task */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNI_MAX_INSTANCES);
	__type(key, __u64);
	__type(value, struct vni_cgrp_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_cgrp SEC(".maps");

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
