// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: vnictl run --map specs, parsed then resolved for an instance;
 * errors stay one line, and nothing with a '..' component gets through. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pathmap.h"
#include "core/state.h"
#include "sys/util.h"

static void one_line(const char *err)
{
	if (strchr(err, '\n'))
		abort();
}

static void no_dotdot(const char *p)
{
	size_t n = strlen(p);

	if (p[0] != '/' || strstr(p, "/../") || strstr(p, "//") ||
	    (n >= 3 && !strcmp(p + n - 3, "/..")))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), err[VNI_ERRLEN] = "", out[4096];
	static struct vni_record r;
	struct vni_map m;

	if (!s)
		return 0;
	strcpy(r.name, "/sys/fs/cgroup/app/web");
	strcpy(r.hostname, "web.example.org");
	r.aid = 7;
	vni_parse_vip("10.10.0.1", &r.vip4, err);
	if (vni_map_parse(s, &m, err)) {
		one_line(err);
	} else {
		no_dotdot(m.path);
		if (vni_map_resolve(&m, &r, out, sizeof(out), err))
			one_line(err);
		else
			no_dotdot(out);
	}
	free(s);
	return 0;
}
