// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "core/bpfobj.h"
#include "sys/bpflink.h"
#include "sys/crashpoint.h"
#include "sys/log.h"
#include "sys/util.h"
#include "vni_guard.skel.h"
#include "vni_inst.skel.h"
#include "vni_lookup.skel.h"
#include "vni_lsm.skel.h"

/*
 * The BPF objects, one per attach domain, sharing their maps by pinning by
 * name (pin_root_path maps/):
 *   vni_inst    the instance programs: pinned under progs/ by init, linked
 *               to every instance cgroup (links/<cgid>/)
 *   vni_guard   the guard: linked to the cgroup2 root by init (guard/)
 *   vni_lsm     packet sockets, best effort: linked by init (guard/)
 *   vni_lookup  the receive filter: one copy linked per network namespace
 *               (lookup/<netns cookie>)
 */

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define LSM_PROG "vni_lsm_sock"

/* libbpf's messages go to the log sink, as debug lines, with VNI_DEBUG set. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	(void)level;
	if (!getenv("VNI_DEBUG"))
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	vni_log(VNI_LOG_DEBUG, "libbpf: %s", line);
	return 0;
}

static int pin_path(char *buf, size_t n, const struct vni_node *nd, const char *sub,
		    const char *name)
{
	return vni_path(buf, n, "%s/%s/%s", nd->bpffs, sub, name);
}

static bool pinned(const struct vni_node *n, const char *sub, const char *name)
{
	char p[PATH_MAX];

	return !pin_path(p, sizeof(p), n, sub, name) && access(p, F_OK) == 0;
}

/*
 * What init pins, as the objects name it: the programs of vni_inst under
 * progs/ (with the attach types they are linked to instances with), those of
 * vni_guard under guard/, and the maps of both under maps/. The table is
 * read from the objects at build time (tools/pintable.c): opening them here
 * parsed their ELF and BTF at every vnictl start, 0.3 ms of an attach.
 */
struct pin {
	const char *sub; /* "progs", "guard" or "maps" */
	const char *name;
	enum bpf_attach_type type; /* programs */
};

#include "vni_pins.h"

static const struct pin *all_pins(size_t *n)
{
	*n = N(vni_pins);
	return vni_pins;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether every pin under sub is there: one directory read, not a lookup
 * of each path. */
static bool all_pinned(const struct vni_node *n, const char *sub)
{
	char dir[PATH_MAX], *names[N(vni_pins)], *copy[N(vni_pins)];
	size_t i, have = 0;
	bool ok = true;
	struct dirent *e;
	DIR *d;

	if (vni_path(dir, sizeof(dir), "%s/%s", n->bpffs, sub) || !(d = opendir(dir)))
		return false;
	while ((e = readdir(d)) && have < N(names))
		if (e->d_name[0] != '.' && (copy[have] = strdup(e->d_name)))
			names[have] = copy[have], have++;
	closedir(d);
	qsort(names, have, sizeof(names[0]), cmp_name);
	for (i = 0; i < N(vni_pins) && ok; i++)
		ok = strcmp(vni_pins[i].sub, sub) ||
		     bsearch(&vni_pins[i].name, names, have, sizeof(names[0]), cmp_name);
	for (i = 0; i < have; i++)
		free(copy[i]);
	return ok;
}

/* A node pinned by an older vnictl may lack a map or a program. */
bool vni_bpf_loaded(const struct vni_node *n)
{
	return all_pinned(n, "progs") && all_pinned(n, "guard") && all_pinned(n, "maps");
}

bool vni_bpf_packet_guard(const struct vni_node *n)
{
	return pinned(n, "guard", LSM_PROG);
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* The bpffs dir must live on a bpf filesystem; mount the usual one if it is
 * missing (as systemd would at boot). */
static int ensure_bpffs(const struct vni_node *n, char *err)
{
	char parent[PATH_MAX];

	if (vni_path(parent, sizeof(parent), "%s", n->bpffs))
		return vni_err(err, -ENAMETOOLONG, "bpffs path too long");
	dirname(parent);
	if (is_bpffs(parent))
		return 0;
	if (!strcmp(parent, "/sys/fs/bpf")) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") == 0)
			return 0;
		return vni_err(err, -errno, "cannot mount bpffs on /sys/fs/bpf: %s",
			       strerror(errno));
	}
	return vni_err(err, -ENOTDIR, "%s is not on a bpf filesystem (bpffs)", parent);
}

static void forget_pins(void);

/* What vni creates under the bpffs dir; nothing else there is touched. */
static const struct {
	const char *name;
	bool links; /* holds link pins (their programs detached as they go) */
} subdirs[] = {
	{ "maps", false }, { "progs", false }, { "guard", true }, { "links", true }, { "lookup", true },
};

/* Links first, maps last: a removal cut short never leaves instance links
 * without the programs (which vni_bpf_init would refuse to replace). */
static void remove_ours(const struct vni_node *n)
{
	char path[PATH_MAX];
	size_t i;

	forget_pins(); /* their pins go: a new init makes new maps and programs */
	for (i = N(subdirs); i-- > 0;)
		if (!vni_path(path, sizeof(path), "%s/%s", n->bpffs, subdirs[i].name) &&
		    access(path, F_OK) == 0) {
			if (subdirs[i].links)
				vni_remove_links(path); /* off when down returns */
			else
				vni_remove_tree(path);
			vni_crashpoint("bpffs subdir removed");
		}
	rmdir(n->bpffs); /* only when empty */
}

int vni_bpf_down(const struct vni_node *n, char *err)
{
	char path[PATH_MAX];
	size_t i;

	remove_ours(n);
	for (i = 0; i < N(subdirs); i++)
		if (!vni_path(path, sizeof(path), "%s/%s", n->bpffs, subdirs[i].name) &&
		    access(path, F_OK) == 0)
			return vni_err(err, -EBUSY, "cannot remove %s", path);
	return 0;
}

static int attach_guard(struct bpf_program *prog, int root_fd, const char *path, char *err)
{
	struct bpf_link *link;
	int ret;

	link = root_fd >= 0 ? bpf_program__attach_cgroup(prog, root_fd) :
			      bpf_program__attach_lsm(prog);
	if (!link)
		return vni_err(err, -errno, "cannot attach %s: %s", bpf_program__name(prog),
			       strerror(errno));
	ret = bpf_link__pin(link, path);
	bpf_link__destroy(link);
	if (ret)
		return vni_err(err, ret, "cannot pin %s: %s", path, strerror(-ret));
	return 0;
}

/* The LSM object is best effort: where LSM programs cannot load (lockdown,
 * no BPF LSM) packet sockets are kept out by dropping CAP_NET_RAW instead. */
static void load_lsm(const struct vni_node *n, const char *maps)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = maps);
	struct vni_lsm_bpf *skel;
	char path[PATH_MAX];

	skel = vni_lsm_bpf__open_opts(&opts);
	if (!skel)
		return;
	if (!vni_lsm_bpf__load(skel) &&
	    !pin_path(path, sizeof(path), n, "guard", LSM_PROG))
		attach_guard(skel->progs.vni_lsm_sock, -1, path, NULL);
	vni_lsm_bpf__destroy(skel);
}

