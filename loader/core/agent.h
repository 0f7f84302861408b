/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnictl agent: the node's daemon in a farm (foreground; one line per event
 * on the log sink; exits 0 on SIGTERM or SIGINT). It keeps the node alive in
 * the registry (a lease renewed every ttl/3 s), and on every change of the
 * farm (a watch): writes the farm's other running instances into the
 * node's hosts file, marks the instances of nodes whose lease lapsed lost,
 * and fences: an instance of this node that the registry says another node
 * runs (restored there while this one was cut off) is stopped here, its
 * record left alone. docs/farm.md.
 */
#ifndef VNI_AGENT_H
#define VNI_AGENT_H

#include "core/node.h"

struct vni_agent_opts {
	int ttl; /* seconds the node stays alive without a renewal */
};

int vni_agent(const struct vni_node *n, const struct vni_agent_opts *o, char *err);

#endif
