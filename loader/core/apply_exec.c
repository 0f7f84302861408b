// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnictl apply carried out (core/apply_int.h). Attach, for all new
 * instances at once: claims and rows ("attaching") in one transaction, the
 * cgroups, their ids in a second, then the kernel parts of each, one hosts
 * file write, and "ready" in a third. A vnictl killed anywhere leaves rows
 * that say what to undo (core/recover.c), as a single attach does. Detach
 * alike, by core/detach_batch.c: "detaching" for all, the hosts file, the
 * parts, the rows deleted.
 * The kernel parts are made by vni_instance_build_in (core/instance.c)
 * with the node's addresses and sockets read once (core/nodeview.h)
 * instead of asked about once per address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/apply_int.h"
#include "core/bpfobj.h"
#include "core/instance.h"
#include "core/registry.h"
#include "core/state_txn.h"
#include "sys/cgroup.h"
#include "sys/crashpoint.h"
#include "sys/log.h"
#include "sys/util.h"

/* A new instance, as much of its record as the steps after the claim need. */
struct apply_new {
	const struct vni_apply_item *it;
	char *cgroup;
	uint64_t cgroup_id;
	uint32_t aid, flags;
	struct vni_addr vip4, vip6;
	char hostname[VNI_HOSTNAME_MAX + 1];
	bool claimed, made;
};

static void to_record(const struct vni_node *n, const struct apply_new *w, uint64_t cookie,
		      struct vni_record *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", w->it->name);
	snprintf(r->cgroup, sizeof(r->cgroup), "%s", w->cgroup);
	snprintf(r->hostname, sizeof(r->hostname), "%s", w->hostname);
	snprintf(r->dev, sizeof(r->dev), "%s", w->it->dev);
	r->cgroup_id = w->cgroup_id;
	r->owns_cgroup = w->made;
	r->aid = w->aid;
	r->flags = w->flags;
	r->vip4 = w->vip4;
	r->vip6 = w->vip6;
	r->netns_cookie = cookie;
	(void)n;
}

/* "instance NAME: " before the message err holds. */
static int named(char *err, int ret, const char *name)
{
	char why[VNI_ERRLEN];

	snprintf(why, sizeof(why), "%s", err);
	return vni_err(err, ret, "instance %s: %s", name, why);
}

struct attach {
	struct apply_ctx *x;
	struct apply_new *w;
	size_t n;
	struct vni_registry *g;
	struct vni_record *r; /* scratch (large) */
	struct vni_node_view view; /* the node's addresses and sockets, read once */
	uint64_t cookie;
	bool root_made;
	bool intent; /* the rows are written: something to undo */
};

/* The record asked for, claimed, its row written (in the open transaction). */
static int claim_one(struct attach *a, struct apply_new *w)
{
	const struct vni_apply_item *it = w->it;
	struct vni_claim c = { .r = a->r,
			       .pool = { it->vip4.pool[0] ? it->vip4.pool : NULL,
					 it->vip6.pool[0] ? it->vip6.pool : NULL } };
	struct vni_record *r = a->r;
	char buf[INET6_ADDRSTRLEN], *err = a->x->err;
	int ret;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", it->name);
	if (vni_path(r->cgroup, sizeof(r->cgroup), "%s/%s", a->x->n->cgroup_root, it->name))
		return vni_err(err, -ENAMETOOLONG, "cgroup path too long");
	r->owns_cgroup = true;
	r->vip4 = it->vip4.a;
	r->vip6 = it->vip6.a;
	r->flags = it->flags | (it->vip4.a.family || it->vip4.pool[0] ? VNI_F_V4 : 0) |
		   (it->vip6.a.family || it->vip6.pool[0] ? VNI_F_V6 : 0);
	if (it->hostname)
		snprintf(r->hostname, sizeof(r->hostname), "%s", it->hostname);
	snprintf(r->dev, sizeof(r->dev), "%s", it->dev);
	r->aid = it->aid;
	r->netns_cookie = a->cookie;
	r->created = (int64_t)time(NULL);
	r->phase = VNI_ATTACHING;
	if (it->maps_given && it->nmaps)
		memcpy(r->maps, it->maps, it->nmaps * sizeof(*it->maps));
	r->nmaps = it->maps_given ? it->nmaps : 0;
	ret = a->g->ops->claim(a->g, &c, err);
	if (ret)
		return named(err, ret, it->name);
	w->claimed = true;
	if (vni_view_has(&a->view, &r->vip4, NULL) || vni_view_has(&a->view, &r->vip6, NULL))
		return vni_err(err, -EADDRINUSE, "instance %s: VIP %s is already an address of this node",
			       it->name,
			       vni_addr_str(vni_view_has(&a->view, &r->vip4, NULL) ? &r->vip4 : &r->vip6,
					    buf, sizeof(buf)));
	ret = vni_state_insert(a->x->st, r, err);
	if (ret)
		return named(err, ret, it->name);
	if (!(w->cgroup = strdup(r->cgroup)))
		return vni_err(err, -ENOMEM, "out of memory");
	w->aid = r->aid;
	w->flags = r->flags;
	w->vip4 = r->vip4;
	w->vip6 = r->vip6;
	snprintf(w->hostname, sizeof(w->hostname), "%s", r->hostname);
	return 0;
}