/* What the kernel offers the programs, probed once at init and written into
 * their read-only data before they load (the verifier drops what is off). */
struct bpf_features {
	bool task;          /* cgroup socket programs may read the current task (6.0) */
	bool sockops_netns; /* sockops programs may read their namespace's cookie (5.15) */
	__s32 token;        /* vni_own_src_token (bpf/vni_vouch.bpf.h); 0: no retval helpers */
};

static bool has_helper(enum bpf_prog_type type, enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(type, id, NULL) == 1;
}

static void probe_features(struct bpf_features *f)
{
	enum bpf_prog_type types[] = { BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_SOCK_ADDR };
	uint32_t r;
	size_t i;

	f->task = true;
	for (i = 0; i < N(types); i++)
		f->task &= has_helper(types[i], BPF_FUNC_get_current_pid_tgid) &&
			   has_helper(types[i], BPF_FUNC_get_current_comm);
	f->sockops_netns = has_helper(BPF_PROG_TYPE_SOCK_OPS, BPF_FUNC_get_netns_cookie);
	f->token = 0;
	if (has_helper(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_FUNC_get_retval) &&
	    has_helper(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_FUNC_set_retval) &&
	    getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
		f->token = (__s32)((r & 0x3fffffffu) | 0x40000000u); /* positive, never 0 */
}

/* The instance programs, pinned under progs/ for vni_bpf_link_instance. */
static int load_inst(const struct vni_node *n, const char *maps, const struct bpf_features *f,
		     char *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = maps);
	struct vni_inst_bpf *skel;
	struct bpf_program *p;
	char path[PATH_MAX];
	int ret;

	skel = vni_inst_bpf__open_opts(&opts);
	if (!skel)
		return vni_err(err, -errno, "cannot open the BPF object: %s", strerror(errno));
	skel->rodata->vni_task_helpers = f->task;
	skel->rodata->vni_sockops_netns = f->sockops_netns;
	skel->rodata->vni_own_src_token = f->token;
	ret = vni_inst_bpf__load(skel);
	if (ret) {
		vni_err(err, ret, "cannot load the BPF programs: %s (kernel too old or missing cgroup BPF support?)",
			strerror(-ret));
		goto out;
	}
	bpf_object__for_each_program(p, skel->obj) {
		ret = pin_path(path, sizeof(path), n, "progs", bpf_program__name(p));
		if (!ret)
			ret = bpf_program__pin(p, path);
		if (ret) {
			vni_err(err, ret, "cannot pin program %s: %s", bpf_program__name(p),
				strerror(-ret));
			break;
		}
		vni_crashpoint("init: program pinned");
	}
out:
	vni_inst_bpf__destroy(skel);
	return ret;
}

