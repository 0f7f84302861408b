// SPDX-License-Identifier: GPL-2.0-only
/* Commands on one instance or the list of them: attach, run, detach, list,
 * show, stats. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/print.h"
#include "core/bpfobj.h"
#include "core/instance.h"
#include "core/ops.h"
#include "core/identity.h"
#include "core/launch.h"
#include "core/mapdirs.h"
#include "core/pool.h"
#include "core/handle.h"
#include "core/service.h"
#include "sys/log.h"
#include "sys/caps.h"
#include "sys/util.h"

#define VNI_MAX_PIDS 256

int cli_parse_vips(const struct cli_args *a, struct vni_attach_req *req)
{
	static char pools[2][VNI_POOL_NAME_MAX + 1];
	char err[VNI_ERRLEN];
	const char *v;
	int i;

	for (i = 0; (v = cli_nth(a, "vip", i)); i++) {
		struct vni_addr addr;
		int family, ret;

		/* auto[/POOL], auto6[/POOL]: the registry picks one */
		ret = vni_parse_auto(v, &family, pools[i % 2], VNI_POOL_NAME_MAX + 1, err);
		if (ret < 0)
			return cli_usage_error("%s", err);
		if (ret) {
			const char **slot = family == AF_INET ? &req->pool4 : &req->pool6;

			if (*slot || (family == AF_INET ? req->vip4 : req->vip6).family)
				return cli_usage_error("more than one %s VIP",
						       family == AF_INET ? "IPv4" : "IPv6");
			*slot = pools[i % 2];
			continue;
		}
		if (vni_parse_vip(v, &addr, err))
			return cli_usage_error("%s", err);
		if ((addr.family == AF_INET ? req->vip4 : req->vip6).family ||
		    (addr.family == AF_INET ? req->pool4 : req->pool6))
			return cli_usage_error("more than one %s VIP",
					       addr.family == AF_INET ? "IPv4" : "IPv6");
		*(addr.family == AF_INET ? &req->vip4 : &req->vip6) = addr;
	}
	return -1;
}

static int parse_pids(const struct cli_args *a, struct vni_attach_req *req, int *pids)
{
	const char *v;
	char *end;
	long pid;

	for (req->npids = 0; (v = cli_nth(a, "pid", req->npids));) {
		errno = 0;
		pid = strtol(v, &end, 10);
		if (errno || *end || pid <= 0 || pid > INT_MAX)
			return cli_usage_error("invalid pid '%s'", v);
		if (req->npids == VNI_MAX_PIDS)
			return cli_usage_error("%s", "too many --pid options");
		pids[req->npids++] = (int)pid;
	}
	req->pids = pids;
	return -1;
}

/* The request attach makes of its options; -1, or the exit code. */
static int attach_request(const struct cli_args *a, struct vni_attach_req *req, int *pids)
{
	const char *aid = cli_str(a, "aid");
	char err[VNI_ERRLEN];
	int ret;

	memset(req, 0, sizeof(*req));
	req->name = cli_str(a, "cgroup");
	req->hostname = cli_str(a, "hostname");
	req->dev = cli_str(a, "dev");
	req->flags = cli_flag(a, "allow-raw") ? VNI_F_ALLOW_RAW : 0;
	if (vni_parse_loopback(cli_str(a, "loopback"), &req->flags, err))
		return cli_usage_error("%s", err);
	if ((ret = cli_parse_vips(a, req)) >= 0 || (ret = parse_pids(a, req, pids)) >= 0)
		return ret;
	if (aid && vni_parse_aid(aid, &req->aid, err))
		return cli_usage_error("%s", err);
	if ((req->name[0] != '/' && vni_check_name(req->name, err)) ||
	    (req->hostname && vni_check_hostname(req->hostname, err)))
		return cli_usage_error("%s", err);
	return -1;
}

static int cmd_attach(struct vni_node *n, const struct cli_args *a)
{
	static int pids[VNI_MAX_PIDS];
	char err[VNI_ERRLEN], v4[64], v6[64];
	struct vni_attach_req req;
	struct vni_record r;
	int ret = attach_request(a, &req, pids);

	if (ret >= 0)
		return ret;
	if (vni_attach(n, &req, &r, err))
		return cli_fail(err);
	printf("attached %s: aid %u, vip %s%s%s, hostname %s, cgroup %s\n", r.name, r.aid,
	       vni_addr_str(&r.vip4, v4, sizeof(v4)), r.vip6.family ? " " : "",
	       r.vip6.family ? vni_addr_str(&r.vip6, v6, sizeof(v6)) : "", r.hostname, r.cgroup);
	return EXIT_OK;
}

