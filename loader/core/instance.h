/* SPDX-License-Identifier: GPL-2.0-only */
/* Instance lifecycle: attach and detach are all-or-nothing. */
#ifndef VNI_INSTANCE_H
#define VNI_INSTANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/node.h"
#include "core/nodeview.h"
#include "core/state.h"
#include "core/validate.h"

struct vni_attach_req {
	const char *name;     /* relative to the VNI root, or an absolute cgroup path */
	const char *parent;   /* NULL, or an existing cgroup (a systemd unit's) to make
				 the cgroup NAME in instead of the VNI root */
	struct vni_addr vip4; /* family 0 when absent; at least one VIP */
	struct vni_addr vip6;
	const char *pool4;    /* or: the IPv4 VIP from this pool (attach --vip auto) */
	const char *pool6;    /* or: the IPv6 VIP from this pool (--vip auto6) */
	const char *hostname; /* NULL: derived from the VIP */
	uint32_t aid;         /* 0: smallest free */
	const char *dev;      /* NULL: "lo" */
	uint32_t flags;       /* VNI_F_ALLOW_RAW */
	bool restore;         /* the identity of a checkpointed instance (restore) */
	bool unfinished;      /* leave it "attaching": the caller finishes it once
				 its processes are in (clone: after CRIU), so that
				 a crash before is undone by recovery */
	const char *template; /* a clone: its template's checkpoint dir, else NULL */
	struct vni_addr virt4, virt6; /* a clone: the template's VIPs (family 0: none) */
	const int *pids;      /* running processes to move into the instance */
	int npids;
};

/* In the state dir: clones/<aid>, a clone's CRIU work dir (its restore.log),
 * removed when the clone is detached (or its clone undone). */
#define VNI_CLONES_DIR "clones"
void vni_forget_clone_work(struct vni_state *st, const struct vni_record *r);

/* The state's meta key naming the VNI root cgroup when vnictl made it. */
#define META_CREATED_ROOT "created_cgroup_root"

/* Whether cgroup is a child of the VNI root. */
bool vni_under_root(const struct vni_node *n, const char *cgroup);
/* Makes the VNI root if it is missing (*made then; on record in the state). */
int vni_make_root(const struct vni_node *n, struct vni_state *st, bool *made, char *err);

/* Attach and detach for callers that hold the node lock (core/ops.c,
 * core/checkpoint.c). */
int vni_attach_locked(const struct vni_node *n, struct vni_state *st,
		      const struct vni_attach_req *req, struct vni_record *out, char *err);
int vni_detach_locked(const struct vni_node *n, struct vni_state *st,
		      const struct vni_record *r, bool force, char *err);
/* Fencing: the instance goes from this node (processes killed, parts
 * removed) and its record in the registry is left as it is: another node
 * has it. */
int vni_fence_locked(const struct vni_node *n, struct vni_state *st,
		     const struct vni_record *r, char *err);

/* In the state dir: hosts lines of the farm's other instances (the agent). */
#define VNI_FARM_HOSTS "farm-hosts"
/* checkpoint: the instance's identity goes back to the farm (the registry);
 * a failure is logged, sync hands it back later. */
void vni_hand_back(const struct vni_node *n, struct vni_state *st, const struct vni_record *r);
/* Rewrites the hosts file from the state (running instances only). */
int vni_publish_hosts(const struct vni_node *n, struct vni_state *st, char *err);
/* What that file should hold (malloc'd). */
int vni_hosts_text(struct vni_state *st, char **text, char *err);

/* The record's flags as the programs see them (VNI_F_VIDS for a clone). */
uint32_t vni_inst_flags(const struct vni_record *r);

/* Every kernel part of the instance that is missing is made: program links,
 * instance records, VIP owners and (in its network namespace) addresses.
 * Idempotent; used by attach and to repair (recover.c, drift.c). */
int vni_instance_build(const struct vni_node *n, const struct vni_record *r, char *err);
/* Removes whatever exists of those parts, and the cgroup if vnictl made it
 * (fails, changing nothing, if it has processes). Idempotent; the row stays. */
int vni_instance_teardown(const struct vni_node *n, const struct vni_record *r, char *err);
/* The same two with the namespace's addresses and sockets read once for
 * many instances (vnictl apply) instead of asked about one by one. */
int vni_instance_build_in(const struct vni_node *n, const struct vni_record *r,
			  const struct vni_node_view *view, char *err);
int vni_instance_teardown_in(const struct vni_node *n, const struct vni_record *r,
			     const struct vni_node_view *view, char *err);
/* vni_instance_teardown_in but for the map entries found only by a scan of
 * a whole map (receive counters, virtual ids): left to one
 * vni_bpf_forget_cgids for a batch of instances (core/detach_batch.h). */
int vni_instance_teardown_batched(const struct vni_node *n, const struct vni_record *r,
				  const struct vni_node_view *view, char *err);

/* The addresses an instance owns: per family its VIP, or for a family it has
 * no VIP of, its private address (include/vni_shared.h); with a private
 * loopback, both private addresses as well. Unused slots have family 0. */
#define VNI_OWNED_MAX 4
struct vni_owned {
	struct vni_addr a;
	bool private;
	bool loopback; /* a private address that is its 127.0.0.1 or ::1 */
};
void vni_owned_addrs(const struct vni_record *r, struct vni_owned out[VNI_OWNED_MAX]);
/* Whether the address is installed on a device (in this netns): VIPs and,
 * where IPv6 is on, the private v6 address (on lo). */
bool vni_owned_installed(const struct vni_owned *o);
/* Removes the instance's addresses and their owner entries. */
void vni_instance_drop_addrs(const struct vni_node *n, const struct vni_record *r);

/* Whether this process is in the network namespace the instance was attached in. */
bool vni_record_here(const struct vni_record *r);

/* The current network namespace's cookie (SO_NETNS_COOKIE). */
int vni_netns_cookie(uint64_t *cookie, char *err);

#endif
