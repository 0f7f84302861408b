/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The registry: who holds which identity (instance name, AID, VIPs,
 * hostname) and the VIP pools addresses are handed out from. One interface,
 * one backend per kind, chosen by the node's --registry URL; callers never
 * ask which:
 *   local             (reg_local.c)  the node's SQLite state is the whole registry
 *   etcd://HOST:PORT  (reg_etcd.c)   the farm's, shared by its nodes; the node's
 *                                    state stays its working copy
 */
#ifndef VNI_REGISTRY_H
#define VNI_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/node.h"
#include "core/pool.h"
#include "core/state.h"

/* An attach's identity: r comes in with the name, cgroup, flags and the VIPs,
 * hostname ("" derives one from the VIP) and AID (0: the next free) asked
 * for; pool[0] / pool[1]: pick the IPv4 / IPv6 VIP from that pool (NULL:
 * given, or none). On success r is whole and the identity is the caller's. */
struct vni_claim {
	struct vni_record *r;
	const char *pool[2];
	bool again;   /* sync: the node has this instance; the registry lost it */
	bool restore; /* restore: take the instance the farm holds checkpointed
			 (compare-and-swap: of two nodes, one wins) */
};

/* A range of a pool and how much of it is handed out. */
struct vni_pool_usage {
	const char *pool;
	struct vni_range range;
	uint64_t size, used;
};

/* An instance as the farm sees it, and a node of the farm. */
struct vni_farm_instance {
	struct vni_record r; /* name, AID, VIPs, hostname */
	char node[65];       /* "" when checkpointed */
	char state[16];      /* running, checkpointed, lost */
	int64_t generation;
};
struct vni_farm_node {
	char name[65];
	int64_t since; /* unix time it joined; 0 when not alive */
	bool alive;    /* its agent's lease is live */
};

struct vni_registry;

struct vni_registry_ops {
	const char *kind;
	/* All or nothing: names the first clash (-EEXIST), or a full pool. */
	int (*claim)(struct vni_registry *g, struct vni_claim *c, char *err);
	/* The instance's identity is free again. */
	int (*release)(struct vni_registry *g, const struct vni_record *r, char *err);
	/* checkpoint: the instance leaves the node; the farm keeps its identity
	 * for whichever node restores it. */
	int (*hand_back)(struct vni_registry *g, const struct vni_record *r, char *err);
	/* Every instance the registry says this node holds (name, AID, VIPs,
	 * hostname filled), for sync to compare with the node's state. */
	int (*each_held)(struct vni_registry *g, int (*fn)(const struct vni_record *r, void *arg),
			 void *arg, char *err);
	/* A service address (vnictl service) is this node's: refused (-EEXIST,
	 * naming the holder) when it is an instance's VIP or another node's
	 * service address; a no-op when this node holds it already. */
	int (*claim_addr)(struct vni_registry *g, const struct vni_addr *a, char *err);
	/* It is free again (the node's last service there went). */
	int (*release_addr)(struct vni_registry *g, const struct vni_addr *a, char *err);
	/* Refused (-EEXIST) when the range overlaps one of any pool. */
	int (*pool_add)(struct vni_registry *g, const char *pool, const struct vni_range *r,
			char *err);
	/* Refused (-EBUSY) while an address of the range is in use. */
	int (*pool_del)(struct vni_registry *g, const char *pool, const struct vni_range *r,
			char *err);
	int (*pool_each)(struct vni_registry *g,
			 int (*fn)(const struct vni_pool_usage *u, void *arg), void *arg, char *err);
	/* The farm (vnictl farm, the agent). The local registry is a farm of
	 * one node without an agent: the agent's calls say so (-ENOTSUP). */
	int (*each_instance)(struct vni_registry *g,
			     int (*fn)(const struct vni_farm_instance *i, void *arg), void *arg,
			     char *err);
	int (*each_node)(struct vni_registry *g, int (*fn)(const struct vni_farm_node *m, void *arg),
			 void *arg, char *err);
	/* One instance as the registry has it now: 1, 0 when it has none, <0. */
	int (*get_instance)(struct vni_registry *g, const char *name, struct vni_farm_instance *out,
			    char *err);
	/* This node is alive for ttl seconds, renewed by keepalive (-ENOENT
	 * once it lapsed: join again); leave ends it at once. */
	int (*join)(struct vni_registry *g, int ttl, char *err);
	int (*keepalive)(struct vni_registry *g, char *err);
	void (*leave)(struct vni_registry *g);
	/* The running instances of a node whose agent is gone become lost
	 * (restorable elsewhere from their last checkpoint); how many. */
	int (*mark_lost)(struct vni_registry *g, const char *node, char *err);
	/* Blocks, calling changed(arg) after every change of instances or
	 * nodes, until the watch fails (or changed returns non-zero). */
	int (*watch)(struct vni_registry *g, int (*changed)(void *arg), void *arg, char *err);
	void (*close)(struct vni_registry *g);
};

struct vni_registry {
	const struct vni_registry_ops *ops;
	const struct vni_node *n;
	struct vni_state *st; /* the node's state, under its lock */
};

/* The node's registry (n->registry), for a caller holding the node lock. */
int vni_registry_open(const struct vni_node *n, struct vni_state *st, struct vni_registry **g,
		      char *err);
void vni_registry_close(struct vni_registry *g);

extern const struct vni_registry_ops vni_registry_local, vni_registry_etcd;
/* The etcd backend for url "etcd://..." (reg_etcd.c). */
int vni_registry_etcd_open(const struct vni_node *n, const char *url, struct vni_registry **out,
			   char *err);

#endif