/* The guard, linked to the cgroup2 root. */
static int load_guard(const struct vni_node *n, const char *maps, const struct bpf_features *f,
		      char *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = maps);
	struct vni_guard_bpf *skel;
	struct bpf_program *p;
	char path[PATH_MAX];
	int root_fd, ret;

	skel = vni_guard_bpf__open_opts(&opts);
	if (!skel)
		return vni_err(err, -errno, "cannot open the BPF object: %s", strerror(errno));
	skel->rodata->vni_task_helpers = f->task;
	skel->rodata->vni_own_src_token = f->token;
	ret = vni_guard_bpf__load(skel);
	if (ret) {
		vni_err(err, ret, "cannot load the BPF programs: %s (kernel too old or missing cgroup BPF support?)",
			strerror(-ret));
		goto out;
	}
	root_fd = open(n->cgroup2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		ret = vni_err(err, -errno, "cannot open %s: %s", n->cgroup2, strerror(errno));
		goto out;
	}
	bpf_object__for_each_program(p, skel->obj) {
		ret = pin_path(path, sizeof(path), n, "guard", bpf_program__name(p));
		if (ret)
			vni_err(err, ret, "bpffs path too long");
		else
			ret = attach_guard(p, root_fd, path, err);
		if (ret)
			break;
		vni_crashpoint("init: guard attached");
	}
	close(root_fd);
out:
	vni_guard_bpf__destroy(skel);
	return ret;
}

static int load_and_pin(const struct vni_node *n, char *err)
{
	struct bpf_features f;
	char maps[PATH_MAX];
	int ret;

	if (vni_path(maps, sizeof(maps), "%s/maps", n->bpffs))
		return vni_err(err, -ENAMETOOLONG, "bpffs path too long");
	probe_features(&f);
	ret = load_inst(n, maps, &f, err);
	if (!ret)
		ret = load_guard(n, maps, &f, err);
	if (!ret)
		load_lsm(n, maps);
	return ret;
}

int vni_bpf_init(const struct vni_node *n, char *err)
{
	char links[PATH_MAX];
	size_t i;
	int ret;
	DIR *d;

	if (vni_bpf_loaded(n))
		return 0;
	libbpf_set_print(libbpf_quiet);
	ret = ensure_bpffs(n, err);
	if (ret)
		return ret;
	/* Leftovers of an interrupted init can go; pins with live instance links
	 * would be orphaned by a second program set, so refuse then. */
	vni_path(links, sizeof(links), "%s/links", n->bpffs);
	d = opendir(links);
	if (d) {
		struct dirent *e;
		bool busy = false;

		while ((e = readdir(d)))
			busy |= e->d_name[0] != '.';
		closedir(d);
		if (busy)
			return vni_err(err, -EEXIST,
				       "%s holds instance links but no complete program set; run 'vnictl down --force'",
				       n->bpffs);
	}
	remove_ours(n);
	for (i = 0; i < N(subdirs) && !ret; i++) {
		ret = vni_path(links, sizeof(links), "%s/%s", n->bpffs, subdirs[i].name);
		if (!ret)
			ret = vni_mkdir_p(links, 0700);
	}
	if (ret) {
		remove_ours(n);
		return vni_err(err, ret, "cannot create %s: %s", n->bpffs, strerror(-ret));
	}
	ret = load_and_pin(n, err);
	if (ret)
		remove_ours(n);
	return ret;
}

static int obj_get(const struct vni_node *n, const char *sub, const char *name, char *err)
{
	char path[PATH_MAX];
	int fd;

	if (pin_path(path, sizeof(path), n, sub, name))
		return vni_err(err, -ENAMETOOLONG, "bpffs path too long");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return vni_err(err, -errno, "cannot open %s: %s (run 'vnictl init')", path,
			       strerror(errno));
	return fd;
}

/* Pinned maps and programs are opened once per process (a command; a daemon
 * until the node is loaded anew): attach used to reopen a map pin a dozen
 * times, and each of the 11 program pins per instance (an apply of 10,000
 * instances: 110,000 BPF_OBJ_GETs). The fds are the cache's: callers do not
 * close them. */
static struct pin_cache {
	char *path; /* (not an array: 48 paths of PATH_MAX were 48 pages a
		     * process touched, and faulted in, on its first lookup) */
	int fd;
} pins_open[48];

