// SPDX-License-Identifier: GPL-2.0-only
/* vni.conf(5): one instance per file, parsed with libinih (see unitconf.h). */
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/unitconf.h"
#include "sys/dl.h"
#include "sys/util.h"

/* libinih, loaded on first use (sys/dl.h): only unit files need it */
static struct {
	__typeof__(&ini_parse_file) parse_file;
	__typeof__(&ini_parse_string) parse_string;
} ini;

static int load_inih(char *err)
{
	static const struct vni_dl_fn fns[] = { VNI_DL_FN(ini, parse_file, "ini_parse_file"),
						VNI_DL_FN(ini, parse_string, "ini_parse_string") };
	static struct vni_dl lib = VNI_DL_LIB("libinih.so.1", "libinih1", "unit files", fns, ini);

	return vni_dl_load(&lib, err);
}

struct parse {
	struct vni_unit_conf *c;
	const char *name;
	char what[VNI_ERRLEN]; /* the first error; inih gives its line */
	int ret;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->ret) {
		va_start(ap, fmt);
		vsnprintf(p->what, sizeof(p->what), fmt, ap);
		va_end(ap);
		p->ret = -EINVAL;
	}
	return 0; /* an error: inih returns its line */
}

static int boolean(struct parse *p, const char *key, const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return fail(p, "%s: '%s' is not yes or no", key, v);
	return 1;
}

static int text(struct parse *p, const char *key, const char *v, char *out, size_t n)
{
	if (!v[0] || vni_path(out, n, "%s", v))
		return fail(p, "%s: '%s' is empty or too long", key, v);
	return 1;
}

static int set_cmd(struct parse *p, const char *v)
{
	static const char *const why[] = {
		[WRDE_BADCHAR] = "a character a shell would treat specially (| & ; < > ( ) { } or newline); run a script",
		[WRDE_BADVAL] = "an undefined variable",
		[WRDE_CMDSUB] = "a command substitution",
		[WRDE_NOSPACE] = "no memory",
		[WRDE_SYNTAX] = "unbalanced quotes",
	};
	int ret;

	if (p->c->has_cmd)
		return fail(p, "exec given twice");
	ret = wordexp(v, &p->c->cmd, WRDE_NOCMD | WRDE_UNDEF);
	if (ret) {
		if (ret == WRDE_NOSPACE)
			wordfree(&p->c->cmd);
		return fail(p, "exec: %s", ret > 0 && ret <= WRDE_SYNTAX ? why[ret] : "cannot split it");
	}
	p->c->has_cmd = true;
	if (!p->c->cmd.we_wordc || !p->c->cmd.we_wordv[0][0])
		return fail(p, "exec is empty");
	return 1;
}

static int set_vip(struct parse *p, const char *v)
{
	char why[VNI_ERRLEN], pool[VNI_POOL_NAME_MAX + 1];
	struct vni_addr a, *slot;
	int ret, family;

	/* auto[/POOL], auto6[/POOL]: from a pool, as attach --vip takes it */
	ret = vni_parse_auto(v, &family, pool, sizeof(pool), why);
	if (ret < 0)
		return fail(p, "vip: %s", why);
	if (ret) {
		memset(&a, 0, sizeof(a));
		a.family = family;
	} else if (vni_parse_vip(v, &a, why)) {
		return fail(p, "vip: %s", why);
	}
	slot = a.family == AF_INET ? &p->c->vip4 : &p->c->vip6;
	if (slot->family || (a.family == AF_INET ? p->c->pool4 : p->c->pool6)[0])
		return fail(p, "vip: more than one %s VIP%s", a.family == AF_INET ? "IPv4" : "IPv6",
			    "");
	if (ret)
		snprintf(a.family == AF_INET ? p->c->pool4 : p->c->pool6, sizeof(pool), "%s", pool);
	else
		*slot = a;
	return 1;
}

