/* SPDX-License-Identifier: GPL-2.0-only */
/* Inside vnictl apply: the plan (apply.c) and its execution (apply_exec.c). */
#ifndef VNI_APPLY_INT_H
#define VNI_APPLY_INT_H

#include "core/apply.h"
#include "core/detach_batch.h"
#include "core/state.h"

/* An instance of the node, as much of it as apply compares. */
struct apply_cur {
	char *name, *cgroup, *template; /* template NULL for no clone */
	uint64_t cgroup_id;
	uint32_t aid, flags;
	struct vni_addr vip4, vip6;
	char hostname[VNI_HOSTNAME_MAX + 1];
	char dev[IF_NAMESIZE];
	struct vni_map *maps;
	unsigned nmaps;
	bool checkpointed, here;
};

struct apply_plan {
	struct apply_cur *cur; /* the node's, by name */
	size_t ncur;
	const struct vni_apply_item **attach; /* new, and the new side of replaced */
	size_t nattach;
	struct apply_cur **detach; /* gone, and the old side of replaced */
	size_t ndetach;
	const struct vni_apply_item **maps; /* their maps rewritten */
	size_t nmaps;
	size_t unchanged, replaced;
	bool detach_first; /* a name, VIP, AID or hostname goes from one to another */
};

struct apply_ctx {
	const struct vni_node *n;
	struct vni_state *st;
	const struct vni_apply_opts *o;
	struct apply_plan *p;
	char *err;
	struct vni_batch_opts batch; /* "apply", o's progress */
};

/* The phases of apply_exec.c; each 0 or -errno (err set). */
int apply_detach_all(struct apply_ctx *x);
int apply_attach_all(struct apply_ctx *x);
int apply_write_maps(struct apply_ctx *x);

/* Progress and the crash point every VNI_BATCH_CHUNK instances of a phase. */
void apply_step(struct apply_ctx *x, const char *phase, size_t done, size_t total);

#endif
