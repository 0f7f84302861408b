// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bpfobj.h"
#include "sys/cgroup.h"
#include "core/hostsedit.h"
#include "core/instance.h"
#include "core/park.h"
#include "core/portreap.h"
#include "core/registry.h"
#include "sys/nladdr.h"
#include "sys/sockdiag.h"
#include "sys/log.h"
#include "core/svcmaps.h"
#include "sys/crashpoint.h"
#include "sys/util.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif


int vni_netns_cookie(uint64_t *cookie, char *err)
{
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len))
		ret = vni_err(err, -errno, "cannot read the network namespace cookie: %s",
			      strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

static bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	return !strncmp(inner, outer, n) && (inner[n] == '/' || inner[n] == '\0');
}

/* An existing cgroup below the cgroup2 mount, given without path tricks
 * (no '.', '..', '//', trailing '/' or symlink): its real path in real. */
static int existing_cgroup(const struct vni_node *n, const char *path, char *real, char *err)
{
	struct stat st;

	if (path[0] != '/' || strstr(path, "/./") || strstr(path, "/../") ||
	    strstr(path, "//") || !path_within(path, n->cgroup2) || !strcmp(path, n->cgroup2) ||
	    path[strlen(path) - 1] == '/' || path[strlen(path) - 1] == '.')
		goto invalid;
	if (!realpath(path, real) || stat(real, &st) || !S_ISDIR(st.st_mode))
		return vni_err(err, -ENOENT, "cgroup %s does not exist", path);
	if (strcmp(real, path)) /* a symlink somewhere */
		goto invalid;
	return 0;
invalid:
	return vni_err(err, -EINVAL,
		       "invalid cgroup '%s': give a canonical path below %s, not the root itself",
		       path, n->cgroup2);
}

/* NAME relative to the VNI root or to req->parent (a new cgroup), or the
 * absolute path of an existing cgroup. */
static int resolve_cgroup(const struct vni_node *n, const struct vni_attach_req *req,
			  struct vni_record *r, char *err)
{
	const char *name = req->name;
	char real[PATH_MAX];
	int ret;

	if (name[0] != '/') {
		const char *parent = n->cgroup_root;

		if ((ret = vni_check_name(name, err)))
			return ret;
		if (req->parent && (ret = existing_cgroup(n, req->parent, real, err)))
			return ret;
		if (req->parent)
			parent = real;
		r->owns_cgroup = true;
		if (vni_path(r->cgroup, sizeof(r->cgroup), "%s/%s", parent, name))
			return vni_err(err, -ENAMETOOLONG, "cgroup path too long");
		return 0;
	}
	if (req->parent)
		return vni_err(err, -EINVAL, "a name, not a cgroup path, goes inside a parent cgroup");
	if ((ret = existing_cgroup(n, name, real, err)))
		return ret;
	/* sockets its processes already hold would keep the node's rules */
	if (cg_for_each_pid(real, NULL, NULL) > 0)
		return vni_err(err, -EBUSY,
			       "cgroup %s already has processes; start them with 'vnictl run' or move them in with --pid",
			       name);
	r->owns_cgroup = false;
	return vni_path(r->cgroup, sizeof(r->cgroup), "%s", real);
}

static int check_vip_free(const struct vni_addr *a, char *err)
{
	char buf[INET6_ADDRSTRLEN], dev[IF_NAMESIZE] = "?";
	int ifindex = 0, ret;

	if (!a->family)
		return 0;
	ret = nl_addr_find(a->family, a->a, &ifindex, err, VNI_ERRLEN);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return 0;
	if_indextoname((unsigned int)ifindex, dev);
	return vni_err(err, -EADDRINUSE, "VIP %s is already an address of this node (on %s)",
		       vni_addr_str(a, buf, sizeof(buf)), dev);
}

static int check_pids(const struct vni_attach_req *req, char *err)
{
	char path[64];
	int i;

	for (i = 0; i < req->npids; i++) {
		snprintf(path, sizeof(path), "/proc/%d", req->pids[i]);
		if (req->pids[i] <= 0 || access(path, F_OK))
			return vni_err(err, -ESRCH, "no process with pid %d", req->pids[i]);
	}
	return 0;
}

