// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bpfobj.h"
#include "sys/cgroup.h"
#include "core/drift.h"
#include "core/hostsedit.h"
#include "core/instance.h"
#include "core/park.h"
#include "sys/log.h"
#include "sys/nladdr.h"
#include "core/recover.h"
#include "core/registry.h"
#include "core/revive.h"
#include "core/svcbuild.h"

/* What the state says exists in the kernel. */
struct known {
	uint64_t cgid, netns;
	struct vni_owned own[VNI_OWNED_MAX]; /* VIPs or private addresses */
	char *cgroup;
};

struct scan {
	const struct vni_node *n;
	struct vni_state *st;
	bool repair;
	bool boot; /* instances the kernel forgot come back (revive.h) */
	vni_drift_fn report;
	void *arg;
	int left;
	struct known *k;
	size_t nk;
	char **names; /* instances to look at again */
	size_t nnames;
	uint64_t *ids; /* orphans found by a pass */
	struct vni_vip_key *keys;
	size_t nids;
	struct vni_addr *addrs; /* this netns's addresses, sorted: one dump per scan */
	size_t naddrs;
};

static void *grow(void *v, size_t n, size_t size)
{
	return realloc(v, (n + 1) * size);
}

/* Reports d; with repair, fix() ran and returned ret. */
static void finding(struct scan *s, struct vni_drift *d, int ret, const char *why)
{
	if (s->repair) {
		d->repaired = ret ? -1 : 1;
		if (ret)
			snprintf(d->why, sizeof(d->why), "%s", why);
	}
	if (!s->repair || ret)
		s->left++;
	s->report(d, s->arg);
}

static void add_missing(char *buf, size_t len, const char *fmt, const char *arg)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s", used ? ", " : "");
	used = strlen(buf);
	snprintf(buf + used, len - used, fmt, arg);
}

static int cmp_addr(const void *x, const void *y)
{
	const struct vni_addr *a = x, *b = y;

	return a->family != b->family ? a->family - b->family : memcmp(a->a, b->a, sizeof(a->a));
}

static int add_addr(int family, const void *addr, int ifindex, void *arg)
{
	struct scan *s = arg;
	struct vni_addr *v = grow(s->addrs, s->naddrs, sizeof(*v));

	(void)ifindex;
	if (!v)
		return -ENOMEM;
	s->addrs = v;
	v += s->naddrs++;
	memset(v, 0, sizeof(*v));
	v->family = family;
	memcpy(v->a, addr, family == AF_INET ? 4 : 16);
	return 0;
}

static int load_addrs(struct scan *s, char *err)
{
	int ret = nl_addr_each(AF_UNSPEC, add_addr, s, err, VNI_ERRLEN);

	if (ret == -ENOMEM)
		return vni_err(err, ret, "out of memory");
	if (!ret && s->naddrs)
		qsort(s->addrs, s->naddrs, sizeof(*s->addrs), cmp_addr);
	return ret;
}

static void check_owned(const struct scan *s, const struct vni_record *r,
			const struct vni_owned *o, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN], what[INET6_ADDRSTRLEN + 32];
	struct vni_vip_owner have;

	vni_addr_str(&o->a, ip, sizeof(ip));
	snprintf(what, sizeof(what), "%s %s", o->private ? "private address" : "VIP", ip);
	if (vni_bpf_vip_owner(s->n, r->netns_cookie, &o->a, &have) != 1 ||
	    have.cgid != r->cgroup_id)
		add_missing(buf, len, "owner of %s", what);
	if (vni_record_here(r) && vni_owned_installed(o) &&
	    (!s->naddrs || !bsearch(&o->a, s->addrs, s->naddrs, sizeof(o->a), cmp_addr)))
		add_missing(buf, len, "address %s", o->private ? what : ip);
}

/* A clone's virtual ids are in vni_vids, each for its own VIP. */
static bool vids_complete(const struct vni_node *n, const struct vni_record *r)
{
	const struct vni_addr *virt[2] = { &r->virt4, &r->virt6 }, *own[2] = { &r->vip4, &r->vip6 };
	struct vni_addr real;
	int i;

	for (i = 0; i < 2; i++)
		if (virt[i]->family && (vni_bpf_vid_get(n, r->cgroup_id, virt[i], &real) != 1 ||
					memcmp(real.a, own[i]->a, virt[i]->family == AF_INET ? 4 : 16)))
			return false;
	return true;
}

