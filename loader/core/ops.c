// SPDX-License-Identifier: GPL-2.0-only
/* The node's operations for a command: open the node (lock, recovery), do
 * the work of core/instance.c, close. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "core/portreap.h"
#include "core/bpfobj.h"
#include "core/detach_batch.h"
#include "core/handle.h"
#include "core/instance.h"
#include "core/ops.h"
#include "core/park.h"
#include "core/svcbuild.h"
#include "sys/cgroup.h"
#include "sys/util.h"

int vni_attach(const struct vni_node *n, const struct vni_attach_req *req,
	       struct vni_record *out, char *err)
{
	struct vni_state *st;
	int ret;

	ret = vni_node_open(n, true, &st, err);
	if (ret)
		return ret;
	ret = vni_attach_locked(n, st, req, out, err);
	vni_state_close_tidy(st);
	return ret;
}

int vni_detach(const struct vni_node *n, const char *name, bool force, char *err)
{
	struct vni_state *st;
	struct vni_record r;
	int ret;

	ret = vni_node_open(n, false, &st, NULL);
	if (ret == -ENOENT)
		return vni_err(err, -ENOENT, "no instance named '%s'", name);
	if (ret)
		return vni_err(err, ret, "cannot open the state in %s", n->state_dir);
	ret = vni_state_get(st, name, &r, err);
	if (ret == 0)
		ret = vni_err(err, -ENOENT, "no instance named '%s'", name);
	if (ret == 1)
		ret = vni_detach_locked(n, st, &r, force, err);
	vni_state_close(st);
	return ret;
}

struct down_ctx {
	const struct vni_node *n;
	struct vni_state *st;
	bool force;
	char *err;
	char **names; /* every instance, for the batch */
	size_t k;
};

/* Without --force, down refuses before changing anything (as detach does
 * for one instance): an instance with processes, or of another network
 * namespace (whose addresses are not here to remove). */
static int down_refuses(const struct vni_record *r, struct down_ctx *c)
{
	int procs = access(r->cgroup, F_OK) ? 0 : cg_for_each_pid(r->cgroup, NULL, NULL);

	if (procs > 0)
		return vni_err(c->err, -EBUSY,
			       "instance %s still has %d process(es); stop them or use --force",
			       r->name, procs);
	if (!vni_record_here(r))
		return vni_err(c->err, -EXDEV,
			       "instance %s was attached in another network namespace; detach it there (or --force if that namespace is gone)",
			       r->name);
	return 0;
}

static int collect(const struct vni_record *r, void *arg)
{
	struct down_ctx *c = arg;
	char **v;
	int ret = c->force ? 0 : down_refuses(r, c);

	if (ret)
		return ret;
	if (!(c->k & (c->k + 1))) { /* grows at 0, 1, 3, 7, ... */
		if (!(v = realloc(c->names, (2 * c->k + 2) * sizeof(*v))))
			return vni_err(c->err, -ENOMEM, "out of memory");
		c->names = v;
	}
	if (!(c->names[c->k] = strdup(r->name)))
		return vni_err(c->err, -ENOMEM, "out of memory");
	c->k++;
	return 0;
}

/* Services go first: their addresses, owner entries and registry claims,
 * then their rows (after the walk: deleting under it could skip one). */
struct down_svcs {
	struct down_ctx *c;
	char names[VNI_MAX_SERVICES][VNI_NAME_MAX + 1];
	int n;
};

static int down_service(const struct vni_service *svc, void *arg)
{
	struct down_svcs *d = arg;

	vni_svc_teardown(d->c->n, d->c->st, svc);
	vni_svc_release_addr(d->c->n, d->c->st, svc);
	if (d->n < VNI_MAX_SERVICES)
		snprintf(d->names[d->n++], sizeof(d->names[0]), "%s", svc->name);
	return 0;
}

static int down_services(struct down_ctx *c)
{
	struct vni_service *svc = malloc(sizeof(*svc));
	struct down_svcs *d = calloc(1, sizeof(*d));
	int ret = svc && d ? 0 : vni_err(c->err, -ENOMEM, "out of memory"), i;

	if (!ret) {
		d->c = c;
		ret = vni_state_svc_each(c->st, svc, down_service, d, c->err);
	}
	for (i = 0; !ret && i < d->n; i++)
		ret = vni_state_svc_delete(c->st, d->names[i], c->err);
	free(svc);
	free(d);
	return ret;
}