/* Everything of the first k instances goes again: parts, rows, claims. */
static void undo_attaches(struct attach *a, size_t k)
{
	struct apply_ctx *x = a->x;
	size_t i;

	vni_crashpoint_mute(true);
	for (i = 0; i < k; i++) {
		to_record(x->n, &a->w[i], a->cookie, a->r);
		if (a->w[i].made || a->w[i].cgroup_id)
			vni_instance_teardown(x->n, a->r, NULL);
	}
	if (!vni_state_begin(x->st, NULL)) {
		for (i = 0; i < k; i++)
			if (a->w[i].cgroup)
				vni_state_delete(x->st, a->w[i].it->name, NULL);
		vni_state_commit(x->st, 0, NULL);
	}
	vni_publish_hosts(x->n, x->st, NULL);
	for (i = 0; i < k; i++)
		if (a->w[i].claimed) {
			to_record(x->n, &a->w[i], a->cookie, a->r);
			a->g->ops->release(a->g, a->r, NULL);
		}
	if (a->root_made && rmdir(x->n->cgroup_root) == 0)
		vni_state_meta_set(x->st, META_CREATED_ROOT, NULL, NULL);
	vni_crashpoint_mute(false);
}

static int set_phase_all(struct attach *a, bool ids)
{
	struct apply_ctx *x = a->x;
	int ret = vni_state_begin(x->st, x->err);
	size_t i;

	for (i = 0; i < a->n && !ret; i++) {
		to_record(x->n, &a->w[i], a->cookie, a->r);
		a->r->phase = ids ? VNI_ATTACHING : VNI_READY;
		ret = vni_state_update(x->st, a->r, x->err);
	}
	return vni_state_commit(x->st, ret, x->err);
}

