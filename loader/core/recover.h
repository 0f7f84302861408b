/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash recovery. attach and detach put their intent in the state first
 * (phase "attaching"/"detaching"); a row still in such a phase when the node
 * lock is free again belongs to a vnictl that was killed. Every command that
 * changes the node finishes or undoes those first:
 *  - an interrupted attach is undone, unless processes were already moved into
 *    the instance: then it is finished (they are under its rules already);
 *  - an interrupted detach is finished.
 */
#ifndef VNI_RECOVER_H
#define VNI_RECOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/node.h"
#include "core/state.h"

/* Whether recovering r takes the instance away (a detach to finish, an
 * attach to undo) as vni_detach_batch does, rather than finishing its
 * attach (it has processes). Rows of another network namespace are left to
 * vni_recover_one, which refuses them. */
bool vni_recover_removes(const struct vni_record *r);
/* Finishes or undoes one interrupted row; done says what was done. */
int vni_recover_one(const struct vni_node *n, struct vni_state *st, const struct vni_record *r,
		    char *done, size_t len, char *err);

#endif
