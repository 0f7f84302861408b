// SPDX-License-Identifier: GPL-2.0-only
/* Opening the node's registry (see registry.h). */
#include <errno.h>
#include <stdlib.h>

#include "core/registry.h"
#include "sys/util.h"

int vni_registry_open(const struct vni_node *n, struct vni_state *st, struct vni_registry **g,
		      char *err)
{
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
