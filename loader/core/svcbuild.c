// SPDX-License-Identifier: GPL-2.0-only
/* A service address's kernel parts (see svcbuild.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "core/bpfobj.h"
#include "core/instance.h"
#include "core/registry.h"
#include "core/svcbuild.h"
#include "core/svcmaps.h"
#include "sys/crashpoint.h"
#include "sys/log.h"
#include "sys/nladdr.h"
#include "sys/sockdiag.h"
#include "sys/util.h"

const char *vni_svc_addr_str(const struct vni_service *svc, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	vni_addr_str(&svc->addr, ip, sizeof(ip));
	snprintf(buf, n, svc->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, svc->port);
	return buf;
}

static bool here(const struct vni_service *svc)
{
	uint64_t cookie;

	return !vni_netns_cookie(&cookie, NULL) && cookie == svc->netns_cookie;
}

/* The member's instance as it runs here: 1 and *r, 0 when it does not
 * (gone, checkpointed, half attached, in another network namespace). */
static int running_member(struct vni_state *st, const struct vni_service *svc,
			  const struct vni_service_member *m, struct vni_record *r)
{
	int ret = vni_state_get(st, m->instance, r, NULL);

	return ret == 1 && r->phase == VNI_READY && !r->checkpointed && r->cgroup_id &&
	       r->netns_cookie == svc->netns_cookie;
}

/* The owner entry (no socket may bind the address), then the address. */
static int ensure_addr(const struct vni_node *n, const struct vni_service *svc, char *err)
{
	struct vni_vip_owner owner = { .flags = VNI_VIP_SERVICE }, have;
	char buf[INET6_ADDRSTRLEN];
	int ifindex, ret;

	vni_addr_str(&svc->addr, buf, sizeof(buf));
	ret = vni_bpf_vip_owner(n, svc->netns_cookie, &svc->addr, &have);
	if (ret == 1 && !(have.flags & VNI_VIP_SERVICE))
		return vni_err(err, -EADDRINUSE, "address %s is an instance's (cgroup id %llu)", buf,
			       (unsigned long long)have.cgid);
	if (ret == 0) {
		ret = vni_bpf_vip_add(n, svc->netns_cookie, &svc->addr, &owner, err);
		if (ret)
			return ret;
		vni_crashpoint("service owner recorded");
	}
	if (ret < 0)
		return vni_err(err, ret, "cannot read the owner of %s: %s", buf, strerror(-ret));
	if (!here(svc))
		return 0;
	ifindex = (int)if_nametoindex(svc->dev);
	if (!ifindex)
		return vni_err(err, -ENODEV, "unknown device '%s'", svc->dev);
	ret = nl_addr_find(svc->addr.family, svc->addr.a, NULL, err, VNI_ERRLEN);
	if (ret)
		return ret < 0 ? ret : 0;
	ret = nl_addr_add(ifindex, svc->addr.family, svc->addr.a, err, VNI_ERRLEN);
	if (!ret)
		vni_crashpoint("service address installed");
	return ret;
}

/* Member entries of this service whose slot is no row's (or whose
 * instance changed) go, with their slot. */
static void drop_stale(const struct vni_node *n, const struct vni_service *svc,
		       const uint64_t cgids[])
{
	struct vni_svc_member_key k, next;
	struct vni_svc_member m;
	int fd = vni_bpf_map_fd(n, "vni_svc_members", NULL);
	struct vni_svc_slot s;
	void *prev = NULL;
	uint32_t slot;

	while (fd >= 0 && !bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &m) && m.id == svc->id &&
		    (m.slot >= VNI_SVC_MAX_MEMBERS || cgids[m.slot] != next.cgid)) {
			vni_bpf_svc_member_del(n, &next);
			continue;
		}
		k = next;
		prev = &k;
	}
	if (fd >= 0)
		close(fd);
	for (slot = 0; slot < VNI_SVC_MAX_MEMBERS; slot++)
		if (vni_bpf_svc_slot_get(n, svc->id, slot, &s) == 1 && s.cgid != cgids[slot]) {
			vni_bpf_svc_slot_clear(n, svc->id, slot);
			vni_crashpoint("service member removed");
		}
}

