// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/util.h"
#include "core/validate.h"
#include "vni_shared.h"

static const char *v4_misfit(const uint8_t *a)
{
	if (a[0] == 0)
		return "an unspecified (0.0.0.0/8)";
	if (a[0] == 127)
		return "a loopback";
	if (a[0] >= 224 && a[0] < 240)
		return "a multicast";
	if (a[0] >= 240)
		return "a reserved or broadcast";
	if (a[0] == 169 && a[1] == 254)
		return "a link-local";
	return NULL;
}

static const char *v6_misfit(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return "an unspecified";
	if (IN6_IS_ADDR_LOOPBACK(a))
		return "a loopback";
	if (IN6_IS_ADDR_MULTICAST(a))
		return "a multicast";
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return "a link-local";
	if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
		return "an IPv4-mapped";
	/* fd76:6e69:6c6f::/96: the private addresses and the parking address */
	if (ntohl(a->s6_addr32[0]) == VNI_PRIV6_W0 && ntohl(a->s6_addr32[1]) == VNI_PRIV6_W1 &&
	    !a->s6_addr32[2])
		return "a vni private (fd76:6e69:6c6f::/96)";
	return NULL;
}

int vni_parse_vip(const char *s, struct vni_addr *out, char *err)
{
	const char *misfit;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		misfit = v4_misfit(out->a);
	} else if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = AF_INET6;
		misfit = v6_misfit((const struct in6_addr *)out->a);
	} else {
		return vni_err(err, -EINVAL, "invalid VIP '%s': not an IPv4 or IPv6 address", s);
	}
	if (misfit)
		return vni_err(err, -EINVAL, "invalid VIP '%s': %s address cannot be a VIP", s,
			       misfit);
	return 0;
}

void vni_priv6(uint32_t aid, struct vni_addr *a)
{
	uint32_t w[4] = { htonl(VNI_PRIV6_W0), htonl(VNI_PRIV6_W1), 0, htonl(aid) };

	a->family = AF_INET6;
	memcpy(a->a, w, sizeof(w));
}

const char *vni_addr_str(const struct vni_addr *a, char *buf, size_t n)
{
	if (!a->family || !inet_ntop(a->family, a->a, buf, (socklen_t)n))
		snprintf(buf, n, "-");
	return buf;
}

int vni_check_name(const char *name, char *err)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > VNI_NAME_MAX)
		return vni_err(err, -EINVAL, "invalid instance name '%s': must be 1 to %d characters",
			       name, VNI_NAME_MAX);
	if (name[0] == '.' || name[0] == '-')
		return vni_err(err, -EINVAL,
			       "invalid instance name '%s': must not start with '.' or '-'", name);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return vni_err(err, -EINVAL,
				       "invalid instance name '%s': only letters, digits, '_', '-' and '.' are allowed",
				       name);
	}
	return 0;
}

static bool label_ok(const char *l, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || l[0] == '-' || l[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)l[i]) && l[i] != '-')
			return false;
	return true;
}

int vni_check_hostname(const char *host, char *err)
{
	const char *p = host, *dot;
	size_t len = strlen(host);

	if (len == 0 || len > VNI_HOSTNAME_MAX)
		return vni_err(err, -EINVAL, "invalid hostname '%s': must be 1 to %d characters",
			       host, VNI_HOSTNAME_MAX);
	for (;;) {
		dot = strchr(p, '.');
		if (!label_ok(p, dot ? (size_t)(dot - p) : strlen(p)))
			return vni_err(err, -EINVAL,
				       "invalid hostname '%s': labels are 1-63 letters, digits or inner '-', separated by '.'",
				       host);
		if (!dot)
			return 0;
		p = dot + 1;
	}
}

int vni_parse_aid(const char *s, uint32_t *out, char *err)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > UINT32_MAX)
		goto bad;
	*out = (uint32_t)v;
	return 0;
bad:
	return vni_err(err, -EINVAL, "invalid AID '%s': must be a number from 1 to %u", s,
		       UINT32_MAX);
}

int vni_parse_loopback(const char *s, uint32_t *flags, char *err)
{
	if (!s || !strcmp(s, "shared"))
		return 0;
	if (!strcmp(s, "private")) {
		*flags |= VNI_F_PRIVATE_LO;
		return 0;
	}
	return vni_err(err, -EINVAL, "invalid loopback '%s': must be shared or private", s);
}

void vni_default_hostname(const struct vni_addr *a, char *buf, size_t n)
{
	const uint8_t *b = a->a;

	if (a->family == AF_INET) {
		snprintf(buf, n, "vni-%u-%u-%u-%u", b[0], b[1], b[2], b[3]);
		return;
	}
	snprintf(buf, n, "vni-%x-%x-%x-%x-%x-%x-%x-%x", b[0] << 8 | b[1], b[2] << 8 | b[3],
		 b[4] << 8 | b[5], b[6] << 8 | b[7], b[8] << 8 | b[9], b[10] << 8 | b[11],
		 b[12] << 8 | b[13], b[14] << 8 | b[15]);
}
