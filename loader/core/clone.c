// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/announce.h"
#include "core/checkpoint.h"
#include "core/ckpthook.h"
#include "core/ckptmeta.h"
#include "core/clone.h"
#include "core/identity.h"
#include "core/handle.h"
#include "core/pool.h"
#include "sys/crashpoint.h"
#include "sys/log.h"
#include "sys/util.h"
#include "vni_shared.h"

static int run_quiet(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

struct clone_files {
	char work[PATH_MAX];
	char made[VNI_MAPS_MAX][PATH_MAX]; /* map sources made from the template's copies */
	char ext[VNI_MAPS_MAX][PATH_MAX + 64];
};

/* Each map's SOURCE resolved for the clone; made, when missing, from the
 * template's copy DIR/maps/N ('cp -a --reflink=auto': shared extents where
 * the file system can). */
static int make_maps(const char *dir, const struct vni_record *r, struct clone_files *f,
		     char *err)
{
	char src[PATH_MAX], dst[PATH_MAX], key[32];
	unsigned i;
	int ret;

	for (i = 0; i < r->nmaps; i++) {
		if ((ret = vni_map_resolve(&r->maps[i], r, dst, sizeof(dst), err)))
			return ret;
		if (vni_path(src, sizeof(src), "%s/maps/%u", dir, i) || access(src, F_OK))
			return vni_err(err, -ENOENT, "%s has no copy of map %s (%s missing)", dir,
				       r->maps[i].path, src);
		if (access(dst, F_OK)) {
			char *argv[] = { "cp", "-a", "--reflink=auto", "--", src, dst, NULL };

			if ((ret = run_quiet(argv)))
				return vni_err(err, -EIO, "cannot copy %s to %s (cp exit %d)", src,
					       dst, ret);
			snprintf(f->made[i], sizeof(f->made[i]), "%s", dst);
		}
		vni_criu_map_key(i, key, sizeof(key));
		snprintf(f->ext[i], sizeof(f->ext[i]), "mnt[%s]:%s", key, dst);
	}
	vni_crashpoint("clone: maps made");
	return 0;
}

static void unmake(struct clone_files *f)
{
	unsigned i;

	for (i = 0; i < VNI_MAPS_MAX; i++)
		if (f->made[i][0])
			vni_remove_tree(f->made[i]);
	if (f->work[0])
		vni_remove_tree(f->work);
}

/* CRIU's last error line of the clone's restore.log, for a one-line message. */
static void last_error(const char *work, char *buf, size_t n)
{
	char path[PATH_MAX], line[512];
	FILE *fp;

	buf[0] = '\0';
	if (vni_path(path, sizeof(path), "%s/restore.log", work) || !(fp = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, "Error")) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, n, "%.200s", line);
		}
	fclose(fp);
}

static int restore(const char *dir, const struct vni_ckpt_meta *m, const struct vni_record *r,
		   struct clone_files *f, char *err)
{
	char self[PATH_MAX], why[256], identity[VNI_IDENTITY_MAX];
	char *argv[64] = { "criu", "restore", "-D", (char *)dir, "-W", f->work, "-o",
			   "restore.log", "-d", "--root", "/", VNI_CRIU_COMMON,
			   "--action-script", self };
	int argc = 18, status, ret;
	unsigned i;

	if ((ret = vni_hook_self(self, sizeof(self))))
		return vni_err(err, ret, "cannot find vnictl itself: %s", strerror(-ret));
	for (i = 0; i < m->rec.nmaps; i++) {
		argv[argc++] = "--external";
		argv[argc++] = f->ext[i];
	}
	vni_identity_text(r, identity, sizeof(identity));
	setenv(VNI_HOOK_ENV, "1", 1);
	setenv("VNI_HOOK_HOSTNAME", r->hostname, 1);
	setenv("VNI_HOOK_IDENTITY", identity, 1);
	status = vni_criu_run(argv, r->cgroup, err);
	unsetenv(VNI_HOOK_ENV);
	unsetenv("VNI_HOOK_HOSTNAME");
	unsetenv("VNI_HOOK_IDENTITY");
	if (status < 0)
		return status;
	if (status) {
		last_error(f->work, why, sizeof(why));
		return vni_err(err, -EIO, "criu restore failed (exit %d)%s%s", status,
			       why[0] ? ": " : "", why);
	}
	return 0;
}

