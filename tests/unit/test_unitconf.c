// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the vni.conf(5) reader (loader/core/unitconf, cmocka):
 * every key, comments, the command split as a shell splits it, and one
 * error per mistake naming the line; the capability sets of cap-add and
 * cap-drop (sys/caps). */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/unitconf.h"
#include "sys/util.h"

static void every_key(void **state)
{
	struct vni_unit_conf c;
	char err[VNI_ERRLEN] = "", buf[64];

	(void)state;
	assert_int_equal(vni_unit_conf_parse("web.conf",
					     "# a comment\n"
					     "; another\n"
					     "\n"
					     "vip = 10.20.0.5\n"
					     "vip=2001:db8:20::5\n"
					     "hostname = web.example.org ; inline comment\n"
					     "aid = 42\n"
					     "dev = eth0\n"
					     "allow-raw = yes\n"
					     "user = www-data\n"
					     "keep-net-caps = no\n"
					     "cap-add = NET_ADMIN, cap_sys_ptrace\n"
					     "cap-add = net_raw\n"
					     "cap-drop = ALL\n"
					     "userns = yes\n"
					     "exec = /usr/sbin/nginx -g \"daemon off;\" 'a b' c\\ d\n",
					     &c, err),
			 0);
	assert_string_equal(vni_addr_str(&c.vip4, buf, sizeof(buf)), "10.20.0.5");
	assert_string_equal(vni_addr_str(&c.vip6, buf, sizeof(buf)), "2001:db8:20::5");
	assert_string_equal(c.hostname, "web.example.org");
	assert_int_equal(c.aid, 42);
	assert_string_equal(c.dev, "eth0");
	assert_true(c.allow_raw);
	assert_string_equal(c.user, "www-data");
	assert_false(c.keep_net_caps);
	assert_true(c.caps.add == (1ULL << CAP_NET_ADMIN | 1ULL << CAP_SYS_PTRACE | 1ULL << CAP_NET_RAW));
	assert_true(c.caps.drop == VNI_CAPS_ALL);
	assert_true(vni_caps_kept(&c.caps) == c.caps.add);
	assert_true(c.userns);
	assert_int_equal(c.cmd.we_wordc, 5);
	assert_string_equal(c.cmd.we_wordv[0], "/usr/sbin/nginx");
	assert_string_equal(c.cmd.we_wordv[2], "daemon off;");
	assert_string_equal(c.cmd.we_wordv[3], "a b");
	assert_string_equal(c.cmd.we_wordv[4], "c d");
	assert_null(c.cmd.we_wordv[5]);
	vni_unit_conf_free(&c);
}

static void defaults(void **state)
{
	struct vni_unit_conf c;
	char err[VNI_ERRLEN];

	(void)state;
	assert_int_equal(vni_unit_conf_parse("a.conf", "vip = fd00::1\nexec = sleep 1\n", &c, err), 0);
	assert_int_equal(c.vip4.family, 0);
	assert_int_equal(c.vip6.family, AF_INET6);
	assert_string_equal(c.hostname, "");
	assert_int_equal(c.aid, 0);
	assert_string_equal(c.dev, "");
	assert_false(c.allow_raw);
	assert_string_equal(c.user, "");
	assert_true(c.caps.add == 0 && c.caps.drop == 0);
	assert_false(c.userns);
	vni_unit_conf_free(&c);
}

/* The kept set: Docker's rule (caps.h). */
static void capability_sets(void **state)
{
	const uint64_t def = 0xa80405fbULL; /* the default set, as /proc shows it */
	struct vni_caps c = { 0 };
	char err[VNI_ERRLEN];

	(void)state;
	assert_true(vni_caps_kept(&c) == def);
	assert_int_equal(vni_caps_name("Cap_Chown", &c.drop, err), 0);
	assert_int_equal(vni_caps_name("sys_admin", &c.add, err), 0);
	assert_true(vni_caps_kept(&c) == ((def & ~1ULL) | 1ULL << CAP_SYS_ADMIN));
	/* a capability both added and dropped is kept (adds win) */
	assert_int_equal(vni_caps_name("CHOWN", &c.add, err), 0);
	assert_true(vni_caps_kept(&c) & 1ULL);
	/* add ALL: everything but the drops */
	c = (struct vni_caps){ VNI_CAPS_ALL, 1ULL << CAP_SYS_ADMIN };
	assert_false(vni_caps_kept(&c) & 1ULL << CAP_SYS_ADMIN);
	assert_true(vni_caps_kept(&c) & 1ULL << CAP_BPF);
	assert_int_equal(vni_caps_name("NET_FOO", &c.add, err), -EINVAL);
	assert_string_equal(err, "unknown capability 'NET_FOO' (a name such as NET_ADMIN, or ALL)");
	assert_int_equal(vni_caps_name("7", &c.add, err), -EINVAL);
	assert_int_equal(vni_caps_name("", &c.add, err), -EINVAL);
}

