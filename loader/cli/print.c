// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sys/cgroup.h"
#include "core/instance.h"
#include "core/park.h"
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

/*
 * One printer serves both outputs (iproute2's print_*(PRINT_ANY, ...)): with
 * p->obj set, a field is a key of that JSON object; otherwise its value is
 * printed with the format of the text view. PR_JSON and PR_TEXT fields
 * appear in one of them only.
 */
enum pr_where { PR_ANY, PR_JSON, PR_TEXT };

struct pr {
	FILE *f;
	json_object *obj; /* JSON mode */
	bool table;       /* text: one table row (list, stats), else key: value lines (show) */
};

/* v NULL: JSON null, "-" in text. */
static void pr_str(struct pr *p, enum pr_where w, const char *key, const char *fmt,
		   const char *v)
{
	if (p->obj && w != PR_TEXT)
		json_object_object_add(p->obj, key, v ? json_object_new_string(v) : NULL);
	else if (!p->obj && w != PR_JSON && fmt)
		fprintf(p->f, fmt, v ? v : "-");
}

static void pr_u64(struct pr *p, enum pr_where w, const char *key, const char *fmt,
		   unsigned long long v)
{
	if (p->obj && w != PR_TEXT)
		json_object_object_add(p->obj, key, json_object_new_uint64(v));
	else if (!p->obj && w != PR_JSON && fmt)
		fprintf(p->f, fmt, v);
}

static void pr_bool(struct pr *p, const char *key, const char *fmt, bool v)
{
	if (p->obj)
		json_object_object_add(p->obj, key, json_object_new_boolean(v));
	else if (fmt)
		fprintf(p->f, fmt, v ? "yes" : "no");
}

/* The text format of the table row or of the key: value line. */
#define VIEW(p, table_fmt, kv_fmt) ((p)->table ? (table_fmt) : (kv_fmt))

static const char *addr_or_null(const struct vni_addr *a, char *buf, size_t n)
{
	return a->family ? vni_addr_str(a, buf, n) : NULL;
}

/* The private address: where wildcard sockets of the family without a VIP
 * land (docs/enforcement.md); NULL with both VIPs. */
static const char *private_addr(const struct vni_record *r, char *buf, size_t n)
{
	struct vni_owned own[VNI_OWNED_MAX];
	int i;

	vni_owned_addrs(r, own);
	for (i = 0; i < VNI_OWNED_MAX; i++)
		if (own[i].private)
			return vni_addr_str(&own[i].a, buf, n);
	if (vni_record_parks(r)) { /* where its v6-only wildcard sockets go */
		struct vni_addr pa;

		vni_park_addr(&pa);
		return vni_addr_str(&pa, buf, n);
	}
	return NULL;
}

static void pr_counters(struct pr *p, const struct vni_stats *s)
{
	struct pr sub = { p->f, p->obj ? json_object_new_object() : NULL, p->table };

	if (!p->table && !p->obj)
		fprintf(p->f, "counters:\n");
#define X(fld)                                                                           \
	if (!sub.obj && !sub.table)                                                      \
		fprintf(p->f, "  %-16s %llu\n", #fld, (unsigned long long)s->fld);       \
	else                                                                             \
		pr_u64(&sub, PR_ANY, #fld, " %15llu", s->fld);
	STATS_FIELDS(X)
#undef X
	if (p->obj)
		json_object_object_add(p->obj, "counters", sub.obj);
}

/* Its maps (vnictl run --map): as given and resolved (null when that
 * fails); show has a line each, a table row none. */
static void pr_maps(struct pr *p, const struct vni_record *r)
{
	json_object *maps = p->obj ? json_object_new_array() : NULL;
	char resolved[PATH_MAX];
	unsigned i;

	if (p->table)
		return;
	for (i = 0; i < r->nmaps; i++) {
		const struct vni_map *m = &r->maps[i];
		bool ok = !vni_map_resolve(m, r, resolved, sizeof(resolved), NULL);

		if (maps) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "path", json_object_new_string(m->path));
			json_object_object_add(o, "source", json_object_new_string(m->source));
			json_object_object_add(o, "resolved",
					       ok ? json_object_new_string(resolved) : NULL);
			json_object_array_add(maps, o);
		} else {
			fprintf(p->f, "map:        %s=%s (%s)\n", m->path, m->source,
				ok ? resolved : "-");
		}
	}
	if (maps)
		json_object_object_add(p->obj, "maps", maps);
}

