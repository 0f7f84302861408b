// SPDX-License-Identifier: GPL-2.0-only
/*
 * libnss_vni.so.2: resolves virtual hostnames from the hosts file vnictl
 * keeps (default /run/vni/hosts, VNI_HOSTS_FILE for unprivileged programs),
 * forward and reverse, IPv4 and IPv6. Enable it with
 *   hosts: files vni dns
 * in /etc/nsswitch.conf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hostsfile.h"

#define DEFAULT_HOSTS_FILE "/run/vni/hosts"
#define MAX_ADDRS 16

#define EXPORT __attribute__((visibility("default")))

/* What one lookup collects from the file. */
struct lookup {
	const char *name;      /* forward: the name asked for */
	const void *addr;      /* reverse: the address asked for */
	int family;            /* AF_INET, AF_INET6, or AF_UNSPEC (both) */
	char canon[256];
	int n;
	int fam[MAX_ADDRS];
	unsigned char addrs[MAX_ADDRS][16];
};

static FILE *open_hosts(void)
{
	const char *path = secure_getenv("VNI_HOSTS_FILE");

	return fopen(path && *path ? path : DEFAULT_HOSTS_FILE, "re");
}

static int alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int name_matches(const struct hosts_entry *e, const char *name)
{
	const char *const *a;

	if (!strcasecmp(e->name, name))
		return 1;
	for (a = e->aliases; *a; a++)
		if (!strcasecmp(*a, name))
			return 1;
	return 0;
}

static int collect(const struct hosts_entry *e, void *arg)
{
	struct lookup *l = arg;

	if (l->family != AF_UNSPEC && e->family != l->family)
		return 0;
	if (l->name ? !name_matches(e, l->name) :
		      memcmp(e->addr, l->addr, (size_t)alen(e->family)) != 0)
		return 0;
	if (!l->n)
		snprintf(l->canon, sizeof(l->canon), "%s", e->name);
	if (l->n < MAX_ADDRS) {
		l->fam[l->n] = e->family;
		memcpy(l->addrs[l->n], e->addr, 16);
		l->n++;
	}
	return 0;
}

/* NSS_STATUS_UNAVAIL when there is no file (no vni on this node). */
static enum nss_status run_lookup(struct lookup *l, int *errnop, int *h_errnop)
{
	FILE *f = open_hosts();

	if (!f) {
		*errnop = errno;
		*h_errnop = NO_RECOVERY;
		return NSS_STATUS_UNAVAIL;
	}
	hosts_each(f, collect, l);
	fclose(f);
	if (!l->n) {
		*errnop = ENOENT;
		*h_errnop = HOST_NOT_FOUND;
		return NSS_STATUS_NOTFOUND;
	}
	return NSS_STATUS_SUCCESS;
}

/* Hands out aligned pieces of the caller's buffer. */
static void *take(char **buf, size_t *left, size_t size, size_t align)
{
	uintptr_t p = ((uintptr_t)*buf + align - 1) & ~(uintptr_t)(align - 1);
	size_t used = p - (uintptr_t)*buf + size;
	void *ret = (void *)p;

	if (used > *left)
		return NULL;
	*buf += used;
	*left -= used;
	return ret;
}

static enum nss_status erange(int *errnop, int *h_errnop)
{
	*errnop = ERANGE;
	*h_errnop = NETDB_INTERNAL;
	return NSS_STATUS_TRYAGAIN;
}

static enum nss_status fill_hostent(const struct lookup *l, int family, struct hostent *h,
				    char *buf, size_t len, int *errnop, int *h_errnop)
{
	size_t name_len = strlen(l->canon) + 1;
	char **aliases, **list, *name;
	int i, k = 0;

	name = take(&buf, &len, name_len, 1);
	aliases = take(&buf, &len, sizeof(char *), alignof(char *));
	list = take(&buf, &len, sizeof(char *) * (size_t)(l->n + 1), alignof(char *));
	if (!name || !aliases || !list)
		return erange(errnop, h_errnop);
	memcpy(name, l->canon, name_len);
	aliases[0] = NULL;
	for (i = 0; i < l->n; i++) {
		if (l->fam[i] != family)
			continue;
		list[k] = take(&buf, &len, (size_t)alen(family), 4);
		if (!list[k])
			return erange(errnop, h_errnop);
		memcpy(list[k++], l->addrs[i], (size_t)alen(family));
	}
	list[k] = NULL;
	h->h_name = name;
	h->h_aliases = aliases;
	h->h_addrtype = family;
	h->h_length = alen(family);
	h->h_addr_list = list;
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status _nss_vni_gethostbyname2_r(const char *name, int af, struct hostent *h,
						 char *buf, size_t len, int *errnop,
						 int *h_errnop)
{
	struct lookup l = { .name = name, .family = af };
	enum nss_status st;

	if (af != AF_INET && af != AF_INET6) {
		*errnop = EAFNOSUPPORT;
		*h_errnop = NO_DATA;
		return NSS_STATUS_UNAVAIL;
	}
	st = run_lookup(&l, errnop, h_errnop);
	return st == NSS_STATUS_SUCCESS ? fill_hostent(&l, af, h, buf, len, errnop, h_errnop) :
					  st;
}

EXPORT enum nss_status _nss_vni_gethostbyname_r(const char *name, struct hostent *h, char *buf,
						size_t len, int *errnop, int *h_errnop)
{
	return _nss_vni_gethostbyname2_r(name, AF_INET, h, buf, len, errnop, h_errnop);
}

EXPORT enum nss_status _nss_vni_gethostbyaddr_r(const void *addr, socklen_t alen_, int af,
						struct hostent *h, char *buf, size_t len,
						int *errnop, int *h_errnop)
{
	struct lookup l = { .addr = addr, .family = af };
	enum nss_status st;

	if ((af != AF_INET && af != AF_INET6) || alen_ != (socklen_t)alen(af)) {
		*errnop = EAFNOSUPPORT;
		*h_errnop = NO_RECOVERY;
		return NSS_STATUS_UNAVAIL;
	}
	st = run_lookup(&l, errnop, h_errnop);
	return st == NSS_STATUS_SUCCESS ? fill_hostent(&l, af, h, buf, len, errnop, h_errnop) :
					  st;
}

/* getaddrinfo's entry point: all addresses of both families at once. */
EXPORT enum nss_status _nss_vni_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
						 char *buf, size_t len, int *errnop,
						 int *h_errnop, int32_t *ttlp)
{
	struct lookup l = { .name = name, .family = AF_UNSPEC };
	struct gaih_addrtuple *prev = NULL;
	size_t name_len;
	enum nss_status st;
	char *canon;
	int i;

	st = run_lookup(&l, errnop, h_errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	name_len = strlen(l.canon) + 1;
	canon = take(&buf, &len, name_len, 1);
	if (!canon)
		return erange(errnop, h_errnop);
	memcpy(canon, l.canon, name_len);
	for (i = 0; i < l.n; i++) {
		struct gaih_addrtuple *t = take(&buf, &len, sizeof(*t), alignof(struct gaih_addrtuple));

		if (!t)
			return erange(errnop, h_errnop);
		memset(t, 0, sizeof(*t));
		t->name = i == 0 ? canon : NULL;
		t->family = l.fam[i];
		memcpy(t->addr, l.addrs[i], (size_t)alen(l.fam[i]));
		if (prev)
			prev->next = t;
		else
			*pat = t;
		prev = t;
	}
	if (ttlp)
		*ttlp = 0;
	return NSS_STATUS_SUCCESS;
}
