// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ckptmeta.h"
#include "core/hostsfile.h"
#include "sys/util.h"
#include "vni_shared.h"

static json_object *addr_or_null(const struct vni_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	return a->family ? json_object_new_string(vni_addr_str(a, buf, sizeof(buf))) : NULL;
}

static json_object *maps_json(const struct vni_record *r)
{
	json_object *a = json_object_new_array();
	unsigned i;

	for (i = 0; i < r->nmaps; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(r->maps[i].path));
		json_object_object_add(o, "source", json_object_new_string(r->maps[i].source));
		json_object_array_add(a, o);
	}
	return a;
}

char *vni_ckpt_meta_format(const struct vni_ckpt_meta *m)
{
	json_object *o = json_object_new_object();
	char *text;

	json_object_object_add(o, "format", json_object_new_string(VNI_CKPT_FORMAT));
	json_object_object_add(o, "version", json_object_new_int(VNI_CKPT_VERSION));
	json_object_object_add(o, "name", json_object_new_string(m->rec.name));
	json_object_object_add(o, "aid", json_object_new_int64(m->rec.aid));
	json_object_object_add(o, "vip4", addr_or_null(&m->rec.vip4));
	json_object_object_add(o, "vip6", addr_or_null(&m->rec.vip6));
	json_object_object_add(o, "hostname", json_object_new_string(m->rec.hostname));
	json_object_object_add(o, "allow_raw",
			       json_object_new_boolean(!!(m->rec.flags & VNI_F_ALLOW_RAW)));
	json_object_object_add(o, "loopback", json_object_new_string(
			       m->rec.flags & VNI_F_PRIVATE_LO ? "private" : "shared"));
	json_object_object_add(o, "dev", json_object_new_string(m->rec.dev));
	json_object_object_add(o, "maps", maps_json(&m->rec));
	json_object_object_add(o, "node", json_object_new_string(m->node));
	json_object_object_add(o, "created", json_object_new_int64(m->created));
	json_object_object_add(o, "tcp_established", json_object_new_boolean(m->tcp_established));
	json_object_object_add(o, "dump_ms", json_object_new_int64(m->dump_ms));
	json_object_object_add(o, "template", json_object_new_boolean(m->template));
	if (m->nneeds) {
		json_object *a = json_object_new_array();
		unsigned i;

		for (i = 0; i < m->nneeds; i++)
			json_object_array_add(a, json_object_new_string(m->needs[i]));
		json_object_object_add(o, "needs", a);
	}
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return text;
}

static int field(json_object *o, const char *key, json_type type, json_object **out, char *err)
{
	if (!json_object_object_get_ex(o, key, out) || !json_object_is_type(*out, type))
		return vni_err(err, -EINVAL, "checkpoint metadata: missing or mistyped field '%s'",
			       key);
	return 0;
}

static int string_field(json_object *o, const char *key, char *buf, size_t n, char *err)
{
	json_object *v;
	int ret = field(o, key, json_type_string, &v, err);

	if (ret)
		return ret;
	if ((size_t)json_object_get_string_len(v) >= n || memchr(json_object_get_string(v), 0,
								 (size_t)json_object_get_string_len(v)))
		return vni_err(err, -EINVAL, "checkpoint metadata: field '%s' is too long", key);
	memcpy(buf, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	return 0;
}

static int vip_field(json_object *o, const char *key, int family, struct vni_addr *a, char *err)
{
	char buf[INET6_ADDRSTRLEN];
	json_object *v;
	int ret;

	memset(a, 0, sizeof(*a));
	if (!json_object_object_get_ex(o, key, &v))
		return vni_err(err, -EINVAL, "checkpoint metadata: missing field '%s'", key);
	if (json_object_is_type(v, json_type_null))
		return 0;
	ret = string_field(o, key, buf, sizeof(buf), err);
	if (ret)
		return ret;
	if (vni_parse_vip(buf, a, err) || a->family != family)
		return vni_err(err, -EINVAL, "checkpoint metadata: invalid %s '%s'", key, buf);
	return 0;
}

static int int_field(json_object *o, const char *key, int64_t min, int64_t max, int64_t *out,
		     char *err)
{
	json_object *v;
	int ret = field(o, key, json_type_int, &v, err);

	if (ret)
		return ret;
	errno = 0;
	*out = json_object_get_int64(v);
	if (errno || *out < min || *out > max)
		return vni_err(err, -EINVAL, "checkpoint metadata: field '%s' is out of range", key);
	return 0;
}

/* "maps": [{"path": ..., "source": ...}] (absent from images of vnictl
 * before --map: none), each checked as run --map checks it. */
static int maps_field(json_object *o, struct vni_record *r, char *err)
{
	char path[VNI_MAP_PATH_MAX], source[VNI_MAP_PATH_MAX], spec[2 * VNI_MAP_PATH_MAX],
		why[VNI_ERRLEN];
	json_object *a;
	size_t i;
	int ret;

	if (!json_object_object_get_ex(o, "maps", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return vni_err(err, -EINVAL, "checkpoint metadata: field 'maps' is not a list");
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);

		if (!json_object_is_type(m, json_type_object))
			return vni_err(err, -EINVAL, "checkpoint metadata: a map is not an object");
		if ((ret = string_field(m, "path", path, sizeof(path), err)) ||
		    (ret = string_field(m, "source", source, sizeof(source), err)))
			return ret;
		snprintf(spec, sizeof(spec), "%s=%s", path, source);
		if ((ret = vni_map_add(r->maps, &r->nmaps, spec, why)))
			return vni_err(err, ret, "checkpoint metadata: %s", why);
	}
	return 0;
}

/* "needs": an array of CRIU feature names ([a-z0-9_-], short). */
static int needs_field(json_object *v, struct vni_ckpt_meta *m, char *err)
{
	size_t i, n;

	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > VNI_CKPT_NEEDS_MAX)
		return vni_err(err, -EINVAL,
			       "checkpoint metadata: field 'needs' is not an array of at most %d names",
			       VNI_CKPT_NEEDS_MAX);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "";

		if (!*s || strlen(s) >= VNI_CKPT_NEED_LEN ||
		    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s))
			return vni_err(err, -EINVAL,
				       "checkpoint metadata: 'needs' holds a bad feature name");
		strcpy(m->needs[i], s);
	}
	m->nneeds = (unsigned)n;
	return 0;
}

