// SPDX-License-Identifier: GPL-2.0-only
/* The local registry: the node's SQLite state holds every identity and the
 * pools, and the node lock makes each claim atomic (see registry.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "core/registry.h"
#include "sys/nladdr.h"
#include "sys/util.h"

#define MAX_RANGES 256
#define MAX_TRIES 65536 /* addresses looked at for one pick */

struct ranges {
	const char *pool; /* NULL: of every pool */
	int family;       /* 0: both */
	struct vni_range r[MAX_RANGES];
	char of[MAX_RANGES][VNI_POOL_NAME_MAX + 1];
	int n;
};

static int collect(const char *pool, const struct vni_range *r, void *arg)
{
	struct ranges *rs = arg;

	if ((rs->pool && strcmp(pool, rs->pool)) || (rs->family && r->family != rs->family))
		return 0;
	if (rs->n == MAX_RANGES)
		return -E2BIG;
	snprintf(rs->of[rs->n], sizeof(rs->of[0]), "%s", pool);
	rs->r[rs->n++] = *r;
	return 0;
}

static int load_ranges(struct vni_state *st, struct ranges *rs, char *err)
{
	int ret = vni_state_pool_each(st, collect, rs, err);

	if (ret == -E2BIG)
		return vni_err(err, ret, "more than %d pool ranges", MAX_RANGES);
	return ret;
}

struct pick {
	struct vni_state *st;
	char *err;
};

/* Free: no instance has it, and it is no address of this node already. */
static int vip_free(const struct vni_addr *a, void *arg)
{
	struct pick *p = arg;
	int ret = vni_state_vip_user(p->st, a, NULL, 0, p->err);

	if (ret)
		return ret < 0 ? ret : 0;
	ret = nl_addr_find(a->family, a->a, NULL, p->err, VNI_ERRLEN);
	return ret < 0 ? ret : !ret;
}

static int pick_vip(struct vni_state *st, const char *pool, int family, struct vni_addr *out,
		    char *err)
{
	struct ranges *rs = calloc(1, sizeof(*rs));
	struct pick p = { st, err };
	int ret;

	if (!rs)
		return vni_err(err, -ENOMEM, "out of memory");
	rs->pool = pool;
	rs->family = family;
	ret = load_ranges(st, rs, err);
	if (!ret && !rs->n)
		ret = vni_err(err, -ENOENT, "pool %s has no %s range ('vnictl pool add')", pool,
			      family == AF_INET ? "IPv4" : "IPv6");
	if (!ret) {
		ret = vni_pool_pick(rs->r, rs->n, NULL, MAX_TRIES, vip_free, &p, out);
		if (ret == 0)
			ret = vni_err(err, -ENOSPC, "pool %s: no free %s address", pool,
				      family == AF_INET ? "IPv4" : "IPv6");
		else if (ret == 1)
			ret = 0;
	}
	free(rs);
	return ret;
}

/* Derived from the VIP; a suffix -2, -3, ... if someone took it already. */
static int default_hostname(struct vni_state *st, struct vni_record *r, char *err)
{
	char base[VNI_HOSTNAME_MAX + 1];
	int i, ret;

	vni_default_hostname(r->vip4.family ? &r->vip4 : &r->vip6, base, sizeof(base));
	snprintf(r->hostname, sizeof(r->hostname), "%s", base);
	for (i = 2; (ret = vni_state_hostname_taken(st, r->hostname, err)) == 1; i++)
		snprintf(r->hostname, sizeof(r->hostname), "%.52s-%d", base, i);
	return ret < 0 ? ret : 0;
}

static int local_claim(struct vni_registry *g, struct vni_claim *c, char *err)
{
	struct vni_record *r = c->r;
	int ret = 0;

	if (c->again) /* its row is its claim */
		return 0;
	if (c->pool[0])
		ret = pick_vip(g->st, c->pool[0], AF_INET, &r->vip4, err);
	if (!ret && c->pool[1])
		ret = pick_vip(g->st, c->pool[1], AF_INET6, &r->vip6, err);
	if (!ret && !r->hostname[0])
		ret = default_hostname(g->st, r, err);
	if (!ret && !r->aid)
		ret = vni_state_next_aid(g->st, &r->aid, err);
	return ret ? ret : vni_state_conflict(g->st, r, err);
}

