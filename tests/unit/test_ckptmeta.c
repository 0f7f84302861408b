// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the checkpoint metadata (DIR/vni.json, loader/core/ckptmeta):
 * what is written reads back the same, and every malformed, missing or
 * oversized field is refused with a one-line message (cmocka). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/ckptmeta.h"
#include "sys/util.h"
#include "vni_shared.h"

/* A scratch directory per test, removed after it. */
static int make_dir(void **state)
{
	char *dir = strdup("/tmp/vni-unit-ckptmeta.XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int remove_dir(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	free(*state);
	return system(cmd) == 0 ? 0 : -1;
}

static void good(struct vni_ckpt_meta *m)
{
	char err[VNI_ERRLEN];

	memset(m, 0, sizeof(*m));
	strcpy(m->rec.name, "web");
	m->rec.aid = 3;
	assert_int_equal(vni_parse_vip("10.10.0.1", &m->rec.vip4, err), 0);
	assert_int_equal(vni_parse_vip("2001:db8:10::1", &m->rec.vip6, err), 0);
	strcpy(m->rec.hostname, "web-1");
	m->rec.flags = VNI_F_ALLOW_RAW | VNI_F_PRIVATE_LO;
	strcpy(m->rec.dev, "eth0");
	strcpy(m->node, "node-a");
	m->created = 1764097201;
	m->tcp_established = true;
	m->dump_ms = 1234;
	m->template = true;
	m->rec.nmaps = 2;
	strcpy(m->rec.maps[0].path, "/srv/data");
	strcpy(m->rec.maps[0].source, "/var/lib/vni/%n");
	strcpy(m->rec.maps[1].path, "/var/log/app");
	strcpy(m->rec.maps[1].source, "/var/log/%h-%%");
}

static void assert_same(const struct vni_ckpt_meta *a, const struct vni_ckpt_meta *b)
{
	assert_string_equal(a->rec.name, b->rec.name);
	assert_int_equal(a->rec.aid, b->rec.aid);
	assert_int_equal(a->rec.vip4.family, b->rec.vip4.family);
	assert_memory_equal(a->rec.vip4.a, b->rec.vip4.a, sizeof(a->rec.vip4.a));
	assert_int_equal(a->rec.vip6.family, b->rec.vip6.family);
	assert_memory_equal(a->rec.vip6.a, b->rec.vip6.a, sizeof(a->rec.vip6.a));
	assert_string_equal(a->rec.hostname, b->rec.hostname);
	assert_int_equal(a->rec.flags, b->rec.flags);
	assert_string_equal(a->rec.dev, b->rec.dev);
	assert_string_equal(a->node, b->node);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->tcp_established, b->tcp_established);
	assert_int_equal(a->dump_ms, b->dump_ms);
	assert_int_equal(a->template, b->template);
	assert_int_equal(a->nneeds, b->nneeds);
	for (unsigned i = 0; i < a->nneeds; i++)
		assert_string_equal(a->needs[i], b->needs[i]);
	assert_int_equal(a->rec.nmaps, b->rec.nmaps);
	for (unsigned i = 0; i < a->rec.nmaps; i++) {
		assert_string_equal(a->rec.maps[i].path, b->rec.maps[i].path);
		assert_string_equal(a->rec.maps[i].source, b->rec.maps[i].source);
	}
}

static void format_then_parse(const struct vni_ckpt_meta *m)
{
	struct vni_ckpt_meta back;
	char err[VNI_ERRLEN] = "", *text = vni_ckpt_meta_format(m);

	assert_non_null(text);
	if (vni_ckpt_meta_parse(text, &back, err))
		fail_msg("%s: %s", err, text);
	assert_same(m, &back);
	free(text);
}

