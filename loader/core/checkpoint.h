/* SPDX-License-Identifier: GPL-2.0-only */
/* Checkpoint and restore of an instance with CRIU (docs/checkpoint.md). */
#ifndef VNI_CHECKPOINT_H
#define VNI_CHECKPOINT_H

#include <stdbool.h>

#include "core/node.h"
#include "core/state.h"

struct vni_ckpt_req {
	const char *name;
	const char *dir;
	bool leave_running;
	bool tcp_established;
	bool template; /* a template for clones (refused with TCP connections) */
};

/* Dumps the instance's process tree (rooted at the init of 'vnictl run')
 * with CRIU into dir, with the VNI metadata beside it. Without
 * leave_running the processes end, the VIP is released, the instance leaves
 * the kernel and stays on record as checkpointed. */
int vni_checkpoint(const struct vni_node *n, const struct vni_ckpt_req *req, char *err);

/* Re-creates the instance from dir on this node (new cgroup, map entries,
 * VIP), restores its processes into it with CRIU and announces the VIPs. On
 * any failure the node is left as it was. name NULL: the image's. */
int vni_restore(const struct vni_node *n, const char *dir, const char *name,
		struct vni_record *out, char *err);

/* CRIU options both sides need: the instance's mount namespace is the node's
 * tree with a private root and a fresh /proc; its other mounts are slaves of
 * the node's, which CRIU maps back as external mounts. Cgroups are vnictl's. */
#define VNI_CRIU_COMMON "--ext-mount-map", "auto", "--enable-external-sharing", \
	"--enable-external-masters", "--manage-cgroups=ignore"

/* Runs CRIU (stdio on /dev/null), from inside cgroup (in a cgroup namespace
 * rooted there) when not NULL; its exit status or <0 with a message. */
int vni_criu_run(char *const argv[], const char *cgroup, char *err);

/* The key of a template's map i for CRIU (--external mnt[PATH]:KEY on dump,
 * mnt[KEY]:DIR on restore). */
void vni_criu_map_key(unsigned i, char *buf, size_t n);

#endif
