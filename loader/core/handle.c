// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/detach_batch.h"
#include "core/handle.h"
#include "core/instance.h"
#include "core/park.h"
#include "core/recover.h"
#include "core/svcbuild.h"
#include "sys/log.h"
#include "sys/util.h"

struct names {
	char **v;
	size_t n;
};

static int push_name(struct names *l, const char *name)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	if (!(l->v[l->n] = strdup(name)))
		return -ENOMEM;
	l->n++;
	return 0;
}

static int collect_unfinished(const struct vni_record *r, void *arg)
{
	return push_name(arg, r->name);
}

/* The rows that recovery removes go as one batch (core/detach_batch.h): a
 * down or apply of thousands killed midway is finished as fast as it would
 * have run; the others one by one. */
static void recover_all(const struct vni_node *n, struct vni_state *st)
{
	struct vni_batch_opts o = { .op = "recover", .recovery = true };
	char err[VNI_ERRLEN], done[VNI_ERRLEN];
	struct names l = {}, gone = {};
	struct vni_record r;
	bool *undo = NULL;
	uint64_t here;
	size_t i;

	if (vni_state_each_unfinished(st, collect_unfinished, &l, err))
		vni_log(VNI_LOG_WARN, "cannot look for interrupted operations: %s", err);
	if (l.n && !(undo = calloc(l.n, sizeof(*undo))))
		vni_log(VNI_LOG_WARN, "cannot recover interrupted operations now: out of memory");
	for (i = 0; undo && i < l.n; i++) {
		if (vni_state_get(st, l.v[i], &r, err) != 1)
			continue;
		if (vni_recover_removes(&r) && !push_name(&gone, r.name)) {
			undo[gone.n - 1] = r.phase == VNI_ATTACHING;
		} else if (vni_recover_one(n, st, &r, done, sizeof(done), err)) {
			vni_log(VNI_LOG_WARN, "%s", err);
		} else {
			vni_log(VNI_LOG_INFO, "recovered: %s", done);
		}
	}
	if (gone.n && vni_detach_batch(n, st, gone.v, gone.n, &o, err))
		vni_log(VNI_LOG_WARN, "%s", err);
	else
		for (i = 0; i < gone.n; i++)
			vni_log(VNI_LOG_INFO, "recovered: %s the interrupted %s of %s",
				undo[i] ? "undid" : "finished", undo[i] ? "attach" : "detach",
				gone.v[i]);
	/* a crash inside a hold on the parking address counts one too many */
	if (l.n && !vni_netns_cookie(&here, NULL) && vni_park_recount(n, st, here, true, err))
		vni_log(VNI_LOG_WARN, "%s", err);
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	for (i = 0; i < gone.n; i++)
		free(gone.v[i]);
	free(l.v);
	free(gone.v);
	free(undo);
}

static int collect_service(const char *name, void *arg)
{
	return push_name(arg, name);
}

/* Service commands that were cut short (core/svcbuild.h). */
static void recover_services(const struct vni_node *n, struct vni_state *st)
{
	char err[VNI_ERRLEN], done[VNI_ERRLEN];
	struct vni_service *svc = NULL;
	struct names l = {};
	size_t i;

	if (vni_state_svc_each_unfinished(st, collect_service, &l, err))
		vni_log(VNI_LOG_WARN, "cannot look for interrupted service commands: %s", err);
	if (l.n && !(svc = malloc(sizeof(*svc))))
		vni_log(VNI_LOG_WARN, "cannot recover service commands now: out of memory");
	for (i = 0; i < l.n; i++) {
		if (svc && vni_state_svc_get(st, l.v[i], svc, err) == 1) {
			if (vni_svc_recover_one(n, st, svc, done, sizeof(done), err))
				vni_log(VNI_LOG_WARN, "%s", err);
			else
				vni_log(VNI_LOG_INFO, "recovered: %s", done);
		}
		free(l.v[i]);
	}
	free(l.v);
	free(svc);
}

int vni_node_open(const struct vni_node *n, bool create, struct vni_state **st, char *err)
{
	int ret = vni_state_open(n->state_dir, create, st, err);

	if (!ret) {
		recover_all(n, *st);
		recover_services(n, *st);
	}
	return ret;
}

int vni_node_try_open(const struct vni_node *n, struct vni_state **st, char *err)
{
	int ret = vni_state_try_open(n->state_dir, st, err);

	if (!ret) {
		recover_all(n, *st);
		recover_services(n, *st);
	}
	return ret;
}
