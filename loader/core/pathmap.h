/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-instance paths (vnictl run --map PATH=SOURCE, docs/maps.md): a
 * directory of the node, SOURCE, named after the instance through %-codes,
 * bind-mounted at PATH in the instance's mount namespace. Here: the spec
 * (parsed and checked) and what SOURCE is for one instance; no file system.
 *   %n the instance name (its last component for a cgroup path), %a its AID,
 *   %h its hostname, %4 and %6 its VIPs, %% a '%'.
 */
#ifndef VNI_PATHMAP_H
#define VNI_PATHMAP_H

#include <stddef.h>

#define VNI_MAPS_MAX 16
#define VNI_MAP_PATH_MAX 256 /* PATH and SOURCE as given, with their NUL */

struct vni_map {
	char path[VNI_MAP_PATH_MAX];   /* absolute, taken as it is */
	char source[VNI_MAP_PATH_MAX]; /* absolute, with %-codes */
};

struct vni_record;

/* Parses "PATH=SOURCE": both absolute, no empty, '.' or '..' component, no
 * control character, no '%' in PATH and only the codes above in SOURCE.
 * 0, or -EINVAL with a one-line message naming the spec. */
int vni_map_parse(const char *spec, struct vni_map *m, char *err);

/* Parses spec and adds it to maps (n of them, at most VNI_MAPS_MAX), one map
 * per PATH. */
int vni_map_add(struct vni_map *maps, unsigned *n, const char *spec, char *err);

/* SOURCE for instance r into out (n bytes); -EINVAL when it names a VIP r
 * has not, or resolves to a bad path; -ENAMETOOLONG. */
int vni_map_resolve(const struct vni_map *m, const struct vni_record *r, char *out, size_t n,
		    char *err);

#endif
