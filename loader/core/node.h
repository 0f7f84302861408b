/* SPDX-License-Identifier: GPL-2.0-only */
/* Where one vni "node" keeps its things. Two nodes with different roots on
 * one kernel do not see each other (tests run side by side this way). */
#ifndef VNI_NODE_H
#define VNI_NODE_H

#include <limits.h>

#define VNI_DEFAULT_BPFFS "/sys/fs/bpf/vni"
#define VNI_DEFAULT_STATE_DIR "/var/lib/vni"
#define VNI_DEFAULT_HOSTS_FILE "/run/vni/hosts"
#define VNI_DEFAULT_ROOT_NAME "vni" /* under the cgroup2 mount */

struct vni_node {
	char cgroup2[PATH_MAX];     /* cgroup2 mount point */
	char cgroup_root[PATH_MAX]; /* parent of instance cgroups */
	char bpffs[PATH_MAX];
	char state_dir[PATH_MAX];
	char hosts_file[PATH_MAX];
	char registry[512];  /* "local" or "etcd://HOST:PORT[,...][/PREFIX]" */
	char node_name[65];  /* this node in the farm (default: the hostname) */
};

/* Fills the cgroup2 mount and defaults for every path left empty. */
int vni_node_resolve(struct vni_node *n, char *err);

#endif