/* The VIPs asked for: given, or picked from a pool (req->pool4/pool6). */
static int want_vips(const struct vni_attach_req *req, struct vni_record *r, char *err)
{
	bool v4 = req->vip4.family || req->pool4, v6 = req->vip6.family || req->pool6;

	if (!v4 && !v6)
		return vni_err(err, -EINVAL, "an instance needs at least one VIP");
	if (req->vip4.family == AF_INET6 || req->vip6.family == AF_INET ||
	    (req->vip4.family && req->pool4) || (req->vip6.family && req->pool6))
		return vni_err(err, -EINVAL, "give at most one IPv4 and one IPv6 VIP");
	r->vip4 = req->vip4;
	r->vip6 = req->vip6;
	r->flags = req->flags | (v4 ? VNI_F_V4 : 0) | (v6 ? VNI_F_V6 : 0);
	return 0;
}

static int fill_record(const struct vni_node *n, struct vni_state *st,
		       const struct vni_attach_req *req, struct vni_record *r, char *err)
{
	struct vni_claim claim = { .r = r, .pool = { req->pool4, req->pool6 },
				   .restore = req->restore };
	char other[VNI_NAME_MAX + 1];
	struct vni_registry *g;
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = want_vips(req, r, err)))
		return ret;
	if (vni_path(r->name, sizeof(r->name), "%s", req->name))
		return vni_err(err, -ENAMETOOLONG, "instance name too long");
	ret = resolve_cgroup(n, req, r, err);
	if (ret)
		return ret;
	if (req->hostname) {
		ret = vni_check_hostname(req->hostname, err);
		if (ret)
			return ret;
		snprintf(r->hostname, sizeof(r->hostname), "%s", req->hostname);
	}
	if (vni_path(r->dev, sizeof(r->dev), "%s", req->dev ? req->dev : "lo") ||
	    !if_nametoindex(r->dev))
		return vni_err(err, -ENODEV, "unknown device '%s'", req->dev ? req->dev : "lo");
	ret = check_pids(req, err);
	if (ret)
		return ret;
	r->aid = req->aid;
	r->virt4 = req->virt4;
	r->virt6 = req->virt6;
	if (req->template && vni_path(r->template, sizeof(r->template), "%s", req->template))
		return vni_err(err, -ENAMETOOLONG, "template path too long");
	/* nested instances would run both program sets on one socket */
	if ((ret = vni_state_nesting(st, r->cgroup, other, sizeof(other), err)) == 1)
		ret = vni_err(err, -EEXIST, "cgroup %s would nest with instance %s", r->cgroup,
			      other);
	if (!ret)
		ret = vni_netns_cookie(&r->netns_cookie, err);
	r->created = (int64_t)time(NULL);
	if (ret)
		return ret;
	/* the registry's pool addresses, AID, hostname; no clash with another
	 * instance (of the farm); from here on the claim is held */
	ret = vni_registry_open(n, st, &g, err);
	if (ret)
		return ret;
	ret = g->ops->claim(g, &claim, err);
	if (!ret) {
		vni_crashpoint("attach: identity claimed");
		ret = check_vip_free(&r->vip4, err);
		if (!ret)
			ret = check_vip_free(&r->vip6, err);
		/* a restore's record goes back to the farm, an attach's goes */
		if (ret && req->restore)
			g->ops->hand_back(g, r, NULL);
		else if (ret)
			g->ops->release(g, r, NULL);
	}
	vni_registry_close(g);
	return ret;
}

static int release_claim(const struct vni_node *n, struct vni_state *st,
			 const struct vni_record *r, char *err);

/* An attach that failed after its claim: a restore's record goes back to
 * the farm (the image can be restored again), an attach's identity goes. */
static void undo_claim(const struct vni_node *n, struct vni_state *st,
		       const struct vni_attach_req *req, const struct vni_record *r)
{
	if (req->restore)
		vni_hand_back(n, st, r);
	else
		release_claim(n, st, r, NULL);
}

void vni_hand_back(const struct vni_node *n, struct vni_state *st, const struct vni_record *r)
{
	char err[VNI_ERRLEN];
	struct vni_registry *g;
	int ret = vni_registry_open(n, st, &g, err);

	if (!ret) {
		ret = g->ops->hand_back(g, r, err);
		vni_registry_close(g);
	}
	if (ret)
		vni_log(VNI_LOG_WARN, "the registry still has %s on this node: %s", r->name, err);
}

/* Gives the instance's identity back to the registry; a failure is logged
 * (sync reconciles the registry with the node). */
