// SPDX-License-Identifier: GPL-2.0-only
/* vnictl agent (see agent.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/agent.h"
#include "core/handle.h"
#include "core/instance.h"
#include "core/registry.h"
#include "sys/log.h"
#include "sys/util.h"

#define MAX_FARM 65536

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct agent {
	const struct vni_node *n;
	struct vni_registry *g;
	int wake[2]; /* the watcher writes a byte for every change */
	char (*seen)[65]; /* nodes seen alive: only those are lost when gone */
	size_t nseen;
	bool again; /* the last look could not finish (node lock busy): soon again */
	char hosts[1 << 20]; /* the farm's hosts lines last written */
};

static int notify(void *arg)
{
	struct agent *a = arg;

	if (write(a->wake[1], "x", 1) < 0 && errno != EAGAIN)
		return -1;
	return 0;
}

/* A thread with a registry handle of its own: watches, and after a broken
 * watch wakes the loop (to look at the farm again) and watches anew. */
static void *watcher(void *arg)
{
	struct agent *a = arg;
	char err[VNI_ERRLEN] = "";
	struct vni_registry *w;

	/* one handle: a broken watch goes to the next endpoint */
	if (vni_registry_open(a->n, NULL, &w, err)) {
		vni_log(VNI_LOG_WARN, "agent: watch: %s", err);
		return NULL;
	}
	while (!stop) {
		err[0] = '\0';
		w->ops->watch(w, notify, a, err);
		if (stop)
			break;
		/* (the new watch's first reply makes the loop look again) */
		vni_log(VNI_LOG_WARN, "agent: watch: %s; again in 1 s", err[0] ? err : "ended");
		sleep(1);
	}
	vni_registry_close(w);
	return NULL;
}

/* ---- one look at the farm ---- */

struct farm {
	struct vni_farm_instance *inst;
	size_t n;
	char (*alive)[65];
	size_t nalive;
};

static int add_instance(const struct vni_farm_instance *i, void *arg)
{
	struct farm *f = arg;
	struct vni_farm_instance *p;

	if (f->n == MAX_FARM || !(p = realloc(f->inst, (f->n + 1) * sizeof(*p))))
		return -ENOMEM;
	f->inst = p;
	f->inst[f->n++] = *i;
	return 0;
}

static int add_node(const struct vni_farm_node *m, void *arg)
{
	struct farm *f = arg;
	char (*p)[65];

	if (!(p = realloc(f->alive, (f->nalive + 1) * sizeof(*p))))
		return -ENOMEM;
	f->alive = p;
	snprintf(f->alive[f->nalive++], sizeof(f->alive[0]), "%s", m->name);
	return 0;
}

/* Whether node is one of the n names (node names, as the farm lists them). */
static bool named(char (*names)[65], size_t n, const char *node)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], node))
			return true;
	return false;
}

static bool alive(const struct farm *f, const char *node)
{
	return named(f->alive, f->nalive, node);
}

static bool seen_alive(const struct agent *a, const char *node)
{
	return named(a->seen, a->nseen, node);
}

static void remember_alive(struct agent *a, const struct farm *f)
{
	char (*p)[65];
	size_t i;

	for (i = 0; i < f->nalive; i++)
		if (!seen_alive(a, f->alive[i]) && (p = realloc(a->seen, (a->nseen + 1) * sizeof(*p)))) {
			a->seen = p;
			snprintf(a->seen[a->nseen++], sizeof(a->seen[0]), "%s", f->alive[i]);
		}
}

/* Nodes gone (their lease lapsed) with running instances: those become
 * lost. Only nodes this agent saw alive: a node that never ran an agent is
 * not declared dead. */
static void mark_lost(struct agent *a, const struct farm *f)
{
	char err[VNI_ERRLEN], done[64][65]; /* nodes already marked */
	size_t i, j, ndone = 0;
	int n;

	for (i = 0; i < f->n; i++) {
		const char *node = f->inst[i].node;

		if (strcmp(f->inst[i].state, "running") || !node[0] ||
		    !strcmp(node, a->n->node_name) || alive(f, node) || !seen_alive(a, node))
			continue;
		for (j = 0; j < ndone && strcmp(done[j], node); j++)
			;
		if (j < ndone || ndone == 64)
			continue;
		snprintf(done[ndone++], sizeof(done[0]), "%s", node);
		n = a->g->ops->mark_lost(a->g, node, err);
		if (n < 0)
			vni_log(VNI_LOG_WARN, "agent: node %s is gone; marking its instances lost: %s",
				node, err);
		else if (n > 0)
			vni_log(VNI_LOG_INFO, "agent: node %s is gone: %d instance(s) lost", node, n);
	}
}

