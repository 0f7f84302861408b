// SPDX-License-Identifier: GPL-2.0-only
/* Capability sets of 'vnictl run' (see caps.h). */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sys/capability.h>

#include "sys/caps.h"
#include "sys/dl.h"
#include "sys/util.h"

/* libcap, loaded on first use (sys/dl.h): only run and start need it */
static struct {
	__typeof__(&cap_max_bits) max_bits;
	__typeof__(&cap_from_name) from_name;
	__typeof__(&cap_drop_bound) drop_bound;
	__typeof__(&cap_get_proc) get_proc;
	__typeof__(&cap_set_flag) set_flag;
	__typeof__(&cap_set_proc) set_proc;
	__typeof__(&cap_free) free;
	__typeof__(&cap_get_ambient) get_ambient;
	__typeof__(&cap_reset_ambient) reset_ambient;
} cap;

#define FN(f) VNI_DL_FN(cap, f, "cap_" #f)

int vni_caps_load(char *err)
{
	static const struct vni_dl_fn fns[] = {
		FN(max_bits), FN(from_name), FN(drop_bound),  FN(get_proc),	 FN(set_flag),
		FN(set_proc), FN(free),	     FN(get_ambient), FN(reset_ambient),
	};
	static struct vni_dl lib = VNI_DL_LIB("libcap.so.2", "libcap2", "capabilities", fns, cap);

	return vni_dl_load(&lib, err);
}

static const cap_value_t defaults[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,     CAP_FOWNER,	     CAP_MKNOD,
	CAP_SETGID,  CAP_SETUID,       CAP_SETFCAP,    CAP_SETPCAP,	     CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT, CAP_KILL,      CAP_AUDIT_WRITE,
};

/* Every capability of the running kernel (and of libcap; without it, of
 * the headers vnictl was built with). */
static uint64_t all_caps(void)
{
	cap_value_t n = vni_caps_load(NULL) ? CAP_LAST_CAP + 1 : cap.max_bits();

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
	if (vni_caps_load(err))
		return -ENOENT;
	/* cap_from_name takes numbers too: names only here */
	if (strlen(name) > 40 || !name[0] || isdigit((unsigned char)name[0]))
		goto unknown;
	snprintf(buf, sizeof(buf), "%s%s", strncasecmp(name, "cap_", 4) ? "cap_" : "", name);
	for (i = 0; buf[i]; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	if (cap.from_name(buf, &v) || v < 0 || v >= 63)
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
	cap_value_t v, n;

	if (vni_caps_load(NULL))
		return -ENOENT;
	n = cap.max_bits();
	for (v = 0; v < n && v < 63; v++)
		if (!(keep & (1ULL << v)) && cap.drop_bound(v) && errno != EINVAL)
			return -errno;
	return 0;
}

int vni_caps_limit(uint64_t keep)
{
	cap_value_t v, n;
	int ret = 0;
	cap_t caps;

	if (vni_caps_load(NULL))
		return -ENOENT;
	n = cap.max_bits();
	if (!(caps = cap.get_proc()))
		return -errno;
	for (v = 0; v < n && v < 63 && !ret; v++)
		if (!(keep & (1ULL << v)) &&
		    (cap.set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) ||
		     cap.set_flag(caps, CAP_PERMITTED, 1, &v, CAP_CLEAR) ||
		     cap.set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_CLEAR)))
			ret = -errno;
	if (!ret && cap.set_proc(caps))
		ret = -errno;
	cap.free(caps);
	/* CAP_AMBIENT_SUPPORTED(), through the table */
	if (!ret && cap.get_ambient(CAP_CHOWN) >= 0 && cap.reset_ambient())
		ret = -errno;
	return ret;
}