static int ensure_member(const struct vni_node *n, const struct vni_service *svc,
			 const struct vni_service_member *m, uint64_t cgid, char *err)
{
	struct vni_svc_member val = { .id = svc->id, .slot = m->slot }, have;
	struct vni_svc_member_key k;
	int ret;

	vni_svc_member_key(&k, cgid, svc->port, svc->proto, svc->addr.family);
	/* the slot first: the dispatcher counts into it from the first socket */
	ret = vni_bpf_svc_slot_put(n, svc->id, m->slot, cgid, err);
	if (ret)
		return ret;
	if (vni_bpf_svc_member_get(n, &k, &have) == 1 && have.id == val.id &&
	    have.slot == val.slot)
		return 0;
	ret = vni_bpf_svc_member_put(n, &k, &val, err);
	if (!ret)
		vni_crashpoint("service member recorded");
	return ret;
}

int vni_svc_build(const struct vni_node *n, struct vni_state *st, const struct vni_service *svc,
		  char *err)
{
	struct vni_svc_val val = { .id = svc->id }, have;
	uint64_t cgids[VNI_SVC_MAX_MEMBERS] = { 0 }, added;
	struct vni_record *r = malloc(sizeof(*r));
	struct vni_svc_key k;
	bool any_member = false;
	unsigned i;
	int ret = 0;

	if (!r)
		return vni_err(err, -ENOMEM, "out of memory");
	for (i = 0; i < svc->nmembers; i++) {
		const struct vni_service_member *m = &svc->members[i];

		if (m->slot >= VNI_SVC_MAX_MEMBERS)
			continue;
		if (m->slot + 1 > val.slots)
			val.slots = m->slot + 1;
		if (running_member(st, svc, m, r))
			cgids[m->slot] = r->cgroup_id;
	}
	free(r);
	if (here(svc))
		ret = vni_bpf_lookup_link(n, svc->netns_cookie, err);
	if (!ret)
		ret = ensure_addr(n, svc, err);
	if (ret)
		return ret;
	drop_stale(n, svc, cgids);
	for (i = 0; i < svc->nmembers && !ret; i++) {
		uint32_t slot = svc->members[i].slot;

		if (slot < VNI_SVC_MAX_MEMBERS && cgids[slot]) {
			ret = ensure_member(n, svc, &svc->members[i], cgids[slot], err);
			any_member = true;
		}
	}
	vni_svc_key(&k, svc->netns_cookie, &svc->addr, svc->port, svc->proto);
	if (!ret && (vni_bpf_svc_get(n, &k, &have) != 1 || memcmp(&have, &val, sizeof(val)))) {
		ret = vni_bpf_svc_put(n, &k, &val, err);
		if (!ret)
			vni_crashpoint("service dispatch recorded");
	}
	/* sockets that listened (TCP) or were bound (UDP) before their
	 * instance joined: put in by vnictl (bpf/vni_iter.bpf.c) */
	if (!ret && any_member && here(svc))
		ret = vni_bpf_svc_fill(n, svc->proto, &added, err);
	return ret;
}

int vni_svc_addr_shared(struct vni_state *st, const struct vni_service *svc, char *err)
{
	int count = vni_state_svc_addr_count(st, &svc->addr, err);

	return count < 0 ? count : count > 1; /* (svc's own row is one) */
}

void vni_svc_teardown(const struct vni_node *n, struct vni_state *st,
		      const struct vni_service *svc)
{
	uint64_t none[VNI_SVC_MAX_MEMBERS] = { 0 };
	struct vni_svc_key k;
	int ifindex = 0;

	/* dispatch first: from now on no new connection goes to a member */
	vni_svc_key(&k, svc->netns_cookie, &svc->addr, svc->port, svc->proto);
	vni_bpf_svc_del(n, &k);
	vni_crashpoint("service dispatch removed");
	drop_stale(n, svc, none);
	if (vni_svc_addr_shared(st, svc, NULL))
		return;
	if (here(svc) && nl_addr_find(svc->addr.family, svc->addr.a, &ifindex, NULL, 0) == 1) {
		nl_addr_del(ifindex, svc->addr.family, svc->addr.a, NULL, 0);
		vni_crashpoint("service address removed");
	}
	vni_bpf_vip_del(n, svc->netns_cookie, &svc->addr);
	vni_crashpoint("service owner removed");
}

