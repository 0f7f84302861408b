/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnictl apply's input: the instances a node should have, as a JSON array
 * with the field names of 'vnictl list --json' (docs/json.md). Parsed and
 * checked here, all of it, before anything is looked at on the node.
 */
#ifndef VNI_APPLYSPEC_H
#define VNI_APPLYSPEC_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pathmap.h"
#include "core/pool.h"
#include "core/validate.h"

/* One VIP field: an address, auto[/POOL] (pool set), or none (null). */
struct vni_apply_vip {
	struct vni_addr a;               /* family 0 unless an address */
	char pool[VNI_POOL_NAME_MAX + 1]; /* "" unless auto */
};

struct vni_apply_item {
	char *name;
	struct vni_apply_vip vip4, vip6;
	char *hostname;     /* NULL: derived from the VIP (and any matches) */
	uint32_t aid;       /* 0: the next free (and any matches) */
	char dev[IF_NAMESIZE];
	uint32_t flags;     /* VNI_F_ALLOW_RAW, VNI_F_PRIVATE_LO */
	bool maps_given;    /* "maps" present: the instance's maps are these */
	struct vni_map *maps;
	unsigned nmaps;
	char *template;     /* a clone's template as list prints it, or NULL */
};

struct vni_apply_spec {
	struct vni_apply_item *v; /* sorted by name (strcmp) */
	size_t n;
};

/* Parses text (len bytes); -EINVAL and one line naming the element and the
 * field ("instance 3 (web): vip4: ...") on bad input. */
int vni_apply_spec_parse(const char *text, size_t len, struct vni_apply_spec *out, char *err);
void vni_apply_spec_free(struct vni_apply_spec *s);

#endif