static void round_trip(void **state)
{
	struct vni_ckpt_meta m;

	(void)state;
	good(&m);
	format_then_parse(&m);
	/* a template and the kernel features it needs */
	m.template = true;
	strcpy(m.needs[0], "cgroupns");
	strcpy(m.needs[1], "ns_pid");
	m.nneeds = 2;
	format_then_parse(&m);
	m.template = false;
	m.nneeds = 0;
	/* one VIP only: the other is null */
	memset(&m.rec.vip6, 0, sizeof(m.rec.vip6));
	m.rec.flags = 0;
	m.tcp_established = false;
	m.dump_ms = 0;
	m.created = 0;
	format_then_parse(&m);
	good(&m);
	memset(&m.rec.vip4, 0, sizeof(m.rec.vip4));
	format_then_parse(&m);
	/* an instance attached by absolute cgroup path keeps it as its name */
	good(&m);
	strcpy(m.rec.name, "/sys/fs/cgroup/app.slice/web");
	format_then_parse(&m);
	/* the longest of each string field */
	good(&m);
	memset(m.rec.name, 'n', VNI_NAME_MAX);
	m.rec.name[VNI_NAME_MAX] = '\0';
	memset(m.rec.hostname, 'h', 63);
	m.rec.hostname[63] = '\0';
	memset(m.rec.dev, 'd', IF_NAMESIZE - 1);
	m.rec.dev[IF_NAMESIZE - 1] = '\0';
	memset(m.node, 'x', sizeof(m.node) - 1);
	m.node[sizeof(m.node) - 1] = '\0';
	m.rec.aid = UINT32_MAX;
	m.created = INT64_MAX;
	m.dump_ms = INT64_MAX;
	for (m.rec.nmaps = 0; m.rec.nmaps < VNI_MAPS_MAX; m.rec.nmaps++) {
		struct vni_map *map = &m.rec.maps[m.rec.nmaps];

		memset(map->path, 'p', VNI_MAP_PATH_MAX - 1);
		memset(map->source, 's', VNI_MAP_PATH_MAX - 1);
		map->path[0] = map->source[0] = '/';
		snprintf(map->path + 1, 4, "%02u", m.rec.nmaps); /* each PATH its own */
		map->path[3] = 'p';
		map->path[VNI_MAP_PATH_MAX - 1] = map->source[VNI_MAP_PATH_MAX - 1] = '\0';
	}
	format_then_parse(&m);
	/* none */
	good(&m);
	m.rec.nmaps = 0;
	format_then_parse(&m);
}

