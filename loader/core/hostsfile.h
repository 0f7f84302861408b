/* SPDX-License-Identifier: GPL-2.0-only */
/* hosts(5) files: the reader of the NSS module (vnictl writes them with
 * vni_replace_file). */
#ifndef VNI_HOSTSFILE_H
#define VNI_HOSTSFILE_H

#include <stddef.h>
#include <stdio.h>

struct hosts_entry {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network order */
	const char *name;       /* canonical name (first on the line) */
	const char *const *aliases; /* further names, NULL-terminated */
};

/* Calls fn for every well-formed line (bad lines are skipped); stops when fn
 * returns non-zero and returns that value, else 0. */
int hosts_each(FILE *f, int (*fn)(const struct hosts_entry *e, void *arg), void *arg);

#endif
