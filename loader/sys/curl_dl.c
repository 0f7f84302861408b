// SPDX-License-Identifier: GPL-2.0-only
/* libcurl on first use (see curl_dl.h). */
#include <stddef.h>

#include "sys/curl_dl.h"
#include "sys/dl.h"

#define FN(f) VNI_DL_FN(c, f, "curl_" #f)

const struct vni_curl *vni_curl(char *err)
{
	static struct vni_curl c;
	static const struct vni_dl_fn fns[] = {
		FN(global_init), FN(easy_init),	      FN(easy_setopt),	  FN(easy_perform),
		FN(easy_getinfo), FN(easy_reset),     FN(easy_cleanup),	  FN(easy_strerror),
		FN(slist_append), FN(slist_free_all),
	};
	/* the soname libcurl4-openssl-dev links against (Debian's libcurl4) */
	static struct vni_dl lib = VNI_DL_LIB("libcurl.so.4", "libcurl4", "the etcd registry", fns, c);

	return vni_dl_load(&lib, err) ? NULL : &c;
}
