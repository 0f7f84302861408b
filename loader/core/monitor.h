/* SPDX-License-Identifier: GPL-2.0-only */
/* vnictl monitor: streams the refusals the BPF programs put in the ring
 * buffer vni_events, one line (or JSON object) per event. */
#ifndef VNI_MONITOR_H
#define VNI_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include <time.h>

#include "core/node.h"
#include "vni_shared.h"

/* One refusal; name is the instance's (NULL if unknown), wall the time. */
typedef void (*vni_event_fn)(const struct vni_event *e, const char *name,
			     const struct timespec *wall, void *arg);

struct vni_monitor_opts {
	uint64_t cgid; /* only this instance's events; 0: all */
	vni_event_fn on_event;
	void *arg;
};

/* Runs until SIGINT or SIGTERM (then returns 0); <0 with a message when it
 * cannot start or the ring buffer fails. Logs "monitoring refusals" once it
 * reads events, and refusals the ring buffer lost. One monitor per node: a
 * ring buffer has one reader, so a second one is refused (flock on
 * <state dir>/monitor.lock). */
int vni_monitor(const struct vni_node *n, const struct vni_monitor_opts *o, char *err);

#endif
