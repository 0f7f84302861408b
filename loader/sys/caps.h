/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The capabilities an application keeps under 'vnictl run' (libcap): a
 * container-like default set, changed by --cap-add/--cap-drop (or the
 * cap-add/cap-drop keys of vni.conf), as Docker does:
 *
 *   default  CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD SETGID SETUID SETFCAP
 *            SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE
 *   kept     (default - drop) + add; with add ALL: every capability - drop;
 *            with drop ALL (and no add ALL): add only.
 *
 * A set is a bit mask, bit N for capability N; VNI_CAPS_ALL marks "ALL".
 */
#ifndef VNI_CAPS_H
#define VNI_CAPS_H

#include <stdint.h>
#include <linux/capability.h>

#define VNI_CAPS_ALL (1ULL << 63)
/* --keep-net-caps, keep-net-caps = yes: what they add */
#define VNI_CAPS_NET (1ULL << CAP_NET_RAW | 1ULL << CAP_NET_ADMIN)

struct vni_caps {
	uint64_t add, drop; /* named capabilities, VNI_CAPS_ALL for ALL */
};

/* Adds capability NAME (CHOWN, CAP_CHOWN, cap_chown: any case; or ALL) to
 * *set; -EINVAL with a one-line error for a name that is none. */
int vni_caps_name(const char *name, uint64_t *set, char *err);
/* The same for each of the names of a list separated by blanks or commas. */
int vni_caps_names(const char *list, uint64_t *set, char *err);

/* Loads libcap, which vnictl loads only when it runs an application (sys/dl.h):
 * in the process that forks it, before vni_caps_kept (the child loads no
 * library). 0, or -ENOENT with a one-line message naming the package. */
int vni_caps_load(char *err);

/* What the application keeps: the rule above, limited to the capabilities
 * the running kernel has. */
uint64_t vni_caps_kept(const struct vni_caps *c);

/* Drops every capability not in keep from the bounding set (no exec can
 * regain it; needs CAP_SETPCAP, so before vni_caps_limit). */
int vni_caps_bound(uint64_t keep);
/* Limits the permitted, effective and inheritable sets to keep and clears
 * the ambient set. 0 or -errno. */
int vni_caps_limit(uint64_t keep);

#endif
