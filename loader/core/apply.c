// SPDX-License-Identifier: GPL-2.0-only
/* vnictl apply: the node read, the plan made and checked (core/apply.h);
 * apply_exec.c carries it out. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/apply_int.h"
#include "core/handle.h"
#include "core/instance.h"
#include "vni_shared.h"
#include "sys/cgroup.h"
#include "sys/crashpoint.h"
#include "sys/util.h"

static int read_cur(const struct vni_record *r, void *arg)
{
	struct apply_plan *p = arg;
	struct apply_cur *c;

	if (!(p->ncur & (p->ncur + 1))) { /* grows at 0, 1, 3, 7, ... */
		c = realloc(p->cur, (2 * p->ncur + 2) * sizeof(*c));
		if (!c)
			return -ENOMEM;
		p->cur = c;
	}
	c = &p->cur[p->ncur];
	memset(c, 0, sizeof(*c));
	c->name = strdup(r->name);
	c->cgroup = strdup(r->cgroup);
	c->template = r->template[0] ? strdup(r->template) : NULL;
	c->maps = r->nmaps ? malloc(r->nmaps * sizeof(*c->maps)) : NULL;
	p->ncur++;
	if (!c->name || !c->cgroup || (r->template[0] && !c->template) || (r->nmaps && !c->maps))
		return -ENOMEM;
	if (r->nmaps)
		memcpy(c->maps, r->maps, r->nmaps * sizeof(*c->maps));
	c->nmaps = r->nmaps;
	c->cgroup_id = r->cgroup_id;
	c->aid = r->aid;
	c->flags = r->flags;
	c->vip4 = r->vip4;
	c->vip6 = r->vip6;
	snprintf(c->hostname, sizeof(c->hostname), "%s", r->hostname);
	snprintf(c->dev, sizeof(c->dev), "%s", r->dev);
	c->checkpointed = r->checkpointed;
	c->here = vni_record_here(r);
	return 0;
}

static void free_plan(struct apply_plan *p)
{
	size_t i;

	for (i = 0; i < p->ncur; i++) {
		free(p->cur[i].name);
		free(p->cur[i].cgroup);
		free(p->cur[i].template);
		free(p->cur[i].maps);
	}
	free(p->cur);
	free(p->attach);
	free(p->detach);
	free(p->maps);
}

static const char *addr_or_none(const struct vni_addr *a, char *buf, size_t n)
{
	return a->family ? vni_addr_str(a, buf, n) : "none";
}

/* Whether the VIP field matches the node's: the address; auto matches any
 * of its family; null matches none. */
static bool vip_differs(const char *key, const struct vni_apply_vip *want,
			const struct vni_addr *have, char *why, size_t n)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	bool same = want->pool[0] ? have->family != 0 :
		    want->a.family ? !memcmp(&want->a, have, sizeof(*have)) : !have->family;

	if (!same)
		snprintf(why, n, "%s %s, the node has %s", key,
			 want->pool[0] ? "auto" : addr_or_none(&want->a, a, sizeof(a)),
			 addr_or_none(have, b, sizeof(b)));
	return !same;
}

/* The first field in which d differs from c (maps aside), said in why. */
static bool differs(const struct vni_apply_item *d, const struct apply_cur *c, char *why,
		    size_t n)
{
	if (vip_differs("vip4", &d->vip4, &c->vip4, why, n) ||
	    vip_differs("vip6", &d->vip6, &c->vip6, why, n))
		return true;
	if (d->hostname && strcasecmp(d->hostname, c->hostname))
		snprintf(why, n, "hostname %s, the node has %s", d->hostname, c->hostname);
	else if (d->aid && d->aid != c->aid)
		snprintf(why, n, "aid %u, the node has %u", d->aid, c->aid);
	else if (strcmp(d->dev, c->dev))
		snprintf(why, n, "dev %s, the node has %s", d->dev, c->dev);
	else if ((d->flags ^ c->flags) & VNI_F_ALLOW_RAW)
		snprintf(why, n, "allow_raw %s, the node has %s",
			 d->flags & VNI_F_ALLOW_RAW ? "true" : "false",
			 c->flags & VNI_F_ALLOW_RAW ? "true" : "false");
	else if ((d->flags ^ c->flags) & VNI_F_PRIVATE_LO)
		snprintf(why, n, "loopback %s, the node has %s",
			 d->flags & VNI_F_PRIVATE_LO ? "private" : "shared",
			 c->flags & VNI_F_PRIVATE_LO ? "private" : "shared");
	else if (d->template && (!c->template || strcmp(d->template, c->template)))
		snprintf(why, n, "template %s, the node has %s", d->template,
			 c->template ? c->template : "none");
	else
		return false;
	return true;
}

static bool maps_differ(const struct vni_apply_item *d, const struct apply_cur *c)
{
	return d->maps_given &&
	       (d->nmaps != c->nmaps ||
		(d->nmaps && memcmp(d->maps, c->maps, d->nmaps * sizeof(*d->maps))));
}