static void vip_from_a_pool(void **state)
{
	struct vni_unit_conf c;
	char err[VNI_ERRLEN];

	(void)state;
	assert_int_equal(vni_unit_conf_parse("a.conf", "vip = auto\nvip = auto6/v6\nexec = x\n", &c, err), 0);
	assert_string_equal(c.pool4, "default");
	assert_string_equal(c.pool6, "v6");
	assert_int_equal(c.vip4.family, 0);
	vni_unit_conf_free(&c);
	assert_int_equal(vni_unit_conf_parse("a.conf", "vip = auto\nvip = 10.0.0.1\nexec = x\n", &c, err), -EINVAL);
	assert_string_equal(err, "a.conf:2: vip: more than one IPv4 VIP");
}

/* map = PATH=SOURCE, repeatable, in the order given */
static void maps(void **state)
{
	struct vni_unit_conf c;
	char err[VNI_ERRLEN] = "";

	(void)state;
	assert_int_equal(vni_unit_conf_parse("web.conf",
					     "vip = 10.20.0.5\n"
					     "map = /srv/data=/var/lib/vni/%n\n"
					     "map=/var/log/app=/var/log/vni/%h-%a\n"
					     "exec = true\n",
					     &c, err),
			 0);
	assert_int_equal(c.nmaps, 2);
	assert_string_equal(c.maps[0].path, "/srv/data");
	assert_string_equal(c.maps[0].source, "/var/lib/vni/%n");
	assert_string_equal(c.maps[1].path, "/var/log/app");
	assert_string_equal(c.maps[1].source, "/var/log/vni/%h-%a");
	vni_unit_conf_free(&c);
}

static void errors(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "vip = 10.0.0.1\n", "x.conf: no exec (the command to run)" },
		{ "exec = true\n", "x.conf: no vip (at least one is needed)" },
		{ "vip = 10.0.0.1\nexec = true\nexec = false\n", "x.conf:3: exec given twice" },
		{ "vip = 10.0.0.1\nfoo = 1\nexec = true\n", "x.conf:2: unknown key 'foo'" },
		{ "vip = 10.0.0.1\nvip = 10.0.0.2\nexec = true\n", "x.conf:2: vip: more than one IPv4 VIP" },
		{ "vip = 10.0.0.1\nexec = a > b\n",
		  "x.conf:2: exec: a character a shell would treat specially (| & ; < > ( ) { } or newline); run a script" },
		{ "vip = 10.0.0.1\nexec = `id`\n", "x.conf:2: exec: a command substitution" },
		{ "vip = 10.0.0.1\nexec = $VNI_SURELY_UNDEFINED\n", "x.conf:2: exec: an undefined variable" },
		{ "vip = 10.0.0.1\nexec = \"\"\"\n", "x.conf:2: exec: unbalanced quotes" },
		{ "vip = 10.0.0.1\nexec = \"\"\n", "x.conf:2: exec is empty" },
		{ "vip = 10.0.0.1\nkeep-net-caps = maybe\nexec = true\n",
		  "x.conf:2: keep-net-caps: 'maybe' is not yes or no" },
		{ "vip = 10.0.0.1\naid = 0\nexec = true\n", NULL /* vni_parse_aid's message */ },
		{ "vip = 10.0.0.1\ncap-add = NET_ADMIN bogus\nexec = true\n",
		  "x.conf:2: cap-add: unknown capability 'bogus' (a name such as NET_ADMIN, or ALL)" },
		{ "vip = 10.0.0.1\nuserns = sure\nexec = true\n", "x.conf:2: userns: 'sure' is not yes or no" },
		{ "vip = 10.0.0.1\nmap = /srv=data\nexec = true\n",
		  "x.conf:2: map '/srv=data': SOURCE must be absolute" },
		{ "vip = 10.0.0.1\nmap = /srv=/a\nmap = /srv=/b\nexec = true\n",
		  "x.conf:3: map '/srv=/b': PATH /srv is mapped twice" },
		{ "[s]\nvip = 10.0.0.1\n", "x.conf:2: sections are not used ([s])" },
		{ "vip = 10.0.0.1\nno equals sign\n", NULL },
		{ "vip = 10.0.0.1\ndev = abcdefghijklmnopq\nexec = true\n", NULL },
	};
	struct vni_unit_conf c;
	char err[VNI_ERRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(vni_unit_conf_parse("x.conf", cases[i].text, &c, err), -EINVAL);
		if (cases[i].err)
			assert_string_equal(err, cases[i].err);
		else
			assert_true(!strncmp(err, "x.conf:2: ", 10));
		assert_false(c.has_cmd); /* nothing to free */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_key),
		cmocka_unit_test(defaults),
		cmocka_unit_test(vip_from_a_pool),
		cmocka_unit_test(capability_sets),
		cmocka_unit_test(maps),
		cmocka_unit_test(errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
