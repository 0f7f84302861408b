/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Many instances detached as one operation (vnictl apply, vnictl down): the
 * registry released for all, "detaching" recorded for all in one
 * transaction, one hosts file write, then the kernel parts of each
 * (vni_instance_teardown_batched, with the node's addresses read once), the
 * map entries found only by scanning a whole map for all at once, and the
 * rows deleted in one transaction. A crash point after each phase and every
 * VNI_BATCH_CHUNK instances (each instance's own crash points stay): a
 * vnictl killed anywhere leaves "detaching" rows that the next one finishes
 * (core/recover.c), as after a single detach.
 */
#ifndef VNI_DETACH_BATCH_H
#define VNI_DETACH_BATCH_H

#include <stddef.h>

#include "core/node.h"
#include "core/state.h"

#define VNI_BATCH_CHUNK 25

struct vni_batch_opts {
	const char *op; /* "apply", "down": the crash points are "OP: phase" */
	/* The phase under way and how far it is (for a progress line); may be NULL. */
	void (*progress)(const char *phase, size_t done, size_t total, void *arg);
	void *arg;
	/* Rows a killed vnictl left (core/recover.h): their registry claims are
	 * not released again, and a row that cannot be finished keeps its
	 * phase, for the next command to try again. */
	bool recovery;
};

/* Progress, and the crash point "OP: PHASE (DONE of TOTAL)" every
 * VNI_BATCH_CHUNK instances and at the last. */
void vni_batch_step(const struct vni_batch_opts *o, const char *phase, size_t done,
		    size_t total);

/* Detaches the instances named (rows of st; their processes are killed:
 * the caller refuses first if it must). 0 when all are gone; -errno and err
 * when nothing changed (the registry or the state refused), or, with the
 * others detached, when some could not be (they keep their rows). */
int vni_detach_batch(const struct vni_node *n, struct vni_state *st, char *const *names,
		     size_t k, const struct vni_batch_opts *o, char *err);

#endif
