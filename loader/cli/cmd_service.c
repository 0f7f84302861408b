// SPDX-License-Identifier: GPL-2.0-only
/* vnictl service add|del|add-member|del-member|list|show: service
 * addresses (core/service.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/service.h"
#include "core/svcbuild.h"
#include "core/validate.h"
#include "sys/util.h"

#define MAX_NAMES 64

/* "10.0.0.100:80" or "[2001:db8::100]:80": -1 when fine, else the exit
 * code of a usage error. */
static int parse_addr_port(const char *s, struct vni_service_req *req)
{
	char host[128], err[VNI_ERRLEN], *end;
	const char *colon = strrchr(s, ':');
	unsigned long port;
	size_t len;

	if (!colon || colon == s)
		return cli_usage_error("--addr %s: need ADDR:PORT ([ADDR]:PORT for IPv6)", s);
	len = (size_t)(colon - s);
	if (s[0] == '[') {
		if (len < 3 || s[len - 1] != ']')
			return cli_usage_error("--addr %s: need [ADDR]:PORT for IPv6", s);
		s++;
		len -= 2;
	} else if (memchr(s, ':', len)) {
		return cli_usage_error("--addr %s: write an IPv6 address as [ADDR]:PORT", s);
	}
	if (len >= sizeof(host))
		return cli_usage_error("--addr %s: address too long", s);
	memcpy(host, s, len);
	host[len] = '\0';
	if (vni_parse_vip(host, &req->addr, err))
		return cli_usage_error("--addr: %s", err);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || colon[1] < '0' || colon[1] > '9' || errno || port < 1 ||
	    port > 65535)
		return cli_usage_error("--addr: port '%s' is not 1-65535", colon + 1);
	req->port = (uint16_t)port;
	return -1;
}

/* The --instance values; -1, or the exit code. */
static int instances(const struct cli_args *a, const char *names[MAX_NAMES], int *count,
		     bool needed)
{
	char err[VNI_ERRLEN];
	const char *v;

	for (*count = 0; (v = cli_nth(a, "instance", *count)); (*count)++) {
		if (*count == MAX_NAMES)
			return cli_usage_error("at most %s --instance", "64");
		names[*count] = v;
	}
	if (needed && !*count)
		return cli_usage_error("service %s needs --instance NAME", a->rest[0]);
	(void)err;
	return -1;
}

static int cmd_add(struct vni_node *n, const struct cli_args *a)
{
	const char *names[MAX_NAMES], *proto = cli_str(a, "proto"), *addr = cli_str(a, "addr");
	struct vni_service_req req = { .name = cli_str(a, "name"), .dev = cli_str(a, "dev") };
	char err[VNI_ERRLEN];
	int ret;

	if (!addr)
		return cli_usage_error("%s", "service add needs --addr ADDR:PORT");
	if (vni_check_name(req.name, err))
		return cli_usage_error("--name: %s", err);
	if ((ret = parse_addr_port(addr, &req)) >= 0)
		return ret;
	if (!proto || !strcmp(proto, "tcp"))
		req.proto = 6;
	else if (!strcmp(proto, "udp"))
		req.proto = 17;
	else
		return cli_usage_error("--proto %s: must be tcp or udp", proto);
	if ((ret = instances(a, names, &req.ninstances, true)) >= 0)
		return ret;
	req.instances = names;
	if (vni_service_add(n, &req, err))
		return cli_fail(err);
	printf("service %s: %s/%s, %d member%s\n", req.name, addr, proto ? proto : "tcp",
	       req.ninstances, req.ninstances == 1 ? "" : "s");
	return EXIT_OK;
}

static int cmd_members(struct vni_node *n, const struct cli_args *a, bool add)
{
	const char *names[MAX_NAMES], *name = cli_str(a, "name");
	char err[VNI_ERRLEN];
	int ret, count;

	if ((ret = instances(a, names, &count, true)) >= 0)
		return ret;
	if (vni_service_members(n, name, names, count, add, err))
		return cli_fail(err);
	printf("service %s: %d member%s %s\n", name, count, count == 1 ? "" : "s",
	       add ? "added" : "removed");
	return EXIT_OK;
}

