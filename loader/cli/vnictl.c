// SPDX-License-Identifier: GPL-2.0-only
/* vnictl: the command line of vni. Exit codes: 0 ok, 1 failed, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bpfobj.h"
#include "core/checkpoint.h"
#include "core/drift.h"
#include "core/instance.h"
#include "core/launch.h"
#include "core/monitor.h"
#include "cli/output.h"
#include "core/recover.h"
#include "sys/util.h"

#define VNI_VERSION "0.1.0"
#define VNI_MAX_PIDS 256

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
	"usage: vnictl [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  init                        load, pin and attach the BPF programs (idempotent)\n"
	"  attach --cgroup NAME --vip ADDR [--vip ADDR6] [--hostname HOST] [--aid AID]\n"
	"         [--dev IFACE] [--allow-raw] [--pid PID]...\n"
	"                              create an instance with its virtual identity\n"
	"  run --cgroup NAME [--user USER] [--keep-net-caps] [--] CMD [ARG...]\n"
	"                              run CMD in the instance (own PID, UTS, IPC and\n"
	"                              mount namespaces, the virtual hostname, no\n"
	"                              CAP_NET_RAW/CAP_NET_ADMIN); exits with its status\n"
	"  detach --cgroup NAME [--force]\n"
	"                              remove an instance (--force: kill its processes)\n"
	"  list [--json]               list instances\n"
	"  show --cgroup NAME [--json] one instance with its counters\n"
	"  stats [--cgroup NAME] [--json]\n"
	"                              per-instance counters kept by the BPF programs\n"
	"  monitor [--cgroup NAME] [--json]\n"
	"                              stream refusals as they happen, one line (or JSON\n"
	"                              object) each, until interrupted\n"
	"  checkpoint --cgroup NAME --dir DIR [--leave-running] [--tcp-established]\n"
	"                              dump the instance with CRIU (with its identity)\n"
	"  restore --dir DIR [--cgroup NAME]\n"
	"                              re-create a checkpointed instance on this node\n"
	"  check [--json]              report drift between the state and the node\n"
	"                              (maps, links, cgroups, addresses, hosts file)\n"
	"  sync [--json]               repair that drift; finish or undo operations\n"
	"                              of a vnictl that was killed\n"
	"  down [--force]              detach every instance and unpin everything\n"
	"  help                        this text\n"
	"\n"
	"global options (environment variable):\n"
	"  --cgroup-root DIR  (VNI_CGROUP_ROOT)  default <cgroup2 mount>/vni\n"
	"  --bpffs DIR        (VNI_BPFFS)        default " VNI_DEFAULT_BPFFS "\n"
	"  --state-dir DIR    (VNI_STATE_DIR)    default " VNI_DEFAULT_STATE_DIR "\n"
	"  --hosts-file FILE  (VNI_HOSTS_FILE)   default " VNI_DEFAULT_HOSTS_FILE "\n"
	"  --version\n";

static int fail(const char *msg)
{
	fprintf(stderr, "vnictl: %s\n", msg);
	return EXIT_FAIL;
}

static int usage_error(const char *fmt, const char *arg)
{
	char msg[VNI_ERRLEN];

	vni_err(msg, 0, fmt, arg); /* one line, control characters masked */
	fprintf(stderr, "vnictl: %s (see 'vnictl help')\n", msg);
	return EXIT_USAGE;
}

/* getopt_long for a subcommand; reports bad options as usage errors. */
#define SUB_OPTIONS(...)                                          \
	static const struct option opts[] = { __VA_ARGS__, { 0 } }; \
	int c;                                                    \
	optind = 1;                                               \
	opterr = 0

static int bad_option(char **argv)
{
	char opt[3] = { '-', (char)optopt, '\0' };

	return usage_error("unknown or incomplete option '%s'", optopt ? opt : argv[optind - 1]);
}

static int extra_args(int argc, char **argv)
{
	return optind < argc ? usage_error("unexpected argument '%s'", argv[optind]) : 0;
}

/*
 * The option shape most commands share: [--cgroup NAME] and one boolean flag
 * (--force or --json). Returns -1 to go on, else the exit code to return.
 */
