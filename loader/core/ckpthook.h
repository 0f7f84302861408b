/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnictl as CRIU's action script (--action-script): CRIU runs it at each
 * step with CRTOOLS_SCRIPT_ACTION set and its own environment inherited, so
 * vnictl passes what the hook needs in VNI_HOOK_* variables:
 *   post-dump (tasks still frozen): each map's resolved SOURCE
 *     (VNI_HOOK_MAP0..) copied into VNI_HOOK_DIR/maps/N (a template's data as
 *     of the dump), with coreutils 'cp -a --reflink=auto';
 *   post-restore (tasks restored, none resumed): the hostname of the restored
 *     tree's UTS namespace set to VNI_HOOK_HOSTNAME (a clone's own; CRIU
 *     wrote the image's), and its /run/vni/instance rewritten with
 *     VNI_HOOK_IDENTITY (core/identity.h). A failure aborts the restore.
 * Other actions: nothing.
 */
#ifndef VNI_CKPTHOOK_H
#define VNI_CKPTHOOK_H

#include <stdbool.h>

#define VNI_HOOK_ENV "VNI_HOOK"

/* Whether this process is vnictl run by CRIU as its action script. */
bool vni_hook_wanted(void);

/* Runs the hook; the exit status for CRIU (0: go on). Prints nothing. */
int vni_hook_run(void);

/* For the caller about to run CRIU: the absolute path of this vnictl
 * (--action-script); 0 or -errno. */
int vni_hook_self(char *buf, size_t n);

#endif
