/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A service address's kernel parts, made from its rows in the state: the
 * owner entry and address, the dispatch entry, and per member whose
 * instance runs here its member entry and slot (core/svcmaps.c). Below
 * core/handle.c (recovery of an interrupted service command) and
 * core/service.c (the commands).
 *
 * Every service command records its intent first: phase "attaching" with
 * the rows as they should be (add, add-member, del-member), "detaching"
 * (del). The next vnictl finishes either; an add it cannot finish (the
 * address was taken meanwhile) is undone.
 */
#ifndef VNI_SVCBUILD_H
#define VNI_SVCBUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/node.h"
#include "core/state.h"

/* The kernel as the rows say (idempotent; repairs too): makes what is
 * missing, removes members that are no longer rows. */
int vni_svc_build(const struct vni_node *n, struct vni_state *st, const struct vni_service *svc,
		  char *err);
/* Removes every kernel part of the service; its address and owner entry
 * only when no other service has that address. */
void vni_svc_teardown(const struct vni_node *n, struct vni_state *st,
		      const struct vni_service *svc);
/* Whether another service than svc has its address (1), 0, <0. */
int vni_svc_addr_shared(struct vni_state *st, const struct vni_service *svc, char *err);
/* The registry's claim on the address for this node (idempotent). */
int vni_svc_claim_addr(const struct vni_node *n, struct vni_state *st,
		       const struct vni_service *svc, char *err);
/* Gives the address back to the registry (unless shared); failures logged. */
void vni_svc_release_addr(const struct vni_node *n, struct vni_state *st,
			  const struct vni_service *svc);
/* Finishes (or undoes) an interrupted service command; done says which. */
int vni_svc_recover_one(const struct vni_node *n, struct vni_state *st,
			const struct vni_service *svc, char *done, size_t len, char *err);
/* The first thing missing or wrong in the kernel (check): 1 and why, 0 when
 * none. */
int vni_svc_diagnose(const struct vni_node *n, struct vni_state *st,
		     const struct vni_service *svc, char *why, size_t len);

/* "ADDR:PORT" or "[ADDR]:PORT" */
const char *vni_svc_addr_str(const struct vni_service *svc, char *buf, size_t n);

#endif