static int release_claim(const struct vni_node *n, struct vni_state *st,
			 const struct vni_record *r, char *err)
{
	struct vni_registry *g;
	int ret = vni_registry_open(n, st, &g, err);

	if (!ret) {
		ret = g->ops->release(g, r, err);
		vni_registry_close(g);
	}
	return ret;
}

/* What attach did so far, undone on failure. */
struct attach_undo {
	bool recorded, root_made, cg_made, published;
};

bool vni_under_root(const struct vni_node *n, const char *cgroup)
{
	size_t len = strlen(n->cgroup_root);

	return !strncmp(cgroup, n->cgroup_root, len) && cgroup[len] == '/' &&
	       !strchr(cgroup + len + 1, '/');
}

int vni_make_root(const struct vni_node *n, struct vni_state *st, bool *made, char *err)
{
	*made = false;
	if (mkdir(n->cgroup_root, 0755) == 0) {
		*made = true;
		/* on record at once, so 'down' removes it even after a crash */
		vni_state_meta_set(st, META_CREATED_ROOT, n->cgroup_root, NULL);
	} else if (errno != EEXIST) {
		return vni_err(err, -errno, "cannot create the VNI root cgroup %s: %s",
			       n->cgroup_root, strerror(errno));
	}
	return 0;
}

static int make_cgroup(const struct vni_node *n, struct vni_state *st, struct vni_record *r,
		       struct attach_undo *u, char *err)
{
	int ret;

	if (!r->owns_cgroup)
		return 0;
	/* a parent given (a unit's cgroup) is not ours to make */
	if (vni_under_root(n, r->cgroup) && (ret = vni_make_root(n, st, &u->root_made, err)))
		return ret;
	if (mkdir(r->cgroup, 0755))
		return vni_err(err, -errno, "cannot create cgroup %s: %s", r->cgroup,
			       errno == EEXIST ? "it already exists" : strerror(errno));
	u->cg_made = true;
	vni_crashpoint("attach: cgroup created");
	return 0;
}

bool vni_record_here(const struct vni_record *r)
{
	uint64_t cookie;

	return !vni_netns_cookie(&cookie, NULL) && cookie == r->netns_cookie;
}

void vni_owned_addrs(const struct vni_record *r, struct vni_owned out[VNI_OWNED_MAX])
{
	uint32_t host4 = htonl(VNI_PRIV4_NET | (r->aid & VNI_PRIV4_HOST));
	bool lo = r->flags & VNI_F_PRIVATE_LO;
	struct vni_owned *p4 = &out[0], *p6 = &out[1];

	memset(out, 0, VNI_OWNED_MAX * sizeof(*out));
	if (r->vip4.family) {
		out[0].a = r->vip4;
		p4 = lo ? &out[2] : NULL;
	}
	if (r->vip6.family) {
		out[1].a = r->vip6;
		p6 = lo ? &out[3] : NULL;
	} else if (vni_record_parks(r)) {
		p6 = NULL; /* its v6-only wildcard sockets are parked (core/park.h) */
	}
	if (p4) {
		p4->a.family = AF_INET;
		memcpy(p4->a.a, &host4, 4);
		p4->private = true;
		p4->loopback = lo;
	}
	if (p6) {
		vni_priv6(r->aid, &p6->a);
		p6->private = true;
		p6->loopback = lo;
	}
}

bool vni_owned_installed(const struct vni_owned *o)
{
	if (!o->private)
		return true;
	if (o->a.family == AF_INET)
		return false; /* in 127/8: local without an address */
	return vni_lo_ipv6(); /* a v6 one goes on lo, unless IPv6 is off there */
}

/* The address's owner entry, then (in the instance's netns) the address; what
 * is there already is kept. */
/* Whether the address is on a device here: the view's answer, or the
 * kernel's. 1 and *ifindex, 0 not, <0 error. */
static int addr_present(const struct vni_node_view *view, const struct vni_owned *o, int *ifindex,
			char *err)
{
	return view ? vni_view_has(view, &o->a, ifindex) :
		      nl_addr_find(o->a.family, o->a.a, ifindex, err, VNI_ERRLEN);
}

/* The address's owner entry (kept if there): from now on the guard keeps
 * everyone else off it. 1 and *ifindex when the address must still be put
 * on a device here, 0 when not (there already, in another network
 * namespace, or needs none), <0 on error. */
