// SPDX-License-Identifier: GPL-2.0-only
/* Commands for an instance described by a config file (vni.conf(5)) that
 * lives as long as its command: start, stop (systemd's vni@.service). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/unit.h"
#include "core/validate.h"
#include "sys/cgroup.h"
#include "sys/util.h"

/* --in-unit: the cgroup this vnictl runs in (a unit's, delegated to it). */
static int unit_cgroup(struct vni_node *n, const struct cli_args *a, char *out, size_t len,
		       const char **parent)
{
	char err[VNI_ERRLEN];

	*parent = NULL;
	if (!cli_flag(a, "in-unit"))
		return -1;
	if (cg_self(n->cgroup2, out, len, err))
		return cli_fail(err);
	if (!strcmp(out, n->cgroup2))
		return cli_fail("--in-unit: vnictl runs in the root cgroup, not in a unit's");
	*parent = out;
	return -1;
}

static int cmd_start(struct vni_node *n, const struct cli_args *a)
{
	const char *name = cli_str(a, "cgroup"), *conf = cli_str(a, "conf");
	char err[VNI_ERRLEN], path[PATH_MAX], own[PATH_MAX];
	struct vni_start_req req = { .name = name };
	struct vni_unit_conf c;
	int ret;

	if (vni_check_name(name, err))
		return cli_usage_error("%s", err);
	if (!conf && vni_path(path, sizeof(path), "%s/%s.conf", VNI_CONF_DIR, name) == 0)
		conf = path;
	if ((ret = unit_cgroup(n, a, own, sizeof(own), &req.parent)) >= 0)
		return ret;
	if (vni_unit_conf_load(conf, &c, err))
		return cli_fail(err);
	req.conf = &c;
	ret = vni_start(n, &req, err);
	vni_unit_conf_free(&c);
	return ret < 0 ? cli_fail(err) : ret;
}

static int cmd_stop(struct vni_node *n, const struct cli_args *a)
{
	const char *name = cli_str(a, "cgroup"), *in;
	char err[VNI_ERRLEN], own[PATH_MAX];
	int ret;

	if (vni_check_name(name, err))
		return cli_usage_error("%s", err);
	if ((ret = unit_cgroup(n, a, own, sizeof(own), &in)) >= 0)
		return ret;
	return vni_stop(n, name, in, err) ? cli_fail(err) : EXIT_OK;
}

static const struct cli_opt start_opts[] = {
	{ "cgroup", "NAME", CLI_REQUIRED },
	{ "conf", "FILE", 0 },
	{ "in-unit", NULL, 0 },
	{ NULL },
};
static const struct cli_opt stop_opts[] = {
	{ "cgroup", "NAME", CLI_REQUIRED },
	{ "in-unit", NULL, 0 },
	{ NULL },
};

const struct cli_cmd cli_unit_cmds[] = {
	{ "start", cmd_start, start_opts,
	  "attach the instance /etc/vni/NAME.conf (or --conf) describes, run its command in it, detach when it exits (--in-unit: inside this process's cgroup, for vni@.service)",
	  CLI_ROOT, NULL },
	{ "stop", cmd_stop, stop_opts,
	  "kill the instance's processes and detach it; nothing if there is none (--in-unit: only one inside this process's cgroup)",
	  CLI_ROOT, NULL },
	{ NULL },
};
