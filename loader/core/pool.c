// SPDX-License-Identifier: GPL-2.0-only
/* VIP pool ranges (see pool.h): addresses as 128-bit numbers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "sys/util.h"

typedef unsigned __int128 u128;

static int len_of(int family)
{
	return family == AF_INET ? 4 : 16;
}

static u128 to_num(int family, const uint8_t *a)
{
	u128 v = 0;
	int i;

	for (i = 0; i < len_of(family); i++)
		v = (v << 8) | a[i];
	return v;
}

static void from_num(int family, u128 v, uint8_t *a)
{
	int i;

	memset(a, 0, 16);
	for (i = len_of(family) - 1; i >= 0; i--, v >>= 8)
		a[i] = (uint8_t)v;
}

static int parse_cidr(const char *s, const char *slash, struct vni_range *r, char *err)
{
	char addr[INET6_ADDRSTRLEN];
	struct vni_addr a;
	u128 base, host;
	char *end;
	long bits;
	int max;

	if ((size_t)(slash - s) >= sizeof(addr))
		return vni_err(err, -EINVAL, "invalid range '%s'", s);
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, addr, a.a) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, addr, a.a) == 1)
		a.family = AF_INET6;
	else
		return vni_err(err, -EINVAL, "invalid range '%s': '%s' is not an address", s, addr);
	max = len_of(a.family) * 8;
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || bits < 0 || bits > max)
		return vni_err(err, -EINVAL, "invalid range '%s': bad prefix length", s);
	host = bits == max ? 0 : (((u128)1 << (max - bits)) - 1);
	base = to_num(a.family, a.a);
	if (base & host)
		return vni_err(err, -EINVAL, "invalid range '%s': host bits set (the network is %s/%ld?)",
			       s, addr, bits);
	r->family = a.family;
	/* a v4 network of 4 or more addresses: not its network and broadcast */
	if (a.family == AF_INET && bits <= 30) {
		from_num(AF_INET, base + 1, r->first);
		from_num(AF_INET, base + host - 1, r->last);
	} else {
		from_num(a.family, base, r->first);
		from_num(a.family, base | host, r->last);
	}
	return 0;
}

static int parse_pair(const char *s, const char *dash, struct vni_range *r, char *err)
{
	char first[INET6_ADDRSTRLEN];
	struct vni_addr a, b;

	if ((size_t)(dash - s) >= sizeof(first))
		return vni_err(err, -EINVAL, "invalid range '%s'", s);
	memcpy(first, s, (size_t)(dash - s));
	first[dash - s] = '\0';
	if (vni_parse_vip(first, &a, err) || vni_parse_vip(dash + 1, &b, err))
		return -EINVAL;
	if (a.family != b.family)
		return vni_err(err, -EINVAL, "invalid range '%s': mixes IPv4 and IPv6", s);
	if (to_num(a.family, a.a) > to_num(b.family, b.a))
		return vni_err(err, -EINVAL, "invalid range '%s': the first address is after the last",
			       s);
	r->family = a.family;
	memcpy(r->first, a.a, 16);
	memcpy(r->last, b.a, 16);
	return 0;
}

int vni_parse_range(const char *s, struct vni_range *r, char *err)
{
	const char *sep;
	char buf[INET6_ADDRSTRLEN], why[VNI_ERRLEN];
	struct vni_addr ends[2];
	int i, ret;

	memset(r, 0, sizeof(*r));
	if ((sep = strchr(s, '/')))
		ret = parse_cidr(s, sep, r, err);
	else if ((sep = strchr(s, '-')))
		ret = parse_pair(s, sep, r, err);
	else
		return vni_err(err, -EINVAL, "invalid range '%s': give CIDR or FIRST-LAST", s);
	if (ret)
		return ret;
	/* both ends must be VIPs; an address inside that cannot be one (a range
	 * across 127.0.0.0/8) is skipped when addresses are handed out */
	for (i = 0; i < 2; i++) {
		ends[i].family = r->family;
		memcpy(ends[i].a, i ? r->last : r->first, 16);
		if (vni_parse_vip(vni_addr_str(&ends[i], buf, sizeof(buf)), &ends[i], why))
			return vni_err(err, -EINVAL, "invalid range '%s': %s", s, why);
	}
	return 0;
}

