// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the hosts file reader (loader/core/hostsfile) and the
 * lookups of the NSS module built on it (build/libnss_vni.so.2, loaded
 * from beside this binary): lines, comments, malformed and over-long lines,
 * long names, forward and reverse lookups (cmocka). */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <nss.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/hostsfile.h"

/* ---- hosts_each: what a text gives, one "ADDR NAME ALIAS..." per entry ---- */

struct seen {
	char lines[64][4096];
	int n;
	int stop_at; /* return 7 from this entry (1-based), 0: never */
};

static int record(const struct hosts_entry *e, void *arg)
{
	struct seen *s = arg;
	char addr[INET6_ADDRSTRLEN], *p;
	const char *const *a;

	assert_true(e->family == AF_INET || e->family == AF_INET6);
	assert_non_null(inet_ntop(e->family, e->addr, addr, sizeof(addr)));
	assert_true(s->n < 64);
	p = s->lines[s->n];
	p += sprintf(p, "%s %s", addr, e->name);
	for (a = e->aliases; *a; a++) {
		assert_true(strlen(*a) > 0);
		p += sprintf(p, " %s", *a);
	}
	s->n++;
	return s->stop_at == s->n ? 7 : 0;
}

/* The entries of text, joined with '|'; hosts_each's return value in *ret. */
static char *entries_of(const char *text, size_t len, int stop_at, int *ret)
{
	static char out[64 * 4096];
	struct seen *s = calloc(1, sizeof(*s));
	FILE *f = fmemopen((void *)text, len, "r");
	int i;

	assert_non_null(s);
	assert_non_null(f);
	s->stop_at = stop_at;
	*ret = hosts_each(f, record, s);
	fclose(f);
	out[0] = '\0';
	for (i = 0; i < s->n; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, s->lines[i]);
	}
	free(s);
	return out;
}

static const char *entries(const char *text)
{
	int ret;
	const char *out = entries_of(text, strlen(text), 0, &ret);

	assert_int_equal(ret, 0);
	return out;
}

static void lines_and_aliases(void **state)
{
	(void)state;
	/* what vnictl writes */
	assert_string_equal(entries("# written by vnictl; do not edit\n"
				    "10.10.0.2 api\n"
				    "10.10.0.1 vni-10-10-0-1\n"
				    "2001:db8:10::1 vni-10-10-0-1\n"),
			    "10.10.0.2 api|10.10.0.1 vni-10-10-0-1|2001:db8:10::1 vni-10-10-0-1");
	/* aliases, tabs, several blanks, CRLF, no newline at the end */
	assert_string_equal(entries("10.0.0.1\tweb www  web.example.org\r\n"
				    "  2001:db8::2 \t six\n"
				    "192.0.2.9 last"),
			    "10.0.0.1 web www web.example.org|2001:db8::2 six|192.0.2.9 last");
	/* the address forms inet_pton takes */
	assert_string_equal(entries("2001:0db8:0000::0001 long-form\n::ffff:10.0.0.1 mapped\n"),
			    "2001:db8::1 long-form|::ffff:10.0.0.1 mapped");
	assert_string_equal(entries(""), "");
}

static void comments_and_blank_lines(void **state)
{
	(void)state;
	assert_string_equal(entries("#10.0.0.1 commented\n"
				    "   # indented comment\n"
				    "\n"
				    "   \t \n"
				    "10.0.0.2 api # the API server\n"
				    "10.0.0.3 web#no space before the comment\n"
				    "10.0.0.4 # only a comment after the address\n"
				    "# 10.0.0.5 x\n"),
			    "10.0.0.2 api|10.0.0.3 web");
}

static void malformed_lines_are_skipped(void **state)
{
	(void)state;
	assert_string_equal(entries("not-an-address name\n"
				    "10.10.0.999 bad-octet\n"
				    "10.10.0 short\n"
				    "10.10.0.1/24 with-prefix\n"
				    "10.10.0.1:80 with-port\n"
				    "2001:db8:::1 bad-v6\n"
				    "fe80::1%lo with-scope\n"
				    "[2001:db8::1] bracketed\n"
				    "10.10.0.7\n"
				    "10.10.0.8    \n"
				    "name-first 10.10.0.9\n"
				    "10.10.0.10 good\n"),
			    "10.10.0.10 good");
}