/* Looks an instance up (the node lock is held only for the lookup). run:
 * interrupted operations are finished or undone first, and the instance
 * must be whole; monitor only reads. */
int cli_find_instance(struct vni_node *n, const char *name, bool for_run, struct vni_record *r,
		      struct vni_state **keep, char *err)
{
	struct vni_state *st;
	int ret;

	if (access(n->state_dir, F_OK))
		return vni_err(err, -ENOENT, "no instance named '%s'", name);
	ret = for_run ? vni_node_open(n, false, &st, err) :
			vni_state_open(n->state_dir, false, &st, err);
	if (ret)
		return ret;
	ret = vni_state_get(st, name, r, err);
	if (ret == 0)
		ret = vni_err(err, -ENOENT, "no instance named '%s'", name);
	else if (ret > 0 && for_run && r->checkpointed)
		ret = vni_err(err, -ENOENT, "instance %s is checkpointed; restore it first", name);
	else if (ret > 0 && for_run && r->phase != VNI_READY)
		ret = vni_err(err, -EAGAIN,
			      "instance %s is not ready (its %s was interrupted); run 'vnictl sync'",
			      name, r->phase == VNI_ATTACHING ? "attach" : "detach");
	else if (ret > 0)
		ret = 0;
	if (!ret && keep && for_run)
		*keep = st;
	else
		vni_state_close(st);
	return ret;
}

/* --cap-add, --cap-drop (and --keep-net-caps: add NET_RAW and NET_ADMIN); -1 or
 * the exit code. */
static int run_caps(const struct cli_args *a, uint64_t *kept)
{
	struct vni_caps c = { 0 };
	char err[VNI_ERRLEN];
	const char *v;
	int i;

	for (i = 0; (v = cli_nth(a, "cap-add", i)); i++)
		if (vni_caps_name(v, &c.add, err))
			return cli_usage_error("%s", err);
	for (i = 0; (v = cli_nth(a, "cap-drop", i)); i++)
		if (vni_caps_name(v, &c.drop, err))
			return cli_usage_error("%s", err);
	if (cli_flag(a, "keep-net-caps"))
		c.add |= VNI_CAPS_NET;
	if (vni_caps_load(err))
		return cli_fail(err);
	*kept = vni_caps_kept(&c);
	return -1;
}

/* The maps of a run (--map), resolved for r, made and recorded; st (the
 * node lock) is closed. -1, or the exit code. */
static int run_maps(struct vni_state *st, const struct vni_record *r, const struct vni_map *maps,
		    unsigned nmaps, struct vni_launch *l, struct vni_made *made)
{
	char err[VNI_ERRLEN];
	uid_t uid;
	gid_t gid;
	int ret = vni_launch_owner(l, &uid, &gid, err);

	if (!ret && (ret = vni_maps_make(st, r, maps, nmaps, uid, gid, made, err)) && ret != -EIO)
		ret = -EINVAL; /* the map is bad for this instance, or its PATH cannot be */
	vni_state_close(st);
	if (ret)
		return ret == -EINVAL ? cli_usage_error("%s", err) : cli_fail(err);
	l->binds = made->binds;
	l->nbinds = made->n;
	return -1;
}

static int cmd_run(struct vni_node *n, const struct cli_args *a)
{
	struct vni_launch l = { .user = cli_str(a, "user"), .userns = cli_flag(a, "userns") };
	static struct vni_made made; /* (large) */
	char identity[VNI_IDENTITY_MAX];
	struct vni_map maps[VNI_MAPS_MAX];
	struct vni_state *st = NULL;
	char err[VNI_ERRLEN];
	struct vni_record r;
	unsigned nmaps = 0;
	const char *v;
	int i, ret;

	if (!a->nrest)
		return cli_usage_error("%s", "run needs a command");
	if ((ret = run_caps(a, &l.caps)) >= 0)
		return ret;
	for (i = 0; (v = cli_nth(a, "map", i)); i++)
		if (vni_map_add(maps, &nmaps, v, err))
			return cli_usage_error("%s", err);
	if (cli_find_instance(n, cli_str(a, "cgroup"), true, &r, nmaps ? &st : NULL, err))
		return cli_fail(err);
	if (nmaps && (ret = run_maps(st, &r, maps, nmaps, &l, &made)) >= 0)
		return ret;
	l.cgroup = r.cgroup;
	l.hostname = r.hostname;
	vni_identity_text(&r, identity, sizeof(identity));
	l.identity = identity;
	l.argv = a->rest;
	ret = vni_launch(&l, err);
	if (ret < 0 && nmaps)
		vni_maps_unmake(n, &made);
	return ret < 0 ? cli_fail(err) : ret;
}

