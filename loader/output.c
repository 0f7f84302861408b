// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <string.h>
#include <sys/types.h>

#include "cgroup.h"
#include "output.h"

#define MAX_PIDS_SHOWN 4096

struct pid_list {
	int n;
	pid_t pids[MAX_PIDS_SHOWN];
};

static void add_pid(pid_t pid, void *arg)
{
	struct pid_list *l = arg;

	if (l->n < MAX_PIDS_SHOWN)
		l->pids[l->n++] = pid;
}

static void collect_pids(const struct vni_record *r, struct pid_list *l)
{
	l->n = 0;
	cg_for_each_pid(r->cgroup, add_pid, l);
}

/* Field names and order of the counters, shared by table and JSON. */
#define STATS_FIELDS(X)                                                                  \
	X(bind_rewritten) X(bind_allowed) X(connect_src_set) X(send_src_set) X(denied_bind) \
	X(denied_connect) X(denied_send) X(denied_socket)

static json_object *addr_json(const struct vni_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	return a->family ? json_object_new_string(vni_addr_str(a, buf, sizeof(buf))) : NULL;
}

json_object *vni_record_json(const struct vni_record *r, const struct vni_stats *stats)
{
	json_object *o = json_object_new_object(), *pids = json_object_new_array();
	static struct pid_list l;
	int i;

	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "aid", json_object_new_int64(r->aid));
	json_object_object_add(o, "vip4", addr_json(&r->vip4));
	json_object_object_add(o, "vip6", addr_json(&r->vip6));
	json_object_object_add(o, "hostname", json_object_new_string(r->hostname));
	json_object_object_add(o, "cgroup", json_object_new_string(r->cgroup));
	json_object_object_add(o, "cgroup_id", json_object_new_uint64(r->cgroup_id));
	json_object_object_add(o, "dev", json_object_new_string(r->dev));
	json_object_object_add(o, "allow_raw",
			       json_object_new_boolean(!!(r->flags & VNI_F_ALLOW_RAW)));
	json_object_object_add(o, "created", json_object_new_int64(r->created));
	json_object_object_add(o, "status",
			       json_object_new_string(r->checkpointed ? "checkpointed" : "running"));
	collect_pids(r, &l);
	for (i = 0; i < l.n; i++)
		json_object_array_add(pids, json_object_new_int(l.pids[i]));
	json_object_object_add(o, "pids", pids);
	if (stats)
		json_object_object_add(o, "counters", vni_stats_json(stats));
	return o;
}

json_object *vni_stats_json(const struct vni_stats *s)
{
	json_object *c = json_object_new_object();

#define X(f) json_object_object_add(c, #f, json_object_new_uint64(s->f));
	STATS_FIELDS(X)
#undef X
	return c;
}

void vni_print_stats_header(FILE *f)
{
	fprintf(f, "%-16s", "NAME");
#define X(fld) fprintf(f, " %15s", #fld);
	STATS_FIELDS(X)
#undef X
	fputc('\n', f);
}

void vni_print_stats_row(FILE *f, const char *name, const struct vni_stats *s)
{
	fprintf(f, "%-16s", name);
#define X(fld) fprintf(f, " %15llu", (unsigned long long)s->fld);
	STATS_FIELDS(X)
#undef X
	fputc('\n', f);
}

void vni_print_list_header(FILE *f)
{
	fprintf(f, "%-16s %-6s %-15s %-25s %-24s %-10s %-5s %s\n", "NAME", "AID", "VIP4", "VIP6",
		"HOSTNAME", "CGROUP-ID", "PIDS", "STATUS");
}

void vni_print_list_row(FILE *f, const struct vni_record *r)
{
	char v4[INET6_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	static struct pid_list l;

	collect_pids(r, &l);
	fprintf(f, "%-16s %-6u %-15s %-25s %-24s %-10llu %-5d %s\n", r->name, r->aid,
		vni_addr_str(&r->vip4, v4, sizeof(v4)), vni_addr_str(&r->vip6, v6, sizeof(v6)),
		r->hostname, (unsigned long long)r->cgroup_id, l.n,
		r->checkpointed ? "checkpointed" : "running");
}

void vni_print_show(FILE *f, const struct vni_record *r, const struct vni_stats *stats)
{
	char v4[INET6_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	static struct pid_list l;
	int i;

	fprintf(f, "name:       %s\n", r->name);
	fprintf(f, "aid:        %u\n", r->aid);
	fprintf(f, "vip4:       %s\n", vni_addr_str(&r->vip4, v4, sizeof(v4)));
	fprintf(f, "vip6:       %s\n", vni_addr_str(&r->vip6, v6, sizeof(v6)));
	fprintf(f, "hostname:   %s\n", r->hostname);
	fprintf(f, "cgroup:     %s (id %llu)\n", r->cgroup, (unsigned long long)r->cgroup_id);
	fprintf(f, "dev:        %s\n", r->dev);
	fprintf(f, "allow-raw:  %s\n", r->flags & VNI_F_ALLOW_RAW ? "yes" : "no");
	fprintf(f, "status:     %s\n", r->checkpointed ? "checkpointed" : "running");
	collect_pids(r, &l);
	fprintf(f, "pids:      ");
	for (i = 0; i < l.n; i++)
		fprintf(f, " %d", l.pids[i]);
	fprintf(f, "%s\n", l.n ? "" : " -");
	if (!stats)
		return;
	fprintf(f, "counters:\n");
#define X(fld) fprintf(f, "  %-16s %llu\n", #fld, (unsigned long long)stats->fld);
	STATS_FIELDS(X)
#undef X
}
