/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Clones (vnictl clone, docs/checkpoint.md): new instances restored by CRIU
 * from a template's images (vnictl checkpoint --template). Each is attached
 * with its own identity and the template's VIPs as its virtual ids (so the
 * restored binds land on its own VIPs), gets its maps made from the
 * template's copies, is restored with a work dir of its own (the images
 * stay read-only) and its own hostname (set by vnictl as CRIU's
 * post-restore action script). All or nothing per clone.
 */
#ifndef VNI_CLONE_H
#define VNI_CLONE_H

#include "core/instance.h"
#include "core/node.h"

/* req: the clone's name, VIPs or pools, hostname, AID; the rest comes from
 * the template in dir. A VIP family the template had and req has not is
 * taken from the default pool. On failure nothing of the clone is left. */
int vni_clone(const struct vni_node *n, const char *dir, const struct vni_attach_req *req,
	      struct vni_record *out, char *err);

#endif