int vni_ckpt_meta_parse(const char *text, struct vni_ckpt_meta *m, char *err)
{
	json_object *o = json_tokener_parse(text), *v;
	char format[32];
	int64_t num;
	int ret;

	memset(m, 0, sizeof(*m));
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return vni_err(err, -EINVAL, "checkpoint metadata is not a JSON object");
	}
	ret = string_field(o, "format", format, sizeof(format), err);
	if (!ret && strcmp(format, VNI_CKPT_FORMAT))
		ret = vni_err(err, -EINVAL, "not a vni checkpoint (format '%s')", format);
	if (!ret && !(ret = int_field(o, "version", 0, INT32_MAX, &num, err)) &&
	    num != VNI_CKPT_VERSION)
		ret = vni_err(err, -EINVAL, "unsupported checkpoint version %lld (this vnictl reads %d)",
			      (long long)num, VNI_CKPT_VERSION);
	if (!ret)
		ret = string_field(o, "name", m->rec.name, VNI_NAME_MAX + 1, err);
	if (!ret && m->rec.name[0] != '/')
		ret = vni_check_name(m->rec.name, err);
	if (!ret && !(ret = int_field(o, "aid", 1, UINT32_MAX, &num, err)))
		m->rec.aid = (uint32_t)num;
	if (!ret)
		ret = vip_field(o, "vip4", AF_INET, &m->rec.vip4, err);
	if (!ret)
		ret = vip_field(o, "vip6", AF_INET6, &m->rec.vip6, err);
	if (!ret && !m->rec.vip4.family && !m->rec.vip6.family)
		ret = vni_err(err, -EINVAL, "checkpoint metadata: no VIP");
	if (!ret && !(ret = string_field(o, "hostname", m->rec.hostname, sizeof(m->rec.hostname), err)))
		ret = vni_check_hostname(m->rec.hostname, err);
	if (!ret && !(ret = field(o, "allow_raw", json_type_boolean, &v, err)) &&
	    json_object_get_boolean(v))
		m->rec.flags |= VNI_F_ALLOW_RAW;
	/* (absent from images of vnictl before --loopback: shared) */
	if (!ret && (v = json_object_object_get(o, "loopback")) &&
	    (!json_object_is_type(v, json_type_string) ||
	     vni_parse_loopback(json_object_get_string(v), &m->rec.flags, err)))
		ret = vni_err(err, -EINVAL, "checkpoint metadata: field 'loopback' must be \"shared\" or \"private\"");
	if (!ret)
		ret = string_field(o, "dev", m->rec.dev, sizeof(m->rec.dev), err);
	if (!ret)
		ret = maps_field(o, &m->rec, err);
	if (!ret)
		ret = string_field(o, "node", m->node, sizeof(m->node), err);
	if (!ret)
		ret = int_field(o, "created", 0, INT64_MAX, &m->created, err);
	if (!ret && !(ret = field(o, "tcp_established", json_type_boolean, &v, err)))
		m->tcp_established = json_object_get_boolean(v);
	if (!ret)
		ret = int_field(o, "dump_ms", 0, INT64_MAX, &m->dump_ms, err);
	/* (absent from images of vnictl before --template: not one) */
	if (!ret && json_object_object_get_ex(o, "template", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			ret = vni_err(err, -EINVAL, "checkpoint metadata: field 'template' is not a boolean");
		else
			m->template = json_object_get_boolean(v);
	}
	if (!ret && json_object_object_get_ex(o, "needs", &v))
		ret = needs_field(v, m, err);
	json_object_put(o);
	return ret;
}

int vni_ckpt_meta_read(const char *dir, struct vni_ckpt_meta *m, char *err)
{
	char path[PATH_MAX], text[VNI_CKPT_FILE_MAX];
	int n;

	if (vni_path(path, sizeof(path), "%s/%s", dir, VNI_CKPT_FILE))
		return vni_err(err, -ENAMETOOLONG, "path too long: %s", dir);
	n = vni_read_file(path, text, sizeof(text));
	if (n == -ENOENT)
		return vni_err(err, n, "%s is not a vni checkpoint (no %s)", dir, VNI_CKPT_FILE);
	if (n < 0)
		return vni_err(err, n, "cannot read %s: %s", path, strerror(-n));
	if (n == (int)sizeof(text) - 1)
		return vni_err(err, -EFBIG, "%s is too large", path);
	return vni_ckpt_meta_parse(text, m, err);
}

int vni_ckpt_meta_write(const char *dir, const struct vni_ckpt_meta *m, char *err)
{
	char path[PATH_MAX], *text = vni_ckpt_meta_format(m);
	int ret;

	if (!text)
		return vni_err(err, -ENOMEM, "out of memory");
	ret = vni_path(path, sizeof(path), "%s/%s", dir, VNI_CKPT_FILE);
	if (!ret)
		ret = vni_replace_file(path, text, err); /* temporary file + rename */
	else
		vni_err(err, ret, "path too long: %s", dir);
	free(text);
	return ret;
}
