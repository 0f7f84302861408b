/* SPDX-License-Identifier: GPL-2.0-only */
/* vnictl monitor: streams the refusals the BPF programs put in the ring
 * buffer vni_events, one line (or JSON object) per event. */
#ifndef VNI_MONITOR_H
#define VNI_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/node.h"

struct vni_monitor_opts {
	uint64_t cgid; /* only this instance's events; 0: all */
	bool json;
};

/* Runs until SIGINT or SIGTERM (then returns 0); <0 with a message when it
 * cannot start or the ring buffer fails. Says "vnictl: monitoring refusals"
 * on stderr once it reads events. One monitor per node: a ring buffer has
 * one reader, so a second one is refused (flock on <state dir>/monitor.lock). */
int vni_monitor(const struct vni_node *n, const struct vni_monitor_opts *o, char *err);

#endif
