// SPDX-License-Identifier: GPL-2.0-only
/*
 * For bench/run.sh's "no vni" column: takes vni's node-wide programs (the
 * guard and the LSM program under guard/, the receive filters under
 * lookup/) off the node and puts them back, leaving the instances linked,
 * so that the same run can measure the node with and without vni.
 *   node_toggle off BPFFS SAVE   each link's program pinned under SAVE, the
 *                                link unpinned (released: detached)
 *   node_toggle on BPFFS SAVE    each saved program linked again where it
 *                                was (same attach type and target), pinned
 *                                at the same path as before
 * SAVE/<sub>/<name>@<kind>@<attach type>@<netns inode> keeps the program.
 */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const subs[] = { "guard", "lookup" };

/* a/b (b: a name, suffix appended); exits when it does not fit */
static void join(char *out, size_t len, const char *a, const char *b, const char *suffix)
{
	if (snprintf(out, len, "%s/%s%s", a, b, suffix) >= (int)len) {
		fprintf(stderr, "node_toggle: path too long: %s/%s\n", a, b);
		exit(1);
	}
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "node_toggle: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

/* The cgroup2 mount, where the guard is linked. */
static int cgroup2_root(char *out, size_t len)
{
	char line[1024], mnt[PATH_MAX], fs[64];
	FILE *f = fopen("/proc/self/mounts", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %4095s %63s", mnt, fs) == 2 && !strcmp(fs, "cgroup2")) {
			snprintf(out, len, "%s", mnt);
			fclose(f);
			return 0;
		}
	fclose(f);
	return -1;
}

static int off(const char *pin, const char *save, const char *name)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX], at[64];
	int fd, pfd;

	fd = bpf_obj_get(pin);
	if (fd < 0)
		return fail("open", pin);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return fail("info", pin);
	/* where it was linked goes into the saved pin's name (a bpffs holds
	 * no regular files) */
	if (info.type == BPF_LINK_TYPE_CGROUP)
		snprintf(at, sizeof(at), "@cgroup@%u@0", info.cgroup.attach_type);
	else if (info.type == BPF_LINK_TYPE_NETNS)
		snprintf(at, sizeof(at), "@netns@%u@%u", info.netns.attach_type,
			 info.netns.netns_ino);
	else
		snprintf(at, sizeof(at), "@lsm@%u@0", (unsigned)BPF_LSM_MAC);
	pfd = bpf_prog_get_fd_by_id(info.prog_id);
	join(path, sizeof(path), save, name, at);
	if (pfd < 0 || bpf_obj_pin(pfd, path))
		return fail("save", path);
	close(pfd);
	close(fd);
	if (unlink(pin)) /* the last reference: the link goes, the program is off */
		return fail("unpin", pin);
	return 0;
}

/* A network namespace by inode: one of this node's (bench/run.sh's
 * namespaces are under /run/netns). */
static int netns_fd(unsigned ino)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir("/run/netns");
	int fd = -1;

	while (d && fd < 0 && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		if (e->d_name[0] != '.' && !stat(path, &st) && st.st_ino == ino)
			fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (d)
		closedir(d);
	if (fd < 0 && !stat("/proc/self/ns/net", &st) && st.st_ino == ino)
		fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return fd;
}

/* saved: "<name>@<kind>@<attach type>@<netns inode>" under save */
static int on(const char *dir, const char *save, const char *saved)
{
	char path[PATH_MAX], name[NAME_MAX + 1], kind[16], root[PATH_MAX];
	unsigned type = 0, ino = 0;
	int pfd, target = -1, link;
	char *at;

	if (snprintf(name, sizeof(name), "%s", saved) >= (int)sizeof(name))
		return fail("name too long:", saved);
	at = strchr(name, '@');
	if (!at || sscanf(at, "@%15[a-z]@%u@%u", kind, &type, &ino) != 3)
		return fail("parse", saved);
	*at = 0;
	join(path, sizeof(path), save, saved, "");
	pfd = bpf_obj_get(path);
	if (pfd < 0)
		return fail("open", path);
	if (!strcmp(kind, "cgroup")) {
		if (cgroup2_root(root, sizeof(root)))
			return fail("find", "cgroup2");
		target = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else if (!strcmp(kind, "netns")) {
		target = netns_fd(ino);
	} else {
		target = 0;
	}
	if (target < 0)
		return fail("open the target of", path);
	unlink(path);
	join(path, sizeof(path), dir, name, "");
	link = bpf_link_create(pfd, target, (enum bpf_attach_type)type, NULL);
	if (link < 0 || bpf_obj_pin(link, path))
		return fail("link", path);
	close(link);
	close(pfd);
	if (target > 0)
		close(target);
	return 0;
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX], save[PATH_MAX], pin[PATH_MAX];
	struct dirent *e;
	char names[64][NAME_MAX + 1];
	size_t i, n, k;
	bool up;
	DIR *d;

	if (argc != 4 || (strcmp(argv[1], "on") && strcmp(argv[1], "off"))) {
		fprintf(stderr, "usage: node_toggle on|off BPFFS SAVE (SAVE on a bpffs)\n");
		return 2;
	}
	up = !strcmp(argv[1], "on");
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", argv[2], subs[i]);
		snprintf(save, sizeof(save), "%s/%s", argv[3], subs[i]);
		if (mkdir(save, 0700) && errno != EEXIST)
			return fail("create", save);
		d = opendir(up ? save : dir);
		if (!d)
			return fail("open", up ? save : dir);
		/* names first: the loop changes the directory it reads */
		n = 0;
		while ((e = readdir(d)) && n < 64)
			if (e->d_name[0] != '.')
				snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
		closedir(d);
		for (k = 0; k < n; k++) {
			join(pin, sizeof(pin), dir, names[k], "");
			if (up ? on(dir, save, names[k]) : off(pin, save, names[k]))
				return 1;
		}
	}
	return 0;
}
