/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup v2 helpers: where the hierarchy is mounted, ids, processes, removal. */
#ifndef VNI_CGROUP_H
#define VNI_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The cgroup2 mount: /sys/fs/cgroup or /sys/fs/cgroup/unified when it is one
 * (as systemd mounts it), else the first in /proc/self/mountinfo. */
int cg_mount_point(char *out, size_t n, char *err);

/* The cgroup this process is in, as a path below the cgroup2 mount mnt. */
int cg_self(const char *mnt, char *out, size_t n, char *err);

/* The kernel's cgroup id (what BPF sees) of a cgroup directory. */
int cg_id(const char *path, uint64_t *id, char *err);

/* Calls fn for every process in the cgroup and its descendants; returns the
 * number of processes, or -errno. fn may be NULL. */
int cg_for_each_pid(const char *path, void (*fn)(pid_t pid, void *arg), void *arg);

int cg_move_pid(const char *path, pid_t pid, char *err);

/* Kills every process of the cgroup subtree (cgroup.kill) and waits until it
 * is empty. */
int cg_kill_all(const char *path, char *err);

/* Removes the cgroup and its (empty) descendants. */
int cg_remove(const char *path, char *err);

#endif
