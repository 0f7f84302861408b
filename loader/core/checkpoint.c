// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#include "core/portreap.h"
#include "core/announce.h"
#include "core/bpfobj.h"
#include "sys/cgroup.h"
#include "core/checkpoint.h"
#include "core/ckpthook.h"
#include "core/ckptmeta.h"
#include "sys/sockdiag.h"
#include "core/instance.h"
#include "sys/nladdr.h"
#include "core/handle.h"
#include "sys/log.h"
#include "sys/util.h"

#define CRIU_COMMON VNI_CRIU_COMMON

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Runs CRIU (output to its -o log in the image dir), optionally from inside
 * a cgroup; returns its exit status or <0. */
int vni_criu_run(char *const argv[], const char *cgroup, char *err)
{
	int status, devnull;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return vni_err(err, -errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		/* restore: CRIU (which leaves cgroups alone here) and the tree it
		 * forks are born in the instance cgroup, in a cgroup namespace
		 * rooted there, as 'vnictl run' started them */
		if (cgroup && (cg_move_pid(cgroup, getpid(), NULL) || unshare(CLONE_NEWCGROUP)))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return vni_err(err, -errno, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return vni_err(err, -ENOENT, "criu not found (apt-get install criu)");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* "NSpid: 1234 1" -> 1234 is PID 1 of its own namespace */
static int innermost_pid(pid_t pid)
{
	char path[64], buf[2048], *line, *last;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	n = vni_read_file(path, buf, sizeof(buf));
	line = n > 0 ? strstr(buf, "\nNSpid:") : NULL;
	if (!line)
		return -1;
	line[strcspn(line + 1, "\n") + 1] = '\0';
	last = strrchr(line, '\t');
	return last ? atoi(last + 1) : -1;
}

struct tree {
	pid_t init;
	int count, outside, userns;
	char init_ns[64], user_ns[64];
};

static void find_init(pid_t pid, void *arg)
{
	struct tree *t = arg;
	char path[64], comm[32] = "";

	t->count++;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	vni_read_file(path, comm, sizeof(comm));
	if (!strcmp(comm, "vni-init\n") && innermost_pid(pid) == 1 && !t->init)
		t->init = pid;
}

static void count_outside(pid_t pid, void *arg)
{
	struct tree *t = arg;
	char path[64], ns[64] = "";

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	if (readlink(path, ns, sizeof(ns) - 1) < 0 || strcmp(ns, t->init_ns))
		t->outside++;
	memset(ns, 0, sizeof(ns));
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (readlink(path, ns, sizeof(ns) - 1) > 0 && strcmp(ns, t->user_ns))
		t->userns++;
}

/* The root of what CRIU dumps: the instance's init, with every process of
 * the cgroup in its PID namespace. */
static int instance_root(const struct vni_record *r, pid_t *root, char *err)
{
	struct tree t = {};
	char path[64];

	cg_for_each_pid(r->cgroup, find_init, &t);
	if (!t.init)
		return vni_err(err, -ESRCH,
			       "instance %s has no process tree started by 'vnictl run' to checkpoint",
			       r->name);
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)t.init);
	if (readlink(path, t.init_ns, sizeof(t.init_ns) - 1) < 0)
		return vni_err(err, -errno, "cannot read %s: %s", path, strerror(errno));
	if (readlink("/proc/self/ns/user", t.user_ns, sizeof(t.user_ns) - 1) < 0)
		return vni_err(err, -errno, "cannot read /proc/self/ns/user: %s", strerror(errno));
	cg_for_each_pid(r->cgroup, count_outside, &t);
	/* CRIU 3.17 restores a user namespace only as the root task's */
	if (t.userns)
		return vni_err(err, -EPERM,
			       "instance %s runs in a user namespace of its own (vnictl run --userns): it cannot be checkpointed",
			       r->name);
	if (t.outside)
		return vni_err(err, -EBUSY,
			       "instance %s has %d process(es) outside its 'vnictl run' tree (attach --pid?); they cannot be checkpointed",
			       r->name, t.outside);
	*root = t.init;
	return 0;
}

static int prepare_dir(const char *dir, char *err)
{
	struct dirent *e;
	DIR *d;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return vni_err(err, -errno, "cannot create %s: %s", dir, strerror(errno));
	d = opendir(dir);
	if (!d)
		return vni_err(err, -errno, "cannot open %s: %s", dir, strerror(errno));
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			closedir(d);
			return vni_err(err, -EEXIST, "%s is not empty", dir);
		}
	closedir(d);
	return 0;
}

