// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: VIP parsing, and that what parses prints and parses back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sys/util.h"
#include "core/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), err[VNI_ERRLEN], buf[64];
	struct vni_addr a, b;

	if (!s)
		return 0;
	if (vni_parse_vip(s, &a, err) == 0) {
		if (vni_parse_vip(vni_addr_str(&a, buf, sizeof(buf)), &b, err) ||
		    a.family != b.family || memcmp(a.a, b.a, sizeof(a.a)))
			abort();
		vni_default_hostname(&a, buf, sizeof(buf));
		if (vni_check_hostname(buf, err))
			abort(); /* a derived hostname must be valid */
	}
	free(s);
	return 0;
}
