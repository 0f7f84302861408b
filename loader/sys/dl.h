/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Libraries loaded on first use (dlopen), as systemd loads its optional
 * ones: a library linked in is mapped and relocated at every vnictl start,
 * whether the command uses it or not (about 45 us each here). libcurl and
 * libresolv serve only the etcd registry, libcap only 'vnictl run' and
 * 'start', libinih only unit files: an attach never loads them.
 */
#ifndef VNI_DL_H
#define VNI_DL_H

#include <stddef.h>

struct vni_dl_fn {
	const char *name; /* the symbol */
	size_t off;       /* where its pointer goes in the table */
};

struct vni_dl {
	const char *soname;  /* "libcap.so.2" */
	const char *package; /* the Debian package that has it, for the error */
	const char *user;    /* what needs it, for the error: "the etcd registry" */
	const struct vni_dl_fn *fns;
	size_t nfns;
	void *table; /* a struct of function pointers */
	void *handle;
};

/* An entry of fns: the symbol, and the field of the table tab its pointer
 * goes to. */
#define VNI_DL_FN(tab, field, symbol) { symbol, offsetof(__typeof__(tab), field) }
/* A library whose functions fns go into the table tab. */
#define VNI_DL_LIB(soname, package, user, fns, tab) \
	{ soname, package, user, fns, sizeof(fns) / sizeof((fns)[0]), &(tab), NULL }

/* Loads the library once and fills the table: 0, or -ENOENT with "cannot
 * load SONAME for USER: ... (install PACKAGE)" in err (err may be NULL). */
int vni_dl_load(struct vni_dl *d, char *err);

#endif
