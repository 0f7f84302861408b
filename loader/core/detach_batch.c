// SPDX-License-Identifier: GPL-2.0-only
/* Many instances detached together (core/detach_batch.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bpfobj.h"
#include "core/detach_batch.h"
#include "core/instance.h"
#include "core/nodeview.h"
#include "core/registry.h"
#include "core/state_txn.h"
#include "sys/cgroup.h"
#include "sys/crashpoint.h"
#include "sys/log.h"
#include "sys/util.h"

void vni_batch_step(const struct vni_batch_opts *o, const char *phase, size_t done,
		    size_t total)
{
	char step[96];

	if (o->progress)
		o->progress(phase, done, total, o->arg);
	if (done % VNI_BATCH_CHUNK && done != total)
		return;
	snprintf(step, sizeof(step), "%s: %s (%zu of %zu)", o->op, phase, done, total);
	vni_crashpoint(step);
}

static void point(const struct vni_batch_opts *o, const char *phase)
{
	char step[96];

	snprintf(step, sizeof(step), "%s: %s", o->op, phase);
	vni_crashpoint(step);
}

/* What the last transaction needs of an instance torn down. */
struct gone {
	uint64_t cgid;
	uint32_t aid;
	bool clone, failed;
};

struct batch {
	const struct vni_node *n;
	struct vni_state *st;
	char *const *names;
	size_t k;
	const struct vni_batch_opts *o;
	char *err;
	struct vni_record *r; /* scratch (large) */
	struct gone *g;
};

/* The registry first (nothing changes when it cannot be reached), then
 * "detaching" for all in one transaction. */
static int record_intent(struct batch *b)
{
	struct vni_registry *g = NULL;
	size_t i;
	int ret = b->o->recovery ? 0 : vni_registry_open(b->n, b->st, &g, b->err);

	for (i = 0; i < b->k && !ret && g; i++) {
		ret = vni_state_get(b->st, b->names[i], b->r, b->err);
		if (ret == 1)
			ret = g->ops->release(g, b->r, b->err);
	}
	vni_registry_close(g);
	if (ret)
		return ret;
	ret = vni_state_begin(b->st, b->err);
	if (ret)
		return ret;
	for (i = 0; i < b->k && !ret; i++) {
		ret = vni_state_get(b->st, b->names[i], b->r, b->err);
		b->r->phase = VNI_DETACHING;
		if (ret == 1)
			ret = vni_state_update(b->st, b->r, b->err);
	}
	return vni_state_commit(b->st, ret, b->err);
}

/* Processes, then the kernel parts; a failure puts the row back to ready
 * (as detach: nothing is gone but its name, which the caller publishes). */
static int teardown_one(struct batch *b, size_t i, const struct vni_node_view *view)
{
	struct vni_record *r = b->r;
	int one = vni_state_get(b->st, b->names[i], r, b->err), procs;

	if (one != 1)
		return one ? one : vni_err(b->err, -ENOENT, "no instance named '%s'", b->names[i]);
	procs = access(r->cgroup, F_OK) ? 0 : cg_for_each_pid(r->cgroup, NULL, NULL);
	one = procs > 0 ? cg_kill_all(r->cgroup, b->err) : 0;
	if (!one && procs > 0)
		vni_crashpoint("processes killed");
	if (!one)
		one = vni_instance_teardown_batched(b->n, r, view, b->err);
	if (one) {
		if (!b->o->recovery) {
			r->phase = VNI_READY;
			vni_state_update(b->st, r, NULL);
		}
		return one;
	}
	b->g[i].cgid = r->cgroup_id;
	b->g[i].aid = r->aid;
	b->g[i].clone = r->template[0] != '\0';
	return 0;
}

/* The rows of those torn down, in one transaction; a clone's work dir too. */
static int delete_rows(struct batch *b)
{
	int ret = vni_state_begin(b->st, b->err);
	size_t i;

	for (i = 0; i < b->k && !ret; i++) {
		if (b->g[i].failed)
			continue;
		ret = vni_state_delete(b->st, b->names[i], b->err);
		if (!ret && b->g[i].clone) {
			b->r->aid = b->g[i].aid;
			vni_forget_clone_work(b->st, b->r);
		}
	}
	return vni_state_commit(b->st, ret, b->err);
}

static int run(struct batch *b, uint64_t *cgids)
{
	struct vni_node_view view;
	char first[VNI_ERRLEN] = "";
	size_t i, failed = 0, ncg = 0;
	int ret = vni_node_view_read(&view, b->err);

	if (!ret)
		ret = record_intent(b);
	if (ret) {
		vni_node_view_free(&view);
		return ret;
	}
	point(b->o, "detach intent recorded");
	/* the names go first; a hosts file that could not be changed is
	 * reported stale by check and rewritten by sync */
	if (vni_publish_hosts(b->n, b->st, b->err))
		vni_log(VNI_LOG_WARN, "%s", b->err);
	point(b->o, "hosts file written");
	/* last first: apply made them in the order of their names, and the
	 * kernel finds an IPv6 address to remove by walking the device's
	 * addresses from the newest */
	for (i = b->k; i-- > 0;) {
		if (teardown_one(b, i, &view)) {
			b->g[i].failed = true;
			if (!failed++)
				snprintf(first, sizeof(first), "%s: %s", b->names[i], b->err);
		} else if (b->g[i].cgid) {
			cgids[ncg++] = b->g[i].cgid;
		}
		vni_batch_step(b->o, "instances detached", b->k - i, b->k);
	}
	vni_node_view_free(&view);
	vni_bpf_forget_cgids(b->n, cgids, ncg);
	point(b->o, "receive counters forgotten");
	ret = delete_rows(b);
	if (failed) {
		vni_publish_hosts(b->n, b->st, NULL);
		return vni_err(b->err, -EBUSY, "%zu instance(s) could not be detached (first: %s)",
			       failed, first);
	}
	if (!ret)
		point(b->o, "detached rows deleted");
	return ret;
}

int vni_detach_batch(const struct vni_node *n, struct vni_state *st, char *const *names,
		     size_t k, const struct vni_batch_opts *o, char *err)
{
	struct batch b = { n, st, names, k, o, err, malloc(sizeof(*b.r)), calloc(k, sizeof(*b.g)) };
	uint64_t *cgids = calloc(k, sizeof(*cgids));
	int ret;

	if (!k)
		ret = 0;
	else if (!b.r || !b.g || !cgids)
		ret = vni_err(err, -ENOMEM, "out of memory");
	else
		ret = run(&b, cgids);
	free(cgids);
	free(b.g);
	free(b.r);
	return ret;
}