static const char *status_of(const struct vni_service_view *v)
{
	return !v->running ? "not running" : v->sockets ? "serving" : "not listening";
}

static json_object *service_json(const struct vni_service *svc, const struct vni_service_view *v)
{
	json_object *o = json_object_new_object(), *ms = json_object_new_array();
	char ip[INET6_ADDRSTRLEN];
	unsigned i;

	json_object_object_add(o, "name", json_object_new_string(svc->name));
	json_object_object_add(o, "addr", json_object_new_string(vni_addr_str(&svc->addr, ip, sizeof(ip))));
	json_object_object_add(o, "port", json_object_new_int(svc->port));
	json_object_object_add(o, "proto", json_object_new_string(VNI_SVC_PROTO_NAME(svc->proto)));
	json_object_object_add(o, "dev", json_object_new_string(svc->dev));
	json_object_object_add(o, "id", json_object_new_int((int)svc->id));
	json_object_object_add(o, "status", json_object_new_string(vni_phase_name(svc->phase)));
	json_object_object_add(o, "created", json_object_new_int64(svc->created));
	for (i = 0; i < svc->nmembers; i++) {
		json_object *m = json_object_new_object();

		json_object_object_add(m, "instance", json_object_new_string(svc->members[i].instance));
		json_object_object_add(m, "slot", json_object_new_int((int)svc->members[i].slot));
		json_object_object_add(m, "status", json_object_new_string(status_of(&v[i])));
		json_object_object_add(m, "sockets", json_object_new_int(v[i].sockets));
		json_object_object_add(m, "dispatched", json_object_new_uint64(v[i].dispatched));
		json_object_array_add(ms, m);
	}
	json_object_object_add(o, "members", ms);
	return o;
}

struct print_ctx {
	json_object *array; /* --json: the services */
	bool show;          /* one service, its members one per line */
};

static int print_one(const struct vni_service *svc, const struct vni_service_view *v, void *arg)
{
	struct print_ctx *c = arg;
	char where[80];
	unsigned i;

	if (c->array) {
		json_object_array_add(c->array, service_json(svc, v));
		return 0;
	}
	vni_svc_addr_str(svc, where, sizeof(where));
	if (!c->show) {
		unsigned serving = 0;

		for (i = 0; i < svc->nmembers; i++)
			serving += v[i].running && v[i].sockets;
		printf("%-20s %-44s %-5s %7u %8u %s\n", svc->name, where,
		       VNI_SVC_PROTO_NAME(svc->proto), svc->nmembers, serving,
		       vni_phase_name(svc->phase));
		return 0;
	}
	printf("service:    %s\naddress:    %s/%s (on %s)\nstatus:     %s\nmembers:    %u\n",
	       svc->name, where, VNI_SVC_PROTO_NAME(svc->proto), svc->dev,
	       vni_phase_name(svc->phase), svc->nmembers);
	if (svc->nmembers)
		printf("  %-32s %4s %-14s %7s %12s\n", "INSTANCE", "SLOT", "STATUS", "SOCKETS",
		       svc->proto == 17 ? "DATAGRAMS" : "CONNECTIONS");
	for (i = 0; i < svc->nmembers; i++)
		printf("  %-32s %4u %-14s %7d %12llu\n", svc->members[i].instance,
		       svc->members[i].slot, status_of(&v[i]), v[i].sockets,
		       (unsigned long long)v[i].dispatched);
	return 0;
}

