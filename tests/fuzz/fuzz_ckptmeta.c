// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: the checkpoint metadata reader; what it accepts formats and
 * reads back identically. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ckptmeta.h"
#include "sys/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), err[VNI_ERRLEN], *again;
	struct vni_ckpt_meta m, m2;

	if (!s)
		return 0;
	if (vni_ckpt_meta_parse(s, &m, err) == 0) {
		again = vni_ckpt_meta_format(&m);
		if (!again || vni_ckpt_meta_parse(again, &m2, err) ||
		    strcmp(m.rec.name, m2.rec.name) || m.rec.aid != m2.rec.aid ||
		    strcmp(m.rec.hostname, m2.rec.hostname))
			abort();
		free(again);
	} else if (strchr(err, '\n')) {
		abort();
	}
	free(s);
	return 0;
}