static char *line_of(size_t len, const char *prefix, char fill) /* prefix + fill... + '\n' */
{
	char *s = malloc(len + 2);

	assert_non_null(s);
	memset(s, fill, len);
	memcpy(s, prefix, strlen(prefix));
	s[len] = '\n';
	s[len + 1] = '\0';
	return s;
}

static void long_lines_and_names(void **state)
{
	char *text = malloc(16384), *l, want[1100];
	int ret;

	(void)state;
	assert_non_null(text);
	/* a name of 1013 characters: the line, its newline included, is 1023
	 * characters, the longest read */
	l = line_of(1022, "10.0.0.1 ", 'n');
	snprintf(text, 16384, "%s10.0.0.2 after\n", l);
	l[1022] = '\0';
	snprintf(want, sizeof(want), "%s|10.0.0.2 after", l);
	assert_string_equal(entries(text), want);
	free(l);
	/* one more character: the line is skipped whole, the next one read */
	l = line_of(1023, "10.0.0.1 ", 'n');
	snprintf(text, 16384, "%s10.0.0.2 after\n", l);
	assert_string_equal(entries(text), "10.0.0.2 after");
	free(l);
	/* a much longer one, its tail looking like an entry of its own */
	l = line_of(5000, "10.0.0.1 ", 'x');
	memcpy(l + 3000, " 10.0.0.9 tail ", 15);
	snprintf(text, 16384, "10.0.0.3 before\n%s10.0.0.2 after", l);
	assert_string_equal(entries_of(text, strlen(text), 0, &ret), "10.0.0.3 before|10.0.0.2 after");
	assert_int_equal(ret, 0);
	free(l);
	free(text);
}

static void at_most_32_names_per_line(void **state)
{
	char text[1024] = "10.0.0.1", want[1024] = "10.0.0.1";
	int i;

	(void)state;
	for (i = 0; i < 40; i++) {
		sprintf(text + strlen(text), " n%d", i);
		if (i < 32)
			sprintf(want + strlen(want), " n%d", i);
	}
	strcat(text, "\n10.0.0.2 next\n");
	strcat(want, "|10.0.0.2 next");
	assert_string_equal(entries(text), want);
}

static void callback_stops_the_walk(void **state)
{
	static const char text[] = "10.0.0.1 a\n10.0.0.2 b\n10.0.0.3 c\n";
	int ret;

	(void)state;
	assert_string_equal(entries_of(text, strlen(text), 2, &ret), "10.0.0.1 a|10.0.0.2 b");
	assert_int_equal(ret, 7);
	assert_string_equal(entries_of(text, strlen(text), 3, &ret), "10.0.0.1 a|10.0.0.2 b|10.0.0.3 c");
	assert_int_equal(ret, 7);
}

/* ---- lookups through the NSS module ---- */

typedef enum nss_status (*byname2_fn)(const char *, int, struct hostent *, char *, size_t, int *,
				      int *);
typedef enum nss_status (*byaddr_fn)(const void *, socklen_t, int, struct hostent *, char *, size_t,
				     int *, int *);
typedef enum nss_status (*byname4_fn)(const char *, struct gaih_addrtuple **, char *, size_t,
				      int *, int *, int32_t *);

struct nss {
	void *dl;
	byname2_fn byname2;
	byaddr_fn byaddr;
	byname4_fn byname4;
	char hosts[PATH_MAX];
};

static int load_module(void **state)
{
	struct nss *n = calloc(1, sizeof(*n));
	char path[PATH_MAX], *slash;
	ssize_t len;
	int fd;

	if (!n)
		return -1;
	len = readlink("/proc/self/exe", path, sizeof(path) - 32);
	if (len < 0)
		return -1;
	path[len] = '\0';
	slash = strrchr(path, '/');
	strcpy(slash + 1, "libnss_vni.so.2");
	n->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!n->dl) {
		fprintf(stderr, "cannot load the NSS module: %s\n", dlerror());
		return -1;
	}
	n->byname2 = (byname2_fn)dlsym(n->dl, "_nss_vni_gethostbyname2_r");
	n->byaddr = (byaddr_fn)dlsym(n->dl, "_nss_vni_gethostbyaddr_r");
	n->byname4 = (byname4_fn)dlsym(n->dl, "_nss_vni_gethostbyname4_r");
	if (!n->byname2 || !n->byaddr || !n->byname4)
		return -1;
	strcpy(n->hosts, "/tmp/vni-unit-hosts.XXXXXX");
	fd = mkstemp(n->hosts);
	if (fd < 0)
		return -1;
	close(fd);
	setenv("VNI_HOSTS_FILE", n->hosts, 1);
	*state = n;
	return 0;
}

