// SPDX-License-Identifier: GPL-2.0-only
/* vnictl service (see service.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/bpfobj.h"
#include "core/handle.h"
#include "core/instance.h"
#include "core/registry.h"
#include "core/service.h"
#include "core/svcbuild.h"
#include "core/svcmaps.h"
#include "sys/crashpoint.h"
#include "sys/nladdr.h"
#include "sys/util.h"

/* Another service of the same port, protocol and family as svc with this
 * member: an instance's socket at a port serves one service (its member
 * entry names one slot). */
struct clash_ctx {
	const struct vni_service *svc;
	const char *instance;
	char other[VNI_NAME_MAX + 1];
};

static int clash_one(const struct vni_service *o, void *arg)
{
	struct clash_ctx *c = arg;
	unsigned i;

	if (!strcmp(o->name, c->svc->name) || o->port != c->svc->port ||
	    o->proto != c->svc->proto || o->addr.family != c->svc->addr.family)
		return 0;
	for (i = 0; i < o->nmembers; i++)
		if (!strcmp(o->members[i].instance, c->instance)) {
			snprintf(c->other, sizeof(c->other), "%s", o->name);
			return 1;
		}
	return 0;
}

/* A member must run here, in the service's network namespace, with a VIP
 * of the service's family, serving no other service at that port. */
static int check_member(struct vni_state *st, const struct vni_service *svc, const char *name,
			char *err)
{
	struct vni_record *r = malloc(sizeof(*r));
	struct vni_service *scratch = malloc(sizeof(*scratch));
	struct clash_ctx c = { svc, name, "" };
	int ret = r && scratch ? vni_state_get(st, name, r, err) : -ENOMEM;

	if (ret == -ENOMEM)
		vni_err(err, ret, "out of memory");
	else if (ret == 0)
		ret = vni_err(err, -ENOENT, "no instance named '%s'", name);
	else if (ret == 1 && (r->checkpointed || r->phase != VNI_READY))
		ret = vni_err(err, -EINVAL, "instance %s is not running on this node (%s)", name,
			      r->checkpointed ? "checkpointed" : vni_phase_name(r->phase));
	else if (ret == 1 && r->netns_cookie != svc->netns_cookie)
		ret = vni_err(err, -EINVAL,
			      "instance %s is in another network namespace than the service", name);
	else if (ret == 1 && !(svc->addr.family == AF_INET ? r->vip4.family : r->vip6.family))
		ret = vni_err(err, -EINVAL, "instance %s has no IPv%c VIP to serve %s from", name,
			      svc->addr.family == AF_INET ? '4' : '6', svc->name);
	else if (ret == 1 && (ret = vni_state_svc_each(st, scratch, clash_one, &c, err)) == 1)
		ret = vni_err(err, -EEXIST, "instance %s already serves %u/%s for service %s", name,
			      svc->port, VNI_SVC_PROTO_NAME(svc->proto), c.other);
	free(r);
	free(scratch);
	return ret < 0 ? ret : 0;
}

static int check_members(struct vni_state *st, const struct vni_service *svc,
			 const char *const *names, int count, char *err)
{
	int i, j, ret;

	for (i = 0; i < count; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				return vni_err(err, -EINVAL, "instance %s is given twice", names[i]);
		if ((ret = check_member(st, svc, names[i], err)))
			return ret;
	}
	return 0;
}

struct same_ctx {
	const struct vni_service *svc;
	char other[VNI_NAME_MAX + 1];
};

static int same_addr_port(const struct vni_service *o, void *arg)
{
	struct same_ctx *c = arg;

	if (o->port != c->svc->port || o->proto != c->svc->proto ||
	    memcmp(&o->addr, &c->svc->addr, sizeof(o->addr)))
		return 0;
	snprintf(c->other, sizeof(c->other), "%s", o->name);
	return 1;
}

/* The new service's address: not taken by another service at its port,
 * nor an address of the node that is no service's. */
static int check_addr(struct vni_state *st, const struct vni_service *svc, char *err)
{
	struct vni_service *scratch = malloc(sizeof(*scratch));
	struct same_ctx c = { svc, "" };
	char where[64], dev[IF_NAMESIZE] = "?", who[VNI_NAME_MAX + 16];
	int ifindex = 0, ret;

	if (!scratch)
		return vni_err(err, -ENOMEM, "out of memory");
	ret = vni_state_vip_user(st, &svc->addr, who, sizeof(who), err);
	if (ret == 1 && strncmp(who, "service ", 8)) {
		free(scratch);
		return vni_err(err, -EADDRINUSE, "address %s is the VIP of instance %s",
			       vni_addr_str(&svc->addr, where, sizeof(where)), who);
	}
	ret = vni_state_svc_each(st, scratch, same_addr_port, &c, err);
	free(scratch);
	if (ret == 1)
		return vni_err(err, -EADDRINUSE, "%s/%s is service %s's",
			       vni_svc_addr_str(svc, where, sizeof(where)),
			       VNI_SVC_PROTO_NAME(svc->proto), c.other);
	if (ret)
		return ret;
	ret = vni_state_svc_addr_count(st, &svc->addr, err);
	if (ret)
		return ret < 0 ? ret : 0; /* another service's: installed by vnictl */
	ret = nl_addr_find(svc->addr.family, svc->addr.a, &ifindex, err, VNI_ERRLEN);
	if (ret <= 0)
		return ret;
	if_indextoname((unsigned int)ifindex, dev);
	vni_addr_str(&svc->addr, where, sizeof(where));
	return vni_err(err, -EADDRINUSE, "address %s is already an address of this node (on %s)",
		       where, dev);
}

