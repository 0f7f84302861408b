// SPDX-License-Identifier: GPL-2.0-only
/* vnictl apply's input (core/applyspec.h): JSON in, checked items out. */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/applyspec.h"
#include "sys/util.h"
#include "vni_shared.h"

/* What list --json prints that apply does not set: read past. */
static const char *const ignored[] = { "cgroup", "cgroup_id", "pids", "status", "created",
				       "private", "counters" };

struct where {
	size_t i;
	const char *name;
	char *err;
};

/* "instance 3 (web): FIELD: MSG", -EINVAL. */
static int bad(const struct where *w, const char *field, const char *msg)
{
	char line[VNI_ERRLEN];

	snprintf(line, sizeof(line), "instance %zu%s%.80s%s: %s%s%s", w->i + 1,
		 w->name ? " (" : "", w->name ? w->name : "", w->name ? ")" : "",
		 field ? field : "", field ? ": " : "", msg);
	return vni_err(w->err, -EINVAL, "%s", line);
}

static int want_type(const struct where *w, const char *key, json_object *v, json_type t,
		     bool null_ok)
{
	static const char *const names[] = { [json_type_boolean] = "true or false",
					      [json_type_int] = "a number",
					      [json_type_string] = "a string",
					      [json_type_array] = "an array" };

	if ((!v && null_ok) || json_object_is_type(v, t))
		return 0;
	char msg[64];

	snprintf(msg, sizeof(msg), "must be %s%s", names[t], null_ok ? " or null" : "");
	return bad(w, key, msg);
}

static int parse_vip(const struct where *w, const char *key, json_object *v, int family,
		     struct vni_apply_vip *out)
{
	char err[VNI_ERRLEN];
	const char *s;
	int fam, ret;

	memset(out, 0, sizeof(*out));
	if ((ret = want_type(w, key, v, json_type_string, true)) || !v)
		return ret;
	s = json_object_get_string(v);
	/* "auto", "auto/POOL" (and "auto6" in vip6): the field says the family */
	if (!strncmp(s, "auto", 4) && (ret = vni_parse_auto(s, &fam, out->pool,
							    sizeof(out->pool), err))) {
		if (ret < 0)
			return bad(w, key, err);
		if (family == AF_INET && fam == AF_INET6)
			return bad(w, key, "auto6 is an IPv6 VIP (vip6)");
		return 0;
	}
	if (vni_parse_vip(s, &out->a, err))
		return bad(w, key, err);
	if (out->a.family != family)
		return bad(w, key, family == AF_INET ? "not an IPv4 address" : "not an IPv6 address");
	return 0;
}

static int parse_maps(const struct where *w, json_object *v, struct vni_apply_item *it)
{
	size_t i, n;
	int ret;

	if ((ret = want_type(w, "maps", v, json_type_array, false)))
		return ret;
	n = json_object_array_length(v);
	if (n > VNI_MAPS_MAX)
		return bad(w, "maps", "more than 16 maps");
	it->maps_given = true;
	it->maps = n ? calloc(n, sizeof(*it->maps)) : NULL;
	if (n && !it->maps)
		return vni_err(w->err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(v, i), *p, *s;
		char spec[2 * VNI_MAP_PATH_MAX + 2], err[VNI_ERRLEN];

		if (!json_object_is_type(m, json_type_object) ||
		    !json_object_object_get_ex(m, "path", &p) ||
		    !json_object_object_get_ex(m, "source", &s) ||
		    !json_object_is_type(p, json_type_string) ||
		    !json_object_is_type(s, json_type_string))
			return bad(w, "maps", "each map is an object with \"path\" and \"source\"");
		snprintf(spec, sizeof(spec), "%s=%s", json_object_get_string(p),
			 json_object_get_string(s));
		if (vni_map_add(it->maps, &it->nmaps, spec, err))
			return bad(w, "maps", err);
	}
	return 0;
}

static bool is_ignored(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (!strcmp(key, ignored[i]))
			return true;
	return false;
}

static int parse_field(const struct where *w, const char *key, json_object *v,
		       struct vni_apply_item *it)
{
	char err[VNI_ERRLEN];
	int ret;

	if (!strcmp(key, "name"))
		return 0; /* read first */
	if (!strcmp(key, "vip4"))
		return parse_vip(w, key, v, AF_INET, &it->vip4);
	if (!strcmp(key, "vip6"))
		return parse_vip(w, key, v, AF_INET6, &it->vip6);
	if (!strcmp(key, "hostname")) {
		if ((ret = want_type(w, key, v, json_type_string, true)) || !v)
			return ret;
		if (vni_check_hostname(json_object_get_string(v), err))
			return bad(w, key, err);
		it->hostname = strdup(json_object_get_string(v));
		return it->hostname ? 0 : vni_err(w->err, -ENOMEM, "out of memory");
	}
	if (!strcmp(key, "aid")) {
		int64_t aid;

		if ((ret = want_type(w, key, v, json_type_int, true)) || !v)
			return ret;
		aid = json_object_get_int64(v);
		if (aid < 1 || aid > 4294967295LL)
			return bad(w, key, "must be 1..4294967295");
		it->aid = (uint32_t)aid;
		return 0;
	}
	if (!strcmp(key, "dev")) {
		if ((ret = want_type(w, key, v, json_type_string, false)))
			return ret;
		if (vni_path(it->dev, sizeof(it->dev), "%s", json_object_get_string(v)) ||
		    !it->dev[0] || strchr(it->dev, '/'))
			return bad(w, key, "not a device name");
		return 0;
	}
	if (!strcmp(key, "allow_raw")) {
		if ((ret = want_type(w, key, v, json_type_boolean, false)))
			return ret;
		it->flags |= json_object_get_boolean(v) ? VNI_F_ALLOW_RAW : 0;
		return 0;
	}
	if (!strcmp(key, "loopback")) {
		if ((ret = want_type(w, key, v, json_type_string, false)))
			return ret;
		if (vni_parse_loopback(json_object_get_string(v), &it->flags, err))
			return bad(w, key, err);
		return 0;
	}
	if (!strcmp(key, "maps"))
		return parse_maps(w, v, it);
	if (!strcmp(key, "template")) {
		if ((ret = want_type(w, key, v, json_type_string, true)) || !v)
			return ret;
		it->template = strdup(json_object_get_string(v));
		return it->template ? 0 : vni_err(w->err, -ENOMEM, "out of memory");
	}
	if (is_ignored(key))
		return 0;
	return bad(w, key, "unknown field (see docs/json.md)");
}