static int cmp_item_ptr(const void *a, const void *b)
{
	return strcmp((*(const struct vni_apply_item *const *)a)->name,
		      (*(const struct vni_apply_item *const *)b)->name);
}

/* A new instance's cgroup must not nest with an instance's, nor exist. */
static int check_cgroups(const struct vni_node *n, struct apply_plan *p, char *err)
{
	size_t rl = strlen(n->cgroup_root), i;
	char path[PATH_MAX];

	if (!p->nattach)
		return 0;
	for (i = 0; i < p->ncur; i++) {
		const char *cg = p->cur[i].cgroup, *first, *slash;
		struct vni_apply_item key, *kp = &key;

		if (!strncmp(n->cgroup_root, cg, strlen(cg)) &&
		    (n->cgroup_root[strlen(cg)] == '/' || !n->cgroup_root[strlen(cg)]))
			return vni_err(err, -EEXIST, "cgroup %s/%s would nest with instance %s",
				       n->cgroup_root, p->attach[0]->name, p->cur[i].name);
		if (strncmp(cg, n->cgroup_root, rl) || cg[rl] != '/')
			continue;
		first = cg + rl + 1;
		if (!(slash = strchr(first, '/')))
			continue;
		key.name = strndup(first, (size_t)(slash - first));
		if (!key.name)
			return vni_err(err, -ENOMEM, "out of memory");
		if (bsearch(&kp, p->attach, p->nattach, sizeof(*p->attach), cmp_item_ptr)) {
			int ret = vni_err(err, -EEXIST, "cgroup %s/%s would nest with instance %s",
					  n->cgroup_root, key.name, p->cur[i].name);

			free(key.name);
			return ret;
		}
		free(key.name);
	}
	for (i = 0; i < p->nattach; i++) {
		const struct vni_apply_item *d = p->attach[i];
		/* (the device of the one before: the same, mostly; each lookup
		 * is a socket and an ioctl) */
		const char *seen = i ? p->attach[i - 1]->dev : "";

		if (d->name[0] == '/')
			return vni_err(err, -EINVAL,
				       "instance %s: apply makes instances below the VNI root by name; attach a cgroup path with 'vnictl attach'",
				       d->name);
		if (d->template)
			return vni_err(err, -EINVAL,
				       "instance %s is a clone of %s: apply cannot make clones ('vnictl clone')",
				       d->name, d->template);
		if (strcmp(d->dev, seen) && !if_nametoindex(d->dev))
			return vni_err(err, -ENODEV, "instance %s: unknown device '%s'", d->name,
				       d->dev);
		/* one not replaced goes with its row; any other is not ours */
		if (vni_path(path, sizeof(path), "%s/%s", n->cgroup_root, d->name))
			return vni_err(err, -ENAMETOOLONG, "cgroup path too long");
		if (!access(path, F_OK)) {
			struct apply_cur key = { .name = d->name };
			bool ours = false;
			size_t j;

			for (j = 0; j < p->ndetach && !ours; j++)
				ours = !strcmp(p->detach[j]->name, key.name);
			if (!ours)
				return vni_err(err, -EEXIST, "instance %s: cgroup %s already exists",
					       d->name, path);
		}
	}
	return 0;
}

/* Refusals that leave everything as it is: processes, another network
 * namespace (both unless --force). */
static int check_detaches(const struct apply_plan *p, bool force, char *err)
{
	size_t i;

	for (i = 0; i < p->ndetach && !force; i++) {
		const struct apply_cur *c = p->detach[i];
		int procs = c->checkpointed || access(c->cgroup, F_OK) ? 0 :
			    cg_for_each_pid(c->cgroup, NULL, NULL);

		if (!c->here)
			return vni_err(err, -EXDEV,
				       "instance %s was attached in another network namespace; apply there (or --force if that namespace is gone)",
				       c->name);
		if (procs > 0)
			return vni_err(err, -EBUSY,
				       "instance %s still has %d process(es); stop them or use --force",
				       c->name, procs);
	}
	return 0;
}

/* Whether an identity the file gives is one of an instance that goes: then
 * the detaches go first (else the attaches, so a failed attach changes
 * nothing). */
static bool identities_move(const struct apply_plan *p)
{
	size_t i, j;

	if (p->replaced)
		return true;
	for (i = 0; i < p->nattach; i++)
		for (j = 0; j < p->ndetach; j++) {
			const struct vni_apply_item *d = p->attach[i];
			const struct apply_cur *c = p->detach[j];

			if ((d->vip4.a.family && !memcmp(&d->vip4.a, &c->vip4, sizeof(c->vip4))) ||
			    (d->vip6.a.family && !memcmp(&d->vip6.a, &c->vip6, sizeof(c->vip6))) ||
			    (d->aid && d->aid == c->aid) ||
			    (d->hostname && !strcasecmp(d->hostname, c->hostname)))
				return true;
		}
	return false;
}

