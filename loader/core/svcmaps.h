/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The BPF maps of service addresses (include/vni_shared.h, vni_svc_*): what
 * vnictl writes for vni_lookup to dispatch, and reads back for show, stats
 * and check. Below core/svcbuild.c (a service from the state) and
 * core/instance.c (a detached instance leaves its services).
 */
#ifndef VNI_SVCMAPS_H
#define VNI_SVCMAPS_H

#include <stdint.h>

#include "core/node.h"
#include "core/validate.h"
#include "vni_shared.h"

void vni_svc_key(struct vni_svc_key *k, uint64_t netns, const struct vni_addr *a, uint16_t port,
		 uint8_t proto);
void vni_svc_member_key(struct vni_svc_member_key *k, uint64_t cgid, uint16_t port,
			uint8_t proto, int family);

int vni_bpf_svc_put(const struct vni_node *n, const struct vni_svc_key *k,
		    const struct vni_svc_val *v, char *err);
/* 1 and *v, 0 when absent, <0 error. */
int vni_bpf_svc_get(const struct vni_node *n, const struct vni_svc_key *k, struct vni_svc_val *v);
void vni_bpf_svc_del(const struct vni_node *n, const struct vni_svc_key *k);

/* Member entries (vni_svcn follows their number). */
int vni_bpf_svc_member_put(const struct vni_node *n, const struct vni_svc_member_key *k,
			   const struct vni_svc_member *m, char *err);
int vni_bpf_svc_member_get(const struct vni_node *n, const struct vni_svc_member_key *k,
			   struct vni_svc_member *m);
void vni_bpf_svc_member_del(const struct vni_node *n, const struct vni_svc_member_key *k);

/* A slot names its member (its counter starts at 0 for a new one). */
int vni_bpf_svc_slot_put(const struct vni_node *n, uint32_t id, uint32_t slot, uint64_t cgid,
			 char *err);
int vni_bpf_svc_slot_get(const struct vni_node *n, uint32_t id, uint32_t slot,
			 struct vni_svc_slot *out);
/* The slot is a hole again: no member, no sockets, counter 0. */
void vni_bpf_svc_slot_clear(const struct vni_node *n, uint32_t id, uint32_t slot);
/* How many sockets the slot has (listening or bound: dispatchable). */
int vni_bpf_svc_slot_socks(const struct vni_node *n, uint32_t id, uint32_t slot);

/* The instance leaves every service (its member entries and slots). */
void vni_bpf_svc_drop_cgid(const struct vni_node *n, uint64_t cgid);

/* The members' sockets of this network namespace (TCP: listeners, UDP:
 * unconnected ones) into their slots (bpf/vni_iter.bpf.c); *added: how
 * many are there. */
int vni_bpf_svc_fill(const struct vni_node *n, uint8_t proto, uint64_t *added, char *err);

#endif
