/* SPDX-License-Identifier: GPL-2.0-only */
/* What a command does to the node, each under the node lock (opened and
 * closed here): the entry points of the library for the front ends. */
#ifndef VNI_OPS_H
#define VNI_OPS_H

#include <stdbool.h>

#include "core/instance.h"
#include "core/registry.h"

/* vni_bpf_init and this namespace's receive filter, under the node lock. */
int vni_init(const struct vni_node *n, char *err);

int vni_attach(const struct vni_node *n, const struct vni_attach_req *req,
	       struct vni_record *out, char *err);
/* force: kill the instance's processes first instead of refusing; also drop
 * an instance whose network namespace is gone (its addresses went with it). */
int vni_detach(const struct vni_node *n, const char *name, bool force, char *err);
/* Detaches every instance and unpins everything. */
int vni_down(const struct vni_node *n, bool force, char *err);

/* The registry's VIP pools (vnictl pool), each under the node lock. */
int vni_pool_add(const struct vni_node *n, const char *pool, const struct vni_range *r,
		 char *err);
int vni_pool_del(const struct vni_node *n, const char *pool, const struct vni_range *r,
		 char *err);
int vni_pool_each(const struct vni_node *n, int (*fn)(const struct vni_pool_usage *u, void *arg),
		  void *arg, char *err);

/* The farm as the registry has it: every node, then every instance. */
int vni_farm_each(const struct vni_node *n, int (*node)(const struct vni_farm_node *m, void *arg),
		  int (*inst)(const struct vni_farm_instance *i, void *arg), void *arg, char *err);

#endif