/* One instance: list (table row), show (key: value lines, with counters). */
static void pr_record(struct pr *p, const struct vni_record *r, const struct vni_stats *stats)
{
	char v4[INET6_ADDRSTRLEN], v6[INET6_ADDRSTRLEN], priv[INET6_ADDRSTRLEN];
	json_object *pids = p->obj ? json_object_new_array() : NULL;
	static struct pid_list l;
	int i;

	pr_str(p, PR_ANY, "name", VIEW(p, "%-16s ", "name:       %s\n"), r->name);
	pr_u64(p, PR_ANY, "aid", VIEW(p, "%-6llu ", "aid:        %llu\n"), r->aid);
	pr_str(p, PR_ANY, "vip4", VIEW(p, "%-15s ", "vip4:       %s\n"),
	       addr_or_null(&r->vip4, v4, sizeof(v4)));
	pr_str(p, PR_ANY, "vip6", VIEW(p, "%-25s ", "vip6:       %s\n"),
	       addr_or_null(&r->vip6, v6, sizeof(v6)));
	pr_str(p, PR_ANY, "hostname", VIEW(p, "%-24s ", "hostname:   %s\n"), r->hostname);
	pr_str(p, PR_ANY, "cgroup", VIEW(p, NULL, "cgroup:     %s"), r->cgroup);
	pr_u64(p, PR_ANY, "cgroup_id", VIEW(p, "%-10llu ", " (id %llu)\n"), r->cgroup_id);
	pr_str(p, PR_ANY, "dev", VIEW(p, NULL, "dev:        %s\n"), r->dev);
	pr_bool(p, "allow_raw", VIEW(p, NULL, "allow-raw:  %s\n"), r->flags & VNI_F_ALLOW_RAW);
	pr_str(p, PR_ANY, "loopback", VIEW(p, NULL, "loopback:   %s\n"),
	       r->flags & VNI_F_PRIVATE_LO ? "private" : "shared");
	pr_u64(p, PR_JSON, "created", NULL, (unsigned long long)r->created);
	pr_str(p, PR_ANY, "private", VIEW(p, NULL, "private:    %s\n"),
	       private_addr(r, priv, sizeof(priv)));
	collect_pids(r, &l);
	if (pids) {
		for (i = 0; i < l.n; i++)
			json_object_array_add(pids, json_object_new_int(l.pids[i]));
		json_object_object_add(p->obj, "pids", pids);
	} else if (p->table) {
		fprintf(p->f, "%-5d ", l.n);
	} else {
		fprintf(p->f, "pids:      ");
		for (i = 0; i < l.n; i++)
			fprintf(p->f, " %d", l.pids[i]);
		fprintf(p->f, "%s\n", l.n ? "" : " -");
	}
	pr_maps(p, r);
	pr_str(p, PR_ANY, "template", VIEW(p, NULL, "template:   %s\n"),
	       r->template[0] ? r->template : NULL);
	pr_str(p, PR_ANY, "status", VIEW(p, "%s\n", "status:     %s\n"),
	       r->checkpointed ? "checkpointed" : "running");
	if (stats)
		pr_counters(p, stats);
}

json_object *vni_record_json(const struct vni_record *r, const struct vni_stats *stats)
{
	struct pr p = { NULL, json_object_new_object(), false };

	pr_record(&p, r, stats);
	return p.obj;
}

void vni_print_list_header(FILE *f)
{
	fprintf(f, "%-16s %-6s %-15s %-25s %-24s %-10s %-5s %s\n", "NAME", "AID", "VIP4", "VIP6",
		"HOSTNAME", "CGROUP-ID", "PIDS", "STATUS");
}

void vni_print_list_row(FILE *f, const struct vni_record *r)
{
	struct pr p = { f, NULL, true };

	pr_record(&p, r, NULL);
}

