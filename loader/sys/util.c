// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/util.h"

int vni_err(char *err, int ret, const char *fmt, ...)
{
	va_list ap;

	char *c;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, VNI_ERRLEN, fmt, ap);
		va_end(ap);
		/* one line, whatever the user typed into the names it quotes */
		for (c = err; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	}
	return ret;
}

int vni_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

int vni_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return (int)n;
}

int vni_path(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

int vni_mkdir_p(const char *path, mode_t mode)
{
	char dir[PATH_MAX], *p;

	if (vni_path(dir, sizeof(dir), "%s", path))
		return -ENAMETOOLONG;
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int vni_replace_file(const char *path, const char *text, char *err)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd, ret;

	char dir[PATH_MAX];

	ret = vni_path(dir, sizeof(dir), "%s", path);
	if (!ret)
		ret = vni_mkdir_p(dirname(dir), 0755);
	if (!ret)
		ret = vni_path(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if (ret)
		return vni_err(err, ret, "cannot create the directory of %s: %s", path,
			       strerror(-ret));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return vni_err(err, -errno, "cannot write %s: %s", tmp, strerror(errno));
	/* no fsync: rename alone makes readers see the old or the new file
	 * whole; the hosts file lives on /run and is rebuilt from the state */
	if (write(fd, text, len) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	/* 0644: the hosts file is read by unprivileged processes (NSS) */
	if (!ret && (fchmodat(AT_FDCWD, tmp, 0644, 0) || rename(tmp, path)))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return vni_err(err, ret, "cannot write %s: %s", path, strerror(-ret));
	}
	return 0;
}

/* (nftw passes its callback no argument of ours) */
static _Thread_local void (*remove_file)(const char *path);

static int remove_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(p);
	else if (type == FTW_F && remove_file)
		remove_file(p);
	else
		unlink(p);
	return 0;
}

void vni_remove_tree_by(const char *path, void (*remove)(const char *path))
{
	remove_file = remove;
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	remove_file = NULL;
}

void vni_remove_tree(const char *path)
{
	vni_remove_tree_by(path, NULL);
}
