/* SPDX-License-Identifier: GPL-2.0-only */
/* Many changes of the state as one transaction (vnictl apply): the
 * functions of core/state.h called between begin and commit are committed
 * together, or not at all. */
#ifndef VNI_STATE_TXN_H
#define VNI_STATE_TXN_H

#include "core/state.h"

int vni_state_begin(struct vni_state *st, char *err);
/* ret 0: commit (its failure returned); else roll back and return ret. */
int vni_state_commit(struct vni_state *st, int ret, char *err);

#endif
