/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What an application can read about its instance: /run/vni/instance in the
 * instance's mount namespace (a small tmpfs of its own there, which the node
 * does not see), one KEY=VALUE per line:
 *   name, aid, hostname, vip4, vip6 (empty when none), template (a clone:
 *   its template's checkpoint dir; empty otherwise)
 * Written by vnictl run's init before the application starts and, for a
 * clone, rewritten by the post-restore hook before any task resumes: a
 * process that finds template= set, or name= changed, knows it was cloned
 * (docs/checkpoint.md, "What a clone inherits").
 */
#ifndef VNI_IDENTITY_H
#define VNI_IDENTITY_H

#include <stddef.h>

#include "core/state.h"

#define VNI_IDENTITY_DIR "/run/vni"
#define VNI_IDENTITY_FILE VNI_IDENTITY_DIR "/instance"
#define VNI_IDENTITY_MAX 1024

/* The file's text for record r. */
void vni_identity_text(const struct vni_record *r, char *buf, size_t n);

/* In the calling process's mount namespace: a tmpfs on /run/vni (unless one
 * is there already: a restored instance has its own) and the file written
 * (atomically). Nothing when there is no /run. 0 or -errno. */
int vni_identity_install(const char *text);

#endif