/* Runs argv with stdout into buf (NUL-terminated); returns the exit status. */
static int capture(char *const argv[], char *buf, size_t n)
{
	int pipefd[2], status, devnull;
	size_t used = 0;
	ssize_t r;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDERR_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (n && (r = read(pipefd[0], buf + used, n - 1 - used)) > 0)
		used += (size_t)r;
	if (n)
		buf[used] = '\0';
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -ECHILD;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

/*
 * With --tcp-established, CRIU 3.17 locks each connection with iptables DROP
 * rules marked "! --mark 0xc114" and leaves them after a successful dump.
 * Once the VIP is gone from this node the connections belong to whichever
 * node restores them: remove the rules that name the VIP.
 */
static void drop_criu_locks(const struct vni_addr *vip)
{
	static const char *const chains[] = { "INPUT", "OUTPUT" };
	char addr[INET6_ADDRSTRLEN + 8], out[65536], *line, *save = NULL;
	char *tool = vip->family == AF_INET ? "iptables" : "ip6tables";
	size_t i;

	vni_addr_str(vip, addr, sizeof(addr) - 8);
	strcat(addr, vip->family == AF_INET ? "/32 " : "/128 ");
	for (i = 0; i < 2; i++) {
		char *list[] = { tool, "-w", "-t", "filter", "-S", (char *)chains[i], NULL };

		if (capture(list, out, sizeof(out)))
			continue;
		for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *argv[64] = { tool, "-w", "-t", "filter", "-D" }, *tok, *s2 = NULL;
			int argc = 5;

			if (strncmp(line, "-A ", 3) || !strstr(line, "--mark 0xc114") ||
			    !strstr(line, addr))
				continue;
			for (tok = strtok_r(line + 3, " ", &s2); tok && argc < 63;
			     tok = strtok_r(NULL, " ", &s2))
				argv[argc++] = tok;
			argv[argc] = NULL;
			capture(argv, NULL, 0);
		}
	}
}

/* After a dump that ended the processes: the instance leaves the kernel and
 * the node, and stays on record as checkpointed. */
static int release_instance(const struct vni_node *n, struct vni_state *st,
			    const struct vni_record *r, bool tcp, char *err)
{
	const struct vni_addr *vips[2] = { &r->vip4, &r->vip6 };
	int ret, i;

	ret = cg_kill_all(r->cgroup, err); /* CRIU has killed them; wait until they are gone */
	vni_instance_drop_addrs(n, r);
	for (i = 0; i < 2 && tcp; i++)
		if (vips[i]->family)
			drop_criu_locks(vips[i]);
	vni_bpf_clear_instance(n, r->cgroup_id);
	vni_bpf_unlink_instance(n, r->cgroup_id);
	vni_ports_forget(n, r->cgroup_id);
	vni_bpf_vid_drop(n, r->cgroup_id);
	if (!ret && r->owns_cgroup)
		ret = cg_remove(r->cgroup, err);
	if (!ret)
		ret = vni_state_set_checkpointed(st, r->name, true, err);
	if (!ret) {
		vni_hand_back(n, st, r);
		ret = vni_publish_hosts(n, st, err);
	}
	return ret;
}

/* A template keeps no connection: clones could not have it. */
static int refuse_connections(const struct vni_record *r, char *err)
{
	const struct vni_addr *vips[2] = { &r->vip4, &r->vip6 };
	char conn[2 * INET6_ADDRSTRLEN + 32];
	int i, ret;

	for (i = 0; i < 2; i++) {
		if (!vips[i]->family)
			continue;
		ret = sd_established(vips[i]->family, vips[i]->a, conn, sizeof(conn), err);
		if (ret < 0)
			return ret;
		if (ret)
			return vni_err(err, -EBUSY,
				       "instance %s has an established TCP connection (%s): a template cannot keep connections",
				       r->name, conn);
	}
	return 0;
}

/* The key CRIU knows the mount of map i by (--external mnt[PATH]:KEY). */
void vni_criu_map_key(unsigned i, char *buf, size_t n)
{
	snprintf(buf, n, "vni-map-%u", i);
}

/* A template's options: its maps as named external mounts, and vnictl as
 * the action script that copies them at post-dump (core/ckpthook.h), told
 * where through the environment CRIU inherits. */
static int template_args(const struct vni_record *r, const char *dir, char **argv, int *argc,
			 char ext[][2 * VNI_MAP_PATH_MAX], char *self, size_t self_len, char *err)
{
	char key[32], resolved[PATH_MAX], var[32];
	unsigned i;
	int ret;

	if ((ret = vni_hook_self(self, self_len)))
		return vni_err(err, ret, "cannot find vnictl itself: %s", strerror(-ret));
	setenv(VNI_HOOK_ENV, "1", 1);
	setenv("VNI_HOOK_DIR", dir, 1);
	argv[(*argc)++] = "--action-script";
	argv[(*argc)++] = self;
	for (i = 0; i < r->nmaps; i++) {
		if ((ret = vni_map_resolve(&r->maps[i], r, resolved, sizeof(resolved), err)))
			return ret;
		snprintf(var, sizeof(var), "VNI_HOOK_MAP%u", i);
		setenv(var, resolved, 1);
		vni_criu_map_key(i, key, sizeof(key));
		snprintf(ext[i], sizeof(ext[i]), "mnt[%s]:%s", r->maps[i].path, key);
		argv[(*argc)++] = "--external";
		argv[(*argc)++] = ext[i];
	}
	return 0;
}

