// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <linux/sched.h>

#include "core/launch.h"
#include "sys/caps.h"
#include "sys/crashpoint.h"
#include "sys/util.h"

/* vnictl runs in the foreground of a terminal: the application takes it. */
static bool fg_terminal;

/* Makes pgrp the terminal's foreground group (SIGTTOU blocked meanwhile). */
static void give_terminal(pid_t pgrp)
{
	sigset_t ttou;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, NULL);
	tcsetpgrp(STDIN_FILENO, pgrp);
	sigprocmask(SIG_UNBLOCK, &ttou, NULL);
}

/* Signals passed on to the application (by vnictl to init, by init to the app). */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static void noop(int sig)
{
	(void)sig;
}

/* Blocks the forwarded signals and SIGCHLD for sigwaitinfo(). A PID-namespace
 * init drops signals it has no handler for, hence the no-op handlers. */
static void take_signals(sigset_t *set, sigset_t *old)
{
	struct sigaction sa = { .sa_handler = noop };
	size_t i;

	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
	sigprocmask(SIG_BLOCK, set, old);
	sigemptyset(&sa.sa_mask);
	for (i = 1; i < NSIG; i++)
		if (sigismember(set, (int)i))
			sigaction((int)i, &sa, NULL);
}

static void restore_signals(const sigset_t *set, const sigset_t *old)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	int i;

	for (i = 1; i < NSIG; i++)
		if (sigismember(set, i))
			sigaction(i, &sa, NULL);
	sigprocmask(SIG_SETMASK, old, NULL);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Reports a launch failure to vnictl over the error pipe, then exits. */
static _Noreturn void child_fail(int errfd, const char *what, int e)
{
	dprintf(errfd, "%s: %s", what, strerror(e));
	_exit(127);
}

/* Where execvp would find the command, checked before anything is started. */
static bool command_exists(const char *cmd)
{
	const char *path = getenv("PATH"), *p;
	char buf[PATH_MAX];

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	for (p = path ? path : "/usr/bin:/bin"; p && *p; p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL) {
		int len = (int)strcspn(p, ":");

		if (snprintf(buf, sizeof(buf), "%.*s/%s", len, p, cmd) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

static int become_user(const struct passwd *pw)
{
	if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
		return -errno;
	return 0;
}

/* --userns: the ids outside the application's user namespace (see launch.h). */
static uint32_t ns_uid = VNI_USERNS_DEFAULT_BASE, ns_gid = VNI_USERNS_DEFAULT_BASE;

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

static int userns_ranges(char *err)
{
	struct passwd *vni = getpwnam("vni");
	uid_t uid = vni ? vni->pw_uid : (uid_t)-1;
	int ret;

	ns_uid = ns_gid = VNI_USERNS_DEFAULT_BASE;
	ret = subid_base("/etc/subuid", uid, &ns_uid, err);
	return ret ? ret : subid_base("/etc/subgid", uid, &ns_gid, err);
}

/* Writes the application's uid and gid maps (init, privileged outside). */
static int write_id_maps(pid_t app)
{
	char path[64], map[64];
	int ret;

	snprintf(map, sizeof(map), "0 %u %u\n", ns_uid, VNI_USERNS_SIZE);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)app);
	if ((ret = vni_write_file(path, map)))
		return ret;
	snprintf(map, sizeof(map), "0 %u %u\n", ns_gid, VNI_USERNS_SIZE);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)app);
	return vni_write_file(path, map);
}

/* The application's side: a user namespace of its own, and root in it once
 * init has written the maps (sync[1] tells init, sync[0] hears back). */
static int enter_userns(const int sync[2])
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

static _Noreturn void run_app(const struct vni_launch *l, const struct passwd *pw,
			      const sigset_t *set, const sigset_t *old, int errfd, const int sync[2])
{
	int ret;

	restore_signals(set, old);
	/* own process group, in the foreground of the terminal if there is one */
	setpgid(0, 0);
	if (fg_terminal)
		give_terminal(getpid());
	if (l->userns && (ret = enter_userns(sync)))
		child_fail(errfd, "cannot enter the user namespace", -ret);
	/* the bounding set first (it needs CAP_SETPCAP), the user (CAP_SETUID),
	 * then the rest: no exec regains what is not kept */
	if ((ret = vni_caps_bound(l->caps)))
		child_fail(errfd, "cannot limit the capability bounding set", -ret);
	if (pw && (ret = become_user(pw)))
		child_fail(errfd, "cannot switch user", -ret);
	if ((ret = vni_caps_limit(l->caps)))
		child_fail(errfd, "cannot drop capabilities", -ret);
	execvp(l->argv[0], l->argv);
	child_fail(errfd, l->argv[0], errno);
}

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

