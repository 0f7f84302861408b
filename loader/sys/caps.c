// SPDX-License-Identifier: GPL-2.0-only
/* Capability sets of 'vnictl run' (see caps.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sys/capability.h>

#include "sys/caps.h"
#include "sys/util.h"

static const cap_value_t defaults[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,     CAP_FOWNER,	     CAP_MKNOD,
	CAP_SETGID,  CAP_SETUID,       CAP_SETFCAP,    CAP_SETPCAP,	     CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT, CAP_KILL,      CAP_AUDIT_WRITE,
};

/* Every capability of the running kernel (and of libcap). */
static uint64_t all_caps(void)
{
	cap_value_t n = cap_max_bits();

	if (n > CAP_LAST_CAP + 1)
		n = CAP_LAST_CAP + 1;
	return n >= 63 ? ~VNI_CAPS_ALL : (1ULL << n) - 1;
}

int vni_caps_name(const char *name, uint64_t *set, char *err)
{
	char buf[64];
	cap_value_t v;
	size_t i;

	if (!strcasecmp(name, "ALL")) {
		*set |= VNI_CAPS_ALL;
		return 0;
	}
	/* cap_from_name takes numbers too: names only here */
	if (strlen(name) > 40 || !name[0] || isdigit((unsigned char)name[0]))
		goto unknown;
	snprintf(buf, sizeof(buf), "%s%s", strncasecmp(name, "cap_", 4) ? "cap_" : "", name);
	for (i = 0; buf[i]; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	if (cap_from_name(buf, &v) || v < 0 || v >= 63)
		goto unknown;
	*set |= 1ULL << v;
	return 0;
unknown:
	return vni_err(err, -EINVAL, "unknown capability '%.64s' (a name such as NET_ADMIN, or ALL)",
		       name);
}

int vni_caps_names(const char *list, uint64_t *set, char *err)
{
	char buf[1024], *save = NULL, *tok;
	int ret;

	if (vni_path(buf, sizeof(buf), "%s", list))
		return vni_err(err, -EINVAL, "list of capabilities too long");
	for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save))
		if ((ret = vni_caps_name(tok, set, err)))
			return ret;
	return 0;
}

uint64_t vni_caps_kept(const struct vni_caps *c)
{
	uint64_t all = all_caps(), add = c->add & ~VNI_CAPS_ALL, drop = c->drop & ~VNI_CAPS_ALL;
	uint64_t base = 0;
	size_t i;

	if (c->add & VNI_CAPS_ALL)
		return all & ~drop;
	if (!(c->drop & VNI_CAPS_ALL))
		for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			base |= 1ULL << defaults[i];
	return ((base & ~drop) | add) & all;
}

int vni_caps_bound(uint64_t keep)
{
	cap_value_t v, n = cap_max_bits();

	for (v = 0; v < n && v < 63; v++)
		if (!(keep & (1ULL << v)) && cap_drop_bound(v) && errno != EINVAL)
			return -errno;
	return 0;
}

int vni_caps_limit(uint64_t keep)
{
	cap_value_t v, n = cap_max_bits();
	cap_t caps = cap_get_proc();
	int ret = 0;

	if (!caps)
		return -errno;
	for (v = 0; v < n && v < 63 && !ret; v++)
		if (!(keep & (1ULL << v)) &&
		    (cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) ||
		     cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_CLEAR) ||
		     cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_CLEAR)))
			ret = -errno;
	if (!ret && cap_set_proc(caps))
		ret = -errno;
	cap_free(caps);
	if (!ret && CAP_AMBIENT_SUPPORTED() && cap_reset_ambient())
		ret = -errno;
	return ret;
}