static int parse_common(int argc, char **argv, bool with_cgroup, const char *flag,
			const char *usage, const char **name, bool *on)
{
	const struct option opts[] = {
		{ with_cgroup ? "cgroup" : "help", with_cgroup ? required_argument : no_argument,
		  NULL, with_cgroup ? 'c' : 'h' },
		{ flag, no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			*name = optarg;
		else if (c == 'f')
			*on = true;
		else if (c == 'h')
			return printf("usage: %s\n", usage), EXIT_OK;
		else
			return bad_option(argv);
	}
	if (extra_args(argc, argv))
		return EXIT_USAGE;
	return -1;
}

static int cmd_init(struct vni_node *n, int argc, char **argv)
{
	char err[VNI_ERRLEN];
	SUB_OPTIONS({ "help", no_argument, NULL, 'h' });

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		return c == 'h' ? (printf("usage: vnictl init\n"), EXIT_OK) : bad_option(argv);
	if (extra_args(argc, argv))
		return EXIT_USAGE;
	if (vni_init(n, err))
		return fail(err);
	printf("vni loaded: programs and maps pinned under %s\n", n->bpffs);
	printf("packet-socket guard (BPF LSM): %s\n",
	       vni_bpf_packet_guard(n) ? "active" :
					 "unavailable on this kernel (drop CAP_NET_RAW instead)");
	return EXIT_OK;
}

static int cmd_attach(struct vni_node *n, int argc, char **argv)
{
	struct vni_attach_req req = {};
	char err[VNI_ERRLEN], v4[64], v6[64];
	struct vni_record r;
	SUB_OPTIONS({ "cgroup", required_argument, NULL, 'c' },
		    { "vip", required_argument, NULL, 'v' },
		    { "hostname", required_argument, NULL, 'H' },
		    { "aid", required_argument, NULL, 'a' },
		    { "dev", required_argument, NULL, 'd' },
		    { "allow-raw", no_argument, NULL, 'r' },
		    { "pid", required_argument, NULL, 'p' },
		    { "help", no_argument, NULL, 'h' });
	static int pids[VNI_MAX_PIDS];

	req.pids = pids;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		struct vni_addr a;
		char *end;
		long pid;

		switch (c) {
		case 'c':
			req.name = optarg;
			break;
		case 'v':
			if (vni_parse_vip(optarg, &a, err))
				return usage_error("%s", err);
			if ((a.family == AF_INET ? req.vip4 : req.vip6).family)
				return usage_error("more than one %s VIP",
						   a.family == AF_INET ? "IPv4" : "IPv6");
			*(a.family == AF_INET ? &req.vip4 : &req.vip6) = a;
			break;
		case 'H':
			req.hostname = optarg;
			break;
		case 'a':
			if (vni_parse_aid(optarg, &req.aid, err))
				return usage_error("%s", err);
			break;
		case 'd':
			req.dev = optarg;
			break;
		case 'r':
			req.flags |= VNI_F_ALLOW_RAW;
			break;
		case 'p':
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno || *end || pid <= 0 || pid > INT_MAX)
				return usage_error("invalid pid '%s'", optarg);
			if (req.npids == VNI_MAX_PIDS)
				return usage_error("%s", "too many --pid options");
			pids[req.npids++] = (int)pid;
			break;
		case 'h':
			printf("%s", usage_text);
			return EXIT_OK;
		default:
			return bad_option(argv);
		}
	}
	if (extra_args(argc, argv))
		return EXIT_USAGE;
	if (!req.name)
		return usage_error("%s", "attach needs --cgroup NAME");
	if ((req.name[0] != '/' && vni_check_name(req.name, err)) ||
	    (req.hostname && vni_check_hostname(req.hostname, err)))
		return usage_error("%s", err);
	if (!req.vip4.family && !req.vip6.family)
		return usage_error("%s", "attach needs --vip ADDR");
	if (vni_attach(n, &req, &r, err))
		return fail(err);
	printf("attached %s: aid %u, vip %s%s%s, hostname %s, cgroup %s\n", r.name, r.aid,
	       vni_addr_str(&r.vip4, v4, sizeof(v4)), r.vip6.family ? " " : "",
	       r.vip6.family ? vni_addr_str(&r.vip6, v6, sizeof(v6)) : "", r.hostname, r.cgroup);
	return EXIT_OK;
}