/* What is wrong with one instance: a kind and a detail, or NULL. */
static const char *diagnose(const struct scan *s, const struct vni_record *r,
			    uint64_t *cgid_now, char *buf)
{
	const struct vni_node *n = s->n;
	const char *first = NULL;
	struct vni_cgrp_val v;
	struct vni_inst rec;
	char item[96], parts[VNI_ERRLEN] = "";
	struct vni_owned own[VNI_OWNED_MAX];
	int missing, i;

	buf[0] = '\0';
	if (r->phase != VNI_READY) {
		vni_err(buf, 0, "the %s of %s was interrupted",
			 r->phase == VNI_ATTACHING ? "attach" : "detach", r->name);
		return "interrupted";
	}
	if (r->checkpointed)
		return NULL;
	if (s->boot && vni_instance_down(n, r)) {
		vni_err(buf, 0, "instance %s is down (its %s is gone): a reboot", r->name,
			access(r->cgroup, F_OK) ? "cgroup" : "network namespace");
		return "instance_down";
	}
	if (access(r->cgroup, F_OK)) {
		vni_err(buf, 0, "cgroup %s of %s no longer exists", r->cgroup, r->name);
		return "instance_gone";
	}
	if (!cg_id(r->cgroup, cgid_now, NULL) && *cgid_now != r->cgroup_id) {
		vni_err(buf, 0, "cgroup %s of %s was made again (id %llu, recorded %llu)",
			 r->cgroup, r->name, (unsigned long long)*cgid_now,
			 (unsigned long long)r->cgroup_id);
		return "cgroup_replaced";
	}
	missing = vni_bpf_links_missing(n, r->cgroup_id, r->flags, &first);
	if (missing > 0) {
		snprintf(item, sizeof(item), "%d program link(s), e.g. %s", missing, first);
		add_missing(parts, sizeof(parts), "%s", item);
	}
	if (vni_bpf_get_instance(n, r->cgroup_id, &rec, &v) || rec.aid != r->aid ||
	    rec.cgid != r->cgroup_id || rec.flags != vni_inst_flags(r) ||
	    memcmp(rec.vip4, r->vip4.a, sizeof(rec.vip4)) ||
	    memcmp(rec.vip6, r->vip6.a, sizeof(rec.vip6)) || v.aid != r->aid ||
	    v.flags != vni_inst_flags(r))
		add_missing(parts, sizeof(parts), "%s", "instance record");
	if (!vids_complete(n, r))
		add_missing(parts, sizeof(parts), "%s", "virtual ids (vni_vids)");
	vni_owned_addrs(r, own);
	for (i = 0; i < VNI_OWNED_MAX; i++)
		if (own[i].a.family)
			check_owned(s, r, &own[i], parts, sizeof(parts));
	if (!vni_park_held(n, r, vni_record_here(r)))
		add_missing(parts, sizeof(parts), "%s", "parking address (fd76:6e69:6c6f::) or its hold");
	if (vni_record_here(r) && !vni_bpf_lookup_linked(n, r->netns_cookie))
		add_missing(parts, sizeof(parts), "%s",
			    "receive filter (sk_lookup) of its network namespace");
	if (!parts[0])
		return NULL;
	vni_err(buf, 0, "instance %s is missing: %s", r->name, parts);
	return "incomplete";
}

