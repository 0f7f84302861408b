// SPDX-License-Identifier: GPL-2.0-only
/* The namespace's addresses and bound addresses, read once (see nodeview.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/nodeview.h"
#include "sys/nladdr.h"
#include "sys/sockdiag.h"
#include "sys/util.h"

struct list {
	struct vni_view_addr **v;
	size_t *n;
};

static int add(int family, const void *addr, int ifindex, void *arg)
{
	struct list *l = arg;
	struct vni_view_addr *v;

	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (!(*l->n & (*l->n + 1))) {
		if (!(v = realloc(*l->v, (2 * *l->n + 2) * sizeof(*v))))
			return -ENOMEM;
		*l->v = v;
	}
	v = &(*l->v)[(*l->n)++];
	memset(v, 0, sizeof(*v));
	v->a.family = family;
	v->ifindex = ifindex;
	memcpy(v->a.a, addr, family == AF_INET ? 4 : 16);
	return 0;
}

static int add_bound(int family, const void *addr, void *arg)
{
	return add(family, addr, 0, arg);
}

static int cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vni_addr));
}

static const struct vni_view_addr *find(const struct vni_view_addr *v, size_t n,
					const struct vni_addr *a)
{
	return n ? bsearch(a, v, n, sizeof(*v), cmp) : NULL;
}

int vni_node_view_read(struct vni_node_view *v, char *err)
{
	struct list addrs = { &v->addrs, &v->naddrs }, busy = { &v->busy, &v->nbusy };
	int ret;

	memset(v, 0, sizeof(*v));
	ret = nl_addr_each(AF_UNSPEC, add, &addrs, err, VNI_ERRLEN);
	if (!ret)
		ret = sd_each_local_addr(add_bound, &busy, err);
	if (ret == -ENOMEM)
		vni_err(err, ret, "out of memory");
	if (ret) {
		vni_node_view_free(v);
		return ret;
	}
	qsort(v->addrs, v->naddrs, sizeof(*v->addrs), cmp);
	qsort(v->busy, v->nbusy, sizeof(*v->busy), cmp);
	return 0;
}

void vni_node_view_free(struct vni_node_view *v)
{
	free(v->addrs);
	free(v->busy);
	memset(v, 0, sizeof(*v));
}

int vni_view_has(const struct vni_node_view *v, const struct vni_addr *a, int *ifindex)
{
	const struct vni_view_addr *f = find(v->addrs, v->naddrs, a);

	if (f && ifindex)
		*ifindex = f->ifindex;
	return f != NULL;
}

bool vni_view_busy(const struct vni_node_view *v, const struct vni_addr *a)
{
	return find(v->busy, v->nbusy, a) != NULL;
}