/* Looks an instance up (the node lock is held only for the lookup). */
/* run: interrupted operations are finished or undone first, and the
 * instance must be whole; monitor only reads. */
static int find_instance(struct vni_node *n, const char *name, bool for_run,
			 struct vni_record *r, char *err)
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
	vni_state_close(st);
	if (ret == 0)
		return vni_err(err, -ENOENT, "no instance named '%s'", name);
	if (ret < 0 || !for_run)
		return ret < 0 ? ret : 0;
	if (r->checkpointed)
		return vni_err(err, -ENOENT, "instance %s is checkpointed; restore it first", name);
	if (r->phase != VNI_READY)
		return vni_err(err, -EAGAIN,
			       "instance %s is not ready (its %s was interrupted); run 'vnictl sync'",
			       name, r->phase == VNI_ATTACHING ? "attach" : "detach");
	return 0;
}

static int cmd_run(struct vni_node *n, int argc, char **argv)
{
	struct vni_launch l = {};
	const char *name = NULL;
	char err[VNI_ERRLEN];
	struct vni_record r;
	int ret;
	SUB_OPTIONS({ "cgroup", required_argument, NULL, 'c' },
		    { "user", required_argument, NULL, 'u' },
		    { "keep-net-caps", no_argument, NULL, 'k' },
		    { "help", no_argument, NULL, 'h' });

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'c')
			name = optarg;
		else if (c == 'u')
			l.user = optarg;
		else if (c == 'k')
			l.keep_net_caps = true;
		else if (c == 'h')
			return printf("usage: vnictl run --cgroup NAME [--user USER] [--keep-net-caps] [--] CMD [ARG...]\n"),
			       EXIT_OK;
		else
			return bad_option(argv);
	}
	if (!name)
		return usage_error("%s", "run needs --cgroup NAME");
	if (optind >= argc)
		return usage_error("%s", "run needs a command");
	if (find_instance(n, name, true, &r, err))
		return fail(err);
	l.cgroup = r.cgroup;
	l.hostname = r.hostname;
	l.argv = argv + optind;
	ret = vni_launch(&l, err);
	return ret < 0 ? fail(err) : ret;
}

static int cmd_detach(struct vni_node *n, int argc, char **argv)
{
	const char *name = NULL;
	char err[VNI_ERRLEN];
	bool force = false;
	int ret = parse_common(argc, argv, true, "force",
			       "vnictl detach --cgroup NAME [--force]", &name, &force);

	if (ret >= 0)
		return ret;
	if (!name)
		return usage_error("%s", "detach needs --cgroup NAME");
	if (vni_detach(n, name, force, err))
		return fail(err);
	printf("detached %s\n", name);
	return EXIT_OK;
}

/* Prints o (unless the command failed), frees it, and gives the exit code. */
static int finish_json(json_object *o, int ret, const char *err)
{
	if (!ret)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return ret ? fail(err) : EXIT_OK;
}

struct list_ctx {
	json_object *array;
};

static int list_one(const struct vni_record *r, void *arg)
{
	struct list_ctx *l = arg;

	if (l->array)
		json_object_array_add(l->array, vni_record_json(r, NULL));
	else
		vni_print_list_row(stdout, r);
	return 0;
}

/* Read commands on a node with no state yet show an empty node. */
static int open_for_read(struct vni_node *n, struct vni_state **st, char *err)
{
	if (access(n->state_dir, F_OK)) {
		*st = NULL;
		return 0;
	}
	return vni_state_open(n->state_dir, false, st, err);
}