static void forget_pins(void)
{
	size_t i;

	for (i = 0; i < N(pins_open); i++)
		if (pins_open[i].path) {
			close(pins_open[i].fd);
			free(pins_open[i].path);
			pins_open[i].path = NULL;
		}
}

static int pin_fd(const struct vni_node *n, const char *sub, const char *name, char *err)
{
	char path[PATH_MAX];
	size_t i, free_slot = N(pins_open);
	int fd;

	if (pin_path(path, sizeof(path), n, sub, name))
		return vni_err(err, -ENAMETOOLONG, "bpffs path too long");
	for (i = 0; i < N(pins_open); i++) {
		if (pins_open[i].path && !strcmp(pins_open[i].path, path))
			return pins_open[i].fd;
		if (!pins_open[i].path && free_slot == N(pins_open))
			free_slot = i;
	}
	fd = obj_get(n, sub, name, err);
	if (fd >= 0 && free_slot < N(pins_open) && (pins_open[free_slot].path = strdup(path)))
		pins_open[free_slot].fd = fd;
	/* (a 49th pin would leak one fd per call: there are 19 maps, 11 programs) */
	return fd;
}

static int map_fd(const struct vni_node *n, const char *name, char *err)
{
	return pin_fd(n, "maps", name, err);
}

static int links_dir(char *buf, size_t n, const struct vni_node *nd, uint64_t cgid)
{
	return vni_path(buf, n, "%s/links/%llu", nd->bpffs, (unsigned long long)cgid);
}

/* The programs an instance gets: the pins under progs/, but for the six that
 * only rename its private loopback back (getsockname, getpeername, recvmsg:
 * no-ops in other instances), which only a private-loopback instance gets
 * (a record's flags never change while it is linked). */
static bool inst_prog(const struct pin *p, uint32_t flags)
{
	switch (p->type) {
	case BPF_CGROUP_INET4_GETSOCKNAME:
	case BPF_CGROUP_INET6_GETSOCKNAME:
	case BPF_CGROUP_INET4_GETPEERNAME:
	case BPF_CGROUP_INET6_GETPEERNAME:
	case BPF_CGROUP_UDP4_RECVMSG:
	case BPF_CGROUP_UDP6_RECVMSG:
		if (!(flags & VNI_F_PRIVATE_LO))
			return false;
		break;
	default:
		break;
	}
	return !strcmp(p->sub, "progs");
}

int vni_bpf_links_missing(const struct vni_node *n, uint64_t cgid, uint32_t flags,
			  const char **first)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const struct pin *p;
	int missing = 0;
	size_t i, np;

	if (links_dir(dir, sizeof(dir), n, cgid))
		return -ENAMETOOLONG;
	p = all_pins(&np);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < np; i++)
		if (inst_prog(&p[i], flags) &&
		    (vni_path(path, sizeof(path), "%s/%s", dir, p[i].name) || access(path, F_OK))) {
			if (!missing++ && first)
				*first = p[i].name;
		}
	return missing;
}

/* Idempotent: programs already linked (pinned) stay as they are, so an
 * instance that is only partly linked never loses a hook while repaired. */
int vni_bpf_link_instance(const struct vni_node *n, const char *cgpath, uint64_t cgid,
			  uint32_t flags, char *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const struct pin *p;
	int cg_fd, ret = 0;
	size_t i, np;
	bool fresh;

	if (links_dir(dir, sizeof(dir), n, cgid))
		return vni_err(err, -ENAMETOOLONG, "bpffs path too long");
	p = all_pins(&np);
	if (!p)
		return vni_err(err, -ENOMEM, "cannot read the programs of the BPF objects");
	/* a dir just made has no pin yet: no lookup of each (a tenth of an apply) */
	fresh = mkdir(dir, 0700) == 0;
	if (!fresh && errno != EEXIST)
		return vni_err(err, -errno, "cannot create %s: %s", dir, strerror(errno));
	cg_fd = open(cgpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		return vni_err(err, -errno, "cannot open %s: %s", cgpath, strerror(errno));
	for (i = 0; i < np && !ret; i++) {
		int prog_fd, link_fd;

		if (!inst_prog(&p[i], flags))
			continue;
		if (vni_path(path, sizeof(path), "%s/%s", dir, p[i].name)) {
			ret = vni_err(err, -ENAMETOOLONG, "bpffs path too long");
			break;
		}
		if (!fresh && access(path, F_OK) == 0)
			continue;
		prog_fd = pin_fd(n, "progs", p[i].name, err);
		if (prog_fd < 0) {
			ret = prog_fd;
			break;
		}
		link_fd = bpf_link_create(prog_fd, cg_fd, p[i].type, NULL);
		if (link_fd < 0)
			ret = vni_err(err, -errno, "cannot link %s to %s: %s", p[i].name, cgpath,
				      strerror(errno));
		else if (bpf_obj_pin(link_fd, path))
			ret = vni_err(err, -errno, "cannot pin link %s: %s", path, strerror(errno));
		if (link_fd >= 0)
			close(link_fd);
		if (!ret)
			vni_crashpoint("program linked to the instance cgroup");
	}
	close(cg_fd);
	return ret;
}

/* Calls fn with the number each entry of the bpffs subdir sub is named by. */
static int each_numbered(const struct vni_node *n, const char *sub,
			 int (*fn)(uint64_t id, void *arg), void *arg)
{
	char dir[PATH_MAX];
	struct dirent *e;
	int ret = 0;
	DIR *d;

	if (vni_path(dir, sizeof(dir), "%s/%s", n->bpffs, sub))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (e = readdir(d))) {
		char *end;
		unsigned long long id = strtoull(e->d_name, &end, 10);

		if (e->d_name[0] != '.' && !*end)
			ret = fn(id, arg);
	}
	closedir(d);
	return ret;
}

