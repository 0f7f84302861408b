/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnictl run --userns: the application is root of a user namespace of its
 * own, unprivileged outside. It unshares the namespace itself, after vni's
 * init forked it (so the PID, mount and other namespaces stay the node's
 * user namespace's: root inside cannot mount or set the hostname); init,
 * still privileged outside, writes its id maps, then lets it go on.
 */
#ifndef VNI_LAUNCH_USERNS_H
#define VNI_LAUNCH_USERNS_H

#include <stdint.h>
#include <sys/types.h>

/* uid and gid 0..VNI_USERNS_SIZE-1 inside are BASE.. outside, BASE from the
 * entries of user vni in /etc/subuid and /etc/subgid, else this. */
#define VNI_USERNS_DEFAULT_BASE 2147483648u
#define VNI_USERNS_SIZE 65536u

struct vni_idmap {
	uint32_t uid, gid; /* what uid and gid 0 inside are outside */
};

/* The ranges, read before anything starts; 0, or -errno with err set. */
int vni_userns_ranges(struct vni_idmap *m, char *err);
/* The application's side: a user namespace of its own, and root in it once
 * init has written the maps (sync[1] tells init, sync[0] hears back). */
int vni_userns_enter(const int sync[2]);
/* Init's side: waits for the application to be in its user namespace, writes
 * its maps and lets it go on (pipes to_init, to_app); 0 or -errno (-EPIPE:
 * the application failed, and says why). */
int vni_userns_map(pid_t app, const struct vni_idmap *m, const int to_init[2],
		   const int to_app[2]);

#endif
