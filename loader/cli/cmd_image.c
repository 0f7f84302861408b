// SPDX-License-Identifier: GPL-2.0-only
/* Commands that move an instance through an image: checkpoint, restore. */
#include <stdio.h>

#include "cli/cli.h"
#include "core/checkpoint.h"
#include "core/validate.h"
#include "sys/util.h"

static int cmd_checkpoint(struct vni_node *n, const struct cli_args *a)
{
	struct vni_ckpt_req req = {
		.name = cli_str(a, "cgroup"),
		.dir = cli_str(a, "dir"),
		.leave_running = cli_flag(a, "leave-running"),
		.tcp_established = cli_flag(a, "tcp-established"),
		.template = cli_flag(a, "template"),
	};
	char err[VNI_ERRLEN];

	if (vni_checkpoint(n, &req, err))
		return cli_fail(err);
	printf("checkpointed %s into %s%s%s\n", req.name, req.dir,
	       req.template ? " as a template" : "", req.leave_running ? " (still running)" : "");
	return EXIT_OK;
}

static int cmd_restore(struct vni_node *n, const struct cli_args *a)
{
	const char *name = cli_str(a, "cgroup");
	char err[VNI_ERRLEN], v4[64], v6[64];
	struct vni_record r;

	if (name && name[0] != '/' && vni_check_name(name, err))
		return cli_usage_error("%s", err);
	if (vni_restore(n, cli_str(a, "dir"), name, &r, err))
		return cli_fail(err);
	printf("restored %s: aid %u, vip %s%s%s, hostname %s, cgroup %s\n", r.name, r.aid,
	       vni_addr_str(&r.vip4, v4, sizeof(v4)), r.vip6.family ? " " : "",
	       r.vip6.family ? vni_addr_str(&r.vip6, v6, sizeof(v6)) : "", r.hostname, r.cgroup);
	return EXIT_OK;
}

static const struct cli_opt checkpoint_opts[] = {
	{ "cgroup", "NAME", CLI_REQUIRED },
	{ "dir", "DIR", CLI_REQUIRED },
	{ "leave-running", NULL, 0 },
	{ "tcp-established", NULL, 0 },
	{ "template", NULL, 0 },
	{ NULL },
};
static const struct cli_opt restore_opts[] = {
	{ "dir", "DIR", CLI_REQUIRED },
	{ "cgroup", "NAME", 0 },
	{ NULL },
};

const struct cli_cmd cli_image_cmds[] = {
	{ "checkpoint", cmd_checkpoint, checkpoint_opts,
	  "dump the instance with CRIU (with its identity)", CLI_ROOT, NULL },
	{ "restore", cmd_restore, restore_opts, "re-create a checkpointed instance on this node",
	  CLI_ROOT, NULL },
	{ NULL },
};
