// SPDX-License-Identifier: GPL-2.0-only
/* The farm: vnictl agent (the node's daemon), vnictl farm (what the
 * registry says: nodes and instances). docs/farm.md. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/agent.h"
#include "core/ops.h"
#include "sys/util.h"

static int cmd_agent(struct vni_node *n, const struct cli_args *a)
{
	struct vni_agent_opts o = { .ttl = 10 };
	const char *ttl = cli_str(a, "ttl");
	char err[VNI_ERRLEN], *end;

	if (ttl) {
		long v = strtol(ttl, &end, 10);

		if (*end || end == ttl || v < 2 || v > 3600)
			return cli_usage_error("invalid --ttl '%s': 2 to 3600 seconds", ttl);
		o.ttl = (int)v;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	return vni_agent(n, &o, err) ? cli_fail(err) : EXIT_OK;
}

struct farm_ctx {
	json_object *nodes, *inst; /* --json */
	char seen[256][65];        /* nodes listed (alive) */
	int nseen;
	bool header;
};

static void when(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "-");
}

static void node_row(struct farm_ctx *c, const char *name, bool alive, int64_t since)
{
	char t[32];

	when(since, t, sizeof(t));
	if (c->nodes) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "alive", json_object_new_boolean(alive));
		json_object_object_add(o, "since", alive ? json_object_new_string(t) : NULL);
		json_object_array_add(c->nodes, o);
		return;
	}
	printf("%-20s %-6s %s\n", name, alive ? "yes" : "no", t);
}

static int one_node(const struct vni_farm_node *m, void *arg)
{
	struct farm_ctx *c = arg;

	if (!c->nodes && !c->nseen)
		printf("%-20s %-6s %s\n", "NODE", "ALIVE", "SINCE");
	if (c->nseen < 256)
		snprintf(c->seen[c->nseen++], sizeof(c->seen[0]), "%s", m->name);
	node_row(c, m->name, m->alive, m->since);
	return 0;
}

static int one_instance(const struct vni_farm_instance *i, void *arg)
{
	struct farm_ctx *c = arg;
	char v4[64], v6[64];

	vni_addr_str(&i->r.vip4, v4, sizeof(v4));
	vni_addr_str(&i->r.vip6, v6, sizeof(v6));
	if (c->inst) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(i->r.name));
		json_object_object_add(o, "aid", json_object_new_int64(i->r.aid));
		json_object_object_add(o, "vip4", i->r.vip4.family ? json_object_new_string(v4) : NULL);
		json_object_object_add(o, "vip6", i->r.vip6.family ? json_object_new_string(v6) : NULL);
		json_object_object_add(o, "hostname", json_object_new_string(i->r.hostname));
		json_object_object_add(o, "node", i->node[0] ? json_object_new_string(i->node) : NULL);
		json_object_object_add(o, "state", json_object_new_string(i->state));
		json_object_object_add(o, "generation", json_object_new_int64(i->generation));
		json_object_array_add(c->inst, o);
		return 0;
	}
	if (!c->header) {
		printf("\n%-16s %-6s %-15s %-25s %-24s %-20s %s\n", "NAME", "AID", "VIP4", "VIP6",
		       "HOSTNAME", "NODE", "STATE");
		c->header = true;
	}
	printf("%-16s %-6u %-15s %-25s %-24s %-20s %s\n", i->r.name, i->r.aid, v4, v6,
	       i->r.hostname, i->node[0] ? i->node : "-", i->state);
	return 0;
}

/* Nodes instances name that have no lease: gone (their agent died). */
static int dead_node(const struct vni_farm_instance *i, void *arg)
{
	struct farm_ctx *c = arg;
	int k;

	if (!i->node[0])
		return 0;
	for (k = 0; k < c->nseen; k++)
		if (!strcmp(c->seen[k], i->node))
			return 0;
	if (c->nseen < 256)
		snprintf(c->seen[c->nseen++], sizeof(c->seen[0]), "%s", i->node);
	node_row(c, i->node, false, 0);
	return 0;
}

static int no_node(const struct vni_farm_node *m, void *arg)
{
	(void)m, (void)arg;
	return 0;
}

static int cmd_farm(struct vni_node *n, const struct cli_args *a)
{
	struct farm_ctx c = {};
	char err[VNI_ERRLEN];
	json_object *top;
	int ret;

	if (cli_flag(a, "json")) {
		c.nodes = json_object_new_array();
		c.inst = json_object_new_array();
	}
	/* nodes alive, then nodes only instances name, then the instances */
	ret = vni_farm_each(n, one_node, dead_node, &c, err);
	if (!ret)
		ret = vni_farm_each(n, no_node, one_instance, &c, err);
	if (!c.nodes)
		return ret ? cli_fail(err) : EXIT_OK;
	top = json_object_new_object();
	json_object_object_add(top, "nodes", c.nodes);
	json_object_object_add(top, "instances", c.inst);
	return cli_finish_json(top, ret, err);
}

static const struct cli_opt agent_opts[] = { { "ttl", "SECONDS", 0 }, { NULL } };
static const struct cli_opt farm_opts[] = { { "json", NULL, 0 }, { NULL } };

const struct cli_cmd cli_farm_cmds[] = {
	{ "agent", cmd_agent, agent_opts,
	  "the node's daemon in a farm (etcd registry): keeps the node alive (lease, --ttl, default 10 s), the farm's names in the hosts file, lost instances marked, fencing; until SIGTERM",
	  CLI_ROOT, NULL },
	{ "farm", cmd_farm, farm_opts,
	  "the farm as the registry has it: nodes (alive or not, since when) and every instance with its node and state",
	  CLI_ROOT, NULL },
	{ NULL },
};
