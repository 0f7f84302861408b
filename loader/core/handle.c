// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/handle.h"
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
	l->v[l->n] = strdup(name);
	return l->v[l->n++] ? 0 : -ENOMEM;
}

static int collect_unfinished(const struct vni_record *r, void *arg)
{
	return push_name(arg, r->name);
}

static void recover_all(const struct vni_node *n, struct vni_state *st)
{
	char err[VNI_ERRLEN], done[VNI_ERRLEN];
	struct names l = {};
	struct vni_record r;
	size_t i;

	if (vni_state_each_unfinished(st, collect_unfinished, &l, err))
		vni_log(VNI_LOG_WARN, "cannot look for interrupted operations: %s", err);
	for (i = 0; i < l.n; i++) {
		if (vni_state_get(st, l.v[i], &r, err) == 1) {
			if (vni_recover_one(n, st, &r, done, sizeof(done), err))
				vni_log(VNI_LOG_WARN, "%s", err);
			else
				vni_log(VNI_LOG_INFO, "recovered: %s", done);
		}
		free(l.v[i]);
	}
	free(l.v);
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
