/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Opening the node for a command: the state under the node lock, with the
 * operations of a vnictl that was killed finished or undone first
 * (core/recover.c). Above instance and recover, below the operations that
 * use them (core/ops.c, core/checkpoint.c): that order is what keeps the
 * files free of include circles. The BPF side of the node (map fds, opened
 * once per process) is core/bpfobj.c's.
 */
#ifndef VNI_HANDLE_H
#define VNI_HANDLE_H

#include <stdbool.h>

#include "core/node.h"
#include "core/state.h"

/* vni_state_open, then recovery of every interrupted row; what was done is
 * logged ("recovered: ..."). A row that cannot be recovered now is left
 * (with a warning) for 'vnictl sync'. */
int vni_node_open(const struct vni_node *n, bool create, struct vni_state **st, char *err);

/* The same, but -EWOULDBLOCK at once when a command holds the node lock
 * (the agent, which must not stall its lease behind a long checkpoint). */
int vni_node_try_open(const struct vni_node *n, struct vni_state **st, char *err);

#endif
