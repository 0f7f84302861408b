/* SPDX-License-Identifier: GPL-2.0-only */
/* Every local address TCP, UDP and UDP-Lite sockets of the current network
 * namespace use, in one dump per family and protocol (sys/sockdiag.h asks
 * about one address; vnictl apply asks about thousands). */
#ifndef VNI_SOCKDIAG_ALL_H
#define VNI_SOCKDIAG_ALL_H

/* fn(family, addr) for each socket that can still use its address (as
 * sd_addr_in_use counts them); a v4-mapped v6 address is given as v4.
 * fn returning non-zero stops and is returned; <0 on error, message in err. */
int sd_each_local_addr(int (*fn)(int family, const void *addr, void *arg), void *arg, char *err);

#endif
