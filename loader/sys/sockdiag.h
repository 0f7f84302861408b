/* SPDX-License-Identifier: GPL-2.0-only */
/* Is an address already used by a socket (e.g. bound with IP_FREEBIND before
 * it became a VIP)? Asked of the kernel over NETLINK_SOCK_DIAG. */
#ifndef VNI_SOCKDIAG_H
#define VNI_SOCKDIAG_H

#include <stddef.h>

#define SD_ADDRS_MAX 4

struct sd_addr {
	int family;
	const void *addr; /* 4 or 16 bytes */
};

/* Whether a socket of the current network namespace that can take traffic
 * at an address not yet local (a TCP listener; a UDP or UDP-Lite socket, not
 * closing) has one of the n addresses as its local address (a v4 one also as
 * ::ffff:a.b.c.d): 1 + the index of the first found, 0 when none, <0 on
 * error with a message in err. One walk of the TCP listeners for all. */
int sd_addrs_in_use(const struct sd_addr *addrs, size_t n, char *err);

/* 1 when a TCP connection (established, or half-closed by its peer) of the
 * current network namespace has addr as its local address, with
 * "LOCAL -> REMOTE" in conn (n bytes); 0 when none; <0 on error. */
int sd_established(int family, const void *addr, char *conn, size_t n, char *err);

/* fn(family, addr) for the local address of every TCP, UDP and UDP-Lite
 * socket that can still use it (as sd_addrs_in_use counts them), in one dump
 * per protocol and family (vnictl apply asks about thousands of addresses);
 * a v4-mapped v6 address is given as v4. fn returning non-zero stops and is
 * returned; <0 on error, message in err. */
int sd_each_local_addr(int (*fn)(int family, const void *addr, void *arg), void *arg, char *err);

#endif