static void template_env_clear(void)
{
	char var[32];
	unsigned i;

	unsetenv(VNI_HOOK_ENV);
	unsetenv("VNI_HOOK_DIR");
	for (i = 0; i < VNI_MAPS_MAX; i++) {
		snprintf(var, sizeof(var), "VNI_HOOK_MAP%u", i);
		unsetenv(var);
	}
}

/* A failed template dump leaves no partial copy behind (the dir was empty). */
static void empty_dir(const char *dir)
{
	char *argv[] = { "sh", "-c", "rm -rf -- \"$0\"/* \"$0\"/.[!.]*", (char *)dir, NULL };

	capture(argv, NULL, 0);
}

int vni_checkpoint(const struct vni_node *n, const struct vni_ckpt_req *req, char *err)
{
	char ext[VNI_MAPS_MAX][2 * VNI_MAP_PATH_MAX], self[PATH_MAX];
	struct vni_ckpt_meta m = {};
	char pidarg[16], dir[PATH_MAX];
	struct vni_state *st;
	struct utsname uts;
	int ret, status;
	pid_t root = 0;
	int64_t start;

	if (!realpath(req->dir, dir) && (errno != ENOENT || vni_path(dir, sizeof(dir), "%s", req->dir)))
		return vni_err(err, -errno, "invalid directory %s: %s", req->dir, strerror(errno));
	ret = vni_node_open(n, false, &st, NULL);
	if (ret)
		return vni_err(err, -ENOENT, "no instance named '%s'", req->name);
	ret = vni_state_get(st, req->name, &m.rec, err);
	if (ret == 0 || (ret == 1 && m.rec.checkpointed))
		ret = vni_err(err, -ENOENT, ret ? "instance %s is checkpointed already" :
						  "no instance named '%s'", req->name);
	if (ret == 1)
		ret = instance_root(&m.rec, &root, err);
	if (!ret && req->template && req->tcp_established)
		ret = vni_err(err, -EINVAL, "a template keeps no TCP connection (--tcp-established)");
	if (!ret && req->template)
		ret = refuse_connections(&m.rec, err);
	if (!ret)
		ret = prepare_dir(dir, err);
	if (ret)
		goto out;
	snprintf(pidarg, sizeof(pidarg), "%d", (int)root);
	{
		char *argv[64] = { "criu", "dump", "-t", pidarg, "-D", dir, "-o", "dump.log",
				   CRIU_COMMON,
				   req->tcp_established ? "--tcp-established" : "--skip-in-flight" };
		int argc = 14;

		if (req->leave_running)
			argv[argc++] = "--leave-running";
		if (req->template &&
		    (ret = template_args(&m.rec, dir, argv, &argc, ext, self, sizeof(self), err))) {
			template_env_clear();
			goto out;
		}
		start = now_ms();
		status = vni_criu_run(argv, NULL, err);
		m.dump_ms = now_ms() - start;
		template_env_clear();
	}
	if (status && req->template)
		empty_dir(dir);
	if (status < 0) {
		ret = status;
		goto out;
	}
	if (status) {
		ret = vni_err(err, -EIO, "criu dump failed (exit %d); see %s/dump.log", status, dir);
		goto out;
	}
	m.created = (int64_t)time(NULL);
	m.tcp_established = req->tcp_established;
	m.template = req->template;
	/* what every tree of 'vnictl run' is in, which its clones' restores
	 * need of their node's kernel: a cgroup and a PID namespace */
	if (req->template) {
		strcpy(m.needs[m.nneeds++], "cgroupns");
		strcpy(m.needs[m.nneeds++], "ns_pid");
	}
	snprintf(m.node, sizeof(m.node), "%s", uname(&uts) ? "?" : uts.nodename);
	ret = vni_ckpt_meta_write(dir, &m, err);
	if (!ret && !req->leave_running)
		ret = release_instance(n, st, &m.rec, req->tcp_established, err);
out:
	vni_state_close(st);
	return ret;
}

static int check_images(const char *dir, char *err)
{
	char path[PATH_MAX];

	if (vni_path(path, sizeof(path), "%s/inventory.img", dir) || access(path, R_OK))
		return vni_err(err, -ENOENT, "%s has no CRIU images (inventory.img missing)", dir);
	return 0;
}