static int repair_one(struct scan *s, const char *kind, struct vni_record *r,
		      uint64_t cgid_now, char *err)
{
	char done[VNI_ERRLEN];
	int ret;

	if (!strcmp(kind, "interrupted"))
		return vni_recover_one(s->n, s->st, r, done, sizeof(done), err);
	if (!strcmp(kind, "instance_down")) {
		ret = vni_revive(s->n, s->st, r, err);
		if (ret != -ENOENT)
			return ret ? ret : vni_publish_hosts(s->n, s->st, err);
		kind = "instance_gone"; /* in a cgroup that was not vnictl's: dropped */
	}
	if (!strcmp(kind, "instance_gone")) {
		ret = vni_instance_teardown(s->n, r, err);
		if (!ret)
			ret = vni_state_delete(s->st, r->name, err);
		return ret ? ret : vni_publish_hosts(s->n, s->st, err);
	}
	if (!strcmp(kind, "cgroup_replaced")) {
		struct vni_record old = *r;

		old.owns_cgroup = false; /* the parts of the old id go, the cgroup stays */
		ret = vni_instance_teardown(s->n, &old, err);
		r->cgroup_id = cgid_now;
		if (!ret)
			ret = vni_state_update(s->st, r, err);
		if (ret)
			return ret;
	}
	return vni_instance_build(s->n, r, err);
}

/* A hold a crash counted twice is set right from the holders' marks. */
static int repair_instance(struct scan *s, const char *kind, struct vni_record *r,
			   uint64_t cgid_now, char *err)
{
	int ret = repair_one(s, kind, r, cgid_now, err);

	if (!ret && vni_record_parks(r))
		ret = vni_park_recount(s->n, s->st, r->netns_cookie, vni_record_here(r), err);
	return ret;
}

static int note_row(const struct vni_record *r, void *arg)
{
	struct scan *s = arg;
	struct known *k = grow(s->k, s->nk, sizeof(*s->k));

	if (!k)
		return -ENOMEM;
	s->k = k;
	k += s->nk;
	memset(k, 0, sizeof(*k));
	/* a checkpointed instance has no kernel parts, only its cgroup name */
	if (!r->checkpointed) {
		k->cgid = r->cgroup_id;
		k->netns = r->netns_cookie;
		vni_owned_addrs(r, k->own);
		/* its private v6 address from before the parking address (programs
		 * an older vnictl pinned still bind there): its own until detach */
		if (vni_record_parks(r))
			vni_priv6(r->aid, &k->own[1].a);
	}
	if (!(k->cgroup = strdup(r->cgroup)))
		return -ENOMEM;
	s->nk++;
	return 0;
}