static int parse_item(json_object *o, struct where *w, struct vni_apply_item *it)
{
	char err[VNI_ERRLEN];
	json_object *name;
	int ret;

	snprintf(it->dev, sizeof(it->dev), "lo");
	if (!json_object_is_type(o, json_type_object))
		return bad(w, NULL, "not an object");
	if (!json_object_object_get_ex(o, "name", &name) ||
	    !json_object_is_type(name, json_type_string))
		return bad(w, "name", "missing (a string)");
	w->name = json_object_get_string(name);
	if (w->name[0] != '/' && vni_check_name(w->name, err))
		return bad(w, "name", err);
	if (!(it->name = strdup(w->name)))
		return vni_err(w->err, -ENOMEM, "out of memory");
	json_object_object_foreach(o, key, v) {
		if ((ret = parse_field(w, key, v, it)))
			return ret;
	}
	if (!it->vip4.a.family && !it->vip4.pool[0] && !it->vip6.a.family && !it->vip6.pool[0])
		return bad(w, NULL, "an instance needs a VIP (vip4 or vip6)");
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct vni_apply_item *)a)->name,
		      ((const struct vni_apply_item *)b)->name);
}

static int cmp_addr(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vni_addr));
}

/* Two items may not want the same name, VIP, AID or hostname. */
static int check_unique(struct vni_apply_spec *s, char *err)
{
	struct vni_addr *vips = calloc(2 * s->n + 1, sizeof(*vips));
	char buf[INET6_ADDRSTRLEN];
	size_t i, nv = 0;
	int ret = vips ? 0 : vni_err(err, -ENOMEM, "out of memory");

	for (i = 1; !ret && i < s->n; i++)
		if (!strcmp(s->v[i].name, s->v[i - 1].name))
			ret = vni_err(err, -EINVAL, "instance %s is listed twice", s->v[i].name);
	for (i = 0; !ret && i < s->n; i++) {
		if (s->v[i].vip4.a.family)
			vips[nv++] = s->v[i].vip4.a;
		if (s->v[i].vip6.a.family)
			vips[nv++] = s->v[i].vip6.a;
	}
	if (!ret)
		qsort(vips, nv, sizeof(*vips), cmp_addr);
	for (i = 1; !ret && i < nv; i++)
		if (!cmp_addr(&vips[i], &vips[i - 1]))
			ret = vni_err(err, -EINVAL, "VIP %s is listed twice",
				      vni_addr_str(&vips[i], buf, sizeof(buf)));
	free(vips);
	/* AIDs and hostnames: as the state (its unique columns) would say */
	return ret;
}

int vni_apply_spec_parse(const char *text, size_t len, struct vni_apply_spec *out, char *err)
{
	struct json_tokener *tok = json_tokener_new();
	struct where w = { .err = err };
	json_object *root = NULL;
	size_t i, n;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!tok)
		return vni_err(err, -ENOMEM, "out of memory");
	if (len > (size_t)INT32_MAX)
		ret = vni_err(err, -EFBIG, "input too large");
	if (!ret) {
		root = json_tokener_parse_ex(tok, text, (int)len);
		if (!root || tok->char_offset < (int)len) {
			enum json_tokener_error e = json_tokener_get_error(tok);

			ret = vni_err(err, -EINVAL, "not JSON: %s at offset %d",
				      e == json_tokener_continue ? "unexpected end" :
				      e == json_tokener_success ? "trailing text" :
								 json_tokener_error_desc(e),
				      tok->char_offset);
		}
	}
	json_tokener_free(tok);
	if (!ret && !json_object_is_type(root, json_type_array))
		ret = vni_err(err, -EINVAL,
			      "expected a JSON array of instances (as 'vnictl list --json' prints)");
	n = ret ? 0 : json_object_array_length(root);
	if (n && !(out->v = calloc(n, sizeof(*out->v))))
		ret = vni_err(err, -ENOMEM, "out of memory");
	for (i = 0; !ret && i < n; i++) {
		w.i = i;
		w.name = NULL;
		out->n = i + 1;
		ret = parse_item(json_object_array_get_idx(root, i), &w, &out->v[i]);
	}
	json_object_put(root);
	if (!ret) {
		qsort(out->v, out->n, sizeof(*out->v), by_name);
		ret = check_unique(out, err);
	}
	if (ret)
		vni_apply_spec_free(out);
	return ret;
}

void vni_apply_spec_free(struct vni_apply_spec *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].hostname);
		free(s->v[i].maps);
		free(s->v[i].template);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