int vni_bpf_each_linked(const struct vni_node *n, int (*fn)(uint64_t cgid, void *arg),
			void *arg)
{
	return each_numbered(n, "links", fn, arg);
}

/* The pins of the instance programs by name, then the dir: a walk of the
 * dir (stat of each entry) only for what an older vnictl may have left. */
void vni_bpf_unlink_instance(const struct vni_node *n, uint64_t cgid)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const struct pin *p;
	size_t i, np = 0;

	if (links_dir(dir, sizeof(dir), n, cgid))
		return;
	p = all_pins(&np);
	for (i = 0; p && i < np; i++)
		if (inst_prog(&p[i], VNI_F_PRIVATE_LO) && /* whichever it was linked with */
		    !vni_path(path, sizeof(path), "%s/%s", dir, p[i].name))
			vni_unpin_link(path);
	if (rmdir(dir) && errno != ENOENT)
		vni_remove_links(dir);
}

/* One lookup or update of all CPUs' values of a pinned per-CPU map whose
 * values are arrays of __u64: buf (zeroed), stride words a CPU (the kernel
 * rounds a value up to 8 bytes). A map made by an older vnictl may have
 * fewer fields than this one's struct (its nodes keep their maps until
 * down): nf, the fields both know. */
struct percpu {
	int fd;
	size_t stride, nf;
	__u64 *buf;
};

static int percpu_open(const struct vni_node *n, const char *map, size_t size, struct percpu *p,
		       char *err)
{
	int ncpu = libbpf_num_possible_cpus();
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	p->buf = NULL;
	if (ncpu <= 0)
		return vni_err(err, -EINVAL, "cannot count CPUs");
	p->fd = map_fd(n, map, err);
	if (p->fd < 0)
		return p->fd;
	if (bpf_obj_get_info_by_fd(p->fd, &info, &len))
		return vni_err(err, -errno, "cannot read %s: %s", map, strerror(errno));
	p->stride = (info.value_size + 7) / 8;
	p->nf = info.value_size / 8 < size / 8 ? info.value_size / 8 : size / 8;
	p->buf = calloc((size_t)ncpu, p->stride * sizeof(__u64));
	return p->buf ? 0 : vni_err(err, -ENOMEM, "out of memory");
}

/* The per-CPU values of key, summed field by field into out (size bytes of
 * __u64 fields; those the map lacks stay 0). */
static int sum_percpu(const struct vni_node *n, const char *map, const void *key, void *out,
		      size_t size, char *err)
{
	int ncpu = libbpf_num_possible_cpus(), i, ret;
	struct percpu p;
	__u64 *sum = out;
	size_t f;

	memset(out, 0, size);
	ret = percpu_open(n, map, size, &p, err);
	if (!ret && bpf_map_lookup_elem(p.fd, key, p.buf))
		ret = vni_err(err, -errno, "cannot read %s: %s", map, strerror(errno));
	for (i = 0; i < ncpu && !ret; i++)
		for (f = 0; f < p.nf; f++)
			sum[f] += p.buf[(size_t)i * p.stride + f];
	free(p.buf);
	return ret;
}

/* A new instance's counters start at 0, and so does what its programs
 * remember there (vni_stats.sender): a cgroup vnictl did not make keeps its
 * storage from an earlier instance, whose sockets may have been tagged for
 * another instance since. */
static int zero_stats(const struct vni_node *n, uint64_t cgid, char *err)
{
	struct percpu p;
	int ret = percpu_open(n, "vni_stats", sizeof(struct vni_stats), &p, err);

	if (!ret && bpf_map_update_elem(p.fd, &cgid, p.buf, BPF_ANY))
		ret = vni_err(err, -errno, "cannot reset the instance's counters: %s", strerror(errno));
	free(p.buf);
	return ret;
}