static int note_suspect(const struct vni_record *r, void *arg)
{
	struct scan *s = arg;
	char detail[VNI_ERRLEN];
	uint64_t now;
	char **v;

	if (!diagnose(s, r, &now, detail))
		return 0;
	v = grow(s->names, s->nnames, sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->names = v;
	return (s->names[s->nnames++] = strdup(r->name)) ? 0 : -ENOMEM;
}

static void scan_instances(struct scan *s)
{
	struct vni_drift d = {};
	char err[VNI_ERRLEN];
	struct vni_record r;
	uint64_t now = 0;
	size_t i;

	for (i = 0; i < s->nnames; i++) {
		if (vni_state_get(s->st, s->names[i], &r, NULL) == 1 &&
		    (d.kind = diagnose(s, &r, &now, d.detail))) {
			d.instance = r.name;
			finding(s, &d, s->repair ? repair_instance(s, d.kind, &r, now, err) : 0,
				err);
		}
		free(s->names[i]);
	}
	free(s->names);
	s->names = NULL;
	s->nnames = 0;
}

static bool known_cgid(const struct scan *s, uint64_t cgid)
{
	size_t i;

	for (i = 0; i < s->nk; i++)
		if (s->k[i].cgid && s->k[i].cgid == cgid)
			return true;
	return false;
}

static int push_id(struct scan *s, uint64_t id)
{
	uint64_t *v = grow(s->ids, s->nids, sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->ids = v;
	s->ids[s->nids++] = id;
	return 0;
}

static int collect_id(uint64_t cgid, void *arg)
{
	struct scan *s = arg;

	return known_cgid(s, cgid) ? 0 : push_id(s, cgid);
}

static void orphan_ids(struct scan *s, const char *kind, const char *what,
		       int (*each)(const struct vni_node *, int (*)(uint64_t, void *), void *),
		       void (*drop)(const struct vni_node *, uint64_t))
{
	struct vni_drift d = { .kind = kind };
	size_t i;

	s->nids = 0;
	each(s->n, collect_id, s);
	for (i = 0; i < s->nids; i++) {
		vni_err(d.detail, 0, "%s cgroup id %llu, which is no instance's",
			 what, (unsigned long long)s->ids[i]);
		if (s->repair)
			drop(s->n, s->ids[i]);
		finding(s, &d, 0, NULL);
	}
	free(s->ids);
	s->ids = NULL;
}

static bool known_vip(const struct scan *s, const struct vni_vip_key *k,
		      const struct vni_vip_owner *o)
{
	size_t i, j;

	for (i = 0; i < s->nk; i++)
		for (j = 0; j < VNI_OWNED_MAX; j++)
			if (s->k[i].cgid == o->cgid && s->k[i].netns == k->netns_cookie &&
			    s->k[i].own[j].a.family == (int)k->family &&
			    !memcmp(s->k[i].own[j].a.a, k->addr, k->family == AF_INET ? 4 : 16))
				return true;
	return false;
}

static int collect_vip(const struct vni_vip_key *k, const struct vni_vip_owner *o, void *arg)
{
	struct scan *s = arg;
	struct vni_vip_key *v;
	uint64_t *ids;

	if (known_vip(s, k, o) || (o->flags & VNI_VIP_PARK)) /* (holders check the park) */
		return 0;
	if (o->flags & VNI_VIP_SERVICE) { /* a service's (services_pass checks it) */
		struct vni_addr a = { .family = (int)k->family };

		memcpy(a.a, k->addr, sizeof(a.a));
		if (vni_state_svc_addr_count(s->st, &a, NULL) > 0)
			return 0;
	}
	if (!(v = grow(s->keys, s->nids, sizeof(*v))))
		return -ENOMEM;
	s->keys = v;
	if (!(ids = grow(s->ids, s->nids, sizeof(*ids))))
		return -ENOMEM;
	s->ids = ids;
	s->keys[s->nids] = *k;
	s->ids[s->nids++] = o->cgid;
	return 0;
}

/* An owner entry no instance explains; its address (here) was vnictl's too:
 * attach refuses a VIP that is already an address of the node. */
static void orphan_vips(struct scan *s)
{
	struct vni_drift d = { .kind = "orphan_vip" };
	char ip[INET6_ADDRSTRLEN], dev[IF_NAMESIZE];
	uint64_t here = 0;
	size_t i;

	vni_netns_cookie(&here, NULL);
	s->nids = 0;
	vni_bpf_each_vip(s->n, collect_vip, s);
	for (i = 0; i < s->nids; i++) {
		const struct vni_vip_key *k = &s->keys[i];
		struct vni_addr a = { .family = (int)k->family };
		int ifindex = 0;

		memcpy(a.a, k->addr, sizeof(a.a));
		vni_addr_str(&a, ip, sizeof(ip));
		if (k->netns_cookie != here ||
		    nl_addr_find(a.family, a.a, &ifindex, NULL, 0) != 1 ||
		    !if_indextoname((unsigned int)ifindex, dev))
			ifindex = 0;
		snprintf(d.detail, sizeof(d.detail),
			 "VIP %s has an owner (cgroup id %llu) but is no instance's%s%s", ip,
			 (unsigned long long)s->ids[i], ifindex ? "; its address is on " : "",
			 ifindex ? dev : "");
		if (s->repair) {
			if (ifindex)
				nl_addr_del(ifindex, a.family, a.a, NULL, 0);
			vni_bpf_vip_del_key(s->n, k);
		}
		finding(s, &d, 0, NULL);
	}
	free(s->keys);
	free(s->ids);
	s->keys = NULL;
	s->ids = NULL;
}

/* Each service's kernel parts (core/svcbuild.h); sync makes them again. */
static int check_service(const struct vni_service *svc, void *arg)
{
	struct vni_drift d = { .kind = "service" };
	struct scan *s = arg;
	char why[VNI_ERRLEN], what[256], done[VNI_ERRLEN];
	int ret = 0;

	if (!vni_svc_diagnose(s->n, s->st, svc, what, sizeof(what)))
		return 0;
	snprintf(d.detail, sizeof(d.detail), "service %s: %s", svc->name, what);
	if (s->repair)
		ret = svc->phase == VNI_READY ?
			      vni_svc_build(s->n, s->st, svc, why) :
			      vni_svc_recover_one(s->n, s->st, svc, done, sizeof(done), why);
	finding(s, &d, ret, why);
	return 0;
}

static void services_pass(struct scan *s)
{
	struct vni_service *svc = malloc(sizeof(*svc));
	char err[VNI_ERRLEN];

	if (svc && vni_state_svc_each(s->st, svc, check_service, s, err))
		vni_log(VNI_LOG_WARN, "cannot check the services: %s", err);
	free(svc);
}

static int collect_gone_netns(uint64_t netns, void *arg)
{
	struct scan *s = arg;

	return vni_bpf_lookup_attached(s->n, netns) != 0 ? 0 : push_id(s, netns);
}

/* A receive filter whose network namespace is gone. */
static void orphan_lookups(struct scan *s)
{
	struct vni_drift d = { .kind = "orphan_lookup" };
	size_t i;

	s->nids = 0;
	vni_bpf_each_lookup(s->n, collect_gone_netns, s);
	for (i = 0; i < s->nids; i++) {
		vni_err(d.detail, 0, "the receive filter of network namespace %llu outlived it",
			 (unsigned long long)s->ids[i]);
		if (s->repair)
			vni_bpf_lookup_unlink(s->n, s->ids[i]);
		finding(s, &d, 0, NULL);
	}
	free(s->ids);
	s->ids = NULL;
}

/* Cgroups vnictl made live directly below the VNI root. */
static void orphan_cgroups(struct scan *s)
{
	struct vni_drift d = { .kind = "orphan_cgroup" };
	char path[PATH_MAX], err[VNI_ERRLEN];
	DIR *dir = opendir(s->n->cgroup_root);
	struct dirent *e;
	size_t i;

	while (dir && (e = readdir(dir))) {
		int ret = 0, procs;

		if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
		    vni_path(path, sizeof(path), "%s/%s", s->n->cgroup_root, e->d_name))
			continue;
		for (i = 0; i < s->nk && strcmp(s->k[i].cgroup, path); i++)
			;
		if (i < s->nk)
			continue;
		vni_err(d.detail, 0, "cgroup %s is no instance's", path);
		if (s->repair) {
			procs = cg_for_each_pid(path, NULL, NULL);
			ret = procs > 0 ? vni_err(err, -EBUSY, "it has %d process(es); not vnictl's to kill", procs) :
					  cg_remove(path, err);
		}
		finding(s, &d, ret, err);
	}
	if (dir)
		closedir(dir);
}

static bool any_live(const struct scan *s)
{
	size_t i;

	for (i = 0; i < s->nk; i++)
		if (s->k[i].cgid)
			return true;
	return false;
}

static void stale_hosts(struct scan *s)
{
	struct vni_drift d = { .kind = "hosts_stale" };
	char *want = NULL, *have = NULL, err[VNI_ERRLEN];
	size_t len = 0;
	FILE *f;
	int ret = 0;

	if (vni_hosts_text(s->st, &want, NULL))
		return;
	f = fopen(s->n->hosts_file, "re");
	if (f) {
		if (getdelim(&have, &len, '\0', f) < 0) {
			free(have);
			have = NULL;
		}
		fclose(f);
	}
	/* no file yet is no drift while there is nothing to name */
	/* by the names it gives, not the text: attach and detach change it by
	 * lines (core/hostsedit.h) */
	if (have ? !vni_hosts_same(have, want) : any_live(s)) {
		vni_err(d.detail, 0, "hosts file %s does not match the instances",
			 s->n->hosts_file);
		if (s->repair)
			ret = vni_publish_hosts(s->n, s->st, err);
		finding(s, &d, ret, err);
	}
	free(have);
	free(want);
}

/* ---- the registry against the node's state (sync: both directions) ---- */

struct held {
	struct scan *s;
	struct vni_registry *g;
	char **names; /* held by this node in the registry */
	size_t n;
};

static int note_held(const struct vni_record *r, void *arg)
{
	struct held *h = arg;
	struct vni_drift d = { .kind = "registry_orphan", .instance = r->name };
	struct vni_record local;
	char why[VNI_ERRLEN] = "", **v;

	if (vni_state_get(h->s->st, r->name, &local, NULL) == 0) {
		vni_err(d.detail, 0, "the registry holds instance %s (AID %u) for this node, which has no such instance",
			r->name, r->aid);
		finding(h->s, &d, h->s->repair ? h->g->ops->release(h->g, r, why) : 0, why);
		return 0;
	}
	if (!(v = grow(h->names, h->n, sizeof(*v))))
		return -ENOMEM;
	h->names = v;
	return (h->names[h->n++] = strdup(r->name)) ? 0 : -ENOMEM;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int note_unheld(const struct vni_record *r, void *arg)
{
	struct held *h = arg;
	struct vni_drift d = { .kind = "registry_missing", .instance = r->name };
	struct vni_record copy = *r;
	struct vni_claim c = { .r = &copy, .again = true };
	char why[VNI_ERRLEN] = "";
	const char *name = r->name;

	if (r->phase != VNI_READY || r->checkpointed ||
	    (h->n && bsearch(&name, h->names, h->n, sizeof(*h->names), cmp_name)))
		return 0;
	vni_err(d.detail, 0, "instance %s is not in the registry", r->name);
	/* exactly its identity again, or the clash is what is left */
	finding(h->s, &d, h->s->repair ? h->g->ops->claim(h->g, &c, why) : 0, why);
	return 0;
}

static void registry_pass(struct scan *s)
{
	struct held h = { .s = s };
	char err[VNI_ERRLEN];
	size_t i;

	if (vni_registry_open(s->n, s->st, &h.g, err)) {
		vni_log(VNI_LOG_WARN, "the registry was not compared: %s", err);
		return;
	}
	if (h.g->ops->each_held(h.g, note_held, &h, err)) {
		vni_log(VNI_LOG_WARN, "the registry was not compared: %s", err);
	} else {
		if (h.n)
			qsort(h.names, h.n, sizeof(*h.names), cmp_name);
		vni_state_each(s->st, note_unheld, &h, NULL);
	}
	for (i = 0; i < h.n; i++)
		free(h.names[i]);
	free(h.names);
	vni_registry_close(h.g);
}

static void free_known(struct scan *s)
{
	size_t i;

	for (i = 0; i < s->nk; i++)
		free(s->k[i].cgroup);
	free(s->k);
	s->k = NULL;
	s->nk = 0;
}

int vni_drift_scan(const struct vni_node *n, struct vni_state *st, enum vni_drift_mode mode,
		   vni_drift_fn report, void *arg, char *err)
{
	bool repair = mode != VNI_DRIFT_CHECK;
	struct scan s = { .n = n, .st = st, .repair = repair, .boot = mode == VNI_DRIFT_BOOT,
			  .report = report, .arg = arg };
	int ret = vni_state_each(st, note_row, &s, err);

	/* the node first: without programs no instance can be whole */
	if (!ret && any_live(&s) && !vni_bpf_loaded(n)) {
		struct vni_drift d = { .kind = "programs_not_loaded" };
		char why[VNI_ERRLEN];

		vni_err(d.detail, 0, "the BPF programs are not loaded under %s",
			 n->bpffs);
		finding(&s, &d, repair ? vni_bpf_init(n, why) : 0, why);
	}
	if (!ret)
		ret = load_addrs(&s, err);
	if (!ret)
		ret = vni_state_each(st, note_suspect, &s, err);
	if (ret) {
		free_known(&s);
		free(s.addrs);
		return ret < 0 && !err[0] ? vni_err(err, ret, "out of memory") : ret;
	}
	scan_instances(&s);
	/* what repairs changed is re-read before looking for orphans */
	free_known(&s);
	ret = vni_state_each(st, note_row, &s, err);
	if (!ret) {
		orphan_ids(&s, "orphan_links", "programs are linked to", vni_bpf_each_linked,
			   vni_bpf_unlink_instance);
		orphan_ids(&s, "orphan_record", "there is an instance record for",
			   vni_bpf_each_cgrp, vni_bpf_clear_instance);
		services_pass(&s);
		orphan_vips(&s);
		orphan_lookups(&s);
		orphan_cgroups(&s);
		stale_hosts(&s);
		registry_pass(&s);
	}
	free_known(&s);
	free(s.addrs);
	return ret ? ret : s.left;
}
