/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An instance for the length of its command (vnictl start and stop, the
 * systemd unit vni@.service): attach what a config file describes, run its
 * command in it, detach when the command exits.
 */
#ifndef VNI_UNIT_H
#define VNI_UNIT_H

#include "core/node.h"
#include "core/unitconf.h"

struct vni_start_req {
	const char *name;
	const struct vni_unit_conf *conf;
	const char *parent; /* NULL: the VNI root; else the cgroup to make NAME in */
};

/* An idle instance of that name (left by a crash or brought back after a
 * reboot) is replaced, keeping its AID unless the config gives one; one with
 * processes, or checkpointed, is refused. Returns the command's exit status
 * (as vni_launch), or a negative errno with err set (nothing left behind). */
int vni_start(const struct vni_node *n, const struct vni_start_req *req, char *err);

/* Kills the processes of the instance and detaches it, if there is one and
 * its cgroup is within 'within' (NULL: anywhere). 0 when there is none. */
int vni_stop(const struct vni_node *n, const char *name, const char *within, char *err);

#endif