bool vni_bpf_linked(const struct vni_node *n, uint64_t cgid)
{
	char dir[PATH_MAX];

	return !links_dir(dir, sizeof(dir), n, cgid) && access(dir, F_OK) == 0;
}

int vni_bpf_set_instance(const struct vni_node *n, uint64_t cgid, const struct vni_inst *rec,
			 bool fresh, char *err)
{
	struct vni_cgrp_val v = { .aid = rec->aid, .flags = rec->flags };
	int inst_fd, cgrp_fd, ret = 0;

	if (fresh && (ret = zero_stats(n, cgid, err)))
		return ret;
	inst_fd = map_fd(n, "vni_inst", err);
	if (inst_fd < 0)
		return inst_fd;
	cgrp_fd = map_fd(n, "vni_cgrp", err);
	if (cgrp_fd < 0)
		return cgrp_fd;
	/* The mirror first: the cgroup storage record is what opens the instance. */
	if (bpf_map_update_elem(cgrp_fd, &cgid, &v, BPF_ANY) ||
	    bpf_map_update_elem(inst_fd, &cgid, rec, BPF_ANY)) {
		ret = vni_err(err, -errno, "cannot write the instance record: %s",
			      strerror(errno));
		bpf_map_delete_elem(cgrp_fd, &cgid);
	}
	return ret;
}

int vni_bpf_get_instance(const struct vni_node *n, uint64_t cgid, struct vni_inst *rec,
			 struct vni_cgrp_val *v)
{
	int inst_fd = map_fd(n, "vni_inst", NULL), cgrp_fd, ret = 0;

	if (inst_fd < 0)
		return inst_fd;
	cgrp_fd = map_fd(n, "vni_cgrp", NULL);
	if (cgrp_fd < 0)
		return cgrp_fd;
	memset(rec, 0, sizeof(*rec));
	memset(v, 0, sizeof(*v));
	if (bpf_map_lookup_elem(inst_fd, &cgid, rec) && errno != ENOENT)
		ret = -errno;
	if (!ret && bpf_map_lookup_elem(cgrp_fd, &cgid, v) && errno != ENOENT)
		ret = -errno;
	return ret;
}

int vni_bpf_each_cgrp(const struct vni_node *n, int (*fn)(uint64_t cgid, void *arg), void *arg)
{
	int fd = map_fd(n, "vni_cgrp", NULL), ret = 0;
	__u64 key, next, *prev = NULL;

	if (fd < 0)
		return fd;
	while (!ret && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		ret = fn(key, arg);
	}
	return ret;
}

void vni_bpf_clear_instance(const struct vni_node *n, uint64_t cgid)
{
	int fd = map_fd(n, "vni_cgrp", NULL);

	if (fd >= 0)
		bpf_map_delete_elem(fd, &cgid);
}

static void vip_key(struct vni_vip_key *k, uint64_t netns, const struct vni_addr *a)
{
	memset(k, 0, sizeof(*k));
	k->netns_cookie = netns;
	k->family = (__u32)a->family;
	memcpy(k->addr, a->a, a->family == AF_INET ? 4 : 16);
}

int vni_bpf_vip_add(const struct vni_node *n, uint64_t netns, const struct vni_addr *a,
		    const struct vni_vip_owner *owner, char *err)
{
	struct vni_vip_key k;
	int fd, ret = 0;

	fd = map_fd(n, "vni_vips", err);
	if (fd < 0)
		return fd;
	vip_key(&k, netns, a);
	if (bpf_map_update_elem(fd, &k, owner, BPF_NOEXIST))
		ret = vni_err(err, -errno, "cannot record the VIP owner: %s", strerror(errno));
	return ret;
}

int vni_bpf_vip_set(const struct vni_node *n, uint64_t netns, const struct vni_addr *a,
		    const struct vni_vip_owner *owner, char *err)
{
	struct vni_vip_key k;
	int fd = map_fd(n, "vni_vips", err);

	if (fd < 0)
		return fd;
	vip_key(&k, netns, a);
	if (bpf_map_update_elem(fd, &k, owner, BPF_EXIST))
		return vni_err(err, -errno, "cannot update the owner entry: %s", strerror(errno));
	return 0;
}

int vni_bpf_vip_owner(const struct vni_node *n, uint64_t netns, const struct vni_addr *a,
		      struct vni_vip_owner *owner)
{
	int fd = map_fd(n, "vni_vips", NULL), ret;
	struct vni_vip_key k;

	if (fd < 0)
		return fd;
	vip_key(&k, netns, a);
	ret = bpf_map_lookup_elem(fd, &k, owner) ? (errno == ENOENT ? 0 : -errno) : 1;
	return ret;
}

