// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for per-instance path specs (loader/core/pathmap, cmocka):
 * PATH=SOURCE parsed and checked with one line per mistake, the %-codes
 * resolved for an instance, the bound on their number. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/pathmap.h"
#include "core/state.h"
#include "sys/util.h"

static void parses(void **state)
{
	struct vni_map m;
	char err[VNI_ERRLEN] = "";

	(void)state;
	assert_int_equal(vni_map_parse("/srv/data=/var/lib/vni/%n", &m, err), 0);
	assert_string_equal(m.path, "/srv/data");
	assert_string_equal(m.source, "/var/lib/vni/%n");
	/* the first '=' splits: SOURCE may hold one */
	assert_int_equal(vni_map_parse("/a=/b=c/%a-%h-%4-%6-%%", &m, err), 0);
	assert_string_equal(m.path, "/a");
	assert_string_equal(m.source, "/b=c/%a-%h-%4-%6-%%");
	/* names that only look like '..' */
	assert_int_equal(vni_map_parse("/a/..b/.c=/x/...", &m, err), 0);
}

static void refuses(void **state)
{
	static const struct {
		const char *spec, *says;
	} bad[] = {
		{ "/srv/data", "map '/srv/data': PATH=SOURCE expected" },
		{ "=/x", "PATH=SOURCE expected" },
		{ "/srv=", "PATH=SOURCE expected" },
		{ "srv=/x", "map 'srv=/x': PATH must be absolute" },
		{ "/srv=x/%n", "map '/srv=x/%n': SOURCE must be absolute" },
		{ "/=/x", "PATH cannot be /" },
		{ "/srv=/", "SOURCE cannot be /" },
		{ "/srv/../etc=/x", "PATH has a '.' or '..' component" },
		{ "/srv/.=/x", "PATH has a '.' or '..' component" },
		{ "/srv=/x/..", "SOURCE has a '.' or '..' component" },
		{ "/srv=/x/../y", "SOURCE has a '.' or '..' component" },
		{ "/srv//a=/x", "PATH has an empty component" },
		{ "/srv/=/x", "PATH has an empty component" },
		{ "/srv=/x//y", "SOURCE has an empty component" },
		{ "/srv=/x/%x", "map '/srv=/x/%x': SOURCE holds an unknown %-code (known: %n %a %h %4 %6 %%)" },
		{ "/srv=/x/%", "SOURCE holds an unknown %-code" },
		{ "/srv=/x/%N", "SOURCE holds an unknown %-code" },
		{ "/srv/%n=/x", "PATH cannot hold %-codes" },
		{ "/srv\n=/x", "PATH holds a control character" },
		{ "/srv=/x\t", "SOURCE holds a control character" },
	};
	struct vni_map m;
	char err[VNI_ERRLEN], spec[3 * VNI_MAP_PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (vni_map_parse(bad[i].spec, &m, err) != -EINVAL)
			fail_msg("accepted '%s'", bad[i].spec);
		if (!strstr(err, bad[i].says) || strchr(err, '\n'))
			fail_msg("'%s' says '%s', not '%s'", bad[i].spec, err, bad[i].says);
	}
	/* the bound on each side */
	memset(spec, 'a', sizeof(spec));
	spec[0] = '/';
	spec[VNI_MAP_PATH_MAX - 1] = '=';
	spec[VNI_MAP_PATH_MAX] = '/';
	spec[VNI_MAP_PATH_MAX + 3] = '\0';
	assert_int_equal(vni_map_parse(spec, &m, err), 0); /* PATH of 255 */
	spec[VNI_MAP_PATH_MAX - 1] = 'a';
	spec[VNI_MAP_PATH_MAX] = '=';
	spec[VNI_MAP_PATH_MAX + 1] = '/';
	assert_int_equal(vni_map_parse(spec, &m, err), -EINVAL); /* PATH of 256 */
	assert_non_null(strstr(err, "PATH and SOURCE are at most 255 characters"));
	assert_null(strchr(err, '\n'));
}