static void drop_nsfs_mounts(void)
{
	int pass;

	for (pass = 0; pass < 4 && umount_nsfs_pass(pass > 0); pass++)
		;
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

/* Makes one mount of the instance read-only (see protect_mounts). */
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
static int protect_mounts(char *what, size_t n)
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

/* --userns: waits for the application to be in its user namespace, writes
 * its maps and lets it go on; 0 or -errno. */
static int map_app(pid_t app, const int to_init[2], const int to_app[2])
{
	char c = 0;
	int ret = 0;

	close(to_init[1]);
	close(to_app[0]);
	if (read(to_init[0], &c, 1) != 1)
		ret = -EPIPE; /* the application failed: it says why */
	else if ((ret = write_id_maps(app)) == 0 && write(to_app[1], &c, 1) != 1)
		ret = -EPIPE;
	close(to_init[0]);
	close(to_app[1]);
	return ret;
}

/* PID 1 of the instance. */
static _Noreturn void run_init(const struct vni_launch *l, const struct passwd *pw, int errfd)
{
	int to_init[2] = { -1, -1 }, to_app[2] = { -1, -1 }, status, ret;
	char what[PATH_MAX];
	sigset_t set, old;
	siginfo_t info;
	pid_t app;

	/* no PR_SET_PDEATHSIG: an instance outlives its launcher (a restored
	 * instance has none); stop it with 'vnictl detach --force' */
	prctl(PR_SET_NAME, "vni-init");
	/* A session of its own, so the whole session lives inside the PID
	 * namespace (CRIU requires it). On a terminal we stay in the caller's
	 * session, which owns the terminal: such an instance is interactive. */
	if (!fg_terminal)
		setsid();
	if (sethostname(l->hostname, strlen(l->hostname)))
		child_fail(errfd, "cannot set the hostname", errno);
	/* a fresh /proc for the new PID namespace, not propagated to the node */
	/* submounts follow the node's (slaves: CRIU maps them back as external
	 * mounts on restore); the root mount itself is private */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
	    mount(NULL, "/", NULL, MS_PRIVATE, NULL) ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		child_fail(errfd, "cannot mount /proc", errno);
	drop_nsfs_mounts();
	if ((ret = protect_mounts(what, sizeof(what))))
		child_fail(errfd, what, -ret);
	if (l->userns && (pipe2(to_init, O_CLOEXEC) || pipe2(to_app, O_CLOEXEC)))
		child_fail(errfd, "pipe", errno);
	take_signals(&set, &old);
	app = fork();
	if (app < 0)
		child_fail(errfd, "fork", errno);
	if (app == 0) {
		close(to_init[0]);
		close(to_app[1]);
		run_app(l, pw, &set, &old, errfd, (const int[2]){ to_app[0], to_init[1] });
	}
	if (l->userns && (ret = map_app(app, to_init, to_app)) && ret != -EPIPE) {
		kill(app, SIGKILL);
		child_fail(errfd, "cannot write the user namespace's id maps", -ret);
	}
	close(errfd);
	/* init keeps what the application keeps, and CAP_KILL to pass signals
	 * on to it under another uid */
	vni_caps_bound(l->caps | 1ULL << CAP_KILL);
	vni_caps_limit(l->caps | 1ULL << CAP_KILL);
	for (;;) {
		if (sigwaitinfo(&set, &info) < 0)
			continue;
		if (info.si_signo != SIGCHLD) {
			kill(app, info.si_signo);
			continue;
		}
		/* reap every child: the application and orphans re-parented to us */
		for (;;) {
			pid_t p = waitpid(-1, &status, WNOHANG);

			if (p <= 0)
				break;
			if (p == app)
				_exit(exit_code(status)); /* the kernel ends the rest of the namespace */
		}
	}
}

int vni_launch(const struct vni_launch *l, char *err)
{
	struct clone_args args = {
		.flags = CLONE_INTO_CGROUP | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
			 CLONE_NEWNS | CLONE_NEWCGROUP,
		.exit_signal = SIGCHLD,
	};
	struct passwd *pw = NULL;
	char msg[VNI_ERRLEN - 64];
	int pipefd[2], cg_fd, status, ret;
	sigset_t set, old;
	siginfo_t info;
	ssize_t n;
	pid_t init;

	if (!command_exists(l->argv[0]))
		return vni_err(err, -ENOENT, "command '%s' not found", l->argv[0]);
	/* (before getpwnam(l->user): it looks user vni up) */
	if (l->userns && (ret = userns_ranges(err)))
		return ret;
	if (l->user && !(pw = getpwnam(l->user)))
		return vni_err(err, -ENOENT, "unknown user '%s'", l->user);
	if (l->userns && pw && (pw->pw_uid >= VNI_USERNS_SIZE || pw->pw_gid >= VNI_USERNS_SIZE))
		return vni_err(err, -ERANGE, "user '%s' (uid %u) is outside the user namespace (0-%u)",
			       l->user, (unsigned)pw->pw_uid, VNI_USERNS_SIZE - 1);
	cg_fd = open(l->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		return vni_err(err, -errno, "cannot open %s: %s", l->cgroup, strerror(errno));
	if (pipe2(pipefd, O_CLOEXEC)) {
		close(cg_fd);
		return vni_err(err, -errno, "pipe: %s", strerror(errno));
	}
	args.cgroup = (__u64)cg_fd;
	fg_terminal = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
	take_signals(&set, &old);
	init = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (init == 0) {
		close(cg_fd); /* nothing of vnictl's may stay open in the instance (CRIU) */
		close(pipefd[0]);
		restore_signals(&set, &old);
		run_init(l, pw, pipefd[1]);
	}
	close(cg_fd);
	close(pipefd[1]);
	if (init < 0) {
		close(pipefd[0]);
		restore_signals(&set, &old);
		return vni_err(err, -errno, "cannot start the instance init: %s", strerror(errno));
	}
	vni_crashpoint("run: instance init started");
	/* EOF: the application was exec'd; a message: the launch failed */
	n = read(pipefd[0], msg, sizeof(msg) - 1);
	close(pipefd[0]);
	if (n == 0)
		vni_crashpoint("run: application started");
	for (;;) {
		if (sigwaitinfo(&set, &info) < 0)
			continue;
		if (info.si_signo != SIGCHLD) {
			kill(init, info.si_signo);
			continue;
		}
		if (waitpid(init, &status, WNOHANG) == init)
			break;
	}
	restore_signals(&set, &old);
	if (fg_terminal) /* take the terminal back from the application */
		give_terminal(getpgrp());
	if (n > 0) {
		msg[n] = '\0';
		return vni_err(err, -ECHILD, "cannot run the application: %s", msg);
	}
	return exit_code(status);
}