/* The fields in the documented order (docs/checkpoint.md, ckptmeta.h). */
static void format_fields(void **state)
{
	static const char *const keys[] = {
		"format", "version", "name", "aid", "vip4", "vip6", "hostname", "allow_raw",
		"loopback", "dev", "maps", "node", "created", "tcp_established", "dump_ms",
		"template",
	};
	struct vni_ckpt_meta m;
	json_object *o, *v;
	char *text;
	size_t i = 0;

	(void)state;
	good(&m);
	memset(&m.rec.vip6, 0, sizeof(m.rec.vip6));
	text = vni_ckpt_meta_format(&m);
	assert_non_null(text);
	o = json_tokener_parse(text);
	assert_non_null(o);
	json_object_object_foreach(o, key, val) {
		(void)val;
		assert_true(i < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(key, keys[i]);
		i++;
	}
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	assert_true(json_object_object_get_ex(o, "format", &v));
	assert_string_equal(json_object_get_string(v), "vni-checkpoint");
	assert_true(json_object_object_get_ex(o, "version", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(o, "vip4", &v));
	assert_string_equal(json_object_get_string(v), "10.10.0.1");
	assert_true(json_object_object_get_ex(o, "vip6", &v));
	assert_null(v); /* null */
	assert_true(json_object_object_get_ex(o, "allow_raw", &v));
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_true(json_object_get_boolean(v));
	json_object_put(o);
	free(text);
}

/* The good metadata with one field replaced by the JSON text value (NULL:
 * the field removed); returns what the parser says, err its message. */
static int parse_changed(const char *key, const char *value, char *err)
{
	struct vni_ckpt_meta m;
	json_object *o, *v = NULL;
	char *text;
	int ret;

	good(&m);
	text = vni_ckpt_meta_format(&m);
	assert_non_null(text);
	o = json_tokener_parse(text);
	assert_non_null(o);
	free(text);
	if (!value) {
		json_object_object_del(o, key);
	} else {
		if (strcmp(value, "null")) {
			v = json_tokener_parse(value);
			if (!v)
				fail_msg("bad JSON in the test: %s", value);
		}
		json_object_object_add(o, key, v); /* replaces, keeps the order */
	}
	text = strdup(json_object_to_json_string(o));
	json_object_put(o);
	err[0] = '\0';
	ret = vni_ckpt_meta_parse(text, &m, err);
	free(text);
	return ret;
}

static char *repeat(char c, size_t n) /* "\"ccc...\"", a JSON string */
{
	char *s = malloc(n + 3);

	assert_non_null(s);
	s[0] = '"';
	memset(s + 1, c, n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	return s;
}

static void refuses_bad_fields(void **state)
{
	char *s65 = repeat('a', 65), *s64 = repeat('a', 64), *s40 = repeat('a', 40),
	     *s16 = repeat('a', 16), *s15 = repeat('a', 15), *s46 = repeat('1', 46);
	const struct {
		const char *key, *value; /* value NULL: the field left out */
		const char *says;
	} bad[] = {
		{ "format", NULL, "checkpoint metadata: missing or mistyped field 'format'" },
		{ "format", "42", "checkpoint metadata: missing or mistyped field 'format'" },
		{ "format", "null", "checkpoint metadata: missing or mistyped field 'format'" },
		{ "format", "\"docker\"", "not a vni checkpoint (format 'docker')" },
		{ "format", "\"VNI-CHECKPOINT\"", "not a vni checkpoint (format 'VNI-CHECKPOINT')" },
		{ "format", s40, "checkpoint metadata: field 'format' is too long" },
		{ "format", "\"vni-checkpoint\\u0000x\"", "checkpoint metadata: field 'format' is too long" },
		{ "version", NULL, "checkpoint metadata: missing or mistyped field 'version'" },
		{ "version", "\"1\"", "checkpoint metadata: missing or mistyped field 'version'" },
		{ "version", "1.0", "checkpoint metadata: missing or mistyped field 'version'" },
		{ "version", "7", "unsupported checkpoint version 7 (this vnictl reads 1)" },
		{ "version", "0", "unsupported checkpoint version 0 (this vnictl reads 1)" },
		{ "version", "-1", "checkpoint metadata: field 'version' is out of range" },
		{ "version", "2147483648", "checkpoint metadata: field 'version' is out of range" },
		{ "name", NULL, "checkpoint metadata: missing or mistyped field 'name'" },
		{ "name", "[\"web\"]", "checkpoint metadata: missing or mistyped field 'name'" },
		{ "name", "\"../etc\"", "invalid instance name '../etc'" },
		{ "name", "\"\"", "invalid instance name ''" },
		{ "name", "\"a b\"", "invalid instance name 'a b'" },
		{ "name", s65, "checkpoint metadata: field 'name' is too long" },
		{ "aid", NULL, "checkpoint metadata: missing or mistyped field 'aid'" },
		{ "aid", "\"3\"", "checkpoint metadata: missing or mistyped field 'aid'" },
		{ "aid", "0", "checkpoint metadata: field 'aid' is out of range" },
		{ "aid", "-3", "checkpoint metadata: field 'aid' is out of range" },
		{ "aid", "4294967296", "checkpoint metadata: field 'aid' is out of range" },
		{ "vip4", NULL, "checkpoint metadata: missing field 'vip4'" },
		{ "vip4", "167772161", "checkpoint metadata: missing or mistyped field 'vip4'" },
		{ "vip4", "\"10.10.0.999\"", "checkpoint metadata: invalid vip4 '10.10.0.999'" },
		{ "vip4", "\"127.0.0.1\"", "checkpoint metadata: invalid vip4 '127.0.0.1'" },
		{ "vip4", "\"2001:db8:10::1\"", "checkpoint metadata: invalid vip4 '2001:db8:10::1'" },
		{ "vip4", s46, "checkpoint metadata: field 'vip4' is too long" },
		{ "vip6", NULL, "checkpoint metadata: missing field 'vip6'" },
		{ "vip6", "\"10.10.0.1\"", "checkpoint metadata: invalid vip6 '10.10.0.1'" },
		{ "vip6", "\"fe80::1\"", "checkpoint metadata: invalid vip6 'fe80::1'" },
		{ "vip6", "false", "checkpoint metadata: missing or mistyped field 'vip6'" },
		{ "hostname", NULL, "checkpoint metadata: missing or mistyped field 'hostname'" },
		{ "hostname", "\"bad host\"", "invalid hostname 'bad host'" },
		{ "hostname", "\"-web\"", "invalid hostname '-web'" },
		{ "hostname", s65, "checkpoint metadata: field 'hostname' is too long" },
		{ "hostname", s64, "invalid hostname" }, /* one label of 64 */
		{ "allow_raw", NULL, "checkpoint metadata: missing or mistyped field 'allow_raw'" },
		{ "allow_raw", "1", "checkpoint metadata: missing or mistyped field 'allow_raw'" },
		{ "allow_raw", "\"true\"", "checkpoint metadata: missing or mistyped field 'allow_raw'" },
		{ "loopback", "\"local\"", "checkpoint metadata: field 'loopback' must be \"shared\" or \"private\"" },
		{ "loopback", "true", "checkpoint metadata: field 'loopback' must be \"shared\" or \"private\"" },
		{ "dev", NULL, "checkpoint metadata: missing or mistyped field 'dev'" },
		{ "dev", s16, "checkpoint metadata: field 'dev' is too long" },
		{ "node", NULL, "checkpoint metadata: missing or mistyped field 'node'" },
		{ "node", s65, "checkpoint metadata: field 'node' is too long" },
		{ "created", NULL, "checkpoint metadata: missing or mistyped field 'created'" },
		{ "created", "\"2026-11-25\"", "checkpoint metadata: missing or mistyped field 'created'" },
		{ "created", "1.5", "checkpoint metadata: missing or mistyped field 'created'" },
		{ "created", "-1", "checkpoint metadata: field 'created' is out of range" },
		{ "tcp_established", NULL, "checkpoint metadata: missing or mistyped field 'tcp_established'" },
		{ "tcp_established", "0", "checkpoint metadata: missing or mistyped field 'tcp_established'" },
		{ "dump_ms", NULL, "checkpoint metadata: missing or mistyped field 'dump_ms'" },
		{ "dump_ms", "-5", "checkpoint metadata: field 'dump_ms' is out of range" },
		{ "template", "1", "checkpoint metadata: field 'template' is not a boolean" },
		{ "maps", "{}", "checkpoint metadata: field 'maps' is not a list" },
		{ "maps", "[\"/a=/b\"]", "checkpoint metadata: a map is not an object" },
		{ "maps", "[{\"path\":\"/a\"}]", "checkpoint metadata: missing or mistyped field 'source'" },
		{ "maps", "[{\"path\":\"a\",\"source\":\"/b\"}]", "checkpoint metadata: map 'a=/b': PATH must be absolute" },
		{ "maps", "[{\"path\":\"/a\",\"source\":\"/b/%x\"}]", "checkpoint metadata: map '/a=/b/%x': SOURCE holds an unknown %-code" },
		{ "maps", "[{\"path\":\"/a\",\"source\":\"/b/..\"}]", "SOURCE has a '.' or '..' component" },
		{ "maps", "[{\"path\":\"/a\",\"source\":\"/b\"},{\"path\":\"/a\",\"source\":\"/c\"}]", "PATH /a is mapped twice" },
	};
	char err[VNI_ERRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_changed(bad[i].key, bad[i].value, err) == 0)
			fail_msg("accepted %s: %s", bad[i].key, bad[i].value ? bad[i].value : "(left out)");
		if (!strstr(err, bad[i].says) || strchr(err, '\n'))
			fail_msg("%s: %s: says '%s', not '%s'", bad[i].key,
				 bad[i].value ? bad[i].value : "(left out)", err, bad[i].says);
	}
	/* what is just within the limits */
	assert_int_equal(parse_changed("dev", s15, err), 0);
	assert_int_equal(parse_changed("node", s64, err), 0);
	assert_int_equal(parse_changed("name", s64, err), 0);
	assert_int_equal(parse_changed("vip6", "null", err), 0);
	/* images of a vnictl before --map have none */
	assert_int_equal(parse_changed("maps", NULL, err), 0);
	assert_int_equal(parse_changed("maps", "[]", err), 0);
	/* images of a vnictl before --template are none */
	assert_int_equal(parse_changed("template", NULL, err), 0);
	assert_int_equal(parse_changed("needs", "[\"cgroupns\", \"ns_pid\"]", err), 0);
	assert_int_not_equal(parse_changed("needs", "\"cgroupns\"", err), 0);
	assert_int_not_equal(parse_changed("needs", "[\"Cgroup NS\"]", err), 0);
	assert_int_not_equal(parse_changed("needs", "[1]", err), 0);
	assert_int_not_equal(parse_changed("needs", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]", err), 0);
	/* images of a vnictl before --loopback have none: shared */
	assert_int_equal(parse_changed("loopback", NULL, err), 0);
	assert_int_equal(parse_changed("aid", "4294967295", err), 0);
	free(s65);
	free(s64);
	free(s40);
	free(s16);
	free(s15);
	free(s46);
}

static void refuses_what_is_no_object_or_has_no_vip(void **state)
{
	static const char *const texts[] = {
		"", "   ", "{", "[]", "42", "null", "\"vni-checkpoint\"", "{ \"format\": ",
	};
	struct vni_ckpt_meta m;
	json_object *o;
	char err[VNI_ERRLEN], *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(vni_ckpt_meta_parse(texts[i], &m, err), 0);
		assert_string_equal(err, "checkpoint metadata is not a JSON object");
	}
	/* neither VIP */
	good(&m);
	text = vni_ckpt_meta_format(&m);
	o = json_tokener_parse(text);
	free(text);
	json_object_object_add(o, "vip4", NULL);
	json_object_object_add(o, "vip6", NULL);
	assert_int_equal(vni_ckpt_meta_parse(json_object_to_json_string(o), &m, err), -EINVAL);
	assert_string_equal(err, "checkpoint metadata: no VIP");
	json_object_put(o);
}

static int file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

static int entries(const char *dir) /* names in dir, . and .. left out */
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void write_then_read(void **state)
{
	const char *dir = *state;
	struct vni_ckpt_meta m, back;
	char err[VNI_ERRLEN], path[PATH_MAX], sub[PATH_MAX];

	good(&m);
	assert_int_equal(vni_ckpt_meta_write(dir, &m, err), 0);
	snprintf(path, sizeof(path), "%s/vni.json", dir);
	assert_int_equal(file_mode(path), 0644);
	assert_int_equal(entries(dir), 1); /* no temporary file left */
	assert_int_equal(vni_ckpt_meta_read(dir, &back, err), 0);
	assert_same(&m, &back);
	/* written again: replaced whole */
	memset(&m.rec.vip4, 0, sizeof(m.rec.vip4));
	strcpy(m.rec.hostname, "web-2");
	m.dump_ms = 99;
	assert_int_equal(vni_ckpt_meta_write(dir, &m, err), 0);
	assert_int_equal(vni_ckpt_meta_read(dir, &back, err), 0);
	assert_same(&m, &back);
	assert_int_equal(entries(dir), 1);
	/* into a directory that does not exist yet */
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	assert_int_equal(vni_ckpt_meta_write(sub, &m, err), 0);
	assert_int_equal(vni_ckpt_meta_read(sub, &back, err), 0);
	assert_same(&m, &back);
}

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void read_refusals(void **state)
{
	const char *dir = *state;
	struct vni_ckpt_meta m;
	char err[VNI_ERRLEN], path[PATH_MAX], want[PATH_MAX + 64], *text, *big;
	char longdir[PATH_MAX + 2];
	size_t len;

	/* no vni.json */
	assert_int_equal(vni_ckpt_meta_read(dir, &m, err), -ENOENT);
	snprintf(want, sizeof(want), "%s is not a vni checkpoint (no vni.json)", dir);
	assert_string_equal(err, want);
	/* vni.json that cannot be read */
	snprintf(path, sizeof(path), "%s/vni.json", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(vni_ckpt_meta_read(dir, &m, err), -EISDIR);
	snprintf(want, sizeof(want), "cannot read %s: %s", path, strerror(EISDIR));
	assert_string_equal(err, want);
	assert_int_equal(rmdir(path), 0);
	/* not JSON: the parser's refusal */
	write_text(path, "{ \"format\": ", 12);
	assert_int_equal(vni_ckpt_meta_read(dir, &m, err), -EINVAL);
	assert_string_equal(err, "checkpoint metadata is not a JSON object");
	/* a good file padded to the largest size read (VNI_CKPT_FILE_MAX - 1 bytes with the NUL)... */
	good(&m);
	text = vni_ckpt_meta_format(&m);
	len = strlen(text);
	big = malloc(VNI_CKPT_FILE_MAX);
	assert_non_null(big);
	memcpy(big, text, len);
	memset(big + len, ' ', VNI_CKPT_FILE_MAX - len);
	write_text(path, big, VNI_CKPT_FILE_MAX - 2);
	assert_int_equal(vni_ckpt_meta_read(dir, &m, err), 0);
	/* ...and one byte more is too large */
	write_text(path, big, VNI_CKPT_FILE_MAX - 1);
	assert_int_equal(vni_ckpt_meta_read(dir, &m, err), -EFBIG);
	snprintf(want, sizeof(want), "%s is too large", path);
	assert_string_equal(err, want);
	write_text(path, big, VNI_CKPT_FILE_MAX);
	assert_int_equal(vni_ckpt_meta_read(dir, &m, err), -EFBIG);
	free(big);
	/* a directory name too long for a path */
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(vni_ckpt_meta_read(longdir, &m, err), -ENAMETOOLONG);
	assert_non_null(strstr(err, "path too long: "));
	good(&m);
	assert_int_equal(vni_ckpt_meta_write(longdir, &m, err), -ENAMETOOLONG);
	assert_non_null(strstr(err, "path too long: "));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(format_fields),
		cmocka_unit_test(refuses_bad_fields),
		cmocka_unit_test(refuses_what_is_no_object_or_has_no_vip),
		cmocka_unit_test_setup_teardown(write_then_read, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(read_refusals, make_dir, remove_dir),
	};

	return cmocka_run_group_tests_name("ckptmeta", tests, NULL, NULL);
}