/* A checkpointed record of the same instance here is replaced by the restored
 * one (same-node restore); anything else holding the name is a conflict. */
static int take_over_record(struct vni_state *st, const struct vni_ckpt_meta *m,
			    const char *name, struct vni_record *old, bool *had, char *err)
{
	int ret = vni_state_get(st, name, old, err);

	*had = false;
	if (ret <= 0)
		return ret;
	if (!old->checkpointed || old->aid != m->rec.aid)
		return vni_err(err, -EEXIST, "an instance named %s exists", name);
	*had = true;
	return vni_state_delete(st, name, err);
}

/* Restoring a template itself: CRIU finds each map's mount by its key
 * (template_args), and mounts the map's source resolved for r there. */
static int template_mounts(const struct vni_record *r, char **argv, int *argc,
			   char ext[][2 * PATH_MAX], char *err)
{
	char key[32], src[PATH_MAX];
	unsigned i;
	int ret;

	for (i = 0; i < r->nmaps; i++) {
		if ((ret = vni_map_resolve(&r->maps[i], r, src, sizeof(src), err)))
			return ret;
		vni_criu_map_key(i, key, sizeof(key));
		snprintf(ext[i], 2 * PATH_MAX, "mnt[%s]:%s", key, src);
		argv[(*argc)++] = "--external";
		argv[(*argc)++] = ext[i];
	}
	return 0;
}

int vni_restore(const struct vni_node *n, const char *dir_arg, const char *name,
		struct vni_record *out, char *err)
{
	struct vni_attach_req req = {};
	struct vni_ckpt_meta m;
	struct vni_record r, old;
	char dir[PATH_MAX], warn[VNI_ERRLEN];
	struct vni_state *st;
	bool had_old = false;
	int ret, status;

	if (!realpath(dir_arg, dir))
		return vni_err(err, -errno, "cannot use %s: %s", dir_arg, strerror(errno));
	ret = vni_ckpt_meta_read(dir, &m, err);
	if (!ret)
		ret = check_images(dir, err);
	if (ret)
		return ret;
	req.name = name ? name : m.rec.name;
	req.vip4 = m.rec.vip4;
	req.vip6 = m.rec.vip6;
	req.hostname = m.rec.hostname;
	req.aid = m.rec.aid;
	req.dev = m.rec.dev;
	req.flags = m.rec.flags & (VNI_F_ALLOW_RAW | VNI_F_PRIVATE_LO);
	req.restore = true;
	ret = vni_node_open(n, true, &st, err);
	if (ret)
		return ret;
	ret = take_over_record(st, &m, req.name, &old, &had_old, err);
	/* the VIP is on this node before CRIU binds the sockets back to it */
	if (!ret)
		ret = vni_attach_locked(n, st, &req, &r, err);
	if (ret)
		goto fail;
	/* the maps (vnictl run --map) back in the record */
	if ((ret = vni_state_set_maps(st, r.name, m.rec.maps, m.rec.nmaps, err))) {
		vni_fence_locked(n, st, &r, NULL);
		vni_hand_back(n, st, &r);
		goto fail;
	}
	memcpy(r.maps, m.rec.maps, sizeof(r.maps));
	r.nmaps = m.rec.nmaps;
	{
		char *argv[16 + 2 * VNI_MAPS_MAX] = { "criu", "restore", "-D", dir, "-o",
						      "restore.log", "-d", "--root", "/", CRIU_COMMON };
		char ext[VNI_MAPS_MAX][2 * PATH_MAX];
		int argc = 14;

		if (m.tcp_established)
			argv[argc++] = "--tcp-established";
		/* a template's maps are named mounts: back at its own sources */
		status = m.template ? template_mounts(&r, argv, &argc, ext, err) : 0;
		if (!status)
			status = vni_criu_run(argv, r.cgroup, err);
	}
	if (status) {
		if (status > 0)
			vni_err(err, -EIO, "criu restore failed (exit %d); see %s/restore.log", status,
				dir);
		/* the instance goes from here; its record back to the farm */
		vni_fence_locked(n, st, &r, NULL);
		vni_hand_back(n, st, &r);
		ret = status < 0 ? status : -EIO;
		goto fail;
	}
	if (r.vip4.family && vni_announce(r.dev, &r.vip4, warn) < 0)
		vni_log(VNI_LOG_WARN, "%s", warn);
	if (r.vip6.family && vni_announce(r.dev, &r.vip6, warn) < 0)
		vni_log(VNI_LOG_WARN, "%s", warn);
	if (out)
		*out = r;
	vni_state_close(st);
	return 0;
fail:
	if (had_old)
		vni_state_insert(st, &old, NULL);
	vni_state_close_tidy(st);
	return ret;
}