/* The instance's row is its claim: it goes with the row. */
static int local_release(struct vni_registry *g, const struct vni_record *r, char *err)
{
	(void)g, (void)r, (void)err;
	return 0;
}

/* The row, marked checkpointed, keeps the identity. */
static int local_hand_back(struct vni_registry *g, const struct vni_record *r, char *err)
{
	(void)g, (void)r, (void)err;
	return 0;
}

/* The state's rows are what the registry holds: the same by definition. */
static int local_each_held(struct vni_registry *g,
			   int (*fn)(const struct vni_record *r, void *arg), void *arg, char *err)
{
	return vni_state_each(g->st, fn, arg, err);
}

struct usage {
	const struct vni_range *range;
	uint64_t used;
	char user[PATH_MAX]; /* a name, or a cgroup path */
};

static int count_used(const struct vni_record *r, void *arg)
{
	struct usage *u = arg;
	int i;

	for (i = 0; i < 2; i++) {
		const struct vni_addr *a = i ? &r->vip6 : &r->vip4;

		if (a->family && vni_range_index(u->range, a) >= 0) {
			if (!u->used++)
				snprintf(u->user, sizeof(u->user), "%s", r->name);
		}
	}
	return 0;
}

static int local_pool_add(struct vni_registry *g, const char *pool, const struct vni_range *r,
			  char *err)
{
	struct ranges *rs = calloc(1, sizeof(*rs));
	char a[96], b[96];
	int ret, i;

	if (!rs)
		return vni_err(err, -ENOMEM, "out of memory");
	ret = load_ranges(g->st, rs, err);
	for (i = 0; !ret && i < rs->n; i++)
		if (vni_ranges_overlap(&rs->r[i], r))
			ret = vni_err(err, -EEXIST, "range %s overlaps %s of pool %s",
				      vni_range_str(r, a, sizeof(a)), vni_range_str(&rs->r[i], b, sizeof(b)),
				      rs->of[i]);
	free(rs);
	return ret ? ret : vni_state_pool_add(g->st, pool, r, err);
}

static int local_pool_del(struct vni_registry *g, const char *pool, const struct vni_range *r,
			  char *err)
{
	struct usage u = { .range = r };
	char a[96];
	int ret = vni_state_each(g->st, count_used, &u, err);

	if (ret)
		return ret;
	if (u.used)
		return vni_err(err, -EBUSY, "range %s of pool %s has %llu address(es) in use (instance %s)",
			       vni_range_str(r, a, sizeof(a)), pool, (unsigned long long)u.used,
			       u.user);
	ret = vni_state_pool_del(g->st, pool, r, err);
	if (ret == -ENOENT)
		return vni_err(err, ret, "pool %s has no range %s", pool,
			       vni_range_str(r, a, sizeof(a)));
	return ret;
}

static int local_pool_each(struct vni_registry *g,
			   int (*fn)(const struct vni_pool_usage *u, void *arg), void *arg,
			   char *err)
{
	struct ranges *rs = calloc(1, sizeof(*rs));
	int ret, i;

	if (!rs)
		return vni_err(err, -ENOMEM, "out of memory");
	ret = load_ranges(g->st, rs, err);
	for (i = 0; !ret && i < rs->n; i++) {
		struct usage u = { .range = &rs->r[i] };
		struct vni_pool_usage pu = { .pool = rs->of[i], .range = rs->r[i],
					     .size = vni_range_size(&rs->r[i]) };

		ret = vni_state_each(g->st, count_used, &u, err);
		pu.used = u.used;
		if (!ret)
			ret = fn(&pu, arg);
	}
	free(rs);
	return ret;
}

struct local_each {
	int (*fn)(const struct vni_farm_instance *i, void *arg);
	void *arg;
	const char *node;
};