static void report(const struct vni_apply_opts *o, enum vni_apply_op op, const char *name,
		   const char *detail)
{
	if (o->change)
		o->change(op, name, detail, o->arg);
}

static int make_plan(const struct vni_apply_spec *s, const struct vni_apply_opts *o,
		     struct apply_plan *p, char *err)
{
	size_t i = 0, j = 0, nmax = s->n + p->ncur;
	char why[VNI_ERRLEN];

	p->attach = calloc(nmax + 1, sizeof(*p->attach));
	p->detach = calloc(nmax + 1, sizeof(*p->detach));
	p->maps = calloc(s->n + 1, sizeof(*p->maps));
	if (!p->attach || !p->detach || !p->maps)
		return vni_err(err, -ENOMEM, "out of memory");
	/* both sorted by name: one walk */
	while (i < s->n || j < p->ncur) {
		int c = i == s->n ? 1 : j == p->ncur ? -1 : strcmp(s->v[i].name, p->cur[j].name);

		if (c < 0) {
			p->attach[p->nattach++] = &s->v[i++];
		} else if (c > 0) {
			p->detach[p->ndetach++] = &p->cur[j++];
		} else {
			if (differs(&s->v[i], &p->cur[j], why, sizeof(why))) {
				if (!o->force)
					return vni_err(err, -EEXIST,
						       "instance %s differs from the node's (%s); --force replaces it",
						       s->v[i].name, why);
				p->detach[p->ndetach++] = &p->cur[j];
				p->attach[p->nattach++] = &s->v[i];
				p->replaced++;
			} else if (maps_differ(&s->v[i], &p->cur[j])) {
				p->maps[p->nmaps++] = &s->v[i];
			} else {
				p->unchanged++;
			}
			i++, j++;
		}
	}
	p->detach_first = identities_move(p);
	return 0;
}

static void report_plan(const struct apply_plan *p, const struct vni_apply_opts *o)
{
	char why[VNI_ERRLEN];
	size_t i, j;

	for (i = 0; i < p->ndetach; i++) {
		const struct vni_apply_item *d = NULL;

		for (j = 0; j < p->nattach && p->replaced && !d; j++)
			if (!strcmp(p->attach[j]->name, p->detach[i]->name))
				d = p->attach[j];
		if (d) {
			differs(d, p->detach[i], why, sizeof(why));
			report(o, VNI_APPLY_REPLACE, d->name, why);
		} else {
			report(o, VNI_APPLY_DETACH, p->detach[i]->name, "");
		}
	}
	for (i = 0; i < p->nattach; i++) {
		bool replaced = false;

		for (j = 0; j < p->ndetach && p->replaced && !replaced; j++)
			replaced = !strcmp(p->attach[i]->name, p->detach[j]->name);
		if (!replaced)
			report(o, VNI_APPLY_ATTACH, p->attach[i]->name, "");
	}
	for (i = 0; i < p->nmaps; i++)
		report(o, VNI_APPLY_MAPS, p->maps[i]->name, "");
}

void apply_step(struct apply_ctx *x, const char *phase, size_t done, size_t total)
{
	vni_batch_step(&x->batch, phase, done, total);
}

int vni_apply(const struct vni_node *n, const struct vni_apply_spec *spec,
	      const struct vni_apply_opts *o, struct vni_apply_result *res, char *err)
{
	struct apply_plan p = {};
	struct apply_ctx x = { n, NULL, o, &p, err, { "apply", o->progress, o->arg, false } };
	int ret;

	memset(res, 0, sizeof(*res));
	ret = vni_node_open(n, true, &x.st, err);
	if (ret)
		return ret;
	ret = vni_state_each(x.st, read_cur, &p, err);
	if (ret == -ENOMEM)
		vni_err(err, ret, "out of memory");
	if (!ret)
		ret = make_plan(spec, o, &p, err);
	if (!ret)
		ret = check_detaches(&p, o->force, err);
	if (!ret)
		ret = check_cgroups(n, &p, err);
	if (!ret)
		report_plan(&p, o);
	if (!ret && !o->dry_run) {
		if (p.detach_first)
			ret = apply_detach_all(&x);
		if (!ret)
			ret = apply_attach_all(&x);
		if (!ret && !p.detach_first)
			ret = apply_detach_all(&x);
		if (!ret)
			ret = apply_write_maps(&x);
		if (!ret)
			vni_crashpoint("apply: done");
	}
	res->unchanged = p.unchanged;
	res->replaced = p.replaced;
	res->attached = p.nattach - p.replaced;
	res->detached = p.ndetach - p.replaced;
	res->maps = p.nmaps;
	free_plan(&p);
	vni_state_close_tidy(x.st);
	return ret;
}
