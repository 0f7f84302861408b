// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/cgroup.h"
#include "core/instance.h"
#include "core/recover.h"
#include "sys/util.h"

bool vni_recover_removes(const struct vni_record *r)
{
	return vni_record_here(r) &&
	       (r->phase != VNI_ATTACHING || access(r->cgroup, F_OK) ||
		cg_for_each_pid(r->cgroup, NULL, NULL) <= 0);
}

int vni_recover_one(const struct vni_node *n, struct vni_state *st, const struct vni_record *r,
		    char *done, size_t len, char *err)
{
	int procs = access(r->cgroup, F_OK) ? 0 : cg_for_each_pid(r->cgroup, NULL, NULL);
	struct vni_record fin = *r;
	int ret;

	if (!vni_record_here(r))
		return vni_err(err, -EXDEV,
			       "the %s of instance %s was interrupted in another network namespace; run 'vnictl sync' there",
			       r->phase == VNI_ATTACHING ? "attach" : "detach", r->name);
	if (r->phase == VNI_ATTACHING && procs > 0) {
		ret = vni_instance_build(n, r, err);
		fin.phase = VNI_READY;
		if (!ret)
			ret = vni_state_update(st, &fin, err);
		snprintf(done, len, "finished the interrupted attach of %s (it has processes)",
			 r->name);
	} else {
		/* a detach only records its intent once the processes may go */
		ret = procs > 0 ? cg_kill_all(r->cgroup, err) : 0;
		if (!ret)
			ret = vni_instance_teardown(n, r, err);
		if (!ret)
			ret = vni_state_delete(st, r->name, err);
		if (!ret && r->template[0])
			vni_forget_clone_work(st, r);
		snprintf(done, len, "%s the interrupted %s of %s",
			 r->phase == VNI_ATTACHING ? "undid" : "finished",
			 r->phase == VNI_ATTACHING ? "attach" : "detach", r->name);
	}
	if (!ret)
		ret = vni_publish_hosts(n, st, err);
	return ret;
}