void vni_svc_release_addr(const struct vni_node *n, struct vni_state *st,
			  const struct vni_service *svc)
{
	char err[VNI_ERRLEN];
	struct vni_registry *g;
	int ret;

	if (vni_svc_addr_shared(st, svc, NULL))
		return;
	ret = vni_registry_open(n, st, &g, err);
	if (!ret) {
		ret = g->ops->release_addr(g, &svc->addr, err);
		vni_registry_close(g);
	}
	if (ret)
		vni_log(VNI_LOG_WARN, "the registry still has service %s's address: %s", svc->name,
			err);
}

int vni_svc_claim_addr(const struct vni_node *n, struct vni_state *st,
		       const struct vni_service *svc, char *err)
{
	struct vni_registry *g;
	int ret = vni_registry_open(n, st, &g, err);

	if (!ret) {
		ret = g->ops->claim_addr(g, &svc->addr, err);
		vni_registry_close(g);
	}
	return ret;
}

int vni_svc_recover_one(const struct vni_node *n, struct vni_state *st,
			const struct vni_service *svc, char *done, size_t len, char *err)
{
	int ret;

	if (svc->phase == VNI_ATTACHING) {
		ret = vni_svc_claim_addr(n, st, svc, err);
		if (!ret)
			ret = vni_svc_build(n, st, svc, err);
		if (!ret)
			ret = vni_state_svc_set_phase(st, svc->name, VNI_READY, err);
		if (!ret) {
			snprintf(done, len, "service %s finished", svc->name);
			return 0;
		}
		vni_log(VNI_LOG_WARN, "cannot finish service %s (%s): undoing it", svc->name, err);
	}
	vni_svc_teardown(n, st, svc);
	vni_svc_release_addr(n, st, svc);
	ret = vni_state_svc_delete(st, svc->name, err);
	if (!ret)
		snprintf(done, len, "service %s removed", svc->name);
	return ret;
}

int vni_svc_diagnose(const struct vni_node *n, struct vni_state *st,
		     const struct vni_service *svc, char *why, size_t len)
{
	struct vni_record *r = malloc(sizeof(*r));
	struct vni_svc_member_key mk;
	struct vni_svc_member m;
	struct vni_vip_owner o;
	struct vni_svc_slot s;
	struct vni_svc_key k;
	struct vni_svc_val v;
	unsigned i;
	int found = 0;

	if (!r)
		return 0;
	vni_svc_key(&k, svc->netns_cookie, &svc->addr, svc->port, svc->proto);
	if (svc->phase != VNI_READY)
		found = snprintf(why, len, "interrupted (%s)", vni_phase_name(svc->phase));
	else if (vni_bpf_vip_owner(n, svc->netns_cookie, &svc->addr, &o) != 1 ||
		 !(o.flags & VNI_VIP_SERVICE))
		found = snprintf(why, len, "its address has no service owner entry");
	else if (here(svc) && nl_addr_find(svc->addr.family, svc->addr.a, NULL, NULL, 0) != 1)
		found = snprintf(why, len, "its address is not on this node");
	else if (vni_bpf_svc_get(n, &k, &v) != 1 || v.id != svc->id)
		found = snprintf(why, len, "no dispatch entry");
	for (i = 0; !found && i < svc->nmembers; i++) {
		const struct vni_service_member *mm = &svc->members[i];

		if (!running_member(st, svc, mm, r))
			continue;
		vni_svc_member_key(&mk, r->cgroup_id, svc->port, svc->proto, svc->addr.family);
		if (vni_bpf_svc_member_get(n, &mk, &m) != 1 || m.id != svc->id ||
		    m.slot != mm->slot ||
		    vni_bpf_svc_slot_get(n, svc->id, mm->slot, &s) != 1 || s.cgid != r->cgroup_id)
			found = snprintf(why, len, "member %s is not in the dispatch maps",
					 mm->instance);
	}
	free(r);
	return found > 0;
}
