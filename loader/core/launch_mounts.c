// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "core/launch_mounts.h"

/*
 * Namespace files bind-mounted on the node (ip netns, container runtimes)
 * have no business in an instance, pin namespaces it does not use, and
 * cannot be restored by CRIU on another node: detach them from the
 * instance's mount namespace.
 */
static int umount_nsfs_pass(bool detach_parents)
{
	char line[4096], mnt[PATH_MAX], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int left = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "nsfs") ||
		    !umount2(mnt, MNT_DETACH))
			continue;
		left++;
		/* shadowed by a mount on its directory (ip netns bind-mounts
		 * /run/netns over itself): detach that one first */
		if (detach_parents)
			umount2(dirname(mnt), MNT_DETACH);
	}
	fclose(f);
	return left;
}

void vni_mounts_drop_nsfs(void)
{
	int pass;

	for (pass = 0; pass < 4 && umount_nsfs_pass(pass > 0); pass++)
		;
}

/* Slaves of the node's mounts (the root is private): the node sees none of
 * these. Not recursive: what is mounted under a SOURCE stays the node's. */
int vni_mounts_bind(const struct vni_bind *b, unsigned n, char *what, size_t len)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (mount(b[i].source, b[i].path, NULL, MS_BIND, NULL)) {
			int e = errno;

			snprintf(what, len, "cannot bind-mount %s at %s", b[i].source, b[i].path);
			return -e;
		}
	return 0;
}

/* The MS_ flags a bind remount must keep, from mountinfo's per-mount options. */
static unsigned long mount_flags(const char *opts)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} known[] = { { "nosuid", MS_NOSUID },	   { "nodev", MS_NODEV },
		      { "noexec", MS_NOEXEC },	   { "noatime", MS_NOATIME },
		      { "nodiratime", MS_NODIRATIME }, { "relatime", MS_RELATIME } };
	char buf[256], *tok, *save = NULL;
	unsigned long flags = 0;
	size_t i;

	snprintf(buf, sizeof(buf), "%s", opts);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(tok, known[i].name))
				flags |= known[i].flag;
	return flags;
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

/* Makes one mount of the instance read-only (see vni_mounts_protect). */
static int protect_mount(const char *mnt, const char *opts, const char *fstype)
{
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

	if (!strcmp(fstype, "cgroup2")) {
		if (umount2(mnt, MNT_DETACH) || mount("cgroup2", mnt, "cgroup2", ro, NULL))
			return -errno;
	} else if (!strcmp(fstype, "cgroup") || !strcmp(fstype, "bpf") ||
		   under(mnt, "/sys/fs/cgroup")) {
		if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | mount_flags(opts), NULL))
			return -errno;
	}
	return 0;
}

/*
 * Read-only in the instance, whatever capabilities root inside keeps: every
 * cgroup file system (a cgroup2 mount is replaced by a fresh one, whose root
 * is the cgroup namespace's: the instance cgroup), what is mounted under
 * /sys/fs/cgroup, every bpffs (vni's pins) and /proc/sys (the node's
 * sysctls). Returns 0, or -errno with the mount point in what.
 */
int vni_mounts_protect(char *what, size_t n)
{
	char line[4096], mnt[PATH_MAX], opts[256], fstype[64], *list = NULL;
	FILE *f = fopen("/proc/self/mountinfo", "re"), *mem = NULL;
	size_t len = 0;
	int ret = 0;

	/* copied first: the mounts made here must not come round again */
	if (!f || !(mem = open_memstream(&list, &len))) {
		ret = -errno;
		if (f)
			fclose(f);
		return snprintf(what, n, "/proc/self/mountinfo"), ret;
	}
	while (fgets(line, sizeof(line), f))
		fputs(line, mem);
	fclose(f);
	fclose(mem);
	for (char *l = list, *next; l && *l && !ret; l = next) {
		char *sep;

		next = l + strcspn(l, "\n");
		if (*next)
			*next++ = '\0';
		sep = strstr(l, " - ");
		if (!sep || sscanf(l, "%*s %*s %*s %*s %4095s %255s", mnt, opts) != 2 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		if ((ret = protect_mount(mnt, opts, fstype)))
			snprintf(what, n, "%s", mnt);
	}
	free(list);
	if (!ret && (mount("/proc/sys", "/proc/sys", NULL, MS_BIND, NULL) ||
		     mount(NULL, "/proc/sys", NULL,
			   MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))) {
		ret = -errno;
		snprintf(what, n, "/proc/sys");
	}
	return ret;
}
