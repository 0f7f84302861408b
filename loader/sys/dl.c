// SPDX-License-Identifier: GPL-2.0-only
/* Libraries on first use (see dl.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include "sys/dl.h"
#include "sys/util.h"

int vni_dl_load(struct vni_dl *d, char *err)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* the agent's threads */
	void *h;
	size_t i;
	int ret = 0;

	pthread_mutex_lock(&lock);
	if (d->handle)
		goto out;
	h = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		ret = vni_err(err, -ENOENT, "cannot load %s for %s: %s (install %s)", d->soname,
			      d->user, dlerror(), d->package);
		goto out;
	}
	for (i = 0; i < d->nfns; i++) {
		void *f = dlsym(h, d->fns[i].name);

		if (!f) {
			ret = vni_err(err, -ENOENT, "%s lacks %s", d->soname, d->fns[i].name);
			dlclose(h);
			goto out;
		}
		*(void **)((char *)d->table + d->fns[i].off) = f;
	}
	d->handle = h;
out:
	pthread_mutex_unlock(&lock);
	return ret;
}
