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

/* Set by the loader: whether these programs may read the current task (cgroup
 * socket programs can since 6.0); if not, the verifier skips the calls. */
const volatile bool vni_task_helpers = true;

/* Refusals for 'vnictl monitor'; written on refusal paths only. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, VNI_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_events SEC(".maps");

/* A zeroed event with time, task and instance filled in, to submit with
 * bpf_ringbuf_submit(); NULL (counted as lost) when the ring buffer is full. */
static __always_inline struct vni_event *event_new(__u32 op, __u64 cgid, __u32 aid)
{
	struct vni_event *e = bpf_ringbuf_reserve(&vni_events, sizeof(*e), 0);
	struct vni_guard_stats *s;

	if (!e) {
		s = guard_stats();
		if (s)
			s->lost_events++;
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ktime_ns = bpf_ktime_get_ns();
	e->cgid = cgid;
	e->aid = aid;
	e->op = op;
	if (vni_task_helpers) {
		e->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
	return e;
}

#endif
