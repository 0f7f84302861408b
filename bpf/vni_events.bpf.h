/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Refusals reported to 'vnictl monitor' through the ring buffer vni_events
 * (struct vni_event, include/vni_shared.h). Needs the maps vni_events and
 * vni_gstats (VNI_MAP_EVENTS, VNI_MAP_GSTATS: bpf/vni_maps.bpf.h).
 */
#ifndef VNI_EVENTS_BPF_H
#define VNI_EVENTS_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "vni_shared.h"
#include "vni_maps.bpf.h"
#include "vni_addr.bpf.h"

/* Set by the loader: whether these programs may read the current task (cgroup
 * socket programs can since 6.0); if not, the verifier skips the calls. */
const volatile bool vni_task_helpers = true;

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

/* A refused address operation of instance (cgid, aid): the address a of
 * family and port as the context holds them (network byte order). */
static __always_inline void report_addr(__u32 op, __u64 cgid, __u32 aid, __u32 family,
					const union vni_ip *a, __u32 port)
{
	struct vni_event *e = event_new(op, cgid, aid);

	if (!e)
		return;
	*(union vni_ip *)e->addr = *a;
	e->family = family;
	e->port = bpf_ntohs((__u16)port);
	bpf_ringbuf_submit(e, 0);
}

#endif