static int own_addr(const struct vni_node *n, const struct vni_record *r,
		    const struct vni_owned *o, bool here, const struct vni_node_view *view,
		    int *ifindex, char *err)
{
	struct vni_vip_owner owner = {
		.aid = r->aid, .cgid = r->cgroup_id,
		.flags = (o->private ? VNI_VIP_PRIVATE : 0) | (o->loopback ? VNI_VIP_LOOPBACK : 0)
	};
	const char *what = o->private ? "private address" : "VIP";
	char buf[INET6_ADDRSTRLEN];
	struct vni_vip_owner have;
	int ret;

	vni_addr_str(&o->a, buf, sizeof(buf));
	ret = vni_bpf_vip_owner(n, r->netns_cookie, &o->a, &have);
	if (ret == 1 && have.cgid != r->cgroup_id)
		return vni_err(err, -EADDRINUSE, "%s %s is owned by another cgroup (id %llu)%s",
			       what, buf, (unsigned long long)have.cgid,
			       o->private ? ": another instance's AID has the same low 23 bits" : "");
	if (ret == 0) {
		ret = vni_bpf_vip_add(n, r->netns_cookie, &o->a, &owner, err);
		if (ret)
			return ret;
		vni_crashpoint("VIP owner recorded");
	}
	if (ret < 0)
		return vni_err(err, ret, "cannot read the owner of %s %s: %s", what, buf,
			       strerror(-ret));
	if (!here || !vni_owned_installed(o))
		return 0;
	*ifindex = (int)if_nametoindex(o->private ? "lo" : r->dev);
	if (!*ifindex)
		return vni_err(err, -ENODEV, "unknown device '%s'", r->dev);
	ret = addr_present(view, o, NULL, err);
	return ret < 0 ? ret : !ret;
}

/* A socket bound to one of the addresses to install (IP_FREEBIND, or an
 * instance's left behind) would keep it: refused. One question to the
 * kernel for all of them (each is a walk of every TCP socket's bucket). */
static int check_unused(const struct vni_owned *own, const int *ifindex,
			const struct vni_node_view *view, char *err)
{
	struct sd_addr ask[VNI_OWNED_MAX];
	const struct vni_owned *of[VNI_OWNED_MAX];
	char buf[INET6_ADDRSTRLEN];
	size_t n = 0;
	int i, ret = 0;

	for (i = 0; i < VNI_OWNED_MAX; i++) {
		if (!ifindex[i])
			continue;
		if (view && vni_view_busy(view, &own[i].a)) {
			ret = 1 + (int)n;
		} else if (!view) {
			ask[n].family = own[i].a.family;
			ask[n].addr = own[i].a.a;
		}
		of[n++] = &own[i];
		if (ret)
			break;
	}
	if (!view)
		ret = sd_addrs_in_use(ask, n, err);
	if (ret <= 0)
		return ret;
	return vni_err(err, -EADDRINUSE, "%s %s is in use by a socket on this node",
		       of[ret - 1]->private ? "private address" : "VIP",
		       vni_addr_str(&of[ret - 1]->a, buf, sizeof(buf)));
}

static int ensure_owned(const struct vni_node *n, const struct vni_record *r,
			const struct vni_owned *own, bool here, const struct vni_node_view *view,
			char *err)
{
	int ifindex[VNI_OWNED_MAX] = {}, i, ret = 0;

	/* every owner entry first, then the check, then the addresses */
	for (i = 0; i < VNI_OWNED_MAX && ret >= 0; i++)
		if (own[i].a.family && (ret = own_addr(n, r, &own[i], here, view, &ifindex[i], err)) == 0)
			ifindex[i] = 0;
	if (ret >= 0)
		ret = check_unused(own, ifindex, view, err);
	for (i = 0; i < VNI_OWNED_MAX && !ret; i++) {
		if (!ifindex[i])
			continue;
		ret = nl_addr_add(ifindex[i], own[i].a.family, own[i].a.a, err, VNI_ERRLEN);
		if (!ret)
			vni_crashpoint("VIP address installed");
	}
	return ret ? ret : vni_park_hold(n, r, here, view, err);
}

uint32_t vni_inst_flags(const struct vni_record *r)
{
	return r->flags | (r->virt4.family || r->virt6.family ? VNI_F_VIDS : 0);
}

