/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The BPF side of a node: load and pin once, link programs to instance
 * cgroups, and keep the translation maps. Layout under the bpffs dir:
 *   maps/<map>           pinned maps (bpftool map dump pinned ...)
 *   progs/<prog>         pinned programs
 *   guard/<prog>         links of the node-wide guard (cgroup2 root) and LSM
 *   links/<cgid>/<prog>  links of one instance cgroup
 *   lookup/<netns>       sk_lookup link of one network namespace (by cookie)
 */
#ifndef VNI_BPFOBJ_H
#define VNI_BPFOBJ_H

#include <stdbool.h>
#include <stdint.h>

#include "core/node.h"
#include "core/validate.h"
#include "vni_shared.h"

/* Loads, pins and attaches the guard, unless already done. Idempotent. */
int vni_bpf_init(const struct vni_node *n, char *err);
bool vni_bpf_loaded(const struct vni_node *n);
/* Whether the LSM program that refuses packet sockets is active. */
bool vni_bpf_packet_guard(const struct vni_node *n);

/* Links every instance program not linked yet (idempotent); flags: the
 * record's (VNI_F_*), which say which programs it needs. */
int vni_bpf_link_instance(const struct vni_node *n, const char *cgpath, uint64_t cgid,
			  uint32_t flags, char *err);
void vni_bpf_unlink_instance(const struct vni_node *n, uint64_t cgid);
/* Whether cgroup cgid has instance links (its links/ dir). */
bool vni_bpf_linked(const struct vni_node *n, uint64_t cgid);
/* How many instance programs are not linked to cgroup cgid (*first: one of them). */
int vni_bpf_links_missing(const struct vni_node *n, uint64_t cgid, uint32_t flags,
			  const char **first);
/* Calls fn for every cgroup id with a links/ dir; stops on non-zero. */
int vni_bpf_each_linked(const struct vni_node *n, int (*fn)(uint64_t cgid, void *arg),
			void *arg);

/* The instance record of cgroup cgid (and its mirror); fresh: a new
 * instance, whose counters start at 0. */
int vni_bpf_set_instance(const struct vni_node *n, uint64_t cgid, const struct vni_inst *rec,
			 bool fresh, char *err);
/* Both records of cgroup cgid; zeroed where absent. 0 or -errno. */
int vni_bpf_get_instance(const struct vni_node *n, uint64_t cgid, struct vni_inst *rec,
			 struct vni_cgrp_val *v);
void vni_bpf_clear_instance(const struct vni_node *n, uint64_t cgid);
int vni_bpf_each_cgrp(const struct vni_node *n, int (*fn)(uint64_t cgid, void *arg), void *arg);

/* Records owner as the owner of address a (a VIP or a private address). */
int vni_bpf_vip_add(const struct vni_node *n, uint64_t netns, const struct vni_addr *a,
		    const struct vni_vip_owner *owner, char *err);
/* Replaces the owner entry of address a, which must be there. */
int vni_bpf_vip_set(const struct vni_node *n, uint64_t netns, const struct vni_addr *a,
		    const struct vni_vip_owner *owner, char *err);
/* 1 (owner filled) when the VIP has an owner, 0 if not, <0 error. */
int vni_bpf_vip_owner(const struct vni_node *n, uint64_t netns, const struct vni_addr *a,
		      struct vni_vip_owner *owner);
void vni_bpf_vip_del(const struct vni_node *n, uint64_t netns, const struct vni_addr *a);
void vni_bpf_vip_del_key(const struct vni_node *n, const struct vni_vip_key *k);
int vni_bpf_each_vip(const struct vni_node *n,
		     int (*fn)(const struct vni_vip_key *k, const struct vni_vip_owner *o,
			       void *arg),
		     void *arg);

int vni_bpf_stats(const struct vni_node *n, uint64_t cgid, struct vni_stats *out, char *err);
/* The node-wide counters (summed over CPUs), lost_events among them. */
int vni_bpf_guard_stats(const struct vni_node *n, struct vni_guard_stats *out, char *err);

/* The receive filter (sk_lookup) of the current network namespace, whose
 * cookie is netns: linked unless it is (idempotent). */
int vni_bpf_lookup_link(const struct vni_node *n, uint64_t netns, char *err);
bool vni_bpf_lookup_linked(const struct vni_node *n, uint64_t netns);
void vni_bpf_lookup_unlink(const struct vni_node *n, uint64_t netns);
/* 1 while the namespace of that link exists, 0 once it is gone, or -errno. */
int vni_bpf_lookup_attached(const struct vni_node *n, uint64_t netns);
/* Calls fn for every network namespace cookie with a lookup/ link. */
int vni_bpf_each_lookup(const struct vni_node *n, int (*fn)(uint64_t netns, void *arg),
			void *arg);
/* Virtual ids of instance cgid (vni_vids): its sockets naming virt get real
 * (a clone: the template's VIP, its own). get: 1 and *real, 0 if none. */
int vni_bpf_vid_set(const struct vni_node *n, uint64_t cgid, const struct vni_addr *virt,
		    const struct vni_addr *real, char *err);
int vni_bpf_vid_get(const struct vni_node *n, uint64_t cgid, const struct vni_addr *virt,
		    struct vni_addr *real);
void vni_bpf_vid_drop(const struct vni_node *n, uint64_t cgid);
/* Forgets the receive counters of instances: vni_ports of many (one scan of
 * the whole map for all of them; cgids sorted here: core/portreap.h), the
 * wildcard ones of one (vni_wild, which the receive filter reads by port). */
void vni_bpf_clear_ports(const struct vni_node *n, uint64_t *cgids, size_t k);
void vni_bpf_clear_wild(const struct vni_node *n, uint64_t cgid);
/* The receive counters and virtual ids of many instances (cgids sorted
 * here): one scan of each map, whose cost is the map's size, not its
 * entries. */
void vni_bpf_forget_cgids(const struct vni_node *n, uint64_t *cgids, size_t k);

/* A new fd of the pinned map maps/<name>; -errno and a message if not pinned. */
int vni_bpf_map_fd(const struct vni_node *n, const char *name, char *err);

/* Unpins what vni pinned under the bpffs dir (its four subdirs, then the dir
 * if empty); attached links go with their pins. */
int vni_bpf_down(const struct vni_node *n, char *err);

#endif
