// SPDX-License-Identifier: GPL-2.0-only
/* sync --boot: instances back after a reboot (see revive.h). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bpfobj.h"
#include "core/instance.h"
#include "core/revive.h"
#include "sys/cgroup.h"
#include "sys/crashpoint.h"
#include "sys/util.h"

bool vni_instance_down(const struct vni_node *n, const struct vni_record *r)
{
	if (r->checkpointed || r->phase != VNI_READY)
		return false;
	return access(r->cgroup, F_OK) ||
	       (!vni_record_here(r) && vni_bpf_lookup_attached(n, r->netns_cookie) != 1);
}

/* Where the cgroup goes: where it was, or under the VNI root if the parent
 * it was made in is gone. */
static int new_home(const struct vni_node *n, struct vni_record *r, char *err)
{
	char parent[PATH_MAX];

	snprintf(parent, sizeof(parent), "%s", r->cgroup);
	if (access(r->cgroup, F_OK) == 0 || vni_under_root(n, r->cgroup) ||
	    access(dirname(parent), F_OK) == 0)
		return 0;
	if (vni_path(r->cgroup, sizeof(r->cgroup), "%s/%s", n->cgroup_root, r->name))
		return vni_err(err, -ENAMETOOLONG, "cgroup path too long");
	return 0;
}

int vni_revive(const struct vni_node *n, struct vni_state *st, struct vni_record *r, char *err)
{
	bool root_made;
	int ret;

	if (!r->owns_cgroup && access(r->cgroup, F_OK))
		return vni_err(err, -ENOENT, "cgroup %s of %s is gone and was not made by vnictl",
			       r->cgroup, r->name);
	ret = new_home(n, r, err);
	if (!ret)
		ret = vni_netns_cookie(&r->netns_cookie, err);
	if (ret)
		return ret;
	r->cgroup_id = 0;
	if ((ret = vni_state_rehome(st, r, err)))
		return ret;
	vni_crashpoint("revive: new home recorded");
	if (vni_under_root(n, r->cgroup) && (ret = vni_make_root(n, st, &root_made, err)))
		return ret;
	if (mkdir(r->cgroup, 0755) && errno != EEXIST)
		return vni_err(err, -errno, "cannot create cgroup %s: %s", r->cgroup,
			       strerror(errno));
	vni_crashpoint("revive: cgroup created");
	ret = cg_id(r->cgroup, &r->cgroup_id, err);
	if (!ret)
		ret = vni_state_rehome(st, r, err);
	if (ret)
		return ret;
	vni_crashpoint("revive: cgroup id recorded");
	return vni_instance_build(n, r, err);
}
