// SPDX-License-Identifier: GPL-2.0-only
/*
 * Install, remove and look up a single host address (the VIP) over
 * rtnetlink, in the caller's current network namespace. An IPv6 VIP is an
 * address; an IPv4 VIP is a local route of its own (table local, /32, proto
 * 118): the same to the kernel's bind, ARP and delivery, without the cost of
 * an address that grows with the addresses of the device (nladdr.c). Below,
 * "the addresses" of IPv4 are the /32 local routes: of VIPs and of the
 * addresses of devices that are up.
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

/* Adds addr/32 (route) or addr/128 (IPv6 without DAD); -EEXIST when already
 * there (for IPv4: any local route for exactly addr, an address's too). */
int nl_addr_add(int ifindex, int family, const void *addr, char *err,
		size_t errlen);

/* Removes the address (IPv4: our route, or else an address, as older
 * versions put VIPs on); -ENOENT (with message) when it is not there. */
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
 * AF_INET, AF_INET6 or AF_UNSPEC for both): a dump of the routes (v4) and one
 * of the addresses (v6). fn
 * returning non-zero stops the calls; that value is returned (0 when fn never
 * did), <0 on error.
 */
typedef int (*nl_addr_fn)(int family, const void *addr, int ifindex, void *arg);
int nl_addr_each(int family, nl_addr_fn fn, void *arg, char *err, size_t errlen);

#endif /* VNI_NLADDR_H */
