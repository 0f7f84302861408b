// SPDX-License-Identifier: GPL-2.0-only
/* vnictl pool add|del|list: the VIP pools 'attach --vip auto' takes from. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/ops.h"
#include "core/pool.h"
#include "sys/util.h"

/* The range word of add and del, and the pool. -1, or the exit code. */
static int range_args(const struct cli_args *a, struct vni_range *r, const char **pool)
{
	char err[VNI_ERRLEN];

	*pool = cli_str(a, "pool") ? cli_str(a, "pool") : VNI_DEFAULT_POOL;
	if (a->nrest != 2)
		return cli_usage_error("pool %s needs one CIDR or FIRST-LAST range", a->rest[0]);
	if (vni_check_pool_name(*pool, err) || vni_parse_range(a->rest[1], r, err))
		return cli_usage_error("%s", err);
	return -1;
}

struct list_ctx {
	json_object *array;
};

static int list_one(const struct vni_pool_usage *u, void *arg)
{
	struct list_ctx *c = arg;
	char range[96];
	json_object *o;

	vni_range_str(&u->range, range, sizeof(range));
	if (!c->array) {
		printf("%-16s %-40s %10llu %10llu %10llu\n", u->pool, range,
		       (unsigned long long)u->size, (unsigned long long)u->used,
		       (unsigned long long)(u->size - u->used));
		return 0;
	}
	o = json_object_new_object();
	json_object_object_add(o, "pool", json_object_new_string(u->pool));
	json_object_object_add(o, "range", json_object_new_string(range));
	json_object_object_add(o, "family", json_object_new_int(u->range.family == AF_INET ? 4 : 6));
	json_object_object_add(o, "size", json_object_new_uint64(u->size));
	json_object_object_add(o, "used", json_object_new_uint64(u->used));
	json_object_object_add(o, "free", json_object_new_uint64(u->size - u->used));
	json_object_array_add(c->array, o);
	return 0;
}

static int cmd_pool(struct vni_node *n, const struct cli_args *a)
{
	const char *what = a->nrest ? a->rest[0] : "", *pool;
	char err[VNI_ERRLEN], range[96];
	struct vni_range r;
	int ret;

	if (!strcmp(what, "list")) {
		struct list_ctx c = { cli_flag(a, "json") ? json_object_new_array() : NULL };

		if (a->nrest != 1 || cli_str(a, "pool")) {
			json_object_put(c.array);
			return cli_usage_error("%s", "pool list takes no range and no --pool");
		}
		if (!c.array)
			printf("%-16s %-40s %10s %10s %10s\n", "POOL", "RANGE", "SIZE", "USED", "FREE");
		ret = vni_pool_each(n, list_one, &c, err);
		if (c.array)
			return cli_finish_json(c.array, ret, err);
		return ret ? cli_fail(err) : EXIT_OK;
	}
	if (strcmp(what, "add") && strcmp(what, "del"))
		return cli_usage_error("pool needs add, del or list, not '%s'", what);
	if (cli_flag(a, "json"))
		return cli_usage_error("pool %s takes no --json", what);
	if ((ret = range_args(a, &r, &pool)) >= 0)
		return ret;
	ret = what[0] == 'a' ? vni_pool_add(n, pool, &r, err) : vni_pool_del(n, pool, &r, err);
	if (ret)
		return cli_fail(err);
	printf("pool %s: %s %s (%llu addresses)\n", pool, what[0] == 'a' ? "added" : "removed",
	       vni_range_str(&r, range, sizeof(range)), (unsigned long long)vni_range_size(&r));
	return EXIT_OK;
}

static const struct cli_opt pool_opts[] = {
	{ "pool", "NAME", 0 },
	{ "json", NULL, 0 },
	{ NULL },
};

const struct cli_cmd cli_pool_cmds[] = {
	{ "pool", cmd_pool, pool_opts,
	  "VIP pools for 'attach --vip auto[/POOL]': add or remove a range (CIDR or FIRST-LAST; default pool 'default'), list them with their use",
	  CLI_ROOT | CLI_WORDS, "add|del|list [RANGE]" },
	{ NULL },
};
