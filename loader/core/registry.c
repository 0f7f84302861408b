// SPDX-License-Identifier: GPL-2.0-only
/* Opening the node's registry (see registry.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/registry.h"
#include "sys/util.h"

int vni_registry_open(const struct vni_node *n, struct vni_state *st, struct vni_registry **g,
		      char *err)
{
	if (!strncmp(n->registry, "etcd://", 7)) {
		int ret = vni_registry_etcd_open(n, n->registry, g, err);

		if (!ret)
			(*g)->st = st;
		return ret;
	}
	*g = calloc(1, sizeof(**g));
	if (!*g)
		return vni_err(err, -ENOMEM, "out of memory");
	(*g)->ops = &vni_registry_local;
	(*g)->n = n;
	(*g)->st = st;
	return 0;
}

void vni_registry_close(struct vni_registry *g)
{
	if (g)
		g->ops->close(g);
}