/* The VNI root cgroup goes only if vnictl made it (and it is empty). */
static void remove_created_root(const struct vni_node *n, struct vni_state *st)
{
	char made[PATH_MAX];

	if (vni_state_meta_get(st, META_CREATED_ROOT, made, sizeof(made), NULL) == 1 &&
	    !strcmp(made, n->cgroup_root) && (rmdir(n->cgroup_root) == 0 || errno == ENOENT))
		vni_state_meta_set(st, META_CREATED_ROOT, NULL, NULL);
}

/* Services, then every instance in one batch (core/detach_batch.h), then
 * the BPF objects and the root cgroup vnictl made. */
int vni_down(const struct vni_node *n, bool force, char *err)
{
	struct vni_batch_opts o = { .op = "down" };
	struct down_ctx c = { n, NULL, force, err, NULL, 0 };
	size_t i;
	int ret;

	ret = vni_node_open(n, true, &c.st, err);
	if (ret)
		return ret;
	/* refuse before changing anything */
	ret = vni_state_each(c.st, collect, &c, err);
	if (!ret)
		ret = down_services(&c);
	if (!ret)
		ret = vni_detach_batch(n, c.st, c.names, c.k, &o, err);
	if (!ret) {
		uint64_t here;

		/* held one too many by a crash, it outlived its holders */
		if (!vni_netns_cookie(&here, NULL))
			vni_park_drop(n, here);
		vni_ports_reap(n); /* the list goes with the maps */
		ret = vni_bpf_down(n, err);
	}
	if (!ret)
		remove_created_root(n, c.st);
	for (i = 0; i < c.k; i++)
		free(c.names[i]);
	free(c.names);
	vni_state_close_tidy(c.st);
	return ret;
}

int vni_init(const struct vni_node *n, char *err)
{
	struct vni_state *st;
	uint64_t netns;
	int ret = vni_node_open(n, true, &st, err);

	if (ret)
		return ret;
	ret = vni_bpf_init(n, err);
	if (!ret)
		ret = vni_netns_cookie(&netns, err);
	if (!ret)
		ret = vni_bpf_lookup_link(n, netns, err);
	if (ret)
		vni_state_close_tidy(st);
	else
		vni_state_close(st);
	return ret;
}

enum pool_op { POOL_ADD, POOL_DEL, POOL_EACH, FARM_EACH };

struct pool_call {
	enum pool_op op;
	const char *pool;
	const struct vni_range *r;
	int (*fn)(const struct vni_pool_usage *u, void *arg);
	int (*node)(const struct vni_farm_node *m, void *arg);
	int (*inst)(const struct vni_farm_instance *i, void *arg);
	void *arg;
};

/* One registry call under the node lock (pools, the farm). */
static int pool_call(const struct vni_node *n, const struct pool_call *c, char *err)
{
	struct vni_registry *g;
	struct vni_state *st;
	int ret;

	/* (a fresh node's state dir goes again when nothing was recorded) */
	ret = vni_node_open(n, true, &st, err);
	if (ret)
		return ret;
	ret = vni_registry_open(n, st, &g, err);
	if (!ret) {
		if (c->op == POOL_ADD)
			ret = g->ops->pool_add(g, c->pool, c->r, err);
		else if (c->op == POOL_DEL)
			ret = g->ops->pool_del(g, c->pool, c->r, err);
		else if (c->op == POOL_EACH)
			ret = g->ops->pool_each(g, c->fn, c->arg, err);
		else if (!(ret = g->ops->each_node(g, c->node, c->arg, err)))
			ret = g->ops->each_instance(g, c->inst, c->arg, err);
		vni_registry_close(g);
	}
	vni_state_close_tidy(st);
	return ret;
}

int vni_pool_add(const struct vni_node *n, const char *pool, const struct vni_range *r,
		 char *err)
{
	struct pool_call c = { .op = POOL_ADD, .pool = pool, .r = r };

	return pool_call(n, &c, err);
}

int vni_pool_del(const struct vni_node *n, const char *pool, const struct vni_range *r,
		 char *err)
{
	struct pool_call c = { .op = POOL_DEL, .pool = pool, .r = r };

	return pool_call(n, &c, err);
}

int vni_pool_each(const struct vni_node *n, int (*fn)(const struct vni_pool_usage *u, void *arg),
		  void *arg, char *err)
{
	struct pool_call c = { .op = POOL_EACH, .fn = fn, .arg = arg };

	return pool_call(n, &c, err);
}

int vni_farm_each(const struct vni_node *n, int (*node)(const struct vni_farm_node *m, void *arg),
		  int (*inst)(const struct vni_farm_instance *i, void *arg), void *arg, char *err)
{
	struct pool_call c = { .op = FARM_EACH, .node = node, .inst = inst, .arg = arg };

	return pool_call(n, &c, err);
}
