// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include "sys/cgroup.h"
#include "sys/util.h"

/* Where systemd mounts it (unified, then hybrid): a statfs each, against
 * 100 us of reading and parsing mountinfo, on every vnictl run. */
static const char *const usual_mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

int cg_mount_point(char *out, size_t n, char *err)
{
	char line[4096], mnt[PATH_MAX], fstype[64];
	struct statfs sfs;
	int ret = -ENOENT;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(usual_mounts) / sizeof(usual_mounts[0]); i++)
		if (!statfs(usual_mounts[i], &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC)
			return vni_path(out, n, "%s", usual_mounts[i]);
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return vni_err(err, -errno, "cannot read /proc/self/mountinfo: %s",
			       strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		/* id parent major:minor root mountpoint ... - fstype source opts */
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		ret = vni_path(out, n, "%s", mnt);
		break;
	}
	fclose(f);
	if (ret == -ENOENT)
		return vni_err(err, ret, "no cgroup2 hierarchy is mounted (cgroup v2 is required)");
	return ret;
}

int cg_self(const char *mnt, char *out, size_t n, char *err)
{
	char buf[PATH_MAX + 8];
	int ret = vni_read_file("/proc/self/cgroup", buf, sizeof(buf));
	char *path, *nl;

	if (ret < 0)
		return vni_err(err, ret, "cannot read /proc/self/cgroup: %s", strerror(-ret));
	/* "0::/PATH": the v2 line (v1 hierarchies have other numbers) */
	path = !strncmp(buf, "0::", 3) ? buf + 3 : strstr(buf, "\n0::");
	if (path && path != buf + 3)
		path += 4;
	if (!path || path[0] != '/')
		return vni_err(err, -ENOENT, "this process is in no cgroup v2");
	if ((nl = strchr(path, '\n')))
		*nl = '\0';
	if (vni_path(out, n, "%s%s", mnt, strcmp(path, "/") ? path : ""))
		return vni_err(err, -ENAMETOOLONG, "cgroup path too long");
	return 0;
}

int cg_id(const char *path, uint64_t *id, char *err)
{
	_Alignas(struct file_handle) char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	struct file_handle *fh = (struct file_handle *)buf;
	int mount_id;

	/* cgroupfs file handles carry the 64-bit cgroup id (kernfs node id). */
	fh->handle_bytes = sizeof(uint64_t);
	if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0) < 0)
		return vni_err(err, -errno, "cannot get the cgroup id of %s: %s", path,
			       strerror(errno));
	memcpy(id, fh->f_handle, sizeof(*id));
	return 0;
}

static void (*walk_fn)(pid_t, void *);
static void *walk_arg;
static int walk_count;

static int walk_dir(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	char path[PATH_MAX];
	FILE *f;
	int pid;

	(void)sb;
	(void)ftw;
	if (type != FTW_D || vni_path(path, sizeof(path), "%s/cgroup.procs", p))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%d", &pid) == 1) {
		walk_count++;
		if (walk_fn)
			walk_fn(pid, walk_arg);
	}
	fclose(f);
	return 0;
}

static int populated(const char *path);

int cg_for_each_pid(const char *path, void (*fn)(pid_t pid, void *arg), void *arg)
{
	/* none in the whole tree (what "populated" counts): no walk, which
	 * stats each control file of each cgroup (10,000 of them in a down) */
	if (populated(path) == 0)
		return 0;
	walk_fn = fn;
	walk_arg = arg;
	walk_count = 0;
	if (nftw(path, walk_dir, 16, FTW_PHYS) < 0)
		return -errno;
	return walk_count;
}

int cg_move_pid(const char *path, pid_t pid, char *err)
{
	char file[PATH_MAX], text[32];
	int ret;

	ret = vni_path(file, sizeof(file), "%s/cgroup.procs", path);
	if (ret)
		return vni_err(err, ret, "cgroup path too long: %s", path);
	snprintf(text, sizeof(text), "%d", (int)pid);
	ret = vni_write_file(file, text);
	if (ret)
		return vni_err(err, ret, "cannot move pid %d into %s: %s", (int)pid, path,
			       strerror(-ret));
	return 0;
}

static int populated(const char *path)
{
	char file[PATH_MAX], buf[256];
	int ret;

	ret = vni_path(file, sizeof(file), "%s/cgroup.events", path);
	if (!ret)
		ret = vni_read_file(file, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	return strstr(buf, "populated 1") != NULL;
}

struct pid_state {
	char text[256];
};

/* " 123 (D)" for each process left, as much as fits */
static void describe_pid(pid_t pid, void *arg)
{
	struct pid_state *ps = arg;
	char path[64], buf[512], *state;
	size_t len = strlen(ps->text);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	state = vni_read_file(path, buf, sizeof(buf)) > 0 ? strrchr(buf, ')') : NULL;
	snprintf(ps->text + len, sizeof(ps->text) - len, " %d (%c)", (int)pid,
		 state && state[1] && state[2] ? state[2] : '?');
}

/* Reads cgroup.events through fd (which re-arms POLLPRI); 1 if populated. */
static int events_populated(int fd)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return strstr(buf, "populated 1") != NULL;
}

int cg_kill_all(const char *path, char *err)
{
	struct timespec start, now;
	char file[PATH_MAX];
	struct pollfd p = { .events = POLLPRI };
	int ret;

	if (populated(path) == 0)
		return 0;
	ret = vni_path(file, sizeof(file), "%s/cgroup.kill", path);
	if (!ret)
		ret = vni_write_file(file, "1");
	if (ret)
		return vni_err(err, ret, "cannot kill the processes of %s: %s", path,
			       strerror(-ret));
	vni_path(file, sizeof(file), "%s/cgroup.events", path);
	p.fd = open(file, O_RDONLY | O_CLOEXEC);
	if (p.fd < 0)
		return vni_err(err, -errno, "cannot open %s: %s", file, strerror(errno));
	/* wait, at most 10 s, for the kernel to say the subtree is empty */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((ret = events_populated(p.fd)) == 1) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 10)
			break;
		poll(&p, 1, 100);
	}
	close(p.fd);
	if (ret == 1) {
		struct pid_state ps = { "" };

		cg_for_each_pid(path, describe_pid, &ps);
		return vni_err(err, -EBUSY, "processes of %s did not exit within 10 s:%s", path,
			       ps.text);
	}
	return ret < 0 ? vni_err(err, ret, "cannot read %s: %s", file, strerror(-ret)) : 0;
}

static int rm_errno;

static int rm_dir(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP && rmdir(p) < 0) {
		rm_errno = errno;
		return 1;
	}
	return 0;
}

int cg_remove(const char *path, char *err)
{
	int ret;

	/* without sub-cgroups one rmdir does: the walk below stats each of the
	 * cgroup's dozens of control files (a fifth of a down of 10,000) */
	if (rmdir(path) == 0)
		return 0;
	rm_errno = 0;
	ret = nftw(path, rm_dir, 16, FTW_DEPTH | FTW_PHYS);
	if (ret)
		ret = -(rm_errno ? rm_errno : errno);
	if (ret)
		return vni_err(err, ret, "cannot remove cgroup %s: %s", path, strerror(-ret));
	return 0;
}
