// SPDX-License-Identifier: GPL-2.0-only
/* Commands on the whole node: init, down, check, sync, monitor. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/print.h"
#include "core/bpfobj.h"
#include "core/drift.h"
#include "core/instance.h"
#include "core/ops.h"
#include "core/monitor.h"
#include "core/handle.h"
#include "sys/util.h"

static int cmd_init(struct vni_node *n, const struct cli_args *a)
{
	char err[VNI_ERRLEN];

	(void)a;
	if (vni_init(n, err))
		return cli_fail(err);
	printf("vni loaded: programs and maps pinned under %s\n", n->bpffs);
	printf("receive filter (sk_lookup): linked to this network namespace\n");
	printf("packet-socket guard (BPF LSM): %s\n",
	       vni_bpf_packet_guard(n) ? "active" :
					 "unavailable on this kernel (drop CAP_NET_RAW instead)");
	return EXIT_OK;
}

static int cmd_down(struct vni_node *n, const struct cli_args *a)
{
	char err[VNI_ERRLEN];

	if (vni_down(n, cli_flag(a, "force"), err))
		return cli_fail(err);
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
static int drift_command(struct vni_node *n, const struct cli_args *a, enum vni_drift_mode mode)
{
	bool repair = mode != VNI_DRIFT_CHECK;
	json_object *array = NULL, *top;
	struct vni_state *st = NULL;
	char err[VNI_ERRLEN] = "";
	int ret;

	/* sync finishes interrupted operations on opening, as every change does */
	ret = repair ? (access(n->state_dir, F_OK) ? 0 : vni_node_open(n, false, &st, err)) :
		       cli_open_for_read(n, &st, err);
	if (ret)
		return cli_fail(err);
	if (cli_flag(a, "json"))
		array = json_object_new_array();
	ret = st ? vni_drift_scan(n, st, mode, print_drift, array, err) : 0;
	vni_state_close(st);
	if (ret < 0) {
		json_object_put(array);
		return cli_fail(err);
	}
	if (array) {
		top = json_object_new_object();
		json_object_object_add(top, "clean", json_object_new_boolean(ret == 0));
		json_object_object_add(top, "problems", array);
		cli_finish_json(top, 0, NULL);
	} else if (ret) {
		printf(repair ? "%d problem(s) left\n" :
				"%d problem(s); 'vnictl sync' repairs them\n", ret);
	} else {
		printf("%s\n", repair ? "in sync: state, maps, cgroups and addresses agree" :
					"no drift: state, maps, cgroups and addresses agree");
	}
	return ret ? EXIT_FAIL : EXIT_OK;
}

static int cmd_check(struct vni_node *n, const struct cli_args *a)
{
	return drift_command(n, a, VNI_DRIFT_CHECK);
}

static int cmd_sync(struct vni_node *n, const struct cli_args *a)
{
	char err[VNI_ERRLEN];

	/* at boot: the programs and this namespace's receive filter first */
	if (cli_flag(a, "boot") && vni_init(n, err))
		return cli_fail(err);
	return drift_command(n, a, cli_flag(a, "boot") ? VNI_DRIFT_BOOT : VNI_DRIFT_REPAIR);
}

static void print_event(const struct vni_event *e, const char *name, const struct timespec *wall,
			void *arg)
{
	json_object *o;

	if (!arg) {
		vni_print_event(stdout, e, name, wall);
		return;
	}
	o = vni_event_json(e, name, wall);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static int cmd_monitor(struct vni_node *n, const struct cli_args *a)
{
	struct vni_monitor_opts o = { .on_event = print_event,
				      .arg = cli_flag(a, "json") ? (void *)1 : NULL };
	const char *name = cli_str(a, "cgroup");
	char err[VNI_ERRLEN];
	struct vni_record r;

	if (name) {
		if (cli_find_instance(n, name, false, &r, NULL, err))
			return cli_fail(err);
		o.cgid = r.cgroup_id;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* one event, one line, at once */
	return vni_monitor(n, &o, err) ? cli_fail(err) : EXIT_OK;
}

static const struct cli_opt no_opts[] = { { NULL } };
static const struct cli_opt force_opts[] = { { "force", NULL, 0 }, { NULL } };
static const struct cli_opt json_opts[] = { { "json", NULL, 0 }, { NULL } };
static const struct cli_opt sync_opts[] = {
	{ "json", NULL, 0 },
	{ "boot", NULL, 0 },
	{ NULL },
};
static const struct cli_opt monitor_opts[] = {
	{ "cgroup", "NAME", 0 },
	{ "json", NULL, 0 },
	{ NULL },
};

const struct cli_cmd cli_node_cmds[] = {
	{ "init", cmd_init, no_opts,
	  "load, pin and attach the BPF programs, link the receive filter to this network namespace (idempotent)",
	  CLI_ROOT, NULL },
	{ "monitor", cmd_monitor, monitor_opts,
	  "stream refusals as they happen, one line (or JSON object) each, until interrupted",
	  CLI_ROOT, NULL },
	{ "check", cmd_check, json_opts,
	  "report drift between the state and the node (maps, links, cgroups, addresses, hosts file)",
	  CLI_ROOT, NULL },
	{ "sync", cmd_sync, sync_opts,
	  "repair that drift; finish or undo operations of a vnictl that was killed (--boot: init, and bring back in this network namespace the instances a reboot took away)",
	  CLI_ROOT, NULL },
	{ "down", cmd_down, force_opts, "detach every instance and unpin everything", CLI_ROOT, NULL },
	{ NULL },
};
