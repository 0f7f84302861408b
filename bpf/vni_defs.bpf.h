/* SPDX-License-Identifier: GPL-2.0-only */
/* Constants vmlinux.h cannot provide (it has no #defines). */
#ifndef VNI_DEFS_BPF_H
#define VNI_DEFS_BPF_H

#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17

#define SOCK_STREAM 1
#define SOCK_DGRAM 2

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_UDPLITE 136

#define EPERM 1

/* cgroup socket programs: what they return */
#define VNI_ALLOW 1
#define VNI_DENY 0

#endif