/* The farm's other running instances as hosts lines; how many. */
static size_t farm_hosts(struct agent *a, const struct farm *f, char *text, size_t len)
{
	char buf[64];
	size_t i, used = 0, n = 0;
	int k;

	text[0] = '\0';
	for (i = 0; i < f->n; i++) {
		const struct vni_farm_instance *fi = &f->inst[i];

		if (strcmp(fi->state, "running") || !strcmp(fi->node, a->n->node_name))
			continue;
		n++;
		for (k = 0; k < 2; k++) {
			const struct vni_addr *v = k ? &fi->r.vip6 : &fi->r.vip4;

			if (v->family && used < len)
				used += (size_t)snprintf(text + used, len - used, "%s %s\n",
							 vni_addr_str(v, buf, sizeof(buf)), fi->r.hostname);
		}
	}
	return n;
}

struct fence_ctx {
	struct agent *a;
	const struct farm *f;
	struct vni_state *st;
	char (*names)[256]; /* to fence */
	size_t n;
};

/* An instance of this node the farm marked lost while the agent was away
 * (stopped, cut off), and nobody took: running here again. */
static void relive(struct agent *a, const struct vni_farm_instance *fi, const struct vni_record *r)
{
	struct vni_record copy = *r;
	struct vni_claim c = { .r = &copy, .restore = true, .again = true };
	char err[VNI_ERRLEN];

	(void)fi;
	if (a->g->ops->claim(a->g, &c, err))
		vni_log(VNI_LOG_WARN, "agent: %s was marked lost: %s", r->name, err);
	else
		vni_log(VNI_LOG_INFO, "agent: %s was marked lost: running here again", r->name);
}

static int note_fence(const struct vni_record *r, void *arg)
{
	struct fence_ctx *c = arg;
	size_t i;

	if (r->checkpointed || r->phase != VNI_READY)
		return 0;
	for (i = 0; i < c->f->n; i++) {
		const struct vni_farm_instance *fi = &c->f->inst[i];
		char (*p)[256];

		struct vni_farm_instance now;
		char err[VNI_ERRLEN];

		if (strcmp(fi->r.name, r->name))
			continue;
		if (!strcmp(fi->node, c->a->n->node_name) && !strcmp(fi->state, "lost"))
			relive(c->a, fi, r);
		if (!strcmp(fi->node, c->a->n->node_name) || strcmp(fi->state, "running"))
			continue;
		/* read again under the node lock: the look may be old by now */
		if (c->a->g->ops->get_instance(c->a->g, r->name, &now, err) != 1 ||
		    !strcmp(now.node, c->a->n->node_name) || strcmp(now.state, "running"))
			continue;
		if (!(p = realloc(c->names, (c->n + 1) * sizeof(*p))))
			return -ENOMEM;
		c->names = p;
		snprintf(c->names[c->n++], sizeof(c->names[0]), "%.255s", r->name);
		vni_log(VNI_LOG_INFO, "agent: fencing %s: node %s runs it now", r->name, fi->node);
	}
	return 0;
}

/* Under the node lock (not waited for: -EWOULDBLOCK while a command holds
 * it, say a checkpoint): fencing, then the hosts file with the farm's part
 * (text). */
