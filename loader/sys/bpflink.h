/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pinned BPF links taken off at once. A link whose last pin is removed is
 * released by the kernel later (the pin's reference goes after an RCU grace
 * period, and the release runs from a work item), so its program would
 * still run, and `bpftool cgroup show` still list it, after the command
 * that removed the pin has returned. These also detach it (BPF_LINK_DETACH,
 * 5.9): when they return, the program no longer runs.
 */
#ifndef VNI_BPFLINK_H
#define VNI_BPFLINK_H

/* Removes the pin at path; a link there is detached before this returns
 * (a link type that cannot be detached goes when the kernel releases it).
 * Best effort, like unlink(2) of the pin. */
void vni_unpin_link(const char *path);

/* vni_remove_tree() for a dir of link pins: each one as vni_unpin_link. */
void vni_remove_links(const char *dir);

#endif