void vni_bpf_vip_del(const struct vni_node *n, uint64_t netns, const struct vni_addr *a)
{
	struct vni_vip_key k;

	vip_key(&k, netns, a);
	vni_bpf_vip_del_key(n, &k);
}

void vni_bpf_vip_del_key(const struct vni_node *n, const struct vni_vip_key *k)
{
	int fd = map_fd(n, "vni_vips", NULL);

	if (fd < 0)
		return;
	bpf_map_delete_elem(fd, k);
}

int vni_bpf_each_vip(const struct vni_node *n,
		     int (*fn)(const struct vni_vip_key *k, const struct vni_vip_owner *o,
			       void *arg),
		     void *arg)
{
	int fd = map_fd(n, "vni_vips", NULL), ret = 0;
	struct vni_vip_key key, next, *prev = NULL;
	struct vni_vip_owner owner;

	if (fd < 0)
		return fd;
	while (!ret && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &owner))
			ret = fn(&key, &owner, arg);
	}
	return ret;
}

int vni_bpf_stats(const struct vni_node *n, uint64_t cgid, struct vni_stats *out, char *err)
{
	return sum_percpu(n, "vni_stats", &cgid, out, sizeof(*out), err);
}

int vni_bpf_guard_stats(const struct vni_node *n, struct vni_guard_stats *out, char *err)
{
	__u32 zero = 0;

	return sum_percpu(n, "vni_gstats", &zero, out, sizeof(*out), err);
}

int vni_bpf_map_fd(const struct vni_node *n, const char *name, char *err)
{
	int fd = map_fd(n, name, err);

	if (fd < 0)
		return fd;
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 0); /* the caller's to close */
	return fd < 0 ? vni_err(err, -errno, "cannot duplicate a map fd: %s", strerror(errno)) : fd;
}

/* The sk_lookup link of the network namespace with this cookie. */
static int lookup_pin(char *buf, size_t len, const struct vni_node *n, uint64_t netns)
{
	return vni_path(buf, len, "%s/lookup/%llu", n->bpffs, (unsigned long long)netns);
}

bool vni_bpf_lookup_linked(const struct vni_node *n, uint64_t netns)
{
	char path[PATH_MAX];

	return !lookup_pin(path, sizeof(path), n, netns) && access(path, F_OK) == 0;
}

int vni_bpf_lookup_link(const struct vni_node *n, uint64_t netns, char *err)
{
	char maps[PATH_MAX], path[PATH_MAX];
	struct vni_lookup_bpf *skel;
	struct bpf_link *link;
	int ns_fd, ret;

	if (vni_bpf_lookup_linked(n, netns))
		return 0;
	if (vni_path(maps, sizeof(maps), "%s/maps", n->bpffs) ||
	    lookup_pin(path, sizeof(path), n, netns))
		return vni_err(err, -ENAMETOOLONG, "bpffs path too long");
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = maps);
	skel = vni_lookup_bpf__open_opts(&opts);
	if (!skel)
		return vni_err(err, -errno, "cannot open the sk_lookup object: %s",
			       strerror(errno));
	skel->rodata->vni_netns_cookie = netns;
	ret = vni_lookup_bpf__load(skel);
	if (ret) {
		vni_err(err, ret, "cannot load the sk_lookup program: %s (kernel without sk_lookup, 5.9+?)",
			strerror(-ret));
		goto out;
	}
	ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns_fd < 0) {
		ret = vni_err(err, -errno, "cannot open this network namespace: %s",
			      strerror(errno));
		goto out;
	}
	link = bpf_program__attach_netns(skel->progs.vni_lookup, ns_fd);
	close(ns_fd);
	if (!link) {
		ret = vni_err(err, -errno, "cannot link the sk_lookup program to this network namespace: %s",
			      strerror(errno));
		goto out;
	}
	ret = bpf_link__pin(link, path);
	bpf_link__destroy(link);
	if (ret)
		vni_err(err, ret, "cannot pin %s: %s", path, strerror(-ret));
	else
		vni_crashpoint("sk_lookup linked to the network namespace");
out:
	vni_lookup_bpf__destroy(skel);
	return ret;
}

int vni_bpf_lookup_attached(const struct vni_node *n, uint64_t netns)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, ret;

	if (lookup_pin(path, sizeof(path), n, netns))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	ret = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : info.netns.netns_ino != 0;
	close(fd);
	return ret;
}

void vni_bpf_lookup_unlink(const struct vni_node *n, uint64_t netns)
{
	char path[PATH_MAX];

	if (!lookup_pin(path, sizeof(path), n, netns))
		vni_unpin_link(path);
}

int vni_bpf_each_lookup(const struct vni_node *n, int (*fn)(uint64_t netns, void *arg),
			void *arg)
{
	return each_numbered(n, "lookup", fn, arg);
}

