/* SPDX-License-Identifier: GPL-2.0-only */
/* Is an address already used by a socket (e.g. bound with IP_FREEBIND before
 * it became a VIP)? Asked of the kernel over NETLINK_SOCK_DIAG. */
#ifndef VNI_SOCKDIAG_H
#define VNI_SOCKDIAG_H

#include <stddef.h>

/* 1 when a TCP or UDP socket of the current network namespace has addr (4 or
 * 16 bytes) as its local address (v4 also as ::ffff:a.b.c.d), 0 when none
 * (connections already closing do not count),
 * <0 on error with a message in err. */
int sd_addr_in_use(int family, const void *addr, char *err);

/* 1 when a TCP connection (established, or half-closed by its peer) of the
 * current network namespace has addr as its local address, with
 * "LOCAL -> REMOTE" in conn (n bytes); 0 when none; <0 on error. */
int sd_established(int family, const void *addr, char *conn, size_t n, char *err);

/* fn(family, addr) for the local address of every TCP, UDP and UDP-Lite
 * socket that can still use it (as sd_addr_in_use counts them), in one dump
 * per family and protocol (vnictl apply asks about thousands of addresses);
 * a v4-mapped v6 address is given as v4. fn returning non-zero stops and is
 * returned; <0 on error, message in err. */
int sd_each_local_addr(int (*fn)(int family, const void *addr, void *arg), void *arg, char *err);

#endif