/* The clone's VIPs: one of each family the template had, none other. */
static int want_vips(const struct vni_ckpt_meta *m, struct vni_attach_req *q, char *err)
{
	static const char def[] = VNI_DEFAULT_POOL;

	if ((q->vip4.family || q->pool4) && !m->rec.vip4.family)
		return vni_err(err, -EINVAL, "the template has no IPv4 VIP: give its clones none");
	if ((q->vip6.family || q->pool6) && !m->rec.vip6.family)
		return vni_err(err, -EINVAL, "the template has no IPv6 VIP: give its clones none");
	if (m->rec.vip4.family && !q->vip4.family && !q->pool4)
		q->pool4 = def;
	if (m->rec.vip6.family && !q->vip6.family && !q->pool6)
		q->pool6 = def;
	return 0;
}

/* The kernel features the template needs, as CRIU sees them on this node
 * ('criu check --feature F': one at a time, about 0.1 s each). */
static int kernel_has(const struct vni_ckpt_meta *m, const char *dir, char *err)
{
	unsigned i;

	for (i = 0; i < m->nneeds; i++) {
		char *argv[] = { "criu", "check", "--feature", (char *)m->needs[i], NULL };

		if (run_quiet(argv))
			return vni_err(err, -ENOTSUP,
				       "this node's kernel lacks '%s', which template %s needs (criu check --feature %s)",
				       m->needs[i], dir, m->needs[i]);
	}
	return 0;
}

int vni_clone(const struct vni_node *n, const char *dir_arg, const struct vni_attach_req *req,
	      struct vni_record *out, char *err)
{
	struct vni_attach_req q = *req;
	struct clone_files *f;
	struct vni_ckpt_meta m;
	char dir[PATH_MAX], warn[VNI_ERRLEN], inv[PATH_MAX];
	struct vni_state *st;
	struct vni_record r;
	int ret;

	if (!realpath(dir_arg, dir))
		return vni_err(err, -errno, "cannot use %s: %s", dir_arg, strerror(errno));
	if ((ret = vni_ckpt_meta_read(dir, &m, err)))
		return ret;
	if (!m.template)
		return vni_err(err, -EINVAL,
			       "%s is not a template (vnictl checkpoint --template makes one)", dir);
	if (vni_path(inv, sizeof(inv), "%s/inventory.img", dir) || access(inv, R_OK))
		return vni_err(err, -ENOENT, "%s has no CRIU images (inventory.img missing)", dir);
	if ((ret = kernel_has(&m, dir, err)) || (ret = want_vips(&m, &q, err)))
		return ret;
	q.dev = m.rec.dev;
	q.flags = m.rec.flags & (VNI_F_ALLOW_RAW | VNI_F_PRIVATE_LO);
	q.template = dir;
	q.virt4 = m.rec.vip4;
	q.virt6 = m.rec.vip6;
	q.unfinished = true; /* ready once its processes are restored */
	f = calloc(1, sizeof(*f));
	if (!f)
		return vni_err(err, -ENOMEM, "out of memory");
	if ((ret = vni_node_open(n, true, &st, err))) {
		free(f);
		return ret;
	}
	/* intent first: the instance on record (as a clone) and in the kernel,
	 * its VIPs translated for the template's */
	if ((ret = vni_attach_locked(n, st, &q, &r, err)))
		goto out;
	vni_crashpoint("clone: attached");
	memcpy(r.maps, m.rec.maps, sizeof(r.maps));
	r.nmaps = m.rec.nmaps;
	ret = vni_state_set_maps(st, r.name, r.maps, r.nmaps, err);
	if (!ret)
		ret = make_maps(dir, &r, f, err);
	if (!ret && (vni_path(f->work, sizeof(f->work), "%s/" VNI_CLONES_DIR "/%u",
				     vni_state_dir(st), r.aid) ||
		     vni_mkdir_p(f->work, 0700)))
		ret = vni_err(err, -EIO, "cannot make a work dir for the clone in %s",
			      vni_state_dir(st));
	if (!ret)
		ret = restore(dir, &m, &r, f, err);
	if (ret) {
		vni_detach_locked(n, st, &r, true, NULL);
		unmake(f);
		goto out;
	}
	vni_crashpoint("clone: restored");
	r.phase = VNI_READY;
	if (vni_state_update(st, &r, warn)) /* its processes are in: recovery finishes it */
		vni_log(VNI_LOG_WARN, "%s", warn);
	else
		vni_crashpoint("clone: done");
	if (r.vip4.family && vni_announce(r.dev, &r.vip4, warn) < 0)
		vni_log(VNI_LOG_WARN, "%s", warn);
	if (r.vip6.family && vni_announce(r.dev, &r.vip6, warn) < 0)
		vni_log(VNI_LOG_WARN, "%s", warn);
	if (out)
		*out = r;
out:
	free(f);
	if (ret)
		vni_state_close_tidy(st);
	else
		vni_state_close(st);
	return ret;
}