static void adds_up_to_the_bound(void **state)
{
	struct vni_map maps[VNI_MAPS_MAX];
	char err[VNI_ERRLEN], spec[64];
	unsigned n = 0, i;

	(void)state;
	for (i = 0; i < VNI_MAPS_MAX; i++) {
		snprintf(spec, sizeof(spec), "/m%u=/s/%%n", i);
		assert_int_equal(vni_map_add(maps, &n, spec, err), 0);
	}
	assert_int_equal(n, VNI_MAPS_MAX);
	assert_int_equal(vni_map_add(maps, &n, "/more=/s", err), -EINVAL);
	assert_string_equal(err, "more than 16 maps");
	n = 1;
	assert_int_equal(vni_map_add(maps, &n, "/m0=/other", err), -EINVAL);
	assert_string_equal(err, "map '/m0=/other': PATH /m0 is mapped twice");
	assert_int_equal(vni_map_add(maps, &n, "bad", err), -EINVAL);
	assert_int_equal(n, 1);
}

static void record(struct vni_record *r)
{
	char err[VNI_ERRLEN];

	memset(r, 0, sizeof(*r));
	strcpy(r->name, "web");
	r->aid = 42;
	strcpy(r->hostname, "web.example.org");
	assert_int_equal(vni_parse_vip("10.10.0.1", &r->vip4, err), 0);
	assert_int_equal(vni_parse_vip("2001:db8:10::1", &r->vip6, err), 0);
}

static void resolves(void **state)
{
	struct vni_record r;
	struct vni_map m;
	char err[VNI_ERRLEN], out[4096];

	(void)state;
	record(&r);
	assert_int_equal(vni_map_parse("/srv=/d/%n/%a/%h/%4/%6/100%%", &m, err), 0);
	assert_int_equal(vni_map_resolve(&m, &r, out, sizeof(out), err), 0);
	assert_string_equal(out, "/d/web/42/web.example.org/10.10.0.1/2001:db8:10::1/100%");
	/* a cgroup path as the name: its last component */
	strcpy(r.name, "/sys/fs/cgroup/app.slice/api");
	assert_int_equal(vni_map_parse("/srv=/d/%n-x", &m, err), 0);
	assert_int_equal(vni_map_resolve(&m, &r, out, sizeof(out), err), 0);
	assert_string_equal(out, "/d/api-x");
	/* no %-code: SOURCE as it is */
	assert_int_equal(vni_map_parse("/srv=/shared", &m, err), 0);
	assert_int_equal(vni_map_resolve(&m, &r, out, sizeof(out), err), 0);
	assert_string_equal(out, "/shared");
}

static void refuses_what_the_instance_has_not(void **state)
{
	struct vni_record r;
	struct vni_map m;
	char err[VNI_ERRLEN], out[4096];

	(void)state;
	record(&r);
	memset(&r.vip6, 0, sizeof(r.vip6));
	assert_int_equal(vni_map_parse("/srv=/d/%6", &m, err), 0);
	assert_int_equal(vni_map_resolve(&m, &r, out, sizeof(out), err), -EINVAL);
	assert_string_equal(err, "map '/srv=/d/%6': %6, but instance web has no IPv6 VIP");
	record(&r);
	memset(&r.vip4, 0, sizeof(r.vip4));
	assert_int_equal(vni_map_parse("/srv=/d/%4", &m, err), 0);
	assert_int_equal(vni_map_resolve(&m, &r, out, sizeof(out), err), -EINVAL);
	assert_string_equal(err, "map '/srv=/d/%4': %4, but instance web has no IPv4 VIP");
	/* too long for the buffer */
	record(&r);
	assert_int_equal(vni_map_parse("/srv=/data/%h", &m, err), 0);
	assert_int_equal(vni_map_resolve(&m, &r, out, 12, err), -ENAMETOOLONG);
	assert_null(strchr(err, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses),
		cmocka_unit_test(refuses),
		cmocka_unit_test(adds_up_to_the_bound),
		cmocka_unit_test(resolves),
		cmocka_unit_test(refuses_what_the_instance_has_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