/* A clone's virtual ids: its template's VIPs stand for its own. */
static int ensure_vids(const struct vni_node *n, const struct vni_record *r, char *err)
{
	const struct vni_addr *virt[2] = { &r->virt4, &r->virt6 }, *own[2] = { &r->vip4, &r->vip6 };
	int i, ret;

	for (i = 0; i < 2; i++) {
		if (!virt[i]->family)
			continue;
		if (!own[i]->family)
			return vni_err(err, -EINVAL, "%s has no IPv%c VIP to stand for its template's",
				       r->name, i ? '6' : '4');
		ret = vni_bpf_vid_set(n, r->cgroup_id, virt[i], own[i], err);
		if (ret)
			return ret;
		vni_crashpoint("virtual id recorded");
	}
	return 0;
}

int vni_instance_build(const struct vni_node *n, const struct vni_record *r, char *err)
{
	return vni_instance_build_in(n, r, NULL, err);
}

int vni_instance_build_in(const struct vni_node *n, const struct vni_record *r,
			  const struct vni_node_view *view, char *err)
{
	struct vni_inst rec = { .aid = r->aid, .flags = vni_inst_flags(r), .cgid = r->cgroup_id };
	struct vni_owned own[VNI_OWNED_MAX];
	bool here = vni_record_here(r); /* (a socket each time: asked once) */
	int ret = 0;

	memcpy(rec.vip4, r->vip4.a, sizeof(rec.vip4));
	memcpy(rec.vip6, r->vip6.a, sizeof(rec.vip6));
	vni_owned_addrs(r, own);
	/* the receive filter first: its counters are kept from the first socket */
	if (here)
		ret = vni_bpf_lookup_link(n, r->netns_cookie, err);
	if (!ret)
		ret = vni_bpf_link_instance(n, r->cgroup, r->cgroup_id, r->flags, err);
	/* before the record, whose flag makes the programs look them up */
	if (!ret)
		ret = ensure_vids(n, r, err);
	if (!ret)
		ret = vni_bpf_set_instance(n, r->cgroup_id, &rec, r->phase == VNI_ATTACHING, err);
	if (!ret)
		vni_crashpoint("instance record written");
	if (!ret)
		ret = ensure_owned(n, r, own, here, view, err);
	return ret;
}

/* An address and its owner entry go only when no other instance owns it. */
static void drop_owned(const struct vni_node *n, const struct vni_record *r,
		       const struct vni_owned *o, bool here, const struct vni_node_view *view)
{
	struct vni_vip_owner owner;
	int ifindex = 0;

	if (vni_bpf_vip_owner(n, r->netns_cookie, &o->a, &owner) == 1 &&
	    owner.cgid != r->cgroup_id)
		return;
	if (here && vni_owned_installed(o)) {
		if (addr_present(view, o, &ifindex, NULL) == 1) {
			nl_addr_del(ifindex, o->a.family, o->a.a, NULL, 0);
			vni_crashpoint("VIP address removed");
		} else if ((ifindex = (int)if_nametoindex(o->private ? "lo" : r->dev))) {
			/* not found may be a v4 address of a device that is down
			 * (no local route to find it by): where it was put */
			nl_addr_del(ifindex, o->a.family, o->a.a, NULL, 0);
		}
	}
	vni_bpf_vip_del(n, r->netns_cookie, &o->a);
	vni_crashpoint("VIP owner removed");
}

/* The private v6 address a v4-only instance had before the parking address
 * (vnictl before 2026-12-01): still its own, it goes with it. */
static void drop_old_private(const struct vni_node *n, const struct vni_record *r, bool here,
			     const struct vni_node_view *view)
{
	struct vni_owned o = { .private = true };
	struct vni_vip_owner owner;

	vni_priv6(r->aid, &o.a);
	if (vni_bpf_vip_owner(n, r->netns_cookie, &o.a, &owner) == 1 &&
	    owner.cgid == r->cgroup_id)
		drop_owned(n, r, &o, here, view);
}

static void drop_addrs(const struct vni_node *n, const struct vni_record *r,
		       const struct vni_node_view *view)
{
	bool here = vni_record_here(r);
	struct vni_owned own[VNI_OWNED_MAX];
	int i;

	if (!r->cgroup_id)
		return; /* no cgroup id yet: attach never got to the addresses */
	if (vni_record_parks(r)) {
		vni_park_release(n, r, here); /* (its v4 VIP's entry says whether it holds) */
		drop_old_private(n, r, here, view);
	}
	vni_owned_addrs(r, own);
	for (i = 0; i < VNI_OWNED_MAX; i++)
		if (own[i].a.family)
			drop_owned(n, r, &own[i], here, view);
}

