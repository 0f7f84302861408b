// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostsfile.h"
#include "util.h"

#define MAX_NAMES 32

static int parse_line(char *line, int (*fn)(const struct hosts_entry *e, void *arg), void *arg)
{
	const char *names[MAX_NAMES + 1];
	struct hosts_entry e = {};
	char *tok, *save = NULL, *hash = strchr(line, '#');
	int n = 0;

	if (hash)
		*hash = '\0';
	tok = strtok_r(line, " \t\r\n", &save);
	if (!tok)
		return 0;
	if (inet_pton(AF_INET, tok, e.addr) == 1)
		e.family = AF_INET;
	else if (inet_pton(AF_INET6, tok, e.addr) == 1)
		e.family = AF_INET6;
	else
		return 0;
	while (n < MAX_NAMES && (tok = strtok_r(NULL, " \t\r\n", &save)))
		names[n++] = tok;
	if (!n)
		return 0;
	names[n] = NULL;
	e.name = names[0];
	e.aliases = names + 1;
	return fn(&e, arg);
}

int hosts_each(FILE *f, int (*fn)(const struct hosts_entry *e, void *arg), void *arg)
{
	char line[1024];
	int ret;

	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		/* an over-long line is skipped whole */
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		ret = parse_line(line, fn, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static int mkdir_parent(const char *path)
{
	char dir[PATH_MAX], *p;

	if (vni_path(dir, sizeof(dir), "%s", path))
		return -ENAMETOOLONG;
	dirname(dir);
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int hosts_replace(const char *path, const char *text, char *err)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd, ret;

	ret = mkdir_parent(path);
	if (!ret)
		ret = vni_path(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if (ret)
		return vni_err(err, ret, "cannot create the directory of %s: %s", path,
			       strerror(-ret));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return vni_err(err, -errno, "cannot write %s: %s", tmp, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	/* readable by everyone: the NSS module runs in unprivileged processes */
	if (!ret && (fchmodat(AT_FDCWD, tmp, 0644, 0) || rename(tmp, path)))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return vni_err(err, ret, "cannot write %s: %s", path, strerror(-ret));
	}
	return 0;
}
