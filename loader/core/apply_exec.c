// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnictl apply carried out (core/apply_int.h). Attach, for all new
 * instances at once: claims and rows ("attaching") in one transaction, the
 * cgroups, their ids in a second, then the kernel parts of each, one hosts
 * file write, and "ready" in a third. A vnictl killed anywhere leaves rows
 * that say what to undo (core/recover.c), as a single attach does. Detach
 * alike: "detaching" for all, the hosts file, the parts, the rows deleted.
 * The kernel parts are vni_instance_build's (core/instance.c), made with the
 * node's addresses read once instead of once per address.
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
#include "core/svcmaps.h"
#include "core/state_txn.h"
#include "sys/cgroup.h"
#include "sys/crashpoint.h"
#include "sys/log.h"
#include "sys/nladdr.h"
#include "sys/sockdiag_all.h"
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

/* The node's addresses (with their device), sorted, read once. */
struct addr_if {
	struct vni_addr a; /* first: bsearch by address */
	int ifindex;
};
struct addrs {
	struct addr_if *v;
	size_t n;
};

static int add_addr(int family, const void *addr, int ifindex, void *arg)
{
	struct addrs *s = arg;
	struct addr_if *v;

	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (!(s->n & (s->n + 1))) {
		if (!(v = realloc(s->v, (2 * s->n + 2) * sizeof(*v))))
			return -ENOMEM;
		s->v = v;
	}
	memset(&s->v[s->n], 0, sizeof(*s->v));
	s->v[s->n].a.family = family;
	s->v[s->n].ifindex = ifindex;
	memcpy(s->v[s->n++].a.a, addr, family == AF_INET ? 4 : 16);
	return 0;
}

static int add_sock_addr(int family, const void *addr, void *arg)
{
	return add_addr(family, addr, 0, arg);
}

static int cmp_addr(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vni_addr));
}

static struct addr_if *find_addr(const struct addrs *s, const struct vni_addr *a)
{
	return s->n ? bsearch(a, s->v, s->n, sizeof(*s->v), cmp_addr) : NULL;
}

static bool has_addr(const struct addrs *s, const struct vni_addr *a)
{
	return find_addr(s, a) != NULL;
}

static int read_addrs(struct addrs *s, char *err)
{
	int ret = nl_addr_each(AF_UNSPEC, add_addr, s, err, VNI_ERRLEN);

	if (ret == -ENOMEM)
		return vni_err(err, ret, "out of memory");
	if (!ret)
		qsort(s->v, s->n, sizeof(*s->v), cmp_addr);
	return ret;
}

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
	struct addrs have; /* the node's addresses */
	struct addrs busy; /* local addresses of its sockets */
	uint64_t cookie;
	bool root_made, v6_lo;
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
	if (has_addr(&a->have, &r->vip4) || has_addr(&a->have, &r->vip6))
		return vni_err(err, -EADDRINUSE, "instance %s: VIP %s is already an address of this node",
			       it->name,
			       vni_addr_str(has_addr(&a->have, &r->vip4) ? &r->vip4 : &r->vip6, buf,
					    sizeof(buf)));
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

