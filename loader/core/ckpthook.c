// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/ckpthook.h"
#include "core/identity.h"

bool vni_hook_wanted(void)
{
	return getenv("CRTOOLS_SCRIPT_ACTION") && getenv(VNI_HOOK_ENV);
}

int vni_hook_self(char *buf, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);

	if (len < 0)
		return -errno;
	if ((size_t)len >= n - 1)
		return -ENAMETOOLONG;
	buf[len] = '\0';
	return 0;
}

static int run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* post-dump: SOURCE/. -> DIR/maps/N, modes, owners, times, links kept;
 * shared extents where the file system can (reflink), else a copy. */
static int copy_maps(void)
{
	const char *dir = getenv("VNI_HOOK_DIR");
	char dst[PATH_MAX], src[PATH_MAX + 2], key[32];
	const char *s;
	int i;

	if (!dir)
		return 0;
	for (i = 0; snprintf(key, sizeof(key), "VNI_HOOK_MAP%d", i), (s = getenv(key)); i++) {
		char *argv[] = { "cp", "-a", "--reflink=auto", "--", src, dst, NULL };

		if (snprintf(dst, sizeof(dst), "%s/maps", dir) >= (int)sizeof(dst) ||
		    (mkdir(dst, 0700) && errno != EEXIST))
			return 1;
		if (snprintf(dst, sizeof(dst), "%s/maps/%d", dir, i) >= (int)sizeof(dst) ||
		    snprintf(src, sizeof(src), "%s/.", s) >= (int)sizeof(src) || mkdir(dst, 0700) ||
		    run(argv))
			return 1;
	}
	return 0;
}

/* Enters namespace ns (CLONE_NEWUTS, CLONE_NEWNS) of the restored tree's
 * root task (CRTOOLS_INIT_PID); 0 or -1. */
static int enter_restored(const char *ns, int type)
{
	const char *pid = getenv("CRTOOLS_INIT_PID");
	char path[64];
	int fd, ret;

	if (!pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", atoi(pid), ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, type);
	close(fd);
	return ret ? -1 : 0;
}

/* post-restore: the restored tree's UTS namespace gets the clone's hostname,
 * and its /run/vni/instance says who it is now (core/identity.h). */
static int set_identity(void)
{
	const char *host = getenv("VNI_HOOK_HOSTNAME"), *text = getenv("VNI_HOOK_IDENTITY");

	if (host && (enter_restored("uts", CLONE_NEWUTS) || sethostname(host, strlen(host))))
		return 1;
	if (text && (enter_restored("mnt", CLONE_NEWNS) || vni_identity_install(text)))
		return 1;
	return 0;
}

int vni_hook_run(void)
{
	const char *action = getenv("CRTOOLS_SCRIPT_ACTION");

	if (!strcmp(action, "post-dump"))
		return copy_maps();
	if (!strcmp(action, "post-restore"))
		return set_identity();
	return 0;
}