static int cmd_detach(struct vni_node *n, const struct cli_args *a)
{
	const char *name = cli_str(a, "cgroup");
	char err[VNI_ERRLEN];

	if (vni_detach(n, name, cli_flag(a, "force"), err))
		return cli_fail(err);
	printf("detached %s\n", name);
	return EXIT_OK;
}

/* Read commands on a node with no state yet show an empty node. */
int cli_open_for_read(struct vni_node *n, struct vni_state **st, char *err)
{
	if (access(n->state_dir, F_OK)) {
		*st = NULL;
		return 0;
	}
	return vni_state_open(n->state_dir, false, st, err);
}

static int list_one(const struct vni_record *r, void *arg)
{
	json_object *array = arg;

	if (array)
		json_object_array_add(array, vni_record_json(r, NULL));
	else
		vni_print_list_row(stdout, r);
	return 0;
}

static int cmd_list(struct vni_node *n, const struct cli_args *a)
{
	json_object *array = cli_flag(a, "json") ? json_object_new_array() : NULL;
	struct vni_state *st;
	char err[VNI_ERRLEN];
	int ret = 0;

	if (cli_open_for_read(n, &st, err)) {
		json_object_put(array);
		return cli_fail(err);
	}
	if (!array)
		vni_print_list_header(stdout);
	if (st)
		ret = vni_state_each(st, list_one, array, err);
	vni_state_close(st);
	if (array)
		return cli_finish_json(array, ret, err);
	return ret ? cli_fail(err) : EXIT_OK;
}

/* The record and counters of instance name; 0, or the exit code. */
static int read_instance(struct vni_node *n, const char *name, struct vni_record *r,
			 struct vni_stats *stats)
{
	struct vni_state *st;
	char err[VNI_ERRLEN];
	int ret;

	if (cli_open_for_read(n, &st, err))
		return cli_fail(err);
	ret = st ? vni_state_get(st, name, r, err) : 0;
	vni_state_close(st);
	if (ret == 0)
		vni_err(err, -ENOENT, "no instance named '%s'", name);
	if (ret <= 0)
		return cli_fail(err);
	memset(stats, 0, sizeof(*stats));
	if (!r->checkpointed && vni_bpf_stats(n, r->cgroup_id, stats, err))
		return cli_fail(err);
	return 0;
}

static int cmd_show(struct vni_node *n, const struct cli_args *a)
{
	struct vni_stats stats;
	struct vni_record r;
	int ret = read_instance(n, cli_str(a, "cgroup"), &r, &stats);

	if (ret)
		return ret;
	if (cli_flag(a, "json"))
		return cli_finish_json(vni_record_json(&r, &stats), 0, NULL);
	vni_print_show(stdout, &r, &stats);
	return EXIT_OK;
}

struct stats_ctx {
	struct vni_node *n;
	json_object *array;
	char *err;
	bool header_done;
	json_object *members; /* instance -> [{service, dispatched}] */
};

/* Per member of each service: what the dispatcher handed it. */
static int stats_service(const struct vni_service *svc, const struct vni_service_view *v,
			 void *arg)
{
	struct stats_ctx *c = arg;
	json_object *list, *o;
	unsigned i;

	for (i = 0; i < svc->nmembers; i++) {
		if (!json_object_object_get_ex(c->members, svc->members[i].instance, &list)) {
			list = json_object_new_array();
			json_object_object_add(c->members, svc->members[i].instance, list);
		}
		o = json_object_new_object();
		json_object_object_add(o, "service", json_object_new_string(svc->name));
		json_object_object_add(o, svc->proto == 17 ? "datagrams" : "connections",
				       json_object_new_uint64(v[i].dispatched));
		json_object_array_add(list, o);
	}
	return 0;
}

/* Text: a line per membership under the counters. */
static void print_member_stats(const struct stats_ctx *c)
{
	bool header = false;
	size_t i;

	json_object_object_foreach(c->members, inst, list) {
		for (i = 0; i < json_object_array_length(list); i++) {
			json_object *o = json_object_array_get_idx(list, i), *svc, *count;

			if (!header)
				printf("\n%-32s %-20s %12s\n", "MEMBER", "SERVICE", "DISPATCHED");
			header = true;
			json_object_object_get_ex(o, "service", &svc);
			if (!json_object_object_get_ex(o, "connections", &count))
				json_object_object_get_ex(o, "datagrams", &count);
			printf("%-32s %-20s %12llu\n", inst, json_object_get_string(svc),
			       (unsigned long long)json_object_get_uint64(count));
		}
	}
}

