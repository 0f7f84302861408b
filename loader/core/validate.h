/* SPDX-License-Identifier: GPL-2.0-only */
/* Parsers for everything a user types: VIPs, instance names, hostnames, AIDs. */
#ifndef VNI_VALIDATE_H
#define VNI_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNI_NAME_MAX 64     /* instance name, one cgroup directory */
#define VNI_HOSTNAME_MAX 64 /* UTS nodename limit */

struct vni_addr {
	int family; /* 0: none, AF_INET, AF_INET6 */
	uint8_t a[16];
};

/* A VIP: a unicast address usable as a host address (not unspecified,
 * loopback, multicast, broadcast, link-local or v4-mapped). */
int vni_parse_vip(const char *s, struct vni_addr *out, char *err);

/* Textual form of an address (no brackets). */
const char *vni_addr_str(const struct vni_addr *a, char *buf, size_t n);
/* fd76:6e69:6c6f::AID, a private v6 address (include/vni_shared.h); of AID 0,
 * the parking address. */
void vni_priv6(uint32_t aid, struct vni_addr *a);

/* Instance name: 1-64 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
int vni_check_name(const char *name, char *err);

/* Hostname: dot-separated DNS labels (RFC 1123), at most 64 characters. */
int vni_check_hostname(const char *host, char *err);

/* AID: decimal 1..4294967295. */
int vni_parse_aid(const char *s, uint32_t *out, char *err);

/* Loopback mode: NULL or "shared" (today's), "private" (sets
 * VNI_F_PRIVATE_LO in *flags). */
int vni_parse_loopback(const char *s, uint32_t *flags, char *err);

/* Hostname derived from an address: vni-10-10-0-1, vni-2001-db8-0-0-0-0-0-1. */
void vni_default_hostname(const struct vni_addr *a, char *buf, size_t n);

#endif
