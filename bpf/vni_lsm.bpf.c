// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet sockets never reach the cgroup sock_create hook (only inet_create and
 * inet6_create run it), so a BPF LSM program refuses AF_PACKET in instances.
 * It is a separate object because LSM programs do not load everywhere (e.g.
 * kernel lockdown): the socket hooks must not depend on it.
 *
 * socket_create runs in the creating task, so the task's cgroup is the right
 * owner here; walk its ancestors to find the instance (sub-cgroups belong to
 * the instance that contains them).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define VNI_MAP_CGRP
#define VNI_MAP_GSTATS
#define VNI_MAP_EVENTS
#include "vni_shared.h"
#include "vni_defs.bpf.h"
#include "vni_maps.bpf.h"
#include "vni_events.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define VNI_MAX_DEPTH 32

SEC("lsm/socket_create")
int BPF_PROG(vni_lsm_sock, int family, int type, int protocol, int kern)
{
	struct vni_guard_stats *s;
	struct vni_cgrp_val *v;
	struct vni_event *e;
	int level;

	if (family != AF_PACKET || kern)
		return 0;
	for (level = 1; level < VNI_MAX_DEPTH; level++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(level);

		if (!id)
			return 0;
		v = bpf_map_lookup_elem(&vni_cgrp, &id);
		if (!v)
			continue;
		if (v->flags & VNI_F_ALLOW_RAW)
			return 0;
		s = guard_stats();
		if (s)
			s->denied_packet++;
		e = event_new(VNI_OP_PACKET, id, v->aid);
		if (e) {
			e->family = family;
			e->type = type;
			e->protocol = protocol;
			bpf_ringbuf_submit(e, 0);
		}
		return -EPERM;
	}
	return 0;
}