static int cmd_list(struct vni_node *n, int argc, char **argv)
{
	const char *unused = NULL;
	struct list_ctx l = {};
	struct vni_state *st;
	char err[VNI_ERRLEN];
	bool json = false;
	int ret = parse_common(argc, argv, false, "json", "vnictl list [--json]", &unused, &json);

	if (ret >= 0)
		return ret;
	ret = 0;
	if (open_for_read(n, &st, err))
		return fail(err);
	if (json)
		l.array = json_object_new_array();
	else
		vni_print_list_header(stdout);
	if (st)
		ret = vni_state_each(st, list_one, &l, err);
	vni_state_close(st);
	if (json)
		return finish_json(l.array, ret, err);
	return ret ? fail(err) : EXIT_OK;
}

static int cmd_show(struct vni_node *n, int argc, char **argv)
{
	const char *name = NULL;
	struct vni_stats stats;
	struct vni_state *st;
	char err[VNI_ERRLEN];
	struct vni_record r;
	bool json = false;
	int ret = parse_common(argc, argv, true, "json", "vnictl show --cgroup NAME [--json]",
			       &name, &json);

	if (ret >= 0)
		return ret;
	if (!name)
		return usage_error("%s", "show needs --cgroup NAME");
	if (open_for_read(n, &st, err))
		return fail(err);
	ret = st ? vni_state_get(st, name, &r, err) : 0;
	vni_state_close(st);
	if (ret < 0)
		return fail(err);
	if (ret == 0) {
		snprintf(err, sizeof(err), "no instance named '%s'", name);
		return fail(err);
	}
	if (r.checkpointed)
		memset(&stats, 0, sizeof(stats));
	else if (vni_bpf_stats(n, r.cgroup_id, &stats, err))
		return fail(err);
	if (json)
		return finish_json(vni_record_json(&r, &stats), 0, err);
	vni_print_show(stdout, &r, &stats);
	return EXIT_OK;
}

static int cmd_checkpoint(struct vni_node *n, int argc, char **argv)
{
	struct vni_ckpt_req req = {};
	char err[VNI_ERRLEN];
	SUB_OPTIONS({ "cgroup", required_argument, NULL, 'c' },
		    { "dir", required_argument, NULL, 'd' },
		    { "leave-running", no_argument, NULL, 'l' },
		    { "tcp-established", no_argument, NULL, 't' },
		    { "help", no_argument, NULL, 'h' });

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			req.name = optarg;
		else if (c == 'd')
			req.dir = optarg;
		else if (c == 'l')
			req.leave_running = true;
		else if (c == 't')
			req.tcp_established = true;
		else if (c == 'h')
			return printf("usage: vnictl checkpoint --cgroup NAME --dir DIR [--leave-running] [--tcp-established]\n"),
			       EXIT_OK;
		else
			return bad_option(argv);
	}
	if (extra_args(argc, argv))
		return EXIT_USAGE;
	if (!req.name || !req.dir)
		return usage_error("%s", "checkpoint needs --cgroup NAME and --dir DIR");
	if (vni_checkpoint(n, &req, err))
		return fail(err);
	printf("checkpointed %s into %s%s\n", req.name, req.dir,
	       req.leave_running ? " (still running)" : "");
	return EXIT_OK;
}

static int cmd_restore(struct vni_node *n, int argc, char **argv)
{
	const char *dir = NULL, *name = NULL;
	char err[VNI_ERRLEN], v4[64], v6[64];
	struct vni_record r;
	SUB_OPTIONS({ "dir", required_argument, NULL, 'd' },
		    { "cgroup", required_argument, NULL, 'c' },
		    { "help", no_argument, NULL, 'h' });

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'c')
			name = optarg;
		else if (c == 'h')
			return printf("usage: vnictl restore --dir DIR [--cgroup NAME]\n"), EXIT_OK;
		else
			return bad_option(argv);
	}
	if (extra_args(argc, argv))
		return EXIT_USAGE;
	if (!dir)
		return usage_error("%s", "restore needs --dir DIR");
	if (name && name[0] != '/' && vni_check_name(name, err))
		return usage_error("%s", err);
	if (vni_restore(n, dir, name, &r, err))
		return fail(err);
	printf("restored %s: aid %u, vip %s%s%s, hostname %s, cgroup %s\n", r.name, r.aid,
	       vni_addr_str(&r.vip4, v4, sizeof(v4)), r.vip6.family ? " " : "",
	       r.vip6.family ? vni_addr_str(&r.vip6, v6, sizeof(v6)) : "", r.hostname, r.cgroup);
	return EXIT_OK;
}

