/* SPDX-License-Identifier: GPL-2.0-only */
/* Telling the neighbours that a VIP moved here: gratuitous ARP (v4) and an
 * unsolicited neighbour advertisement with the override flag (v6), as
 * keepalived does. */
#ifndef VNI_ANNOUNCE_H
#define VNI_ANNOUNCE_H

#include "core/validate.h"

/* Announces a on dev; when dev is a loopback device, on every interface
 * that is up and has a link-layer address. Returns the number of
 * interfaces announced on, or <0 with err set. */
int vni_announce(const char *dev, const struct vni_addr *a, char *err);

#endif
