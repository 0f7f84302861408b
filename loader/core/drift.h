/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Drift between the state database (what should be) and the node (what is):
 * the BPF maps and program links, the cgroups, the VIP addresses and the
 * hosts file. 'vnictl check' reports it; 'vnictl sync' repairs it, making the
 * node match the state: missing parts of an instance are made again, parts
 * that belong to no instance are removed, an instance whose cgroup is gone
 * is dropped, interrupted operations are finished or undone (recover.h).
 */
#ifndef VNI_DRIFT_H
#define VNI_DRIFT_H

#include <stdbool.h>

#include "core/node.h"
#include "core/state.h"
#include "sys/util.h"

struct vni_drift {
	const char *kind;     /* stable name, listed in docs/json.md */
	const char *instance; /* NULL for what belongs to no instance */
	char detail[VNI_ERRLEN];
	int repaired;         /* check: 0; sync: 1 repaired, -1 not (see why) */
	char why[VNI_ERRLEN];
};

typedef void (*vni_drift_fn)(const struct vni_drift *d, void *arg);

enum vni_drift_mode {
	VNI_DRIFT_CHECK,  /* report */
	VNI_DRIFT_REPAIR, /* report and repair */
	VNI_DRIFT_BOOT,   /* the same, and instances the kernel forgot come back
			     in this network namespace instead of being dropped
			     (core/revive.h) */
};

/* Calls report for every problem found (repairing it first unless CHECK).
 * Returns how many problems are left (found, for a check), or <0 on error. */
int vni_drift_scan(const struct vni_node *n, struct vni_state *st, enum vni_drift_mode mode,
		   vni_drift_fn report, void *arg, char *err);

#endif
