// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "core/identity.h"
#include "core/validate.h"
#include "sys/util.h"

void vni_identity_text(const struct vni_record *r, char *buf, size_t n)
{
	char v4[INET6_ADDRSTRLEN] = "", v6[INET6_ADDRSTRLEN] = "";
	const char *name = strrchr(r->name, '/');

	if (r->vip4.family)
		vni_addr_str(&r->vip4, v4, sizeof(v4));
	if (r->vip6.family)
		vni_addr_str(&r->vip6, v6, sizeof(v6));
	snprintf(buf, n, "name=%s\naid=%u\nhostname=%s\nvip4=%s\nvip6=%s\ntemplate=%s\n",
		 name ? name + 1 : r->name, r->aid, r->hostname, v4, v6, r->template);
}

/* A file system of its own on /run/vni: the instance's (a mount point). */
static bool own_mount(void)
{
	struct stat dir, run;

	return !stat(VNI_IDENTITY_DIR, &dir) && !stat("/run", &run) && dir.st_dev != run.st_dev;
}

int vni_identity_install(const char *text)
{
	const char *tmp = VNI_IDENTITY_FILE ".tmp";
	size_t len = strlen(text);
	int fd, ret = 0;

	if (access("/run", F_OK))
		return 0;
	if (mkdir(VNI_IDENTITY_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (!own_mount() &&
	    mount("vni", VNI_IDENTITY_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755,size=64k"))
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, VNI_IDENTITY_FILE))
		ret = -errno;
	return ret;
}
