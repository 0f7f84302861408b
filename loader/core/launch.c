// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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

#include "core/identity.h"
#include "core/launch.h"
#include "core/launch_mounts.h"
#include "core/launch_userns.h"
#include "sys/caps.h"
#include "sys/crashpoint.h"
#include "sys/util.h"

/* vnictl runs in the foreground of a terminal: the application takes it. */
static bool fg_terminal;
/* --userns: the ids outside (read by vnictl, used by init after the clone) */
static struct vni_idmap idmap;

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

static _Noreturn void run_app(const struct vni_launch *l, const struct passwd *pw,
			      const sigset_t *set, const sigset_t *old, int errfd, const int sync[2])
{
	int ret;

	restore_signals(set, old);
	/* own process group, in the foreground of the terminal if there is one */
	setpgid(0, 0);
	if (fg_terminal)
		give_terminal(getpid());
	if (l->userns && (ret = vni_userns_enter(sync)))
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
	vni_mounts_drop_nsfs();
	if ((ret = vni_mounts_bind(l->binds, l->nbinds, what, sizeof(what))))
		child_fail(errfd, what, -ret);
	if (l->identity && (ret = vni_identity_install(l->identity)))
		child_fail(errfd, "cannot write " VNI_IDENTITY_FILE, -ret);
	if ((ret = vni_mounts_protect(what, sizeof(what))))
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
	if (l->userns && (ret = vni_userns_map(app, &idmap, to_init, to_app)) && ret != -EPIPE) {
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

int vni_launch_owner(const struct vni_launch *l, uid_t *uid, gid_t *gid, char *err)
{
	struct vni_idmap m = { 0, 0 };
	struct passwd *pw = NULL;
	int ret;

	if (l->userns && (ret = vni_userns_ranges(&m, err)))
		return ret;
	if (l->user && !(pw = getpwnam(l->user)))
		return vni_err(err, -ENOENT, "unknown user '%s'", l->user);
	*uid = m.uid + (pw ? pw->pw_uid : 0);
	*gid = m.gid + (pw ? pw->pw_gid : 0);
	return 0;
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
	if (l->userns && (ret = vni_userns_ranges(&idmap, err)))
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
