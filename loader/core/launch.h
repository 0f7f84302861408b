/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnictl run: start an application inside an instance. A small init of
 * vnictl's own is PID 1 of fresh PID, UTS, IPC, mount and cgroup namespaces,
 * born in the instance cgroup (the root of its cgroup namespace); it sets the
 * virtual hostname, mounts a fresh /proc, makes the cgroup and BPF file
 * systems and /proc/sys read-only, starts the application with the
 * capabilities it keeps (sys/caps.h; with userns, as root of a user namespace
 * of its own, unprivileged outside), forwards signals to it, reaps orphans
 * and exits with the application's status.
 */
#ifndef VNI_LAUNCH_H
#define VNI_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A directory of the node bind-mounted in the instance (vnictl run --map). */
struct vni_bind {
	const char *source, *path;
};

struct vni_launch {
	const char *cgroup;   /* the instance cgroup */
	const char *hostname; /* virtual hostname */
	const char *user;     /* run the application as this user; NULL: root */
	uint64_t caps;        /* the capabilities it keeps (vni_caps_kept) */
	bool userns;          /* in a user namespace of its own (core/launch_userns.h) */
	char **argv;          /* the application */
	const struct vni_bind *binds; /* mounted by init, before the protections */
	unsigned nbinds;
	const char *identity; /* /run/vni/instance (core/identity.h); NULL: none */
};

/* Returns the status vnictl should exit with (the application's, 128+signal
 * when it was killed), or a negative errno with err set when the launch
 * itself failed (nothing is left running then). */
int vni_launch(const struct vni_launch *l, char *err);

/* Who the application's root (l->user, else root; with l->userns, as mapped)
 * is on the node: it owns the directories made for the maps. 0, or -errno
 * with err set (an unknown user). */
int vni_launch_owner(const struct vni_launch *l, uid_t *uid, gid_t *gid, char *err);

#endif
