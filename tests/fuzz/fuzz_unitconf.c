// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: the vni.conf(5) reader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/unitconf.h"
#include "sys/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vni_unit_conf c;
	char err[VNI_ERRLEN];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (vni_unit_conf_parse("fuzz.conf", text, &c, err) == 0) {
		/* what it accepts is whole */
		if ((!c.vip4.family && !c.vip6.family && !c.pool4[0] && !c.pool6[0]) || !c.has_cmd ||
		    !c.cmd.we_wordc)
			abort();
		vni_unit_conf_free(&c);
	}
	free(text);
	return 0;
}
