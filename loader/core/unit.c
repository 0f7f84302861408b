// SPDX-License-Identifier: GPL-2.0-only
/* vnictl start and stop (see unit.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vni_shared.h"

#include "core/handle.h"
#include "core/instance.h"
#include "core/identity.h"
#include "core/launch.h"
#include "core/mapdirs.h"
#include "core/ops.h"
#include "core/unit.h"
#include "sys/cgroup.h"
#include "sys/log.h"
#include "sys/util.h"

static bool within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && path[n] == '/';
}

/* An idle instance of that name goes; its AID is kept in *aid (if 0). */
static int replace_idle(const struct vni_node *n, struct vni_state *st, const char *name,
			uint32_t *aid, char *err)
{
	struct vni_record old;
	int ret = vni_state_get(st, name, &old, err);

	if (ret <= 0)
		return ret;
	if (old.checkpointed)
		return vni_err(err, -EBUSY,
			       "instance %s is checkpointed; restore it, or detach it to start anew",
			       name);
	if (access(old.cgroup, F_OK) == 0 && cg_for_each_pid(old.cgroup, NULL, NULL) > 0)
		return vni_err(err, -EBUSY, "instance %s is running (cgroup %s); stop it first",
			       name, old.cgroup);
	if (!*aid)
		*aid = old.aid;
	vni_log(VNI_LOG_INFO, "replacing the idle instance %s (cgroup %s)", name, old.cgroup);
	/* force: its network namespace may be gone (a reboot) */
	return vni_detach_locked(n, st, &old, true, err);
}

static int attach_conf(const struct vni_node *n, const struct vni_start_req *s,
		       struct vni_record *r, char *err)
{
	const struct vni_unit_conf *c = s->conf;
	struct vni_attach_req req = {
		.name = s->name,
		.parent = s->parent,
		.vip4 = c->vip4,
		.vip6 = c->vip6,
		.pool4 = c->pool4[0] ? c->pool4 : NULL,
		.pool6 = c->pool6[0] ? c->pool6 : NULL,
		.hostname = c->hostname[0] ? c->hostname : NULL,
		.aid = c->aid,
		.dev = c->dev[0] ? c->dev : NULL,
		.flags = (c->allow_raw ? VNI_F_ALLOW_RAW : 0) | c->loopback,
	};
	struct vni_state *st;
	int ret = vni_node_open(n, true, &st, err);

	if (ret)
		return ret;
	ret = replace_idle(n, st, s->name, &req.aid, err);
	if (!ret)
		ret = vni_attach_locked(n, st, &req, r, err);
	vni_state_close_tidy(st);
	return ret;
}

static struct vni_made made; /* (large) */

/* The config's maps, made and recorded for the instance (core/mapdirs.h). */
static int start_maps(const struct vni_node *n, const struct vni_record *r,
		      const struct vni_unit_conf *c, struct vni_launch *l, char *err)
{
	struct vni_state *st;
	uid_t uid;
	gid_t gid;
	int ret;

	if (!c->nmaps)
		return 0;
	if ((ret = vni_launch_owner(l, &uid, &gid, err)) || (ret = vni_node_open(n, false, &st, err)))
		return ret;
	ret = vni_maps_make(st, r, c->maps, c->nmaps, uid, gid, &made, err);
	vni_state_close(st);
	if (ret)
		return ret;
	l->binds = made.binds;
	l->nbinds = made.n;
	return 0;
}

int vni_start(const struct vni_node *n, const struct vni_start_req *s, char *err)
{
	const struct vni_unit_conf *c = s->conf;
	struct vni_caps caps = c->caps;
	struct vni_launch l = { .user = c->user[0] ? c->user : NULL,
				.userns = c->userns,
				.argv = c->cmd.we_wordv };
	char why[VNI_ERRLEN], identity[VNI_IDENTITY_MAX];
	struct vni_record r;
	int status, ret;

	if (c->keep_net_caps)
		caps.add |= VNI_CAPS_NET;
	if ((ret = vni_caps_load(err)))
		return ret;
	l.caps = vni_caps_kept(&caps);
	ret = attach_conf(n, s, &r, err);
	if (ret)
		return ret;
	vni_log(VNI_LOG_INFO, "started %s: aid %u, hostname %s, cgroup %s", r.name, r.aid,
		r.hostname, r.cgroup);
	l.cgroup = r.cgroup;
	l.hostname = r.hostname;
	vni_identity_text(&r, identity, sizeof(identity));
	l.identity = identity;
	status = start_maps(n, &r, c, &l, err);
	if (!status)
		status = vni_launch(&l, err);
	if (status < 0 && c->nmaps)
		vni_maps_unmake(n, &made);
	/* whatever is left of it (nothing: its init took its PID namespace
	 * along), unless 'vnictl stop' took it away already */
	ret = vni_detach(n, r.name, true, why);
	if (ret == -ENOENT)
		ret = 0;
	if (ret && status >= 0)
		return vni_err(err, ret, "%s", why);
	if (ret)
		vni_log(VNI_LOG_WARN, "%s", why);
	return status;
}

int vni_stop(const struct vni_node *n, const char *name, const char *in, char *err)
{
	struct vni_state *st;
	struct vni_record r;
	int ret;

	if (access(n->state_dir, F_OK))
		return 0;
	ret = vni_node_open(n, false, &st, err);
	if (ret)
		return ret;
	ret = vni_state_get(st, name, &r, err);
	if (ret == 1 && (!in || within(r.cgroup, in)) && !r.checkpointed)
		ret = vni_detach_locked(n, st, &r, true, err);
	else if (ret == 1)
		ret = 0;
	vni_state_close(st);
	return ret;
}
