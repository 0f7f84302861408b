// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "core/bpfobj.h"
#include "core/monitor.h"
#include "core/state.h"
#include "sys/log.h"
#include "sys/util.h"

#define POLL_MS 500
#define NAMES_RELOAD_NS 1000000000LL /* an unknown cgroup id re-reads the state at most this often */

/* cgroup id -> instance name; name NULL: no such instance at the last reload. */
struct cached_name {
	uint64_t cgid;
	char *name;
};

struct monitor {
	const struct vni_node *n;
	const struct vni_monitor_opts *o;
	void *names; /* tsearch tree of struct cached_name */
	int64_t names_loaded;
	uint64_t lost;
	bool discard; /* events from before the start */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ns(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp_cgid(const void *a, const void *b)
{
	uint64_t x = ((const struct cached_name *)a)->cgid, y = ((const struct cached_name *)b)->cgid;

	return x < y ? -1 : x > y;
}

static void free_name(void *p)
{
	free(((struct cached_name *)p)->name);
	free(p);
}

static struct cached_name *find_name(struct monitor *m, uint64_t cgid)
{
	struct cached_name key = { .cgid = cgid };
	struct cached_name **c = tfind(&key, &m->names, cmp_cgid);

	return c ? *c : NULL;
}

static struct cached_name *add_name(struct monitor *m, uint64_t cgid, const char *name)
{
	struct cached_name *c = calloc(1, sizeof(*c)), **in;

	if (!c)
		return NULL;
	c->cgid = cgid;
	c->name = name ? strdup(name) : NULL;
	in = tsearch(c, &m->names, cmp_cgid);
	if (!in || *in != c)
		free_name(c);
	return in ? *in : NULL;
}

static int add_record(const struct vni_record *r, void *arg)
{
	if (!r->checkpointed)
		add_name(arg, r->cgroup_id, r->name);
	return 0;
}

/* Names come from the state; instances attached after the start too. */
static void reload_names(struct monitor *m)
{
	struct vni_state *st;

	tdestroy(m->names, free_name);
	m->names = NULL;
	m->names_loaded = now_ns(CLOCK_MONOTONIC);
	if (vni_state_open(m->n->state_dir, false, &st, NULL))
		return;
	vni_state_each(st, add_record, m, NULL);
	vni_state_close(st);
}

static const char *instance_name(struct monitor *m, uint64_t cgid)
{
	struct cached_name *c = cgid ? find_name(m, cgid) : NULL;

	if (!cgid || (c && c->name))
		return c ? c->name : NULL;
	if (!c || now_ns(CLOCK_MONOTONIC) - m->names_loaded >= NAMES_RELOAD_NS) {
		reload_names(m);
		c = find_name(m, cgid);
	}
	if (!c)
		c = add_name(m, cgid, NULL);
	return c ? c->name : NULL;
}

/* The event's CLOCK_MONOTONIC time on the wall clock. */
static struct timespec wall_time(uint64_t ktime_ns)
{
	int64_t t = now_ns(CLOCK_REALTIME) - (now_ns(CLOCK_MONOTONIC) - (int64_t)ktime_ns);

	return (struct timespec){ .tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL };
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct vni_event *e = data;
	struct monitor *m = ctx;
	struct timespec wall;
	const char *name;

	if (m->discard || size < sizeof(*e) || (m->o->cgid && e->cgid != m->o->cgid))
		return 0;
	wall = wall_time(e->ktime_ns);
	name = instance_name(m, e->cgid);
	m->o->on_event(e, name, &wall, m->o->arg);
	return 0;
}

/* Events the BPF programs could not report since the monitor started. */
static void report_lost(struct monitor *m)
{
	struct vni_guard_stats gs;

	if (vni_bpf_guard_stats(m->n, &gs, NULL) || gs.lost_events <= m->lost)
		return;
	vni_log(VNI_LOG_INFO, "%llu refusal(s) not reported: the ring buffer was full",
		(unsigned long long)(gs.lost_events - m->lost));
	m->lost = gs.lost_events;
}

static int lock_monitor(const struct vni_node *n, char *err)
{
	char path[PATH_MAX];
	int ret, fd;

	ret = vni_mkdir_p(n->state_dir, 0755);
	if (ret)
		return vni_err(err, ret, "cannot create state dir %s: %s", n->state_dir,
			       strerror(-ret));
	if (vni_path(path, sizeof(path), "%s/monitor.lock", n->state_dir))
		return vni_err(err, -ENAMETOOLONG, "state dir path too long");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return vni_err(err, -errno, "cannot open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	ret = -errno;
	close(fd);
	if (ret == -EWOULDBLOCK)
		return vni_err(err, -EBUSY,
			       "another 'vnictl monitor' runs on this node (the ring buffer has one reader)");
	return vni_err(err, ret, "cannot lock %s: %s", path, strerror(-ret));
}

static void on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: poll returns */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int stream(struct monitor *m, struct ring_buffer *rb, char *err)
{
	struct vni_guard_stats gs;
	int ret = vni_bpf_guard_stats(m->n, &gs, err);

	if (ret)
		return ret;
	m->lost = gs.lost_events;
	ring_buffer__consume(rb); /* refusals from before the start are not live */
	m->discard = false;
	on_signals();
	vni_log(VNI_LOG_INFO, "monitoring refusals");
	while (!stop) {
		ret = ring_buffer__poll(rb, POLL_MS);
		if (ret == -EINTR)
			continue; /* a signal, or SIGCONT: the events first, then what was lost */
		if (ret < 0)
			return vni_err(err, ret, "cannot read the ring buffer: %s", strerror(-ret));
		report_lost(m);
	}
	return 0;
}

int vni_monitor(const struct vni_node *n, const struct vni_monitor_opts *o, char *err)
{
	struct monitor m = { .n = n, .o = o, .discard = true };
	int map_fd, lock_fd, ret;
	struct ring_buffer *rb;

	map_fd = vni_bpf_map_fd(n, "vni_events", err);
	if (map_fd < 0)
		return map_fd;
	lock_fd = lock_monitor(n, err);
	if (lock_fd < 0) {
		close(map_fd);
		return lock_fd;
	}
	rb = ring_buffer__new(map_fd, on_event, &m, NULL);
	if (rb) {
		ret = stream(&m, rb, err);
		ring_buffer__free(rb);
	} else {
		ret = vni_err(err, -errno, "cannot read the ring buffer: %s", strerror(errno));
	}
	tdestroy(m.names, free_name);
	close(lock_fd);
	close(map_fd);
	return ret;
}
