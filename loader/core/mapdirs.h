/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The maps of one 'vnictl run' (core/pathmap.h) made real before the
 * instance starts, as one transaction: every SOURCE resolved for the
 * instance and made (mkdir -p; the directory itself, when made, owned by the
 * instance's root), every PATH made, the maps recorded; on any failure,
 * and when the launch fails, what was made goes (rmdir: never a file) and
 * the record gets its former maps back. The bind mounts are init's
 * (core/launch_mounts.h).
 */
#ifndef VNI_MAPDIRS_H
#define VNI_MAPDIRS_H

#include <limits.h>
#include <sys/types.h>

#include "core/launch.h"
#include "core/node.h"
#include "core/state.h"

struct vni_made {
	char name[PATH_MAX];
	struct vni_map old[VNI_MAPS_MAX]; /* the record's maps before */
	unsigned nold;
	struct vni_bind binds[VNI_MAPS_MAX]; /* for struct vni_launch */
	unsigned n;
	char source[VNI_MAPS_MAX][PATH_MAX]; /* resolved */
	/* per map, PATH and SOURCE: the first directory made, "" for none */
	char top[VNI_MAPS_MAX][2][PATH_MAX];
};

/* With the state open (the node lock held): makes and records the n maps
 * of instance r; uid and gid own each SOURCE directory made. 0, or -errno
 * with a one-line message and nothing changed. */
int vni_maps_make(struct vni_state *st, const struct vni_record *r, const struct vni_map *maps,
		  unsigned n, uid_t uid, gid_t gid, struct vni_made *m, char *err);

/* Undoes vni_maps_make (the launch failed); best effort, quiet. */
void vni_maps_unmake(const struct vni_node *node, const struct vni_made *m);

#endif