static int cmd_print(struct vni_node *n, const struct cli_args *a, bool show)
{
	struct print_ctx c = { cli_flag(a, "json") ? json_object_new_array() : NULL, show };
	const char *name = show ? cli_str(a, "name") : NULL;
	char err[VNI_ERRLEN];
	struct vni_state *st;
	json_object *one;
	int ret;

	if (cli_open_for_read(n, &st, err)) {
		json_object_put(c.array);
		return cli_fail(err);
	}
	if (!c.array && !show)
		printf("%-20s %-44s %-5s %7s %8s %s\n", "NAME", "ADDRESS", "PROTO", "MEMBERS",
		       "SERVING", "STATUS");
	ret = vni_service_each(n, st, name, print_one, &c, err);
	if (!st && name)
		ret = vni_err(err, -ENOENT, "no service named '%s'", name);
	vni_state_close(st);
	if (!c.array)
		return ret ? cli_fail(err) : EXIT_OK;
	if (show && !ret) { /* one object, as 'show --json' of an instance */
		one = json_object_get(json_object_array_get_idx(c.array, 0));
		json_object_put(c.array);
		c.array = one;
	}
	return cli_finish_json(c.array, ret, err);
}

/* Which options each word takes (the table has one row for 'service'). */
static int check_opts(const struct cli_args *a, const char *what, const char *const allowed[])
{
	int i, j;

	for (i = 0; i < a->n; i++) {
		for (j = 0; allowed[j] && strcmp(allowed[j], a->v[i].name); j++)
			;
		if (!allowed[j]) {
			char msg[96];

			snprintf(msg, sizeof(msg), "service %s takes no --%s", what, a->v[i].name);
			return cli_usage_error("%s", msg);
		}
	}
	return -1;
}

static int cmd_service(struct vni_node *n, const struct cli_args *a)
{
	static const char *const add_opts[] = { "name", "addr", "proto", "dev", "instance", NULL };
	static const char *const member_opts[] = { "name", "instance", NULL };
	static const char *const name_opts[] = { "name", NULL };
	static const char *const list_opts[] = { "json", NULL };
	static const char *const show_opts[] = { "name", "json", NULL };
	const char *what = a->nrest ? a->rest[0] : "";
	const char *const *allowed = !strcmp(what, "add")			  ? add_opts :
				     !strcmp(what, "add-member") || !strcmp(what, "del-member") ? member_opts :
				     !strcmp(what, "del")				  ? name_opts :
				     !strcmp(what, "list")				  ? list_opts :
				     !strcmp(what, "show")				  ? show_opts :
											    NULL;
	int ret;

	if (!allowed)
		return cli_usage_error("service needs add, del, add-member, del-member, list or show, not '%s'",
				       what);
	if (a->nrest != 1)
		return cli_usage_error("service %s takes no further words", what);
	if ((ret = check_opts(a, what, allowed)) >= 0)
		return ret;
	if (allowed != list_opts && !cli_str(a, "name"))
		return cli_usage_error("service %s needs --name SVC", what);
	if (!strcmp(what, "add"))
		return cmd_add(n, a);
	if (!strcmp(what, "del")) {
		char err[VNI_ERRLEN];

		if (vni_service_del(n, cli_str(a, "name"), err))
			return cli_fail(err);
		printf("service %s: removed\n", cli_str(a, "name"));
		return EXIT_OK;
	}
	if (!strcmp(what, "add-member") || !strcmp(what, "del-member"))
		return cmd_members(n, a, what[0] == 'a');
	return cmd_print(n, a, allowed == show_opts);
}

static const struct cli_opt service_opts[] = {
	{ "name", "SVC", 0 },
	{ "addr", "ADDR:PORT", 0 },
	{ "proto", "tcp|udp", 0 },
	{ "dev", "IFACE", 0 },
	{ "instance", "NAME", CLI_MANY },
	{ "json", NULL, 0 },
	{ NULL },
};

const struct cli_cmd cli_service_cmds[] = {
	{ "service", cmd_service, service_opts,
	  "service addresses: one ADDR:PORT served by several instances, each connection or UDP flow handed in the kernel to one member listening on its own VIP at PORT",
	  CLI_ROOT | CLI_WORDS, "add|del|add-member|del-member|list|show" },
	{ NULL },
};