void vni_instance_drop_addrs(const struct vni_node *n, const struct vni_record *r)
{
	drop_addrs(n, r, NULL);
}

int vni_instance_teardown(const struct vni_node *n, const struct vni_record *r, char *err)
{
	return vni_instance_teardown_in(n, r, NULL, err);
}

/* Whether the instance may have virtual ids: a clone, or its record in the
 * maps says so (VNI_F_VIDS, which the programs go by). Their scan walks every
 * bucket of vni_vids, entries or not: 30-40 us a detach, saved for the rest. */
static bool may_have_vids(const struct vni_node *n, const struct vni_record *r)
{
	struct vni_cgrp_val cv;
	struct vni_inst rec;

	if (r->virt4.family || r->virt6.family)
		return true;
	return vni_bpf_get_instance(n, r->cgroup_id, &rec, &cv) || (rec.flags & VNI_F_VIDS);
}

int vni_instance_teardown_in(const struct vni_node *n, const struct vni_record *r,
			     const struct vni_node_view *view, char *err)
{
	bool vids = r->cgroup_id && may_have_vids(n, r);
	int ret = vni_instance_teardown_batched(n, r, view, err);

	if (!ret && r->cgroup_id) {
		vni_ports_forget(n, r->cgroup_id);
		if (vids)
			vni_bpf_vid_drop(n, r->cgroup_id);
	}
	return ret;
}

int vni_instance_teardown_batched(const struct vni_node *n, const struct vni_record *r,
				  const struct vni_node_view *view, char *err)
{
	int ret;

	/* the cgroup goes first: if a process joined meanwhile, this fails and
	 * nothing has changed; once it is gone no socket can be made in it */
	if (r->owns_cgroup && access(r->cgroup, F_OK) == 0) {
		ret = cg_remove(r->cgroup, err);
		if (ret)
			return ret;
		vni_crashpoint("cgroup removed");
	}
	drop_addrs(n, r, view);
	if (r->cgroup_id) {
		/* out of its services: no new connection goes to it */
		vni_bpf_svc_drop_cgid(n, r->cgroup_id);
		vni_bpf_clear_instance(n, r->cgroup_id);
		vni_crashpoint("instance record cleared");
		vni_bpf_unlink_instance(n, r->cgroup_id);
		vni_crashpoint("programs unlinked");
	}
	return 0;
}

/* The text of the hosts file, and (want_pos) where each instance's lines
 * start in it. */
struct hosts_text {
	FILE *f;
	bool want_pos;
	struct vni_hosts_off *pos;
	size_t n, cap;
};

static int hosts_line(const struct vni_record *r, void *arg)
{
	struct hosts_text *t = arg;
	long at = ftell(t->f);
	struct vni_hosts_off *p;

	vni_hosts_lines(r, t->f);
	if (!t->want_pos || at < 0 || ftell(t->f) == at) /* (none: checkpointed, detaching) */
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;

		p = realloc(t->pos, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		t->pos = p;
		t->cap = cap;
	}
	t->pos[t->n].name = strdup(r->name);
	if (!t->pos[t->n].name)
		return -ENOMEM;
	t->pos[t->n++].off = at;
	return 0;
}

static void hosts_pos_free(struct hosts_text *t)
{
	while (t->n)
		free(t->pos[--t->n].name);
	free(t->pos);
}

/* The other nodes' instances, as the agent last saw the farm (farm-hosts
 * in the state dir; none without an agent). */
