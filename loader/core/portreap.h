/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An instance's receive counters outlive it until reaped. Its entries in
 * vni_ports (one per block of 16 ports it received at, kept while it lives)
 * can only be found by a walk of the whole map, however few entries it
 * holds: 65,536 buckets (2 ms with the 1,048,576 of one entry per port,
 * most of a detach then). So a detach lists the
 * instance's cgroup id (portreap in the state dir) and one walk reaps the
 * entries of 64 instances at a time. A dead instance's entries are never
 * read: the receive filter finds them by the cgroup id of an address's
 * owner, and a cgroup id is not reused while the node is up; the list holds
 * this boot's ids only (its first line is the boot id). A cgroup vnictl did
 * not make may be attached again, with its id: a reap leaves the ids that
 * are linked again.
 */
#ifndef VNI_PORTREAP_H
#define VNI_PORTREAP_H

#include <stdint.h>

#include "core/node.h"

/* The instance's wildcard counters go now (vni_wild is read by port), its
 * vni_ports entries with the next reap. */
void vni_ports_forget(const struct vni_node *n, uint64_t cgid);
/* Reaps what is listed now (vnictl down). */
void vni_ports_reap(const struct vni_node *n);

#endif
