/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnictl apply: make the node's instances what a file says (core/applyspec.h).
 * Instances the file lists and the node lacks are attached, instances the
 * node has and the file does not list are detached, the rest is left; an
 * instance listed with other fields than the node's (another VIP, ...) is
 * replaced with --force, else refused. Under the node lock, with few state
 * transactions for all of it, the node's addresses read once, one hosts
 * file write, and crash points per phase (docs/crash-safety.md).
 */
#ifndef VNI_APPLY_H
#define VNI_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/applyspec.h"
#include "core/node.h"

enum vni_apply_op {
	VNI_APPLY_ATTACH,
	VNI_APPLY_DETACH,
	VNI_APPLY_REPLACE, /* detached, then attached as the file says */
	VNI_APPLY_MAPS,    /* only its maps differ: they are rewritten in place */
};

struct vni_apply_opts {
	bool dry_run; /* decide and report the plan; change nothing */
	bool force;   /* detach instances with processes (killed), replace differing ones */
	/* Each change of the plan, before it is made (detail: why, or ""). */
	void (*change)(enum vni_apply_op op, const char *name, const char *detail, void *arg);
	/* The phase under way and how far it is (for a progress line). */
	void (*progress)(const char *phase, size_t done, size_t total, void *arg);
	void *arg;
};

struct vni_apply_result {
	size_t unchanged, attached, detached, replaced, maps;
};

/* 0 when the node is as the file says; else -errno and one line in err,
 * with the node unchanged when the failure came before the first change,
 * or saying what was done. */
int vni_apply(const struct vni_node *n, const struct vni_apply_spec *spec,
	      const struct vni_apply_opts *o, struct vni_apply_result *res, char *err);

#endif
