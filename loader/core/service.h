/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnictl service: service addresses, one ADDR:PORT served by several
 * instances and dispatched in the kernel (bpf/vni_service.bpf.h). Each
 * command runs under the node lock and records its intent first
 * (core/svcbuild.h says how the next vnictl finishes it).
 */
#ifndef VNI_SERVICE_H
#define VNI_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/node.h"
#include "core/state.h"

struct vni_service_req {
	const char *name;
	struct vni_addr addr;
	uint16_t port;         /* 1..65535 */
	uint8_t proto;         /* IPPROTO_TCP or IPPROTO_UDP */
	const char *dev;       /* NULL: "lo" */
	const char *const *instances;
	int ninstances;
};

int vni_service_add(const struct vni_node *n, const struct vni_service_req *req, char *err);
int vni_service_del(const struct vni_node *n, const char *name, char *err);
/* Members in (add) or out: all or none of them. */
int vni_service_members(const struct vni_node *n, const char *name,
			const char *const *instances, int count, bool add, char *err);

/* One member as it is now. */
struct vni_service_view {
	bool running;        /* its instance runs here (else: checkpointed, elsewhere) */
	int sockets;         /* its sockets in the dispatch map (listening, bound) */
	uint64_t dispatched; /* connections (TCP) or datagrams (UDP) handed to it */
};
/* fn for each service (name NULL: every one; -ENOENT when no such),
 * with one view per member. */
int vni_service_each(const struct vni_node *n, struct vni_state *st, const char *name,
		     int (*fn)(const struct vni_service *svc, const struct vni_service_view *v,
			       void *arg),
		     void *arg, char *err);

#endif
