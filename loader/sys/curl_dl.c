// SPDX-License-Identifier: GPL-2.0-only
/* libcurl on first use (see curl_dl.h). */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#include "sys/curl_dl.h"
#include "sys/util.h"

/* The soname libcurl4-openssl-dev links against (Debian's libcurl4). */
#define LIBCURL "libcurl.so.4"

const struct vni_curl *vni_curl(char *err)
{
	static struct vni_curl c;
	static const struct {
		const char *name;
		size_t off;
	} fns[] = {
		{ "curl_global_init", offsetof(struct vni_curl, global_init) },
		{ "curl_easy_init", offsetof(struct vni_curl, easy_init) },
		{ "curl_easy_setopt", offsetof(struct vni_curl, easy_setopt) },
		{ "curl_easy_perform", offsetof(struct vni_curl, easy_perform) },
		{ "curl_easy_getinfo", offsetof(struct vni_curl, easy_getinfo) },
		{ "curl_easy_reset", offsetof(struct vni_curl, easy_reset) },
		{ "curl_easy_cleanup", offsetof(struct vni_curl, easy_cleanup) },
		{ "curl_easy_strerror", offsetof(struct vni_curl, easy_strerror) },
		{ "curl_slist_append", offsetof(struct vni_curl, slist_append) },
		{ "curl_slist_free_all", offsetof(struct vni_curl, slist_free_all) },
	};
	static void *lib;
	size_t i;

	if (lib)
		return &c;
	lib = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		vni_err(err, -ENOENT, "cannot load %s for the etcd registry: %s (install libcurl4)",
			LIBCURL, dlerror());
		return NULL;
	}
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		void *f = dlsym(lib, fns[i].name);

		if (!f) {
			vni_err(err, -ENOENT, "%s lacks %s", LIBCURL, fns[i].name);
			dlclose(lib);
			lib = NULL;
			return NULL;
		}
		*(void **)((char *)&c + fns[i].off) = f;
	}
	return &c;
}