struct stats_ctx {
	struct vni_node *n;
	json_object *array;
	char *err;
	bool header_done;
};

static int stats_one(const struct vni_record *r, void *arg)
{
	struct stats_ctx *c = arg;
	struct vni_stats s = {};

	if (!r->checkpointed && vni_bpf_stats(c->n, r->cgroup_id, &s, c->err))
		return -EIO;
	if (c->array) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(r->name));
		json_object_object_add(o, "counters", vni_stats_json(&s));
		json_object_array_add(c->array, o);
	} else {
		if (!c->header_done)
			vni_print_stats_header(stdout);
		c->header_done = true;
		vni_print_stats_row(stdout, r->name, &s);
	}
	return 0;
}

static int cmd_stats(struct vni_node *n, int argc, char **argv)
{
	const char *name = NULL;
	char err[VNI_ERRLEN];
	struct stats_ctx ctx = { n, NULL, err, false };
	struct vni_state *st;
	struct vni_record r;
	bool json = false;
	int ret = parse_common(argc, argv, true, "json", "vnictl stats [--cgroup NAME] [--json]",
			       &name, &json);

	if (ret >= 0)
		return ret;
	ret = 0;
	if (open_for_read(n, &st, err))
		return fail(err);
	if (json)
		ctx.array = json_object_new_array();
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
	if (json)
		return finish_json(ctx.array, ret, err);
	return ret ? fail(err) : EXIT_OK;
}

static int cmd_monitor(struct vni_node *n, int argc, char **argv)
{
	struct vni_monitor_opts o = {};
	const char *name = NULL;
	char err[VNI_ERRLEN];
	struct vni_record r;
	int ret = parse_common(argc, argv, true, "json", "vnictl monitor [--cgroup NAME] [--json]",
			       &name, &o.json);

	if (ret >= 0)
		return ret;
	if (name) {
		if (find_instance(n, name, false, &r, err))
			return fail(err);
		o.cgid = r.cgroup_id;
	}
	return vni_monitor(n, &o, err) ? fail(err) : EXIT_OK;
}

static int cmd_down(struct vni_node *n, int argc, char **argv)
{
	const char *unused = NULL;
	char err[VNI_ERRLEN];
	bool force = false;
	int ret = parse_common(argc, argv, false, "force", "vnictl down [--force]", &unused, &force);

	if (ret >= 0)
		return ret;
	if (vni_down(n, force, err))
		return fail(err);
	printf("vni is down: no instances, nothing pinned under %s\n", n->bpffs);
	return EXIT_OK;
}

static void print_drift(const struct vni_drift *d, void *arg)
{
	json_object *o, *array = arg;

	if (!array) {
		if (d->repaired < 0)
			printf("not repaired %s: %s: %s\n", d->kind, d->detail, d->why);
		else
			printf("%s%s: %s\n", d->repaired ? "repaired " : "", d->kind, d->detail);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(d->kind));
	json_object_object_add(o, "instance",
			       d->instance ? json_object_new_string(d->instance) : NULL);
	json_object_object_add(o, "detail", json_object_new_string(d->detail));
	if (d->repaired)
		json_object_object_add(o, "repaired", json_object_new_boolean(d->repaired > 0));
	if (d->repaired < 0)
		json_object_object_add(o, "error", json_object_new_string(d->why));
	json_object_array_add(array, o);
}