static int unload_module(void **state)
{
	struct nss *n = *state;

	unlink(n->hosts);
	dlclose(n->dl);
	free(n);
	return 0;
}

static void write_hosts(const struct nss *n, const char *text)
{
	FILE *f = fopen(n->hosts, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static const char hosts[] = "# vni hosts file\n"
			    "10.10.0.2 api api-alias\n"
			    "10.10.0.1 vni-10-10-0-1\n"
			    "2001:db8:10::1 vni-10-10-0-1\n"
			    "garbage line\n"
			    "10.10.0.3 Mixed-Case\n"
			    "2001:db8:10::3 other # 10.10.0.1 is not this\n";

/* Forward: "CANONICAL ADDR..." of one family, or "notfound"/"unavail". */
static const char *forward(const struct nss *n, const char *name, int af)
{
	static char out[512];
	char buf[1024], addr[INET6_ADDRSTRLEN];
	struct hostent h;
	int err = 0, herr = 0, i;
	enum nss_status st = n->byname2(name, af, &h, buf, sizeof(buf), &err, &herr);

	if (st == NSS_STATUS_NOTFOUND) {
		assert_int_equal(herr, HOST_NOT_FOUND);
		return "notfound";
	}
	if (st == NSS_STATUS_UNAVAIL)
		return "unavail";
	assert_int_equal(st, NSS_STATUS_SUCCESS);
	assert_int_equal(h.h_addrtype, af);
	assert_int_equal(h.h_length, af == AF_INET ? 4 : 16);
	assert_null(h.h_aliases[0]);
	strcpy(out, h.h_name);
	for (i = 0; h.h_addr_list[i]; i++)
		sprintf(out + strlen(out), " %s", inet_ntop(af, h.h_addr_list[i], addr, sizeof(addr)));
	return out;
}

static const char *reverse(const struct nss *n, const char *address)
{
	static char out[256];
	unsigned char a[16];
	char buf[1024];
	struct hostent h;
	int err = 0, herr = 0, af = strchr(address, ':') ? AF_INET6 : AF_INET;
	enum nss_status st;

	assert_int_equal(inet_pton(af, address, a), 1);
	st = n->byaddr(a, af == AF_INET ? 4 : 16, af, &h, buf, sizeof(buf), &err, &herr);
	if (st == NSS_STATUS_NOTFOUND)
		return "notfound";
	assert_int_equal(st, NSS_STATUS_SUCCESS);
	assert_int_equal(h.h_addrtype, af);
	assert_memory_equal(h.h_addr_list[0], a, af == AF_INET ? 4 : 16);
	assert_null(h.h_addr_list[1]);
	snprintf(out, sizeof(out), "%s", h.h_name);
	return out;
}

static void forward_lookups(void **state)
{
	struct nss *n = *state;

	assert_null(dlsym(n->dl, "hosts_each")); /* only the entry points are exported */
	write_hosts(n, hosts);
	assert_string_equal(forward(n, "api", AF_INET), "api 10.10.0.2");
	assert_string_equal(forward(n, "api-alias", AF_INET), "api 10.10.0.2"); /* canonical name */
	assert_string_equal(forward(n, "API", AF_INET), "api 10.10.0.2");      /* case-insensitive */
	assert_string_equal(forward(n, "mixed-case", AF_INET), "Mixed-Case 10.10.0.3");
	assert_string_equal(forward(n, "vni-10-10-0-1", AF_INET), "vni-10-10-0-1 10.10.0.1");
	assert_string_equal(forward(n, "vni-10-10-0-1", AF_INET6), "vni-10-10-0-1 2001:db8:10::1");
	assert_string_equal(forward(n, "api", AF_INET6), "notfound");
	assert_string_equal(forward(n, "nope", AF_INET), "notfound");
	assert_string_equal(forward(n, "garbage", AF_INET), "notfound"); /* its line is malformed */
	assert_string_equal(forward(n, "line", AF_INET), "notfound");
	assert_string_equal(forward(n, "10.10.0.1", AF_INET), "notfound"); /* in a comment */
	assert_string_equal(forward(n, "api", AF_UNIX), "unavail");
}

static void reverse_lookups(void **state)
{
	struct nss *n = *state;

	write_hosts(n, hosts);
	assert_string_equal(reverse(n, "10.10.0.1"), "vni-10-10-0-1");
	assert_string_equal(reverse(n, "2001:db8:10::1"), "vni-10-10-0-1");
	assert_string_equal(reverse(n, "10.10.0.2"), "api");
	assert_string_equal(reverse(n, "2001:db8:10::3"), "other");
	assert_string_equal(reverse(n, "10.10.0.99"), "notfound");
	assert_string_equal(reverse(n, "2001:db8:10::2"), "notfound");
	/* 10.10.0.1 is not an IPv6 address beginning with those bytes */
	assert_string_equal(reverse(n, "a0a:1::"), "notfound");
}

static void both_families_and_limits(void **state)
{
	struct nss *n = *state;
	struct gaih_addrtuple *t = NULL;
	char buf[1024], addr[INET6_ADDRSTRLEN], out[256] = "", tiny[8];
	struct hostent h;
	int err = 0, herr = 0;
	int32_t ttl = -1;
	unsigned char a[4] = { 10, 10, 0, 1 };

	write_hosts(n, hosts);
	/* getaddrinfo's entry point: every address of the name, in file order */
	assert_int_equal(n->byname4("VNI-10-10-0-1", &t, buf, sizeof(buf), &err, &herr, &ttl),
			 NSS_STATUS_SUCCESS);
	assert_string_equal(t->name, "vni-10-10-0-1");
	for (; t; t = t->next)
		sprintf(out + strlen(out), "%s%s", out[0] ? " " : "",
			inet_ntop(t->family, t->addr, addr, sizeof(addr)));
	assert_string_equal(out, "10.10.0.1 2001:db8:10::1");
	assert_int_equal(ttl, 0);
	/* a buffer too small: try again with a larger one */
	assert_int_equal(n->byname2("api", AF_INET, &h, tiny, sizeof(tiny), &err, &herr),
			 NSS_STATUS_TRYAGAIN);
	assert_int_equal(err, ERANGE);
	/* an address of the wrong length */
	assert_int_equal(n->byaddr(a, 16, AF_INET, &h, buf, sizeof(buf), &err, &herr),
			 NSS_STATUS_UNAVAIL);
	/* no hosts file: no vni on this node */
	unlink(n->hosts);
	assert_string_equal(forward(n, "api", AF_INET), "unavail");
	/* long names: an alias of 300 characters, a canonical name of 255
	 * (the longest the module hands out whole) */
	{
		char longname[301], text[400], want[320];

		memset(longname, 'l', 300);
		longname[300] = '\0';
		snprintf(text, sizeof(text), "10.0.0.7 short %s\n", longname);
		write_hosts(n, text);
		assert_string_equal(forward(n, longname, AF_INET), "short 10.0.0.7");
		longname[255] = '\0';
		snprintf(text, sizeof(text), "10.0.0.7 %s\n", longname);
		write_hosts(n, text);
		snprintf(want, sizeof(want), "%s 10.0.0.7", longname);
		assert_string_equal(forward(n, longname, AF_INET), want);
		assert_string_equal(reverse(n, "10.0.0.7"), longname);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_and_aliases),
		cmocka_unit_test(comments_and_blank_lines),
		cmocka_unit_test(malformed_lines_are_skipped),
		cmocka_unit_test(long_lines_and_names),
		cmocka_unit_test(at_most_32_names_per_line),
		cmocka_unit_test(callback_stops_the_walk),
		cmocka_unit_test_setup_teardown(forward_lookups, load_module, unload_module),
		cmocka_unit_test_setup_teardown(reverse_lookups, load_module, unload_module),
		cmocka_unit_test_setup_teardown(both_families_and_limits, load_module, unload_module),
	};

	return cmocka_run_group_tests_name("hostsfile", tests, NULL, NULL);
}
