/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The parking address of a network namespace (include/vni_shared.h,
 * VNI_PARK6_AID): where the v6-only wildcard sockets of v4-only instances
 * with a shared loopback are parked, one address on lo for all of them.
 * It is there while an instance of the namespace holds it: its owner entry
 * in vni_vips (VNI_VIP_PARK) counts the holders, and each holder's v4 VIP
 * entry says it holds one (VNI_VIP_PARKED), so taking and letting go can be
 * repeated after a crash without counting anyone twice; a crash between the
 * two writes counts one too many (never one too few), which recovery and
 * 'vnictl sync' set right from the holders' marks (vni_park_recount). The
 * node lock (the state's) orders all of it.
 */
#ifndef VNI_PARK_H
#define VNI_PARK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/node.h"
#include "core/nodeview.h"
#include "core/state.h"

/* fd76:6e69:6c6f:: */
void vni_park_addr(struct vni_addr *a);
/* Whether IPv6 is on for lo in this network namespace (where private v6
 * addresses and the parking address go). */
bool vni_lo_ipv6(void);
/* Whether the instance parks its v6-only wildcard sockets: a v4 VIP, no v6
 * VIP, a shared loopback. here: this process is in the instance's network
 * namespace (vni_record_here). */
bool vni_record_parks(const struct vni_record *r);
/* The instance takes a hold on its namespace's parking address, which is
 * put on lo if needed (the view, when given, says what is there). Its v4
 * VIP's owner entry must be there. 0 or -errno with err set. */
int vni_park_hold(const struct vni_node *n, const struct vni_record *r, bool here,
		  const struct vni_node_view *view, char *err);
/* It lets go; the last holder takes the address and its entry away. */
void vni_park_release(const struct vni_node *n, const struct vni_record *r, bool here);
/* The address and the entry of namespace netns (this one) go, holders or
 * not (down). */
void vni_park_drop(const struct vni_node *n, uint64_t netns);
/* The count of netns's entry set to its holders (the records whose v4 VIP
 * entry says they hold it); at none, the address (when here) and the entry
 * go. 0 or -errno with err set. */
int vni_park_recount(const struct vni_node *n, struct vni_state *st, uint64_t netns, bool here,
		     char *err);
/* Whether the instance holds the address and it is there (vnictl check). */
bool vni_park_held(const struct vni_node *n, const struct vni_record *r, bool here);

#endif
