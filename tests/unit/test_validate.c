// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the input parsers (cmocka). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sys/util.h"
#include "core/validate.h"

static void vip_accepts_unicast(void **state)
{
	struct vni_addr a;
	char err[VNI_ERRLEN], buf[64];

	(void)state;
	assert_int_equal(vni_parse_vip("10.10.0.1", &a, err), 0);
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(vni_addr_str(&a, buf, sizeof(buf)), "10.10.0.1");
	assert_int_equal(vni_parse_vip("2001:db8::1", &a, err), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(vni_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
}

static void vip_rejects_malformed_and_special(void **state)
{
	static const char *const bad[] = {
		"", "10.10.0.300", "10.10.0", "10.10.0.1/24", " 10.10.0.1", "10.10.0.1 ",
		"abc", "0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255", "169.254.1.1",
		"::", "::1", "ff02::1", "fe80::1", "::ffff:10.0.0.1", "2001:db8::1%lo",
		"2001:db8:::1", "1.2.3.4.5", "fd76:6e69:6c6f::", "fd76:6e69:6c6f::5",
	};
	struct vni_addr a;
	char err[VNI_ERRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(vni_parse_vip(bad[i], &a, err), 0);
		/* one line that names the input */
		assert_non_null(strstr(err, bad[i]));
		assert_null(strchr(err, '\n'));
	}
}

static void names(void **state)
{
	char err[VNI_ERRLEN], longname[VNI_NAME_MAX + 2];

	(void)state;
	assert_int_equal(vni_check_name("web", err), 0);
	assert_int_equal(vni_check_name("web-1.prod_a", err), 0);
	assert_int_not_equal(vni_check_name("", err), 0);
	assert_int_not_equal(vni_check_name("..", err), 0);
	assert_int_not_equal(vni_check_name(".", err), 0);
	assert_int_not_equal(vni_check_name("../etc", err), 0);
	assert_int_not_equal(vni_check_name("a/b", err), 0);
	assert_int_not_equal(vni_check_name(".hidden", err), 0);
	assert_int_not_equal(vni_check_name("-x", err), 0);
	assert_int_not_equal(vni_check_name("a b", err), 0);
	assert_int_not_equal(vni_check_name("a\nb", err), 0);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_not_equal(vni_check_name(longname, err), 0);
	longname[VNI_NAME_MAX] = '\0';
	assert_int_equal(vni_check_name(longname, err), 0);
}

static void hostnames(void **state)
{
	char err[VNI_ERRLEN], h[VNI_HOSTNAME_MAX + 2];

	(void)state;
	assert_int_equal(vni_check_hostname("web", err), 0);
	assert_int_equal(vni_check_hostname("web-1.example.org", err), 0);
	assert_int_equal(vni_check_hostname("9front", err), 0);
	assert_int_not_equal(vni_check_hostname("", err), 0);
	assert_int_not_equal(vni_check_hostname("-web", err), 0);
	assert_int_not_equal(vni_check_hostname("web-", err), 0);
	assert_int_not_equal(vni_check_hostname("we_b", err), 0);
	assert_int_not_equal(vni_check_hostname("a..b", err), 0);
	assert_int_not_equal(vni_check_hostname("web.", err), 0);
	assert_int_not_equal(vni_check_hostname(".web", err), 0);
	assert_int_not_equal(vni_check_hostname("bad host", err), 0);
	memset(h, 'a', sizeof(h) - 1);
	h[sizeof(h) - 1] = '\0';
	assert_int_not_equal(vni_check_hostname(h, err), 0); /* 65 characters */
	h[63] = '\0';
	assert_int_equal(vni_check_hostname(h, err), 0); /* one 63-character label */
	h[63] = 'a';
	h[64] = '\0';
	assert_int_not_equal(vni_check_hostname(h, err), 0); /* label of 64 */
}

static void aids(void **state)
{
	char err[VNI_ERRLEN];
	uint32_t aid;

	(void)state;
	assert_int_equal(vni_parse_aid("1", &aid, err), 0);
	assert_int_equal(aid, 1);
	assert_int_equal(vni_parse_aid("4294967295", &aid, err), 0);
	assert_int_equal(aid, 4294967295u);
	assert_int_not_equal(vni_parse_aid("0", &aid, err), 0);
	assert_int_not_equal(vni_parse_aid("4294967296", &aid, err), 0);
	assert_int_not_equal(vni_parse_aid("-1", &aid, err), 0);
	assert_int_not_equal(vni_parse_aid("+1", &aid, err), 0);
	assert_int_not_equal(vni_parse_aid("12x", &aid, err), 0);
	assert_int_not_equal(vni_parse_aid("", &aid, err), 0);
}

static void default_hostnames(void **state)
{
	struct vni_addr a;
	char err[VNI_ERRLEN], h[VNI_HOSTNAME_MAX + 1];

	(void)state;
	assert_int_equal(vni_parse_vip("10.10.0.1", &a, err), 0);
	vni_default_hostname(&a, h, sizeof(h));
	assert_string_equal(h, "vni-10-10-0-1");
	assert_int_equal(vni_check_hostname(h, err), 0);
	assert_int_equal(vni_parse_vip("2001:db8::1", &a, err), 0);
	vni_default_hostname(&a, h, sizeof(h));
	assert_string_equal(h, "vni-2001-db8-0-0-0-0-0-1");
	assert_int_equal(vni_check_hostname(h, err), 0);
	assert_int_equal(vni_parse_vip("2001:db8:ffff:ffff:ffff:ffff:ffff:fffe", &a, err), 0);
	vni_default_hostname(&a, h, sizeof(h));
	assert_int_equal(vni_check_hostname(h, err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vip_accepts_unicast),
		cmocka_unit_test(vip_rejects_malformed_and_special),
		cmocka_unit_test(names),
		cmocka_unit_test(hostnames),
		cmocka_unit_test(aids),
		cmocka_unit_test(default_hostnames),
	};

	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
