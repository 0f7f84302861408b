// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/bpfobj.h"
#include "core/park.h"
#include "sys/crashpoint.h"
#include "sys/nladdr.h"
#include "sys/util.h"

void vni_park_addr(struct vni_addr *a)
{
	vni_priv6(VNI_PARK6_AID, a);
}

bool vni_lo_ipv6(void)
{
	char v[4] = "";
	FILE *f = fopen("/proc/sys/net/ipv6/conf/lo/disable_ipv6", "re");

	if (!f)
		return false;
	if (!fgets(v, sizeof(v), f))
		v[0] = '1';
	fclose(f);
	return v[0] == '0';
}

bool vni_record_parks(const struct vni_record *r)
{
	return r->vip4.family && !r->vip6.family && !(r->flags & VNI_F_PRIVATE_LO);
}

/* The entry of the holder's v4 VIP, when it is the holder's: 1, else 0. */
static int holder_entry(const struct vni_node *n, const struct vni_record *r,
			struct vni_vip_owner *o)
{
	return vni_bpf_vip_owner(n, r->netns_cookie, &r->vip4, o) == 1 && o->cgid == r->cgroup_id;
}

/* The parking address in *pa and its entry of netns in *park: 1, 0 when
 * there is none, -EADDRINUSE when the entry is not the park's (VIPs are
 * refused in its range), <0 on error. */
static int park_entry(const struct vni_node *n, uint64_t netns, struct vni_addr *pa,
		      struct vni_vip_owner *park)
{
	int have;

	vni_park_addr(pa);
	have = vni_bpf_vip_owner(n, netns, pa, park);
	return have == 1 && !(park->flags & VNI_VIP_PARK) ? -EADDRINUSE : have;
}

/* Its count set to users: the entry made when there was none (have 0). */
static int set_users(const struct vni_node *n, uint64_t netns, const struct vni_addr *pa,
		     int have, uint64_t users, char *err)
{
	struct vni_vip_owner park = { .flags = VNI_VIP_PRIVATE | VNI_VIP_PARK, .users = users };

	return have ? vni_bpf_vip_set(n, netns, pa, &park, err) :
		      vni_bpf_vip_add(n, netns, pa, &park, err);
}

/* The address (when here) before its entry: a socket never finds it
 * unguarded. */
static void remove_park(const struct vni_node *n, uint64_t netns, const struct vni_addr *pa,
			bool here)
{
	int lo = here ? (int)if_nametoindex("lo") : 0;

	if (lo && !nl_addr_del(lo, AF_INET6, pa->a, NULL, 0))
		vni_crashpoint("parking address removed");
	vni_bpf_vip_del(n, netns, pa);
}

/* The address on lo (there already: fine). */
static int put_addr(const struct vni_addr *pa, char *err)
{
	int lo = (int)if_nametoindex("lo"), ret;

	if (!lo)
		return vni_err(err, -ENODEV, "unknown device 'lo'");
	ret = nl_addr_add(lo, AF_INET6, pa->a, err, VNI_ERRLEN);
	if (ret == -EEXIST)
		return 0;
	if (!ret)
		vni_crashpoint("parking address installed");
	return ret;
}

int vni_park_hold(const struct vni_node *n, const struct vni_record *r, bool here,
		  const struct vni_node_view *view, char *err)
{
	struct vni_vip_owner mine, park;
	struct vni_addr pa;
	int have, ret;

	if (!vni_record_parks(r) || !here || !vni_lo_ipv6())
		return 0;
	if (!holder_entry(n, r, &mine))
		return vni_err(err, -ENOENT, "%s: no owner entry for its VIP", r->name);
	have = park_entry(n, r->netns_cookie, &pa, &park);
	if (have < 0)
		return vni_err(err, have, "cannot use the parking address fd76:6e69:6c6f:: (%s)",
			       have == -EADDRINUSE ? "another owner's entry holds it" :
						     strerror(-have));
	/* the address first (again if it went): a batch's view says what was
	 * there before it, so there an entry is taken as the address's word */
	if (!view || (!have && vni_view_has(view, &pa, NULL) != 1)) {
		ret = put_addr(&pa, err);
		if (ret)
			return ret;
	}
	if (mine.flags & VNI_VIP_PARKED)
		return 0;
	ret = set_users(n, r->netns_cookie, &pa, have, have ? park.users + 1 : 1, err);
	if (ret)
		return ret;
	vni_crashpoint("parking address counted");
	mine.flags |= VNI_VIP_PARKED;
	return vni_bpf_vip_set(n, r->netns_cookie, &r->vip4, &mine, err);
}

void vni_park_release(const struct vni_node *n, const struct vni_record *r, bool here)
{
	struct vni_vip_owner mine, park;
	struct vni_addr pa;

	if (!vni_record_parks(r) || !holder_entry(n, r, &mine) || !(mine.flags & VNI_VIP_PARKED))
		return;
	mine.flags &= ~VNI_VIP_PARKED;
	if (vni_bpf_vip_set(n, r->netns_cookie, &r->vip4, &mine, NULL))
		return;
	vni_crashpoint("parking address let go");
	if (park_entry(n, r->netns_cookie, &pa, &park) != 1)
		return;
	if (park.users > 1)
		set_users(n, r->netns_cookie, &pa, 1, park.users - 1, NULL);
	else
		remove_park(n, r->netns_cookie, &pa, here);
}

void vni_park_drop(const struct vni_node *n, uint64_t netns)
{
	struct vni_vip_owner park;
	struct vni_addr pa;

	if (park_entry(n, netns, &pa, &park) != -EADDRINUSE)
		remove_park(n, netns, &pa, true);
}

bool vni_park_held(const struct vni_node *n, const struct vni_record *r, bool here)
{
	struct vni_vip_owner mine, park;
	struct vni_addr pa;
	int ifindex;

	if (!vni_record_parks(r) || !here || !vni_lo_ipv6())
		return true;
	vni_park_addr(&pa);
	return holder_entry(n, r, &mine) && (mine.flags & VNI_VIP_PARKED) &&
	       vni_bpf_vip_owner(n, r->netns_cookie, &pa, &park) == 1 && park.users > 0 &&
	       nl_addr_find(AF_INET6, pa.a, &ifindex, NULL, 0) == 1;
}

struct recount {
	const struct vni_node *n;
	uint64_t netns;
	uint64_t users;
};

static int count_holder(const struct vni_record *r, void *arg)
{
	struct recount *c = arg;
	struct vni_vip_owner mine;

	if (r->netns_cookie == c->netns && vni_record_parks(r) && holder_entry(c->n, r, &mine) &&
	    (mine.flags & VNI_VIP_PARKED))
		c->users++;
	return 0;
}

int vni_park_recount(const struct vni_node *n, struct vni_state *st, uint64_t netns, bool here,
		     char *err)
{
	struct recount c = { n, netns, 0 };
	struct vni_vip_owner park;
	struct vni_addr pa;
	int have, ret;

	have = park_entry(n, netns, &pa, &park);
	if (have == -EADDRINUSE)
		return 0; /* not the park's (hold refuses it) */
	if (have < 0)
		return vni_err(err, have, "cannot read the parking address's entry: %s",
			       strerror(-have));
	ret = vni_state_each(st, count_holder, &c, err);
	if (ret || (have && park.users == c.users))
		return ret;
	if (c.users)
		return set_users(n, netns, &pa, have, c.users, err);
	/* none holds it (a crash may have left the address before any count) */
	remove_park(n, netns, &pa, here);
	return 0;
}