/* ensure_owned (core/instance.c) with the node's addresses known. */
static int own_one(struct attach *a, const struct vni_record *r, const struct vni_owned *o)
{
	const struct vni_node *n = a->x->n;
	struct vni_vip_owner owner = {
		.aid = r->aid, .cgid = r->cgroup_id,
		.flags = (o->private ? VNI_VIP_PRIVATE : 0) | (o->loopback ? VNI_VIP_LOOPBACK : 0)
	}, have;
	char buf[INET6_ADDRSTRLEN], *err = a->x->err;
	int ret, ifindex;

	vni_addr_str(&o->a, buf, sizeof(buf));
	ret = vni_bpf_vip_owner(n, r->netns_cookie, &o->a, &have);
	if (ret == 1 && have.cgid != r->cgroup_id)
		return vni_err(err, -EADDRINUSE, "%s %s is owned by another cgroup (id %llu)",
			       o->private ? "private address" : "VIP", buf,
			       (unsigned long long)have.cgid);
	if (ret == 0)
		ret = vni_bpf_vip_add(n, r->netns_cookie, &o->a, &owner, err);
	if (ret < 0)
		return vni_err(err, ret, "%s: %s", buf, strerror(-ret));
	/* a private v4 address needs none; a v6 one goes on lo unless v6 is off */
	if ((o->private && (o->a.family == AF_INET || !a->v6_lo)) || has_addr(&a->have, &o->a))
		return 0;
	ifindex = (int)if_nametoindex(o->private ? "lo" : r->dev);
	if (!ifindex)
		return vni_err(err, -ENODEV, "unknown device '%s'", r->dev);
	/* a socket bound to it before (IP_FREEBIND) would keep it */
	if (has_addr(&a->busy, &o->a))
		return vni_err(err, -EADDRINUSE, "%s is in use by a socket on this node", buf);
	return nl_addr_add(ifindex, o->a.family, o->a.a, err, VNI_ERRLEN);
}