void vni_print_show(FILE *f, const struct vni_record *r, const struct vni_stats *stats)
{
	struct pr p = { f, NULL, false };

	pr_record(&p, r, stats);
}

json_object *vni_stats_json(const struct vni_stats *s)
{
	struct pr p = { NULL, json_object_new_object(), true };
	json_object *c;

	pr_counters(&p, s);
	c = json_object_get(json_object_object_get(p.obj, "counters"));
	json_object_put(p.obj);
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
	struct pr p = { f, NULL, true };

	fprintf(f, "%-16s", name);
	pr_counters(&p, s);
	fputc('\n', f);
}

static const char *const op_names[] = {
	[VNI_OP_BIND] = "bind",		  [VNI_OP_CONNECT] = "connect",
	[VNI_OP_SEND] = "send",		  [VNI_OP_SOCKET] = "socket",
	[VNI_OP_GUARD_BIND] = "guard_bind", [VNI_OP_GUARD_SEND] = "guard_send",
	[VNI_OP_GUARD_CONNECT] = "guard_connect",
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

/* comm is the task's to choose: keep the line one line of fields. */
static void printable(char *dst, const char *comm, size_t n)
{
	size_t i;

	for (i = 0; i < n && comm[i]; i++)
		dst[i] = comm[i] > ' ' && comm[i] < 0x7f ? comm[i] : '?';
	dst[i] = '\0';
}

/* One refusal: a line, or a JSON object. */
static void pr_event(struct pr *p, const struct vni_event *e, const char *name,
		     const struct timespec *wall)
{
	char t[40], a[INET6_ADDRSTRLEN + 2], ap[INET6_ADDRSTRLEN + 10], fam[16], type[16];
	char comm[sizeof(e->comm) + 1] = "", shown[sizeof(e->comm) + 1];
	bool addr = event_has_addr(e);

	memcpy(comm, e->comm, sizeof(e->comm));
	printable(shown, e->comm, sizeof(e->comm));
	pr_str(p, PR_ANY, "time", "%s ", iso_time(wall, t, sizeof(t)));
	pr_str(p, PR_JSON, "instance", NULL, name);
	if (name)
		pr_str(p, PR_TEXT, NULL, "%s", name);
	else
		pr_u64(p, PR_TEXT, NULL, "cgid=%llu", e->cgid);
	pr_u64(p, PR_JSON, "cgroup_id", NULL, e->cgid);
	pr_u64(p, PR_ANY, "aid", " aid=%llu", e->aid);
	pr_u64(p, PR_ANY, "pid", " pid=%llu", e->pid);
	pr_str(p, PR_JSON, "comm", NULL, comm);
	pr_str(p, PR_TEXT, NULL, " comm=%s", shown);
	pr_str(p, PR_ANY, "op", " %s ", op_name(e->op));
	pr_str(p, addr ? PR_JSON : PR_ANY, "family", "%s ", family_name(e->family, fam, sizeof(fam)));
	pr_str(p, PR_JSON, "address", NULL, addr ? event_addr(e, a, sizeof(a)) : NULL);
	if (p->obj) {
		json_object_object_add(p->obj, "port", addr ? json_object_new_int(e->port) : NULL);
		json_object_object_add(p->obj, "type", addr ? NULL :
					json_object_new_string(type_name(e->type, type, sizeof(type))));
		json_object_object_add(p->obj, "protocol", addr ? NULL : json_object_new_int(e->protocol));
		return;
	}
	if (addr) {
		snprintf(ap, sizeof(ap), e->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 event_addr(e, a, sizeof(a)), e->port);
		fprintf(p->f, "%s", ap);
	} else {
		fprintf(p->f, "%s proto=%u", type_name(e->type, type, sizeof(type)), e->protocol);
	}
	fprintf(p->f, " refused\n");
}

json_object *vni_event_json(const struct vni_event *e, const char *name,
			    const struct timespec *wall)
{
	struct pr p = { NULL, json_object_new_object(), true };

	pr_event(&p, e, name, wall);
	return p.obj;
}

void vni_print_event(FILE *f, const struct vni_event *e, const char *name,
		     const struct timespec *wall)
{
	struct pr p = { f, NULL, true };

	pr_event(&p, e, name, wall);
}