/* check (repair false) and sync: exit 0 when nothing is (left) wrong. */
static int drift_command(struct vni_node *n, int argc, char **argv, bool repair)
{
	const char *unused = NULL;
	char err[VNI_ERRLEN] = "";
	json_object *array = NULL, *top;
	struct vni_state *st = NULL;
	bool json = false;
	int ret = parse_common(argc, argv, false, "json",
			       repair ? "vnictl sync [--json]" : "vnictl check [--json]", &unused,
			       &json);

	if (ret >= 0)
		return ret;
	/* sync finishes interrupted operations on opening, as every change does */
	ret = repair ? (access(n->state_dir, F_OK) ? 0 : vni_node_open(n, false, &st, err)) :
		       open_for_read(n, &st, err);
	if (ret)
		return fail(err);
	if (json)
		array = json_object_new_array();
	ret = st ? vni_drift_scan(n, st, repair, print_drift, array, err) : 0;
	vni_state_close(st);
	if (ret < 0) {
		json_object_put(array);
		return fail(err);
	}
	if (json) {
		top = json_object_new_object();
		json_object_object_add(top, "clean", json_object_new_boolean(ret == 0));
		json_object_object_add(top, "problems", array);
		finish_json(top, 0, NULL);
	} else if (ret) {
		printf(repair ? "%d problem(s) left\n" :
				"%d problem(s); 'vnictl sync' repairs them\n", ret);
	} else {
		printf("%s\n", repair ? "in sync: state, maps, cgroups and addresses agree" :
					"no drift: state, maps, cgroups and addresses agree");
	}
	return ret ? EXIT_FAIL : EXIT_OK;
}

static int cmd_check(struct vni_node *n, int argc, char **argv)
{
	return drift_command(n, argc, argv, false);
}

static int cmd_sync(struct vni_node *n, int argc, char **argv)
{
	return drift_command(n, argc, argv, true);
}

static const struct command {
	const char *name;
	int (*fn)(struct vni_node *n, int argc, char **argv);
} commands[] = {
	{ "init", cmd_init },	  { "attach", cmd_attach }, { "detach", cmd_detach },
	{ "run", cmd_run },	  { "stats", cmd_stats },	  { "checkpoint", cmd_checkpoint }, { "restore", cmd_restore },
	{ "list", cmd_list },	  { "show", cmd_show },	    { "down", cmd_down },
	{ "check", cmd_check },	  { "sync", cmd_sync },	    { "monitor", cmd_monitor },
};

static int set_path(char *field, size_t n, const char *value, const char *what)
{
	if (strlen(value) >= n)
		return usage_error("%s: path too long", what);
	strcpy(field, value);
	return 0;
}

/* Environment first, then options: options win. */
static int parse_globals(struct vni_node *n, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup-root", required_argument, NULL, 'c' },
		{ "bpffs", required_argument, NULL, 'b' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "hosts-file", required_argument, NULL, 'o' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct {
		const char *env;
		char *field;
	} envs[] = {
		{ "VNI_CGROUP_ROOT", n->cgroup_root },
		{ "VNI_BPFFS", n->bpffs },
		{ "VNI_STATE_DIR", n->state_dir },
		{ "VNI_HOSTS_FILE", n->hosts_file },
	};
	size_t i;
	int c;

	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		const char *v = getenv(envs[i].env);

		if (v && *v && set_path(envs[i].field, PATH_MAX, v, envs[i].env))
			return -EXIT_USAGE;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'b':
		case 's':
		case 'o':
			if (set_path(c == 'c' ? n->cgroup_root :
				     c == 'b' ? n->bpffs :
				     c == 's' ? n->state_dir :
						n->hosts_file,
				     PATH_MAX, optarg,
				     c == 'c' ? "--cgroup-root" :
				     c == 'b' ? "--bpffs" :
				     c == 's' ? "--state-dir" :
						"--hosts-file"))
				return -EXIT_USAGE;
			break;
		case 'V':
			printf("vnictl %s\n", VNI_VERSION);
			return 0;
		case 'h':
			printf("%s", usage_text);
			return 0;
		default:
			return -bad_option(argv);
		}
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct vni_node node = {};
	char err[VNI_ERRLEN];
	int first;
	size_t i;

	first = parse_globals(&node, argc, argv);
	if (first <= 0)
		return -first;
	if (first >= argc)
		return usage_error("%s", "no command given");
	if (!strcmp(argv[first], "help")) {
		printf("%s", usage_text);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[first], commands[i].name))
			continue;
		if (geteuid() != 0)
			return fail("must be run as root (needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)");
		if (vni_node_resolve(&node, err))
			return fail(err);
		return commands[i].fn(&node, argc - first, argv + first);
	}
	return usage_error("unknown command '%s'", argv[first]);
}
