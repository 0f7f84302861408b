/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * After a reboot the kernel has forgotten every instance: cgroups, program
 * links, map entries, addresses and network namespaces are gone, the state
 * still declares them. 'vnictl sync --boot' (vni.service) brings each one
 * back in the current network namespace, before any application starts.
 */
#ifndef VNI_REVIVE_H
#define VNI_REVIVE_H

#include <stdbool.h>

#include "core/node.h"
#include "core/state.h"

/* Whether the instance lost its cgroup or its network namespace. */
bool vni_instance_down(const struct vni_node *n, const struct vni_record *r);

/* Re-homes the instance to this network namespace and makes its cgroup
 * again (under the VNI root when the parent it was made in, a unit's, is
 * gone: 'vnictl start' replaces it there), then every kernel part. Each
 * step is on record before the next, so running it again finishes it.
 * -ENOENT for an instance in a cgroup vnictl did not make (not ours to make
 * again). */
int vni_revive(const struct vni_node *n, struct vni_state *st, struct vni_record *r,
	       char *err);

#endif
