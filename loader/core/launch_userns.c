// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/launch_userns.h"
#include "sys/util.h"

/*
 * The first range of user vni (by name or uid) in /etc/subuid or /etc/subgid
 * ("vni:START:COUNT") that holds VNI_USERNS_SIZE ids; *base is left alone
 * when there is none.
 */
static int subid_base(const char *file, uid_t vni_uid, uint32_t *base, char *err)
{
	char line[512], name[256], uid[16];
	unsigned long long start, count;
	FILE *f = fopen(file, "re");

	if (!f)
		return errno == ENOENT ? 0 : vni_err(err, -errno, "cannot read %s: %s", file, strerror(errno));
	snprintf(uid, sizeof(uid), "%u", (unsigned)vni_uid);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255[^:\n]:%llu:%llu", name, &start, &count) == 3 &&
		    (!strcmp(name, "vni") || !strcmp(name, uid)) && count >= VNI_USERNS_SIZE &&
		    start > 0 && start + VNI_USERNS_SIZE <= 0xffffffffULL) {
			*base = (uint32_t)start;
			break;
		}
	fclose(f);
	return 0;
}

int vni_userns_ranges(struct vni_idmap *m, char *err)
{
	struct passwd *vni = getpwnam("vni");
	uid_t uid = vni ? vni->pw_uid : (uid_t)-1;
	int ret;

	m->uid = m->gid = VNI_USERNS_DEFAULT_BASE;
	ret = subid_base("/etc/subuid", uid, &m->uid, err);
	return ret ? ret : subid_base("/etc/subgid", uid, &m->gid, err);
}

/* Writes the application's uid and gid maps (init, privileged outside). */
static int write_id_maps(pid_t app, const struct vni_idmap *m)
{
	char path[64], map[64];
	int ret;

	snprintf(map, sizeof(map), "0 %u %u\n", m->uid, VNI_USERNS_SIZE);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)app);
	if ((ret = vni_write_file(path, map)))
		return ret;
	snprintf(map, sizeof(map), "0 %u %u\n", m->gid, VNI_USERNS_SIZE);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)app);
	return vni_write_file(path, map);
}

int vni_userns_enter(const int sync[2])
{
	char c = 0;

	if (unshare(CLONE_NEWUSER))
		return -errno;
	if (write(sync[1], &c, 1) != 1 || read(sync[0], &c, 1) != 1)
		return -EPIPE;
	/* no supplementary group of the node's root (kgid 0) stays */
	if (setresgid(0, 0, 0) || setgroups(0, NULL) || setresuid(0, 0, 0))
		return -errno;
	return 0;
}

int vni_userns_map(pid_t app, const struct vni_idmap *m, const int to_init[2],
		   const int to_app[2])
{
	char c = 0;
	int ret = 0;

	close(to_init[1]);
	close(to_app[0]);
	if (read(to_init[0], &c, 1) != 1)
		ret = -EPIPE; /* the application failed: it says why */
	else if ((ret = write_id_maps(app, m)) == 0 && write(to_app[1], &c, 1) != 1)
		ret = -EPIPE;
	close(to_init[0]);
	close(to_app[1]);
	return ret;
}