static int append_farm_hosts(struct vni_state *st, FILE *out, char *err)
{
	char path[PATH_MAX], line[512];
	FILE *f;

	if (vni_path(path, sizeof(path), "%s/" VNI_FARM_HOSTS, vni_state_dir(st)))
		return vni_err(err, -ENAMETOOLONG, "state dir path too long");
	if (!(f = fopen(path, "re")))
		return errno == ENOENT ? 0 : vni_err(err, -errno, "cannot read %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		fputs(line, out);
	fclose(f);
	return 0;
}

static int hosts_text(struct vni_state *st, struct hosts_text *t, char **text, char *err)
{
	size_t len = 0;
	int ret;

	*text = NULL;
	t->f = open_memstream(text, &len);
	if (!t->f)
		return vni_err(err, -ENOMEM, "out of memory");
	vni_hosts_header(t->f);
	ret = vni_state_each(st, hosts_line, t, err);
	if (ret == -ENOMEM)
		vni_err(err, ret, "out of memory");
	if (!ret)
		ret = append_farm_hosts(st, t->f, err);
	if (fclose(t->f) && !ret)
		ret = vni_err(err, -ENOMEM, "out of memory");
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

int vni_hosts_text(struct vni_state *st, char **text, char *err)
{
	struct hosts_text t = { 0 };

	return hosts_text(st, &t, text, err);
}

/* The hosts file is derived from the state: written whole here (after
 * recovery, sync, a checkpoint, apply, the agent's farm names), by the
 * lines of one instance on attach and detach. Then where each instance's
 * lines are, for its detach (core/hostsedit.h): a hint, checked before it
 * is used, so a failure here (or a crash before) only makes a detach read
 * the file as before. */
int vni_publish_hosts(const struct vni_node *n, struct vni_state *st, char *err)
{
	struct hosts_text t = { .want_pos = true };
	char *text;
	int ret = hosts_text(st, &t, &text, err);

	if (!ret)
		ret = vni_replace_file(n->hosts_file, text, err);
	if (!ret)
		vni_state_set_hosts_offs(st, t.pos, t.n, NULL);
	hosts_pos_free(&t);
	free(text);
	return ret;
}

/* The cgroup a process is in now, to put it back if attach fails. */
static int current_cgroup(const struct vni_node *n, int pid, char *out, size_t len)
{
	char path[64], buf[PATH_MAX];
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, "0::", 3)) {
			buf[strcspn(buf, "\n")] = '\0';
			ret = vni_path(out, len, "%s%s", n->cgroup2, buf + 3);
			break;
		}
	fclose(f);
	return ret;
}

static int move_pids(const struct vni_node *n, const struct vni_attach_req *req,
		     const struct vni_record *r, char *err)
{
	char (*origin)[PATH_MAX] = calloc((size_t)req->npids + 1, PATH_MAX);
	int i, ret = 0;

	if (!origin)
		return vni_err(err, -ENOMEM, "out of memory");
	for (i = 0; i < req->npids && !ret; i++) {
		ret = current_cgroup(n, req->pids[i], origin[i], PATH_MAX);
		if (ret)
			vni_err(err, ret, "cannot read the cgroup of pid %d", req->pids[i]);
		else
			ret = cg_move_pid(r->cgroup, req->pids[i], err);
	}
	if (ret) /* put back those already moved */
		for (i -= 2; i >= 0; i--)
			cg_move_pid(origin[i], req->pids[i], NULL);
	free(origin);
	return ret;
}

/* attach: its lines added to the file (the whole file when there is none) */
static int publish_one(const struct vni_node *n, struct vni_state *st,
		       struct vni_record *r, char *err)
{
	int ret = vni_hosts_append(n->hosts_file, r, &r->hosts_off, err);

	return ret == -ENOENT ? vni_publish_hosts(n, st, err) : ret;
}

/* detach: its lines commented out; the file is written whole when there is
 * none, or when lines commented out outweigh the rest */
static int unpublish_one(const struct vni_node *n, struct vni_state *st,
			 const struct vni_record *r, char *err)
{
	int ret = vni_hosts_comment_out(n->hosts_file, r, err);

	return ret == -ENOENT || ret == 1 ? vni_publish_hosts(n, st, err) : ret;
}

static void undo_attach(const struct vni_node *n, struct vni_state *st, struct vni_record *r,
			const struct attach_undo *u)
{
	r->owns_cgroup = u->cg_made; /* an existing cgroup of that name is not ours */
	vni_instance_teardown(n, r, NULL);
	if (u->recorded)
		vni_state_delete(st, r->name, NULL);
	if (u->published)
		vni_publish_hosts(n, st, NULL);
	if (u->root_made && rmdir(n->cgroup_root) == 0)
		vni_state_meta_set(st, META_CREATED_ROOT, NULL, NULL);
}

/*
 * The row goes in first, as "attaching": a vnictl killed at any later step
 * leaves it to say what to undo (recover.c). Each step is idempotent.
 */