/* The intent is on record: claim, build, ready; undone when that fails. */
static int finish_add(const struct vni_node *n, struct vni_state *st, struct vni_service *svc,
		      char *err)
{
	int ret = vni_svc_claim_addr(n, st, svc, err);

	if (ret) {
		vni_state_svc_delete(st, svc->name, NULL);
		return ret;
	}
	vni_crashpoint("service: address claimed");
	ret = vni_svc_build(n, st, svc, err);
	if (!ret)
		ret = vni_state_svc_set_phase(st, svc->name, VNI_READY, err);
	if (ret) {
		vni_svc_teardown(n, st, svc);
		vni_svc_release_addr(n, st, svc);
		vni_state_svc_delete(st, svc->name, NULL);
		return ret;
	}
	vni_crashpoint("service: done");
	return 0;
}

static struct vni_service *new_service(const struct vni_service_req *req, char *err)
{
	struct vni_service *svc = calloc(1, sizeof(*svc));
	int i;

	if (!svc) {
		vni_err(err, -ENOMEM, "out of memory");
		return NULL;
	}
	if (req->ninstances > VNI_SVC_MAX_MEMBERS) {
		vni_err(err, -E2BIG, "a service has at most %d members", VNI_SVC_MAX_MEMBERS);
		free(svc);
		return NULL;
	}
	snprintf(svc->name, sizeof(svc->name), "%s", req->name);
	svc->addr = req->addr;
	svc->port = req->port;
	svc->proto = req->proto;
	snprintf(svc->dev, sizeof(svc->dev), "%s", req->dev ? req->dev : "lo");
	svc->created = (int64_t)time(NULL);
	svc->phase = VNI_ATTACHING;
	for (i = 0; i < req->ninstances; i++)
		snprintf(svc->members[i].instance, sizeof(svc->members[i].instance), "%s",
			 req->instances[i]);
	svc->nmembers = (unsigned)req->ninstances;
	if (vni_netns_cookie(&svc->netns_cookie, err) ||
	    (!if_nametoindex(svc->dev) && vni_err(err, -ENODEV, "unknown device '%s'", svc->dev))) {
		free(svc);
		return NULL;
	}
	return svc;
}

/* 1 when a service of that name exists (0 no, <0 error). */
static int service_exists(struct vni_state *st, const char *name, char *err)
{
	struct vni_service *scratch = malloc(sizeof(*scratch));
	int ret = scratch ? vni_state_svc_get(st, name, scratch, err) :
			    vni_err(err, -ENOMEM, "out of memory");

	free(scratch);
	return ret;
}

int vni_service_add(const struct vni_node *n, const struct vni_service_req *req, char *err)
{
	struct vni_service *svc = new_service(req, err);
	struct vni_state *st;
	int ret;

	if (!svc)
		return -EINVAL;
	ret = vni_node_open(n, true, &st, err);
	if (ret) {
		free(svc);
		return ret;
	}
	if (!vni_bpf_loaded(n))
		ret = vni_err(err, -ENOENT, "vni is not loaded on this node (vnictl init)");
	if (!ret && (ret = service_exists(st, svc->name, err)) == 1)
		ret = vni_err(err, -EEXIST, "a service named %s exists", svc->name);
	if (!ret)
		ret = check_addr(st, svc, err);
	if (!ret)
		ret = check_members(st, svc, req->instances, req->ninstances, err);
	/* the intent: the rows as they will be, phase attaching */
	if (!ret)
		ret = vni_state_svc_insert(st, svc, err);
	if (!ret) {
		vni_crashpoint("service: intent recorded");
		ret = finish_add(n, st, svc, err);
	}
	free(svc);
	vni_state_close_tidy(st);
	return ret;
}

/* The service under the node lock: 0 and *svc, or an error. */
static int open_service(const struct vni_node *n, const char *name, struct vni_state **st,
			struct vni_service **svc, char *err)
{
	int ret;

	*svc = malloc(sizeof(**svc));
	if (!*svc)
		return vni_err(err, -ENOMEM, "out of memory");
	ret = vni_node_open(n, false, st, NULL);
	if (ret == -ENOENT)
		ret = vni_err(err, -ENOENT, "no service named '%s'", name);
	else if (ret)
		ret = vni_err(err, ret, "cannot open the state in %s", n->state_dir);
	if (!ret && (ret = vni_state_svc_get(*st, name, *svc, err)) == 0)
		ret = vni_err(err, -ENOENT, "no service named '%s'", name);
	if (ret == 1)
		return 0;
	if (*st)
		vni_state_close(*st);
	*st = NULL;
	free(*svc);
	*svc = NULL;
	return ret;
}