static int attach_steps(struct attach *a, size_t *k)
{
	struct apply_ctx *x = a->x;
	size_t i;
	int ret;

	/* one transaction: every claim and row, or none */
	ret = vni_state_begin(x->st, x->err);
	for (i = 0; i < a->n && !ret; i++) {
		*k = i + 1;
		ret = claim_one(a, &a->w[i]);
		if (x->o->progress && !(i % 64))
			x->o->progress("claiming", i, a->n, x->o->arg);
	}
	ret = vni_state_commit(x->st, ret, x->err);
	if (ret) { /* nothing of it was written: only the claims go again */
		for (i = 0; i < *k; i++)
			if (a->w[i].cgroup) {
				free(a->w[i].cgroup);
				a->w[i].cgroup = NULL;
			}
		return ret;
	}
	a->intent = true;
	vni_crashpoint("apply: intent recorded");
	ret = vni_make_root(x->n, x->st, &a->root_made, x->err);
	for (i = 0; i < a->n && !ret; i++) {
		if (mkdir(a->w[i].cgroup, 0755))
			ret = vni_err(x->err, -errno, "cannot create cgroup %s: %s", a->w[i].cgroup,
				      errno == EEXIST ? "it already exists" : strerror(errno));
		else
			a->w[i].made = true;
		if (!ret)
			ret = cg_id(a->w[i].cgroup, &a->w[i].cgroup_id, x->err);
		if (!ret)
			apply_step(x, "cgroups created", i + 1, a->n);
	}
	if (!ret)
		ret = set_phase_all(a, true);
	if (ret)
		return ret;
	vni_crashpoint("apply: cgroup ids recorded");
	if (a->n)
		ret = vni_bpf_lookup_link(x->n, a->cookie, x->err);
	for (i = 0; i < a->n && !ret; i++) {
		to_record(x->n, &a->w[i], a->cookie, a->r);
		a->r->phase = VNI_ATTACHING; /* (as recorded: a new instance) */
		/* (the crash points of each build muted: apply has its own,
		 * every VNI_BATCH_CHUNK instances) */
		vni_crashpoint_mute(true);
		ret = vni_instance_build_in(x->n, a->r, &a->view, x->err);
		vni_crashpoint_mute(false);
		if (ret)
			named(x->err, ret, a->r->name);
		if (!ret)
			apply_step(x, "instances built", i + 1, a->n);
	}
	if (!ret)
		ret = vni_publish_hosts(x->n, x->st, x->err);
	if (!ret)
		vni_crashpoint("apply: hosts file written");
	return ret;
}

int apply_attach_all(struct apply_ctx *x)
{
	struct attach a = { .x = x, .n = x->p->nattach };
	size_t i, k = 0;
	int ret;

	if (!a.n)
		return 0;
	a.w = calloc(a.n, sizeof(*a.w));
	a.r = malloc(sizeof(*a.r));
	if (!a.w || !a.r) {
		ret = vni_err(x->err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < a.n; i++)
		a.w[i].it = x->p->attach[i];
	ret = vni_netns_cookie(&a.cookie, x->err);
	if (!ret)
		ret = vni_bpf_init(x->n, x->err);
	if (!ret)
		ret = vni_node_view_read(&a.view, x->err);
	if (!ret)
		ret = vni_registry_open(x->n, x->st, &a.g, x->err);
	if (ret)
		goto out;
	ret = attach_steps(&a, &k);
	if (!ret) {
		ret = set_phase_all(&a, false);
		if (ret) /* every part is made: the next vnictl finishes or undoes it */
			goto close;
	}
	if (ret) {
		char why[VNI_ERRLEN];

		snprintf(why, sizeof(why), "%s", x->err);
		undo_attaches(&a, k);
		if (a.intent)
			vni_err(x->err, ret, "%s; the attaches were undone", why);
	}
close:
	vni_registry_close(a.g);
out:
	for (i = 0; a.w && i < a.n; i++)
		free(a.w[i].cgroup);
	free(a.w);
	free(a.r);
	vni_node_view_free(&a.view);
	return ret;
}

/* The detaches, as one batch (core/detach_batch.h). */
int apply_detach_all(struct apply_ctx *x)
{
	struct apply_plan *p = x->p;
	char **names = calloc(p->ndetach + 1, sizeof(*names));
	size_t i;
	int ret;

	if (!names)
		return vni_err(x->err, -ENOMEM, "out of memory");
	for (i = 0; i < p->ndetach; i++)
		names[i] = p->detach[i]->name;
	ret = vni_detach_batch(x->n, x->st, names, p->ndetach, &x->batch, x->err);
	free(names);
	return ret;
}

int apply_write_maps(struct apply_ctx *x)
{
	struct apply_plan *p = x->p;
	int ret;
	size_t i;

	if (!p->nmaps)
		return 0;
	ret = vni_state_begin(x->st, x->err);
	for (i = 0; i < p->nmaps && !ret; i++)
		ret = vni_state_set_maps(x->st, p->maps[i]->name, p->maps[i]->maps,
					 p->maps[i]->nmaps, x->err);
	ret = vni_state_commit(x->st, ret, x->err);
	if (!ret)
		vni_crashpoint("apply: maps written");
	return ret;
}
