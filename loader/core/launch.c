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
#include <sys/capability.h>

#include "core/launch.h"
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

/* The application has no CAP_NET_RAW/CAP_NET_ADMIN (nor can regain them from
 * file capabilities): no packet sockets, no address changes. */
static int drop_net_caps(void)
{
	static const cap_value_t net[] = { CAP_NET_RAW, CAP_NET_ADMIN };
	cap_t caps;
	int ret = 0;
	size_t i;

	for (i = 0; i < 2; i++)
		if (cap_drop_bound(net[i]))
			return -errno;
	caps = cap_get_proc();
	if (!caps)
		return -errno;
	if (cap_set_flag(caps, CAP_EFFECTIVE, 2, net, CAP_CLEAR) ||
	    cap_set_flag(caps, CAP_PERMITTED, 2, net, CAP_CLEAR) ||
	    cap_set_flag(caps, CAP_INHERITABLE, 2, net, CAP_CLEAR) || cap_set_proc(caps))
		ret = -errno;
	cap_free(caps);
	return ret;
}

static int become_user(const struct passwd *pw)
{
	if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
		return -errno;
	return 0;
}

static _Noreturn void run_app(const struct vni_launch *l, const struct passwd *pw,
			      const sigset_t *set, const sigset_t *old, int errfd)
{
	int ret;

	restore_signals(set, old);
	/* own process group, in the foreground of the terminal if there is one */
	setpgid(0, 0);
	if (fg_terminal)
		give_terminal(getpid());
	if (!l->keep_net_caps && (ret = drop_net_caps()))
		child_fail(errfd, "cannot drop CAP_NET_RAW/CAP_NET_ADMIN", -ret);
	if (pw && (ret = become_user(pw)))
		child_fail(errfd, "cannot switch user", -ret);
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

/* PID 1 of the instance. */
static _Noreturn void run_init(const struct vni_launch *l, const struct passwd *pw, int errfd)
{
	sigset_t set, old;
	siginfo_t info;
	pid_t app;
	int status;

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
	take_signals(&set, &old);
	app = fork();
	if (app < 0)
		child_fail(errfd, "fork", errno);
	if (app == 0)
		run_app(l, pw, &set, &old, errfd);
	close(errfd);
	if (!l->keep_net_caps)
		drop_net_caps();
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
			 CLONE_NEWNS,
		.exit_signal = SIGCHLD,
	};
	struct passwd *pw = NULL;
	char msg[VNI_ERRLEN - 64];
	int pipefd[2], cg_fd, status;
	sigset_t set, old;
	siginfo_t info;
	ssize_t n;
	pid_t init;

	if (!command_exists(l->argv[0]))
		return vni_err(err, -ENOENT, "command '%s' not found", l->argv[0]);
	if (l->user && !(pw = getpwnam(l->user)))
		return vni_err(err, -ENOENT, "unknown user '%s'", l->user);
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