const char *vni_range_str(const struct vni_range *r, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?", b[INET6_ADDRSTRLEN] = "?";

	inet_ntop(r->family, r->first, a, sizeof(a));
	inet_ntop(r->family, r->last, b, sizeof(b));
	snprintf(buf, n, "%s-%s", a, b);
	return buf;
}

uint64_t vni_range_size(const struct vni_range *r)
{
	u128 d = to_num(r->family, r->last) - to_num(r->family, r->first);

	return d >= UINT64_MAX ? UINT64_MAX : (uint64_t)d + 1;
}

void vni_range_addr(const struct vni_range *r, uint64_t i, struct vni_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = r->family;
	from_num(r->family, to_num(r->family, r->first) + i, out->a);
}

int64_t vni_range_index(const struct vni_range *r, const struct vni_addr *a)
{
	u128 v, lo, hi;

	if (a->family != r->family)
		return -1;
	v = to_num(a->family, a->a);
	lo = to_num(r->family, r->first);
	hi = to_num(r->family, r->last);
	if (v < lo || v > hi || v - lo > INT64_MAX)
		return -1;
	return (int64_t)(v - lo);
}

bool vni_ranges_overlap(const struct vni_range *a, const struct vni_range *b)
{
	return a->family == b->family &&
	       to_num(a->family, a->first) <= to_num(b->family, b->last) &&
	       to_num(b->family, b->first) <= to_num(a->family, a->last);
}

int vni_pool_pick(const struct vni_range *ranges, int nranges, const struct vni_addr *hint,
		  uint64_t max_tries, int (*is_free)(const struct vni_addr *a, void *arg),
		  void *arg, struct vni_addr *out)
{
	char buf[INET6_ADDRSTRLEN];
	struct vni_addr a, check;
	uint64_t tries = 0, first = 0, i, to;
	int start = 0, k, ret;
	int64_t at;

	for (k = 0; hint && k < nranges; k++)
		if ((at = vni_range_index(&ranges[k], hint)) >= 0) {
			start = k;
			first = (uint64_t)at + 1;
			break;
		}
	/* the hint's range from after it, the other ranges, the hint's range
	 * up to it */
	for (k = 0; k <= nranges && nranges; k++) {
		const struct vni_range *r = &ranges[(start + k) % nranges];

		i = k == 0 ? first : 0;
		to = k == nranges ? first : vni_range_size(r);
		for (; i < to && tries < max_tries; i++, tries++) {
			vni_range_addr(r, i, &a);
			if (vni_parse_vip(vni_addr_str(&a, buf, sizeof(buf)), &check, NULL))
				continue; /* a range across 127.0.0.0/8, say */
			ret = is_free(&a, arg);
			if (ret < 0)
				return ret;
			if (ret) {
				*out = a;
				return 1;
			}
		}
	}
	return 0;
}

int vni_check_pool_name(const char *name, char *err)
{
	size_t len = strlen(name), i;

	if (!len || len > VNI_POOL_NAME_MAX)
		return vni_err(err, -EINVAL, "invalid pool name '%s': 1 to %d characters", name,
			       VNI_POOL_NAME_MAX);
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-' || name[i] == '_'))
			return vni_err(err, -EINVAL,
				       "invalid pool name '%s': only a-z, 0-9, '-' and '_'", name);
	return 0;
}

int vni_parse_auto(const char *s, int *family, char *pool, size_t n, char *err)
{
	const char *rest;
	int ret;

	if (!strncmp(s, "auto6", 5)) {
		*family = AF_INET6;
		rest = s + 5;
	} else if (!strncmp(s, "auto", 4)) {
		*family = AF_INET;
		rest = s + 4;
	} else {
		return 0;
	}
	if (*rest && *rest != '/')
		return 0;
	if (*rest == '/' && (ret = vni_check_pool_name(rest + 1, err)))
		return ret;
	snprintf(pool, n, "%s", *rest ? rest + 1 : VNI_DEFAULT_POOL);
	return 1;
}
