/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnictl run: start an application inside an instance. A small init of
 * vnictl's own is PID 1 of fresh PID, UTS, IPC and mount namespaces, born in
 * the instance cgroup; it sets the virtual hostname, mounts a fresh /proc,
 * starts the application, forwards signals to it, reaps orphans and exits
 * with the application's status.
 */
#ifndef VNI_LAUNCH_H
#define VNI_LAUNCH_H

#include <stdbool.h>

struct vni_launch {
	const char *cgroup;   /* the instance cgroup */
	const char *hostname; /* virtual hostname */
	const char *user;     /* run the application as this user; NULL: root */
	bool keep_net_caps;   /* keep CAP_NET_RAW and CAP_NET_ADMIN */
	char **argv;          /* the application */
};

/* Returns the status vnictl should exit with (the application's, 128+signal
 * when it was killed), or a negative errno with err set when the launch
 * itself failed (nothing is left running then). */
int vni_launch(const struct vni_launch *l, char *err);

#endif