static int apply(struct agent *a, const struct farm *f, const char *text, char *err)
{
	struct fence_ctx c = { .a = a, .f = f };
	bool hosts_changed = strcmp(text, a->hosts) != 0;
	struct vni_record r;
	char path[PATH_MAX];
	size_t i;
	int ret = vni_node_try_open(a->n, &c.st, err);

	if (ret)
		return ret;
	ret = vni_state_each(c.st, note_fence, &c, err);
	for (i = 0; !ret && i < c.n; i++)
		if (vni_state_get(c.st, c.names[i], &r, err) == 1 &&
		    vni_fence_locked(a->n, c.st, &r, err))
			vni_log(VNI_LOG_WARN, "agent: fencing %s: %s", c.names[i], err);
	free(c.names);
	if (!ret && (hosts_changed || c.n)) {
		ret = vni_path(path, sizeof(path), "%s/" VNI_FARM_HOSTS, vni_state_dir(c.st));
		if (!ret)
			ret = vni_replace_file(path, text, err);
		if (!ret)
			ret = vni_publish_hosts(a->n, c.st, err);
		if (!ret) /* what the file has now */
			snprintf(a->hosts, sizeof(a->hosts), "%s", text);
	}
	vni_state_close_tidy(c.st);
	return ret;
}

static void look(struct agent *a)
{
	static char text[sizeof(((struct agent *)0)->hosts)];
	struct farm f = {};
	char err[VNI_ERRLEN];
	size_t others;
	bool changed;
	int ret;

	ret = a->g->ops->each_node(a->g, add_node, &f, err);
	if (!ret)
		ret = a->g->ops->each_instance(a->g, add_instance, &f, err);
	if (ret) {
		vni_log(VNI_LOG_WARN, "agent: cannot read the farm: %s", err);
		goto out;
	}
	mark_lost(a, &f);
	remember_alive(a, &f);
	others = farm_hosts(a, &f, text, sizeof(text));
	changed = strcmp(text, a->hosts) != 0;
	ret = apply(a, &f, text, err);
	a->again = ret == -EWOULDBLOCK;
	if (ret && !a->again)
		vni_log(VNI_LOG_WARN, "agent: %s", err);
	else if (!ret && changed)
		vni_log(VNI_LOG_INFO, "agent: hosts file: %zu running instance(s) of other nodes",
			others);
out:
	free(f.inst);
	free(f.alive);
}

int vni_agent(const struct vni_node *n, const struct vni_agent_opts *o, char *err)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct agent *a = calloc(1, sizeof(*a));
	int period = o->ttl * 1000 / 3, ret;
	struct timespec last, now;
	pthread_t w;
	char buf[64];

	if (!a)
		return vni_err(err, -ENOMEM, "out of memory");
	a->n = n;
	ret = vni_registry_open(n, NULL, &a->g, err);
	if (!ret)
		ret = a->g->ops->join(a->g, o->ttl, err);
	if (ret)
		goto out;
	vni_log(VNI_LOG_INFO, "agent: node %s is in the farm (a lease of %d s)", n->node_name, o->ttl);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (pipe2(a->wake, O_CLOEXEC | O_NONBLOCK)) {
		ret = vni_err(err, -errno, "cannot start the watch: %s", strerror(errno));
		goto leave;
	}
	if ((ret = pthread_create(&w, NULL, watcher, a))) {
		ret = vni_err(err, -ret, "cannot start the watch: %s", strerror(ret));
		goto leave;
	}
	pthread_detach(w);
	look(a);
	clock_gettime(CLOCK_MONOTONIC, &last);
	while (!stop) {
		struct pollfd p = { .fd = a->wake[0], .events = POLLIN };

		/* a look the node lock held up is tried again in 0.2 s */
		int woke = poll(&p, 1, a->again ? 200 : period);

		if (woke > 0)
			while (read(a->wake[0], buf, sizeof(buf)) > 0)
				;
		if (woke > 0 || a->again)
			look(a);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (stop || (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 < period)
			continue;
		last = now;
		ret = a->g->ops->keepalive(a->g, err);
		if (ret == -ENOENT && !(ret = a->g->ops->join(a->g, o->ttl, err)))
			vni_log(VNI_LOG_WARN, "agent: the node's lease had lapsed: in the farm again");
		else if (ret)
			vni_log(VNI_LOG_WARN, "agent: keepalive: %s", err);
		ret = 0;
	}
	vni_log(VNI_LOG_INFO, "agent: node %s leaves the farm", n->node_name);
leave:
	a->g->ops->leave(a->g);
out:
	vni_registry_close(a->g);
	/* (the watcher thread ends with the process, and uses a) */
	return ret;
}