static uint64_t port_of(const void *k, const void *v)
{
	(void)v;
	return ((const struct vni_port_key *)k)->cgid;
}

static uint64_t wild_of(const void *k, const void *v)
{
	(void)k;
	return ((const struct vni_wild_val *)v)->cgid;
}

static void delete_matching(const struct vni_node *n, const char *name,
			    uint64_t (*cgid_of)(const void *k, const void *v),
			    const uint64_t *cgids, size_t k);

static void vid_key(struct vni_vid_key *k, uint64_t cgid, const struct vni_addr *virt)
{
	memset(k, 0, sizeof(*k));
	k->cgid = cgid;
	k->family = (__u32)virt->family;
	memcpy(k->addr, virt->a, virt->family == AF_INET ? 4 : 16);
}

int vni_bpf_vid_set(const struct vni_node *n, uint64_t cgid, const struct vni_addr *virt,
		    const struct vni_addr *real, char *err)
{
	struct vni_vid_val v = { 0 };
	struct vni_vid_key k;
	int fd = map_fd(n, "vni_vids", err);

	if (fd < 0)
		return fd;
	vid_key(&k, cgid, virt);
	memcpy(v.addr, real->a, real->family == AF_INET ? 4 : 16);
	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
		return vni_err(err, -errno, "cannot record a virtual id: %s", strerror(errno));
	return 0;
}

int vni_bpf_vid_get(const struct vni_node *n, uint64_t cgid, const struct vni_addr *virt,
		    struct vni_addr *real)
{
	int fd = map_fd(n, "vni_vids", NULL);
	struct vni_vid_val v;
	struct vni_vid_key k;

	if (fd < 0)
		return fd;
	vid_key(&k, cgid, virt);
	if (bpf_map_lookup_elem(fd, &k, &v))
		return errno == ENOENT ? 0 : -errno;
	memset(real, 0, sizeof(*real));
	real->family = virt->family;
	memcpy(real->a, v.addr, virt->family == AF_INET ? 4 : 16);
	return 1;
}

static uint64_t vid_of(const void *k, const void *v)
{
	(void)v;
	return ((const struct vni_vid_key *)k)->cgid;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Deletes the entries of pinned map 'name' whose cgid_of(key, value) is one
 * of cgids (k of them, sorted). A scan costs the map's size, not its
 * entries (the hash's buckets are walked): one for many instances. */
static void delete_matching(const struct vni_node *n, const char *name,
			    uint64_t (*cgid_of)(const void *k, const void *v),
			    const uint64_t *cgids, size_t k)
{
	char prev[64], cur[64], val[256]; /* larger than any key, value here */
	int fd = map_fd(n, name, NULL);
	bool have_prev = false;
	uint64_t id;

	while (fd >= 0 && k && !bpf_map_get_next_key(fd, have_prev ? prev : NULL, cur)) {
		id = bpf_map_lookup_elem(fd, cur, val) ? 0 : cgid_of(cur, val);
		if (id && bsearch(&id, cgids, k, sizeof(*cgids), cmp_u64) &&
		    !bpf_map_delete_elem(fd, cur))
			continue; /* the next key after prev is still the one to see */
		memcpy(prev, cur, sizeof(cur));
		have_prev = true;
	}
}

_Static_assert(sizeof(struct vni_vid_key) <= 64 && sizeof(struct vni_vid_val) <= 64 &&
		       sizeof(struct vni_port_key) <= 64 && sizeof(struct vni_port_val) <= 256 &&
		       sizeof(struct vni_wild_key) <= 64 && sizeof(struct vni_wild_val) <= 64,
	       "delete_matching buffers");

void vni_bpf_vid_drop(const struct vni_node *n, uint64_t cgid)
{
	delete_matching(n, "vni_vids", vid_of, &cgid, 1);
}

/* The receive counters of instances (their sockets are gone, or are no
 * longer theirs: detached). */
void vni_bpf_clear_ports(const struct vni_node *n, uint64_t *cgids, size_t k)
{
	qsort(cgids, k, sizeof(*cgids), cmp_u64);
	delete_matching(n, "vni_ports", port_of, cgids, k);
}

void vni_bpf_clear_wild(const struct vni_node *n, uint64_t cgid)
{
	delete_matching(n, "vni_wild", wild_of, &cgid, 1);
}

void vni_bpf_forget_cgids(const struct vni_node *n, uint64_t *cgids, size_t k)
{
	qsort(cgids, k, sizeof(*cgids), cmp_u64);
	delete_matching(n, "vni_ports", port_of, cgids, k);
	delete_matching(n, "vni_wild", wild_of, cgids, k);
	delete_matching(n, "vni_vids", vid_of, cgids, k);
}
