// SPDX-License-Identifier: GPL-2.0-only
/*
 * Install, remove and look up a single host address (the VIP) over
 * rtnetlink, in the caller's current network namespace.
 */
#ifndef VNI_NLADDR_H
#define VNI_NLADDR_H

#include <stddef.h>

/*
 * addr is 4 (AF_INET) or 16 (AF_INET6) bytes in network order. On failure,
 * every function returns a negative errno and writes a one-line, lower-case,
 * human message (no trailing newline) into err (errlen bytes), e.g.
 * "cannot add 10.10.0.1/32 to lo: File exists". err may be NULL.
 */

/* Adds addr/32 or addr/128 (IPv6 without DAD); -EEXIST when already there. */
int nl_addr_add(int ifindex, int family, const void *addr, char *err,
		size_t errlen);

/* Removes the address; -ENOENT (with message) when it is not there. */
int nl_addr_del(int ifindex, int family, const void *addr, char *err,
		size_t errlen);

/*
 * Is addr an address of a device of the current netns? One query, whatever
 * the number of addresses: IPv6 asks for the address (RTM_GETADDR), IPv4 for
 * the local route the kernel keeps for each of its addresses (RTM_GETROUTE,
 * RTM_F_FIB_MATCH), so an IPv4 address of a device that is down (which has
 * no routes) is not found. Returns 1 and sets *ifindex (if non-NULL) when
 * found, 0 when not found, <0 on error.
 */
int nl_addr_find(int family, const void *addr, int *ifindex, char *err,
		 size_t errlen);

/*
 * Calls fn for every IPv4 and IPv6 address of the current netns (family:
 * AF_INET, AF_INET6 or AF_UNSPEC for both) in one RTM_GETADDR dump. fn
 * returning non-zero stops the calls; that value is returned (0 when fn never
 * did), <0 on error.
 */
typedef int (*nl_addr_fn)(int family, const void *addr, int ifindex, void *arg);
int nl_addr_each(int family, nl_addr_fn fn, void *arg, char *err, size_t errlen);

#endif /* VNI_NLADDR_H */
