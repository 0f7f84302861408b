// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sys/cgroup.h"
#include "core/instance.h"
#include "cli/print.h"

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

/* The private address (or null): where wildcard sockets of the family
 * without a VIP land. An instance with both VIPs has none. */
static json_object *private_json(const struct vni_record *r)
{
	struct vni_owned own[2];
	int i;

	vni_owned_addrs(r, own);
	for (i = 0; i < 2; i++)
		if (own[i].private)
			return addr_json(&own[i].a);
	return NULL;
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
	json_object_object_add(o, "private", private_json(r));
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
	json_object *priv;
	static struct pid_list l;
	int i;

	fprintf(f, "name:       %s\n", r->name);
	fprintf(f, "aid:        %u\n", r->aid);
	fprintf(f, "vip4:       %s\n", vni_addr_str(&r->vip4, v4, sizeof(v4)));
	fprintf(f, "vip6:       %s\n", vni_addr_str(&r->vip6, v6, sizeof(v6)));
	priv = private_json(r);
	fprintf(f, "private:    %s\n", priv ? json_object_get_string(priv) : "-");
	json_object_put(priv);
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

static const char *const op_names[] = {
	[VNI_OP_BIND] = "bind",		  [VNI_OP_CONNECT] = "connect",
	[VNI_OP_SEND] = "send",		  [VNI_OP_SOCKET] = "socket",
	[VNI_OP_GUARD_BIND] = "guard_bind", [VNI_OP_GUARD_SEND] = "guard_send",
	[VNI_OP_PACKET] = "packet",
};

static const char *op_name(__u32 op)
{
	return op < sizeof(op_names) / sizeof(op_names[0]) && op_names[op] ? op_names[op] :
									   "unknown";
}

/* socket and packet events name a socket kind; the others an address. */
static bool event_has_addr(const struct vni_event *e)
{
	return e->op != VNI_OP_SOCKET && e->op != VNI_OP_PACKET;
}

static const char *family_name(__u32 family, char *buf, size_t n)
{
	if (family == AF_INET)
		return "inet";
	if (family == AF_INET6)
		return "inet6";
	if (family == AF_PACKET)
		return "packet";
	snprintf(buf, n, "%u", family);
	return buf;
}

static const char *type_name(__u16 type, char *buf, size_t n)
{
	static const char *const names[] = { [SOCK_STREAM] = "stream", [SOCK_DGRAM] = "dgram",
					     [SOCK_RAW] = "raw", [SOCK_RDM] = "rdm",
					     [SOCK_SEQPACKET] = "seqpacket" };

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	snprintf(buf, n, "%u", type);
	return buf;
}

static const char *event_addr(const struct vni_event *e, char *buf, size_t n)
{
	struct vni_addr a = { .family = (int)e->family };

	memcpy(a.a, e->addr, sizeof(a.a));
	return vni_addr_str(&a, buf, n);
}

/* 2026-11-25T19:20:01.123Z */
static const char *iso_time(const struct timespec *t, char *buf, size_t n)
{
	struct tm tm;
	size_t len;

	gmtime_r(&t->tv_sec, &tm);
	len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + len, n - len, ".%03ldZ", t->tv_nsec / 1000000);
	return buf;
}

json_object *vni_event_json(const struct vni_event *e, const char *name,
			    const struct timespec *wall)
{
	json_object *o = json_object_new_object();
	char comm[sizeof(e->comm) + 1] = "", buf[INET6_ADDRSTRLEN];
	bool addr = event_has_addr(e);

	memcpy(comm, e->comm, sizeof(e->comm));
	json_object_object_add(o, "time", json_object_new_string(iso_time(wall, buf, sizeof(buf))));
	json_object_object_add(o, "instance", name ? json_object_new_string(name) : NULL);
	json_object_object_add(o, "cgroup_id", json_object_new_uint64(e->cgid));
	json_object_object_add(o, "aid", json_object_new_int64(e->aid));
	json_object_object_add(o, "pid", json_object_new_int64(e->pid));
	json_object_object_add(o, "comm", json_object_new_string(comm));
	json_object_object_add(o, "op", json_object_new_string(op_name(e->op)));
	json_object_object_add(o, "family",
			       json_object_new_string(family_name(e->family, buf, sizeof(buf))));
	json_object_object_add(o, "address",
			       addr ? json_object_new_string(event_addr(e, buf, sizeof(buf))) : NULL);
	json_object_object_add(o, "port", addr ? json_object_new_int(e->port) : NULL);
	json_object_object_add(o, "type", addr ? NULL :
				json_object_new_string(type_name(e->type, buf, sizeof(buf))));
	json_object_object_add(o, "protocol", addr ? NULL : json_object_new_int(e->protocol));
	return o;
}

/* comm is the task's to choose: keep the line one line of fields. */
static void print_comm(FILE *f, const char *comm, size_t n)
{
	size_t i;

	for (i = 0; i < n && comm[i]; i++)
		fputc(comm[i] > ' ' && comm[i] < 0x7f ? comm[i] : '?', f);
}

void vni_print_event(FILE *f, const struct vni_event *e, const char *name,
		     const struct timespec *wall)
{
	char t[40], a[INET6_ADDRSTRLEN], fam[16], type[16];

	fprintf(f, "%s ", iso_time(wall, t, sizeof(t)));
	if (name)
		fprintf(f, "%s", name);
	else
		fprintf(f, "cgid=%llu", (unsigned long long)e->cgid);
	fprintf(f, " aid=%u pid=%u comm=", e->aid, e->pid);
	print_comm(f, e->comm, sizeof(e->comm));
	fprintf(f, " %s ", op_name(e->op));
	if (!event_has_addr(e))
		fprintf(f, "%s %s proto=%u", family_name(e->family, fam, sizeof(fam)),
			type_name(e->type, type, sizeof(type)), e->protocol);
	else if (e->family == AF_INET6)
		fprintf(f, "[%s]:%u", event_addr(e, a, sizeof(a)), e->port);
	else
		fprintf(f, "%s:%u", event_addr(e, a, sizeof(a)), e->port);
	fprintf(f, " refused\n");
}