int vni_attach_locked(const struct vni_node *n, struct vni_state *st,
		      const struct vni_attach_req *req, struct vni_record *out, char *err)
{
	struct attach_undo u = {};
	struct vni_record r;
	int ret;

	ret = fill_record(n, st, req, &r, err);
	if (ret)
		return ret;
	ret = vni_bpf_init(n, err);
	if (!ret) {
		r.phase = VNI_ATTACHING;
		ret = vni_state_insert(st, &r, err);
	}
	if (ret) {
		undo_claim(n, st, req, &r);
		return ret;
	}
	u.recorded = true;
	vni_crashpoint("attach: intent recorded");
	ret = make_cgroup(n, st, &r, &u, err);
	if (!ret)
		ret = cg_id(r.cgroup, &r.cgroup_id, err);
	if (!ret)
		ret = vni_state_update(st, &r, err);
	if (!ret) {
		vni_crashpoint("attach: cgroup id recorded");
		ret = vni_instance_build(n, &r, err);
	}
	if (!ret) {
		u.published = true;
		ret = publish_one(n, st, &r, err);
	}
	if (!ret) {
		vni_crashpoint("attach: hosts file written");
		/* processes moved in are the only step teardown cannot undo */
		ret = move_pids(n, req, &r, err);
	}
	if (ret) {
		undo_attach(n, st, &r, &u);
		undo_claim(n, st, req, &r);
		return ret;
	}
	if (req->npids)
		vni_crashpoint("attach: processes moved in");
	if (!req->unfinished) {
		r.phase = VNI_READY;
		ret = vni_state_update(st, &r, err);
		if (ret) /* too late to undo: its processes are in; recovery finishes it */
			return ret;
	}
	vni_crashpoint("attach: done");
	if (out)
		*out = r;
	return 0;
}

static int detach(const struct vni_node *n, struct vni_state *st, const struct vni_record *r,
		  bool force, bool release, char *err);

int vni_detach_locked(const struct vni_node *n, struct vni_state *st,
		      const struct vni_record *r, bool force, char *err)
{
	return detach(n, st, r, force, true, err);
}

int vni_fence_locked(const struct vni_node *n, struct vni_state *st,
		     const struct vni_record *r, char *err)
{
	return detach(n, st, r, true, false, err);
}

void vni_forget_clone_work(struct vni_state *st, const struct vni_record *r)
{
	char dir[PATH_MAX];

	if (!vni_path(dir, sizeof(dir), "%s/" VNI_CLONES_DIR "/%u", vni_state_dir(st), r->aid))
		vni_remove_tree(dir);
}

static int detach(const struct vni_node *n, struct vni_state *st, const struct vni_record *r,
		  bool force, bool release, char *err)
{
	bool exists = access(r->cgroup, F_OK) == 0;
	struct vni_record d = *r;
	int ret, procs;

	if (!vni_record_here(r) && !force)
		return vni_err(err, -EXDEV,
			       "instance %s was attached in another network namespace; detach it there (or --force if that namespace is gone)",
			       r->name);
	procs = exists ? cg_for_each_pid(r->cgroup, NULL, NULL) : 0;
	if (procs > 0 && !force)
		return vni_err(err, -EBUSY,
			       "instance %s still has %d process(es); stop them or use --force",
			       r->name, procs);
	/* the registry first: when it cannot be reached nothing changes */
	if (release && (ret = release_claim(n, st, r, err)))
		return ret;
	/* on record first: a detach cut short is finished by the next vnictl */
	d.phase = VNI_DETACHING;
	ret = vni_state_update(st, &d, err);
	if (ret)
		return ret;
	vni_crashpoint("detach: intent recorded");
	/* its name goes first; a hosts file that could not be changed is
	 * reported stale by check and rewritten by sync */
	if (unpublish_one(n, st, r, err))
		vni_log(VNI_LOG_WARN, "%s", err);
	vni_crashpoint("detach: hosts file written");
	if (procs > 0 && (ret = cg_kill_all(r->cgroup, err)) == 0)
		vni_crashpoint("detach: processes killed");
	if (!ret)
		ret = vni_instance_teardown(n, r, err);
	if (ret) { /* nothing is gone but its name: put that back */
		vni_state_update(st, r, NULL);
		vni_publish_hosts(n, st, NULL);
		return ret;
	}
	ret = vni_state_delete(st, r->name, err);
	if (!ret && r->template[0])
		vni_forget_clone_work(st, r);
	if (!ret)
		vni_crashpoint("detach: done");
	return ret;
}