static int local_instance(const struct vni_record *r, void *arg)
{
	struct local_each *e = arg;
	struct vni_farm_instance i = { .r = *r, .generation = 1 };

	snprintf(i.node, sizeof(i.node), "%s", r->checkpointed ? "" : e->node);
	snprintf(i.state, sizeof(i.state), "%s", r->checkpointed ? "checkpointed" : "running");
	return e->fn(&i, e->arg);
}

static int local_each_instance(struct vni_registry *g,
			       int (*fn)(const struct vni_farm_instance *i, void *arg), void *arg,
			       char *err)
{
	struct local_each e = { fn, arg, g->n->node_name };

	return vni_state_each(g->st, local_instance, &e, err);
}

static int local_get_instance(struct vni_registry *g, const char *name,
			      struct vni_farm_instance *out, char *err)
{
	struct vni_record r;
	int ret = vni_state_get(g->st, name, &r, err);

	if (ret == 1) {
		memset(out, 0, sizeof(*out));
		out->r = r;
		out->generation = 1;
		snprintf(out->node, sizeof(out->node), "%s", r.checkpointed ? "" : g->n->node_name);
		snprintf(out->state, sizeof(out->state), "%s", r.checkpointed ? "checkpointed" : "running");
	}
	return ret;
}

/* A farm of one: this node, always there. */
static int local_each_node(struct vni_registry *g,
			   int (*fn)(const struct vni_farm_node *m, void *arg), void *arg, char *err)
{
	struct vni_farm_node m = { .alive = true };

	(void)err;
	snprintf(m.name, sizeof(m.name), "%s", g->n->node_name);
	return fn(&m, arg);
}

static int no_farm(char *err)
{
	return vni_err(err, -ENOTSUP,
		       "the local registry is one node's: the agent needs a farm's (--registry etcd://HOST:PORT)");
}

static int local_join(struct vni_registry *g, int ttl, char *err)
{
	(void)g, (void)ttl;
	return no_farm(err);
}

static int local_keepalive(struct vni_registry *g, char *err)
{
	(void)g;
	return no_farm(err);
}

static void local_leave(struct vni_registry *g)
{
	(void)g;
}

static int local_mark_lost(struct vni_registry *g, const char *node, char *err)
{
	(void)g, (void)node;
	return no_farm(err);
}

static int local_watch(struct vni_registry *g, int (*changed)(void *arg), void *arg, char *err)
{
	(void)g, (void)changed, (void)arg;
	return no_farm(err);
}

static void local_close(struct vni_registry *g)
{
	free(g);
}

/* The node's state is the registry: an address is free when no instance has
 * it as its VIP (services may share one). */
static int local_claim_addr(struct vni_registry *g, const struct vni_addr *a, char *err)
{
	char who[VNI_NAME_MAX + 16], buf[INET6_ADDRSTRLEN];
	int ret = vni_state_vip_user(g->st, a, who, sizeof(who), err);

	if (ret == 1 && strncmp(who, "service ", 8))
		return vni_err(err, -EEXIST, "address %s is the VIP of instance %s",
			       vni_addr_str(a, buf, sizeof(buf)), who);
	return ret < 0 ? ret : 0;
}

static int local_release_addr(struct vni_registry *g, const struct vni_addr *a, char *err)
{
	(void)g, (void)a, (void)err;
	return 0;
}

const struct vni_registry_ops vni_registry_local = {
	.kind = "local",
	.claim = local_claim,
	.release = local_release,
	.hand_back = local_hand_back,
	.each_held = local_each_held,
	.claim_addr = local_claim_addr,
	.release_addr = local_release_addr,
	.pool_add = local_pool_add,
	.pool_del = local_pool_del,
	.pool_each = local_pool_each,
	.each_instance = local_each_instance,
	.each_node = local_each_node,
	.get_instance = local_get_instance,
	.join = local_join,
	.keepalive = local_keepalive,
	.leave = local_leave,
	.mark_lost = local_mark_lost,
	.watch = local_watch,
	.close = local_close,
};