int vni_service_del(const struct vni_node *n, const char *name, char *err)
{
	struct vni_state *st = NULL;
	struct vni_service *svc;
	int ret = open_service(n, name, &st, &svc, err);

	if (ret)
		return ret;
	ret = vni_state_svc_set_phase(st, name, VNI_DETACHING, err);
	if (!ret) {
		vni_crashpoint("service: intent recorded");
		vni_svc_teardown(n, st, svc);
		vni_svc_release_addr(n, st, svc);
		ret = vni_state_svc_delete(st, name, err);
	}
	free(svc);
	vni_state_close(st);
	return ret;
}

static int member_index(const struct vni_service *svc, const char *instance)
{
	unsigned i;

	for (i = 0; i < svc->nmembers; i++)
		if (!strcmp(svc->members[i].instance, instance))
			return (int)i;
	return -1;
}

/* Refused before anything changes: every name in (add) or out. */
static int check_change(struct vni_state *st, const struct vni_service *svc,
			const char *const *names, int count, bool add, char *err)
{
	int i;

	for (i = 0; i < count; i++) {
		bool member = member_index(svc, names[i]) >= 0;

		if (add && member)
			return vni_err(err, -EEXIST, "instance %s is a member of %s already", names[i],
				       svc->name);
		if (!add && !member)
			return vni_err(err, -ENOENT, "instance %s is no member of %s", names[i],
				       svc->name);
	}
	if (add && svc->nmembers + (unsigned)count > VNI_SVC_MAX_MEMBERS)
		return vni_err(err, -E2BIG, "a service has at most %d members", VNI_SVC_MAX_MEMBERS);
	return add ? check_members(st, svc, names, count, err) : 0;
}

int vni_service_members(const struct vni_node *n, const char *name,
			const char *const *instances, int count, bool add, char *err)
{
	struct vni_service_member m;
	struct vni_state *st = NULL;
	struct vni_service *svc;
	int ret = open_service(n, name, &st, &svc, err), i;

	if (ret)
		return ret;
	ret = check_change(st, svc, instances, count, add, err);
	if (!ret)
		ret = vni_state_svc_set_phase(st, name, VNI_ATTACHING, err);
	if (!ret)
		vni_crashpoint("service: intent recorded");
	for (i = 0; !ret && i < count; i++) {
		snprintf(m.instance, sizeof(m.instance), "%s", instances[i]);
		ret = add ? vni_state_svc_member_add(st, name, &m, err) :
			    vni_state_svc_member_del(st, name, instances[i], err);
		if (!ret)
			vni_crashpoint("service: member row written");
	}
	/* the kernel as the rows now say (a failure: finished by the next) */
	if (!ret && (ret = vni_state_svc_get(st, name, svc, err)) == 1)
		ret = vni_svc_build(n, st, svc, err);
	if (!ret)
		ret = vni_state_svc_set_phase(st, name, VNI_READY, err);
	if (!ret)
		vni_crashpoint("service: done");
	free(svc);
	vni_state_close(st);
	return ret;
}

struct each_ctx {
	const struct vni_node *n;
	struct vni_state *st;
	const char *name;
	int (*fn)(const struct vni_service *svc, const struct vni_service_view *v, void *arg);
	void *arg;
	bool found;
};

static int view_one(const struct vni_service *svc, void *arg)
{
	struct vni_service_view v[VNI_SVC_MAX_MEMBERS] = {};
	struct each_ctx *c = arg;
	struct vni_record *r;
	struct vni_svc_slot s;
	unsigned i;
	int ret;

	if (c->name && strcmp(c->name, svc->name))
		return 0;
	c->found = true;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < svc->nmembers && i < VNI_SVC_MAX_MEMBERS; i++) {
		const struct vni_service_member *m = &svc->members[i];

		v[i].running = vni_state_get(c->st, m->instance, r, NULL) == 1 &&
			       r->phase == VNI_READY && !r->checkpointed &&
			       r->netns_cookie == svc->netns_cookie && r->cgroup_id;
		if (v[i].running && vni_bpf_svc_slot_get(c->n, svc->id, m->slot, &s) == 1 &&
		    s.cgid == r->cgroup_id) {
			v[i].dispatched = s.dispatched;
			v[i].sockets = vni_bpf_svc_slot_socks(c->n, svc->id, m->slot);
		}
	}
	free(r);
	ret = c->fn(svc, v, c->arg);
	return ret;
}

int vni_service_each(const struct vni_node *n, struct vni_state *st, const char *name,
		     int (*fn)(const struct vni_service *svc, const struct vni_service_view *v,
			       void *arg),
		     void *arg, char *err)
{
	struct each_ctx c = { n, st, name, fn, arg, false };
	struct vni_service *scratch;
	int ret = 0;

	if (st) {
		scratch = malloc(sizeof(*scratch));
		if (!scratch)
			return vni_err(err, -ENOMEM, "out of memory");
		ret = vni_state_svc_each(st, scratch, view_one, &c, err);
		free(scratch);
	}
	if (!ret && name && !c.found)
		ret = vni_err(err, -ENOENT, "no service named '%s'", name);
	return ret;
}