/* vni_instance_build's steps for a new instance (no clone, this namespace). */
static int build_one(struct attach *a, const struct vni_record *r)
{
	struct vni_inst rec = { .aid = r->aid, .flags = vni_inst_flags(r), .cgid = r->cgroup_id };
	struct vni_owned own[VNI_OWNED_MAX];
	int ret, i;

	memcpy(rec.vip4, r->vip4.a, sizeof(rec.vip4));
	memcpy(rec.vip6, r->vip6.a, sizeof(rec.vip6));
	ret = vni_bpf_link_instance(a->x->n, r->cgroup, r->cgroup_id, a->x->err);
	if (!ret)
		ret = vni_bpf_set_instance(a->x->n, r->cgroup_id, &rec, a->x->err);
	vni_owned_addrs(r, own);
	for (i = 0; i < VNI_OWNED_MAX && !ret; i++)
		if (own[i].a.family)
			ret = own_one(a, r, &own[i]);
	if (ret)
		named(a->x->err, ret, r->name);
	return ret;
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

static int v6_on_lo(void)
{
	char v[4] = "";

	return vni_read_file("/proc/sys/net/ipv6/conf/lo/disable_ipv6", v, sizeof(v)) > 0 &&
	       v[0] == '0';
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
		vni_crashpoint_mute(true);
		ret = build_one(a, a->r);
		vni_crashpoint_mute(false);
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
	struct attach a = { .x = x, .n = x->p->nattach, .v6_lo = v6_on_lo() };
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
		ret = read_addrs(&a.have, x->err);
	if (!ret && (ret = sd_each_local_addr(add_sock_addr, &a.busy, x->err)))
		ret = ret == -ENOMEM ? vni_err(x->err, ret, "out of memory") : ret;
	if (!ret) {
		qsort(a.busy.v, a.busy.n, sizeof(*a.busy.v), cmp_addr);
		ret = vni_registry_open(x->n, x->st, &a.g, x->err);
	}
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
	free(a.have.v);
	free(a.busy.v);
	return ret;
}

/* vni_instance_teardown (core/instance.c) with the node's addresses known. */
static int teardown_one(const struct vni_node *n, const struct vni_record *r,
			const struct addrs *have, char *err)
{
	struct vni_owned own[VNI_OWNED_MAX];
	struct vni_vip_owner owner;
	bool here = vni_record_here(r);
	int i, ret;

	if (r->owns_cgroup && access(r->cgroup, F_OK) == 0 && (ret = cg_remove(r->cgroup, err)))
		return ret;
	if (!r->cgroup_id)
		return 0;
	vni_owned_addrs(r, own);
	for (i = 0; i < VNI_OWNED_MAX; i++) {
		struct addr_if *ai = find_addr(have, &own[i].a);

		if (!own[i].a.family || (vni_bpf_vip_owner(n, r->netns_cookie, &own[i].a, &owner) == 1 &&
					 owner.cgid != r->cgroup_id))
			continue; /* an address and its owner go only when no other instance owns it */
		if (here && ai)
			nl_addr_del(ai->ifindex, own[i].a.family, own[i].a.a, NULL, 0);
		vni_bpf_vip_del(n, r->netns_cookie, &own[i].a);
	}
	vni_bpf_svc_drop_cgid(n, r->cgroup_id);
	vni_bpf_clear_instance(n, r->cgroup_id);
	vni_bpf_unlink_instance(n, r->cgroup_id);
	vni_bpf_clear_ports(n, r->cgroup_id);
	vni_bpf_vid_drop(n, r->cgroup_id);
	return 0;
}

/* Detach: registry first (nothing changes when it cannot be reached), then
 * "detaching" for all, the hosts file, processes and parts, the rows. */
int apply_detach_all(struct apply_ctx *x)
{
	struct apply_plan *p = x->p;
	struct vni_record *r = malloc(sizeof(*r));
	struct vni_registry *g = NULL;
	struct addrs have = {};
	char first[VNI_ERRLEN] = "";
	size_t i, failed = 0;
	int ret = r ? 0 : vni_err(x->err, -ENOMEM, "out of memory");

	if (!p->ndetach) {
		free(r);
		return 0;
	}
	if (!ret)
		ret = read_addrs(&have, x->err);
	if (!ret)
		ret = vni_registry_open(x->n, x->st, &g, x->err);
	for (i = 0; i < p->ndetach && !ret; i++) {
		ret = vni_state_get(x->st, p->detach[i]->name, r, x->err);
		if (ret == 1)
			ret = g->ops->release(g, r, x->err);
	}
	if (!ret)
		ret = vni_state_begin(x->st, x->err);
	for (i = 0; i < p->ndetach && !ret; i++) {
		ret = vni_state_get(x->st, p->detach[i]->name, r, x->err);
		r->phase = VNI_DETACHING;
		if (ret == 1)
			ret = vni_state_update(x->st, r, x->err);
	}
	if (!ret || g)
		ret = vni_state_commit(x->st, ret, x->err);
	vni_registry_close(g);
	if (ret) {
		free(r);
		free(have.v);
		return ret;
	}
	vni_crashpoint("apply: detach intent recorded");
	if (vni_publish_hosts(x->n, x->st, x->err))
		vni_log(VNI_LOG_WARN, "%s", x->err);
	vni_crashpoint("apply: hosts file written");
	for (i = 0; i < p->ndetach; i++) {
		int procs, one = vni_state_get(x->st, p->detach[i]->name, r, x->err);

		procs = one == 1 && !access(r->cgroup, F_OK) ? cg_for_each_pid(r->cgroup, NULL, NULL) : 0;
		vni_crashpoint_mute(true);
		if (one == 1 && procs > 0)
			one = cg_kill_all(r->cgroup, x->err) ? -1 : 1;
		if (one == 1)
			one = teardown_one(x->n, r, &have, x->err) ? -1 : 1;
		vni_crashpoint_mute(false);
		if (one != 1) { /* as detach: nothing is gone but its name, which comes back */
			r->phase = VNI_READY;
			vni_state_update(x->st, r, NULL);
			if (!failed++)
				snprintf(first, sizeof(first), "%s: %s", p->detach[i]->name, x->err);
			p->detach[i] = NULL;
		}
		apply_step(x, "instances detached", i + 1, p->ndetach);
	}
	ret = vni_state_begin(x->st, x->err);
	for (i = 0; i < p->ndetach && !ret; i++)
		if (p->detach[i] && !(ret = vni_state_delete(x->st, p->detach[i]->name, x->err)) &&
		    p->detach[i]->template) {
			snprintf(r->name, sizeof(r->name), "%s", p->detach[i]->name);
			r->aid = p->detach[i]->aid;
			vni_forget_clone_work(x->st, r);
		}
	ret = vni_state_commit(x->st, ret, x->err);
	if (failed) {
		vni_publish_hosts(x->n, x->st, NULL);
		ret = vni_err(x->err, -EBUSY, "%zu instance(s) could not be detached (first: %s)",
			      failed, first);
	}
	if (!ret)
		vni_crashpoint("apply: detached rows deleted");
	free(r);
	free(have.v);
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
