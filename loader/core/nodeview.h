/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What this network namespace has, read once for many instances (vnictl
 * apply): its addresses with their device, and the local addresses of its
 * sockets. core/instance.c asks these questions of the kernel one at a
 * time (nl_addr_find, sd_addrs_in_use) when it is given no view.
 */
#ifndef VNI_NODEVIEW_H
#define VNI_NODEVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "core/validate.h"

struct vni_view_addr {
	struct vni_addr a; /* first: bsearch by address */
	int ifindex;
};

struct vni_node_view {
	struct vni_view_addr *addrs, *busy; /* sorted */
	size_t naddrs, nbusy;
};

/* Reads both (one address dump, one socket dump per family and protocol). */
int vni_node_view_read(struct vni_node_view *v, char *err);
void vni_node_view_free(struct vni_node_view *v);
/* The address on a device of the namespace: 1 and *ifindex (if non-NULL),
 * 0 when not. */
int vni_view_has(const struct vni_node_view *v, const struct vni_addr *a, int *ifindex);
/* Whether a socket is bound to it. */
bool vni_view_busy(const struct vni_node_view *v, const struct vni_addr *a);

#endif
