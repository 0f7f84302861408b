/* SPDX-License-Identifier: GPL-2.0-only */
/* The mount namespace of an instance under vnictl run: what its init does to
 * the copy of the node's mounts it starts with. */
#ifndef VNI_LAUNCH_MOUNTS_H
#define VNI_LAUNCH_MOUNTS_H

#include <stddef.h>

#include "core/launch.h"

/* Detaches the node's namespace files (ip netns, container runtimes). */
void vni_mounts_drop_nsfs(void);
/* Bind-mounts each source at its path (vnictl run --map); 0, or -errno
 * with the path in what. */
int vni_mounts_bind(const struct vni_bind *b, unsigned n, char *what, size_t len);
/* Makes the cgroup file systems (cgroup2 mounted afresh: it shows the cgroup
 * namespace's root), every bpffs and /proc/sys read-only. 0, or -errno with
 * the mount point in what. */
int vni_mounts_protect(char *what, size_t n);

#endif