static int handler(void *user, const char *section, const char *key, const char *v)
{
	struct parse *p = user;
	struct vni_unit_conf *c = p->c;
	char why[VNI_ERRLEN];

	if (section[0])
		return fail(p, "sections are not used ([%s])", section);
	if (!strcmp(key, "vip"))
		return set_vip(p, v);
	if (!strcmp(key, "hostname")) {
		if (vni_check_hostname(v, why))
			return fail(p, "hostname: %s", why);
		return text(p, key, v, c->hostname, sizeof(c->hostname));
	}
	if (!strcmp(key, "aid")) {
		if (vni_parse_aid(v, &c->aid, why))
			return fail(p, "aid: %s", why);
		return 1;
	}
	if (!strcmp(key, "dev"))
		return text(p, key, v, c->dev, IF_NAMESIZE);
	if (!strcmp(key, "allow-raw"))
		return boolean(p, key, v, &c->allow_raw);
	if (!strcmp(key, "loopback")) {
		c->loopback = 0;
		if (vni_parse_loopback(v, &c->loopback, why))
			return fail(p, "loopback: %s", why);
		return 1;
	}
	if (!strcmp(key, "user"))
		return text(p, key, v, c->user, sizeof(c->user));
	if (!strcmp(key, "keep-net-caps"))
		return boolean(p, key, v, &c->keep_net_caps);
	if (!strcmp(key, "cap-add") || !strcmp(key, "cap-drop")) {
		if (vni_caps_names(v, key[4] == 'a' ? &c->caps.add : &c->caps.drop, why))
			return fail(p, "%s: %s", key, why);
		return 1;
	}
	if (!strcmp(key, "userns"))
		return boolean(p, key, v, &c->userns);
	if (!strcmp(key, "map")) {
		if (vni_map_add(c->maps, &c->nmaps, v, why))
			return fail(p, "%s", why);
		return 1;
	}
	if (!strcmp(key, "exec"))
		return set_cmd(p, v);
	return fail(p, "unknown key '%s'", key);
}

/* line: what inih returned (0, or the first line in error). */
static int finish(struct parse *p, int line, char *err)
{
	if (line == 0) {
		if (!p->c->vip4.family && !p->c->vip6.family && !p->c->pool4[0] && !p->c->pool6[0])
			p->ret = vni_err(err, -EINVAL, "%s: no vip (at least one is needed)", p->name);
		else if (!p->c->has_cmd)
			p->ret = vni_err(err, -EINVAL, "%s: no exec (the command to run)", p->name);
	} else if (line < 0) {
		p->ret = vni_err(err, -ENOMEM, "%s: out of memory", p->name);
	} else if (p->ret) {
		vni_err(err, p->ret, "%s:%d: %s", p->name, line, p->what);
	} else { /* inih's own: no '=', an unclosed [section], a line too long */
		p->ret = vni_err(err, -EINVAL,
				 "%s:%d: not a 'key = value' line (or longer than %d characters)",
				 p->name, line, INI_MAX_LINE - 2);
	}
	if (p->ret)
		vni_unit_conf_free(p->c);
	return p->ret;
}

int vni_unit_conf_load(const char *path, struct vni_unit_conf *c, char *err)
{
	struct parse p = { .c = c, .name = path };
	FILE *f;
	int line;

	memset(c, 0, sizeof(*c));
	if (load_inih(err))
		return -ENOENT;
	if (!(f = fopen(path, "re")))
		return vni_err(err, -errno, "cannot read %s: %s", path, strerror(errno));
	line = ini.parse_file(f, handler, &p);
	fclose(f);
	return finish(&p, line, err);
}

int vni_unit_conf_parse(const char *name, const char *text, struct vni_unit_conf *c, char *err)
{
	struct parse p = { .c = c, .name = name };

	memset(c, 0, sizeof(*c));
	if (load_inih(err))
		return -ENOENT;
	return finish(&p, ini.parse_string(text, handler, &p), err);
}

void vni_unit_conf_free(struct vni_unit_conf *c)
{
	if (c->has_cmd)
		wordfree(&c->cmd);
	c->has_cmd = false;
}