static int stats_one(const struct vni_record *r, void *arg)
{
	struct stats_ctx *c = arg;
	struct vni_stats s = {};

	if (!r->checkpointed && vni_bpf_stats(c->n, r->cgroup_id, &s, c->err))
		return -EIO;
	if (c->array) {
		json_object *o = json_object_new_object();

		json_object *svcs;

		json_object_object_add(o, "name", json_object_new_string(r->name));
		json_object_object_add(o, "counters", vni_stats_json(&s));
		if (json_object_object_get_ex(c->members, r->name, &svcs))
			json_object_object_add(o, "services", json_object_get(svcs));
		json_object_array_add(c->array, o);
	} else {
		if (!c->header_done)
			vni_print_stats_header(stdout);
		c->header_done = true;
		vni_print_stats_row(stdout, r->name, &s);
	}
	return 0;
}

static int cmd_stats(struct vni_node *n, const struct cli_args *a)
{
	const char *name = cli_str(a, "cgroup");
	char err[VNI_ERRLEN];
	struct stats_ctx ctx = { n, NULL, err, false, json_object_new_object() };
	struct vni_state *st;
	struct vni_record r;
	int ret = 0;

	if (cli_open_for_read(n, &st, err)) {
		json_object_put(ctx.members);
		return cli_fail(err);
	}
	if (cli_flag(a, "json"))
		ctx.array = json_object_new_array();
	if (st && vni_service_each(n, st, NULL, stats_service, &ctx, err))
		vni_log(VNI_LOG_WARN, "cannot read the services: %s", err);
	if (name) {
		ret = st ? vni_state_get(st, name, &r, err) : 0;
		if (ret == 0)
			ret = vni_err(err, -ENOENT, "no instance named '%s'", name);
		else if (ret == 1)
			ret = stats_one(&r, &ctx);
	} else if (st) {
		ret = vni_state_each(st, stats_one, &ctx, err);
	}
	vni_state_close(st);
	if (!ret && !ctx.array)
		print_member_stats(&ctx);
	json_object_put(ctx.members);
	if (ctx.array)
		return cli_finish_json(ctx.array, ret, err);
	return ret ? cli_fail(err) : EXIT_OK;
}

static const struct cli_opt attach_opts[] = {
	{ "cgroup", "NAME", CLI_REQUIRED },
	{ "vip", "ADDR|auto[/POOL]", CLI_REQUIRED | CLI_MANY },
	{ "hostname", "HOST", 0 },
	{ "aid", "AID", 0 },
	{ "dev", "IFACE", 0 },
	{ "allow-raw", NULL, 0 },
	{ "loopback", "shared|private", 0 },
	{ "pid", "PID", CLI_MANY },
	{ NULL },
};
static const struct cli_opt run_opts[] = {
	{ "cgroup", "NAME", CLI_REQUIRED },
	{ "user", "USER", 0 },
	{ "userns", NULL, 0 },
	{ "cap-add", "CAP", CLI_MANY },
	{ "cap-drop", "CAP", CLI_MANY },
	{ "keep-net-caps", NULL, 0 },
	{ "map", "PATH=SOURCE", CLI_MANY },
	{ NULL },
};
static const struct cli_opt detach_opts[] = {
	{ "cgroup", "NAME", CLI_REQUIRED },
	{ "force", NULL, 0 },
	{ NULL },
};
static const struct cli_opt list_opts[] = { { "json", NULL, 0 }, { NULL } };
static const struct cli_opt show_opts[] = {
	{ "cgroup", "NAME", CLI_REQUIRED },
	{ "json", NULL, 0 },
	{ NULL },
};
static const struct cli_opt stats_opts[] = {
	{ "cgroup", "NAME", 0 },
	{ "json", NULL, 0 },
	{ NULL },
};

const struct cli_cmd cli_instance_cmds[] = {
	{ "attach", cmd_attach, attach_opts,
	  "create an instance with its virtual identity (at most one IPv4 and one IPv6 VIP)",
	  CLI_ROOT, NULL },
	{ "run", cmd_run, run_opts,
	  "run CMD in the instance (own PID, UTS, IPC, mount and cgroup namespaces, the virtual hostname, a container's capabilities; --userns: root inside is unprivileged outside); exits with its status",
	  CLI_ROOT | CLI_TRAILING, NULL },
	{ "detach", cmd_detach, detach_opts, "remove an instance (--force: kill its processes)",
	  CLI_ROOT, NULL },
	{ "list", cmd_list, list_opts, "list instances", CLI_ROOT, NULL },
	{ "show", cmd_show, show_opts, "one instance with its counters", CLI_ROOT, NULL },
	{ "stats", cmd_stats, stats_opts, "per-instance counters kept by the BPF programs",
	  CLI_ROOT, NULL },
	{ NULL },
};
