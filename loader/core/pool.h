/* SPDX-License-Identifier: GPL-2.0-only */
/* Address ranges of VIP pools ('vnictl pool add CIDR|FIRST-LAST'): parsing,
 * size, the i-th address, overlap. Pure; the registry keeps the pools. */
#ifndef VNI_POOL_H
#define VNI_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/validate.h"

#define VNI_POOL_NAME_MAX 32
#define VNI_DEFAULT_POOL "default"

struct vni_range {
	int family;
	uint8_t first[16], last[16]; /* network order, first <= last */
};

/* "10.0.0.0/24" or "10.0.0.10-10.0.0.20" (v6 alike). v4 CIDRs of /30 or
 * wider leave out their network and broadcast addresses; every address
 * must be one a VIP can be (no loopback, multicast, ...). */
int vni_parse_range(const char *s, struct vni_range *r, char *err);
/* "FIRST-LAST" */
const char *vni_range_str(const struct vni_range *r, char *buf, size_t n);
/* How many addresses (UINT64_MAX when more). */
uint64_t vni_range_size(const struct vni_range *r);
/* The address at index i (i < size). */
void vni_range_addr(const struct vni_range *r, uint64_t i, struct vni_addr *out);
/* The index of a in r, or -1 when a is not in it. */
int64_t vni_range_index(const struct vni_range *r, const struct vni_addr *a);
bool vni_ranges_overlap(const struct vni_range *a, const struct vni_range *b);

/* The first address a VIP can be for which is_free says 1, trying the
 * addresses of the ranges in order starting after hint (when one holds it)
 * and going round, at most max_tries of them: 1 and *out, 0 when none is
 * free, or is_free's error (<0). */
int vni_pool_pick(const struct vni_range *ranges, int nranges, const struct vni_addr *hint,
		  uint64_t max_tries, int (*is_free)(const struct vni_addr *a, void *arg),
		  void *arg, struct vni_addr *out);

/* Pool name: 1-32 of [a-z0-9_-]. */
int vni_check_pool_name(const char *name, char *err);
/* "auto", "auto/POOL", "auto6", "auto6/POOL": 1 (family and pool set),
 * 0 when s is no such word, <0 for a bad pool name. */
int vni_parse_auto(const char *s, int *family, char *pool, size_t n, char *err);

#endif
