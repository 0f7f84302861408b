// SPDX-License-Identifier: GPL-2.0-only
/* The directories of a run's maps (see mapdirs.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/handle.h"
#include "core/mapdirs.h"
#include "sys/util.h"

/* Removes leaf and its parents up to top (made by make_dirs), if empty. */
static void unmake_dirs(const char *leaf, const char *top)
{
	char buf[PATH_MAX], *slash;

	if (!top[0] || vni_path(buf, sizeof(buf), "%s", leaf))
		return;
	while (strlen(buf) >= strlen(top) && !rmdir(buf) && (slash = strrchr(buf, '/')) &&
	       slash != buf)
		*slash = '\0';
}

/* mkdir -p path (mode 0755); the first directory it made into top ("" when
 * none). 0 or -errno; on failure nothing made is left. */
static int make_dirs(const char *path, char *top, size_t n)
{
	char buf[PATH_MAX], *c;
	struct stat sb;
	int ret;

	top[0] = '\0';
	if (vni_path(buf, sizeof(buf), "%s", path))
		return -ENAMETOOLONG;
	for (c = buf + 1;; c++) {
		if (*c && *c != '/')
			continue;
		char save = *c;

		*c = '\0';
		if (mkdir(buf, 0755) == 0) {
			if (!top[0])
				snprintf(top, n, "%s", buf);
		} else if (errno != EEXIST || stat(buf, &sb) || !S_ISDIR(sb.st_mode)) {
			ret = errno == EEXIST ? -ENOTDIR : -errno;
			/* what was made: the parents of this one, up to top */
			if (top[0] && (c = strrchr(buf, '/')) && c != buf) {
				*c = '\0';
				unmake_dirs(buf, top);
			}
			top[0] = '\0';
			return ret;
		}
		*c = save;
		if (!save)
			return 0;
	}
}

static void unmake(const struct vni_made *m, unsigned upto)
{
	unsigned i = upto;

	while (i--) {
		unmake_dirs(m->binds[i].path, m->top[i][0]);
		unmake_dirs(m->source[i], m->top[i][1]);
	}
}

static int make_one(const struct vni_record *r, const struct vni_map *map, unsigned i,
		    uid_t uid, gid_t gid, struct vni_made *m, char *err)
{
	int ret = vni_map_resolve(map, r, m->source[i], sizeof(m->source[i]), err);

	m->top[i][0][0] = m->top[i][1][0] = '\0';
	m->binds[i].source = m->source[i];
	m->binds[i].path = map->path;
	if (ret)
		return ret;
	if ((ret = make_dirs(m->source[i], m->top[i][1], sizeof(m->top[i][1]))))
		return vni_err(err, ret, "map '%s=%s': cannot make SOURCE %s: %s", map->path,
			       map->source, m->source[i], strerror(-ret));
	if (m->top[i][1][0] && chown(m->source[i], uid, gid)) {
		ret = -errno;
		unmake_dirs(m->source[i], m->top[i][1]);
		return vni_err(err, ret, "map '%s=%s': cannot give %s to uid %u: %s", map->path,
			       map->source, m->source[i], (unsigned)uid, strerror(-ret));
	}
	if ((ret = make_dirs(map->path, m->top[i][0], sizeof(m->top[i][0])))) {
		unmake_dirs(m->source[i], m->top[i][1]);
		return vni_err(err, ret, "map '%s=%s': cannot make PATH %s: %s", map->path,
			       map->source, map->path, strerror(-ret));
	}
	return 0;
}

int vni_maps_make(struct vni_state *st, const struct vni_record *r, const struct vni_map *maps,
		  unsigned n, uid_t uid, gid_t gid, struct vni_made *m, char *err)
{
	unsigned i;
	int ret = 0;

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", r->name);
	memcpy(m->old, r->maps, sizeof(m->old));
	m->nold = r->nmaps;
	for (i = 0; i < n && !ret; i++)
		if ((ret = make_one(r, &maps[i], i, uid, gid, m, err)))
			break;
	if (!ret)
		ret = vni_state_set_maps(st, r->name, maps, n, err);
	if (ret) {
		unmake(m, i);
		return ret;
	}
	m->n = n;
	return 0;
}

void vni_maps_unmake(const struct vni_node *node, const struct vni_made *m)
{
	struct vni_state *st;

	unmake(m, m->n);
	if (!vni_node_open(node, false, &st, NULL)) {
		vni_state_set_maps(st, m->name, m->old, m->nold, NULL);
		vni_state_close(st);
	}
}
