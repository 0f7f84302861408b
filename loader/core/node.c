// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys/cgroup.h"
#include "core/node.h"
#include "core/validate.h"
#include "sys/util.h"

static int set_default(char *field, size_t n, const char *value)
{
	if (field[0])
		return 0;
	return vni_path(field, n, "%s", value);
}

/* Paths must be absolute: state and pins are looked up from anywhere. */
static int check_absolute(const char *what, const char *path, char *err)
{
	if (path[0] != '/' || strstr(path, "/../") || strstr(path, "/./") ||
	    (strlen(path) >= 3 && !strcmp(path + strlen(path) - 3, "/..")))
		return vni_err(err, -EINVAL, "invalid %s '%s': must be an absolute path without '.' or '..'",
			       what, path);
	return 0;
}

int vni_node_resolve(struct vni_node *n, char *err)
{
	char root[PATH_MAX];
	int ret;

	ret = cg_mount_point(n->cgroup2, sizeof(n->cgroup2), err);
	if (ret)
		return ret;
	if (vni_path(root, sizeof(root), "%s/%s", n->cgroup2, VNI_DEFAULT_ROOT_NAME) ||
	    set_default(n->cgroup_root, sizeof(n->cgroup_root), root) ||
	    set_default(n->bpffs, sizeof(n->bpffs), VNI_DEFAULT_BPFFS) ||
	    set_default(n->state_dir, sizeof(n->state_dir), VNI_DEFAULT_STATE_DIR) ||
	    set_default(n->hosts_file, sizeof(n->hosts_file), VNI_DEFAULT_HOSTS_FILE) ||
	    set_default(n->registry, sizeof(n->registry), "local"))
		return vni_err(err, -ENAMETOOLONG, "path too long");
	if (!n->node_name[0] && gethostname(n->node_name, sizeof(n->node_name) - 1))
		return vni_err(err, -errno, "cannot read the hostname: %s", strerror(errno));
	if (vni_check_name(n->node_name, NULL))
		return vni_err(err, -EINVAL, "invalid node name '%s': 1-64 of A-Z a-z 0-9 _ . - (--node)",
			       n->node_name);
	if (strcmp(n->registry, "local") && strncmp(n->registry, "etcd://", 7))
		return vni_err(err, -EINVAL, "invalid registry '%s': give local or etcd://HOST:PORT[,HOST:PORT...][/PREFIX]",
			       n->registry);
	ret = check_absolute("cgroup root", n->cgroup_root, err);
	if (!ret)
		ret = check_absolute("bpffs dir", n->bpffs, err);
	if (!ret)
		ret = check_absolute("state dir", n->state_dir, err);
	if (!ret)
		ret = check_absolute("hosts file", n->hosts_file, err);
	if (ret)
		return ret;
	if (strncmp(n->cgroup_root, n->cgroup2, strlen(n->cgroup2)) ||
	    n->cgroup_root[strlen(n->cgroup2)] != '/')
		return vni_err(err, -EINVAL, "invalid cgroup root '%s': must be below %s",
			       n->cgroup_root, n->cgroup2);
	return 0;
}
