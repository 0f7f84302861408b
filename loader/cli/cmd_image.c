// SPDX-License-Identifier: GPL-2.0-only
/* Commands that move an instance through an image: checkpoint, restore, clone. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/checkpoint.h"
#include "core/clone.h"
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

/* One clone; its line, or a one-line error (failed: the number of clones
 * made so far is in the summary). */
static int clone_one(struct vni_node *n, const char *dir, struct vni_attach_req *req)
{
	char err[VNI_ERRLEN], v4[64], v6[64];
	struct vni_record r;

	if (vni_clone(n, dir, req, &r, err))
		return cli_fail(err);
	printf("cloned %s: aid %u, vip %s%s%s, hostname %s\n", r.name, r.aid,
	       vni_addr_str(&r.vip4, v4, sizeof(v4)), r.vip6.family ? " " : "",
	       r.vip6.family ? vni_addr_str(&r.vip6, v6, sizeof(v6)) : "", r.hostname);
	return EXIT_OK;
}

static int cmd_clone(struct vni_node *n, const struct cli_args *a)
{
	struct vni_attach_req req = { .name = cli_str(a, "cgroup"), .hostname = cli_str(a, "hostname") };
	const char *dir = cli_str(a, "dir"), *count = cli_str(a, "count"), *aid = cli_str(a, "aid");
	char err[VNI_ERRLEN], name[VNI_NAME_MAX + 1], names[4096] = "";
	long i, c = 1;
	char *end;
	int ret;

	if ((ret = cli_parse_vips(a, &req)) >= 0)
		return ret;
	if (aid) {
		errno = 0;
		c = strtol(aid, &end, 10);
		if (errno || *end || c <= 0 || c > UINT32_MAX)
			return cli_usage_error("invalid AID '%s'", aid);
		req.aid = (uint32_t)c;
	}
	if (!count) {
		if (req.name[0] != '/' && vni_check_name(req.name, err))
			return cli_usage_error("%s", err);
		return clone_one(n, dir, &req);
	}
	errno = 0;
	c = strtol(count, &end, 10);
	if (errno || *end || c < 1 || c > 1000)
		return cli_usage_error("invalid --count '%s' (1 to 1000)", count);
	if (req.vip4.family || req.vip6.family || req.hostname || req.aid)
		return cli_usage_error("%s", "--count takes only --vip auto[/POOL] (each clone its own)");
	for (i = 1; i <= c; i++) {
		snprintf(name, sizeof(name), "%.*s-%ld", VNI_NAME_MAX - 8, req.name, i);
		if (vni_check_name(name, err))
			return cli_usage_error("%s", err);
		req.name = name;
		if (clone_one(n, dir, &req) != EXIT_OK)
			break;
		req.name = cli_str(a, "cgroup");
		if (strlen(names) + strlen(name) + 2 < sizeof(names))
			strcat(strcat(names, " "), name);
	}
	printf("cloned %ld of %ld from %s:%s\n", i - 1, c, dir, names);
	return i > c ? EXIT_OK : EXIT_FAIL;
}

static const struct cli_opt clone_opts[] = {
	{ "dir", "DIR", CLI_REQUIRED },
	{ "cgroup", "NAME|PREFIX", CLI_REQUIRED },
	{ "vip", "ADDR|auto[/POOL]", CLI_MANY },
	{ "hostname", "HOST", 0 },
	{ "aid", "AID", 0 },
	{ "count", "N", 0 },
	{ NULL },
};

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
	{ "clone", cmd_clone, clone_opts, "new instances restored from a template (checkpoint --template)",
	  CLI_ROOT, NULL },
	{ NULL },
};
