// SPDX-License-Identifier: GPL-2.0-only
/* Per-instance path specs (see pathmap.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/pathmap.h"
#include "core/state.h"
#include "sys/util.h"

/* How a path takes '%': not at all (PATH), as the start of a code (SOURCE
 * as given), as itself (SOURCE resolved). */
enum pct { PCT_NONE, PCT_CODES, PCT_ANY };

/* What is wrong with absolute path p; NULL: nothing. */
static const char *bad_path(const char *p, enum pct pct)
{
	const char *c;

	if (p[0] != '/')
		return "must be absolute";
	if (!p[1])
		return "cannot be /";
	for (c = p; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "holds a control character";
		if (*c != '%' || pct == PCT_ANY)
			continue;
		if (pct == PCT_NONE)
			return "cannot hold %-codes (they are for SOURCE)";
		if (!c[1] || !strchr("nah46%", c[1]))
			return "holds an unknown %-code (known: %n %a %h %4 %6 %%)";
		c++;
	}
	for (c = p; *c; c += strcspn(c + 1, "/") + 1) {
		size_t len = strcspn(c + 1, "/");

		if (len == 0)
			return "has an empty component (// or a trailing /)";
		if ((len == 1 && c[1] == '.') || (len == 2 && c[1] == '.' && c[2] == '.'))
			return "has a '.' or '..' component";
	}
	return NULL;
}

int vni_map_parse(const char *spec, struct vni_map *m, char *err)
{
	const char *eq = strchr(spec, '='), *why;
	size_t plen;

	memset(m, 0, sizeof(*m));
	if (!eq || eq == spec || !eq[1])
		return vni_err(err, -EINVAL, "map '%.300s': PATH=SOURCE expected", spec);
	plen = (size_t)(eq - spec);
	if (plen >= sizeof(m->path) || strlen(eq + 1) >= sizeof(m->source))
		return vni_err(err, -EINVAL, "map '%.300s': PATH and SOURCE are at most %d characters",
			       spec, VNI_MAP_PATH_MAX - 1);
	memcpy(m->path, spec, plen);
	memcpy(m->source, eq + 1, strlen(eq + 1) + 1);
	if ((why = bad_path(m->path, PCT_NONE)))
		return vni_err(err, -EINVAL, "map '%.300s': PATH %s", spec, why);
	if ((why = bad_path(m->source, PCT_CODES)))
		return vni_err(err, -EINVAL, "map '%.300s': SOURCE %s", spec, why);
	return 0;
}

int vni_map_add(struct vni_map *maps, unsigned *n, const char *spec, char *err)
{
	struct vni_map m;
	unsigned i;
	int ret = vni_map_parse(spec, &m, err);

	if (ret)
		return ret;
	for (i = 0; i < *n; i++)
		if (!strcmp(maps[i].path, m.path))
			return vni_err(err, -EINVAL, "map '%.300s': PATH %s is mapped twice", spec,
				       m.path);
	if (*n >= VNI_MAPS_MAX)
		return vni_err(err, -EINVAL, "more than %d maps", VNI_MAPS_MAX);
	maps[(*n)++] = m;
	return 0;
}

/* The text of %c for r, or NULL with err set. */
static const char *code(char c, const struct vni_map *m, const struct vni_record *r, char *buf,
			size_t n, char *err)
{
	const char *slash = strrchr(r->name, '/');
	const struct vni_addr *vip = c == '4' ? &r->vip4 : &r->vip6;

	switch (c) {
	case 'n':
		return slash ? slash + 1 : r->name;
	case 'a':
		snprintf(buf, n, "%u", r->aid);
		return buf;
	case 'h':
		return r->hostname;
	case '%':
		return "%";
	}
	if (!vip->family) {
		vni_err(err, -EINVAL, "map '%s=%s': %%%c, but instance %s has no %s VIP", m->path,
			m->source, c, r->name, c == '4' ? "IPv4" : "IPv6");
		return NULL;
	}
	return vni_addr_str(vip, buf, n);
}

int vni_map_resolve(const struct vni_map *m, const struct vni_record *r, char *out, size_t n,
		    char *err)
{
	char buf[64], one[2] = "";
	const char *s, *v, *why;
	size_t used = 0, len;

	for (s = m->source; *s; s++) {
		if (*s == '%') {
			if (!(v = code(*++s, m, r, buf, sizeof(buf), err)))
				return -EINVAL;
		} else {
			one[0] = *s;
			v = one;
		}
		len = strlen(v);
		if (used + len >= n)
			return vni_err(err, -ENAMETOOLONG, "map '%s=%s': SOURCE is too long for %s",
				       m->path, m->source, r->name);
		memcpy(out + used, v, len + 1);
		used += len;
	}
	if (!used)
		out[0] = '\0';
	if ((why = bad_path(out, PCT_ANY)))
		return vni_err(err, -EINVAL, "map '%s=%s': SOURCE %s for %s (%s)", m->path,
			       m->source, why, r->name, out);
	return 0;
}
