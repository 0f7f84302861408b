// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: instance names, hostnames and AIDs; errors stay one line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sys/util.h"
#include "core/validate.h"

static void one_line(const char *err)
{
	if (strchr(err, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), err[VNI_ERRLEN] = "";
	uint32_t aid;

	if (!s)
		return 0;
	if (vni_check_name(s, err))
		one_line(err);
	else if (strchr(s, '/') || !strcmp(s, "..") || !strcmp(s, "."))
		abort(); /* path tricks must never pass */
	if (vni_check_hostname(s, err))
		one_line(err);
	else if (strlen(s) > VNI_HOSTNAME_MAX)
		abort();
	if (vni_parse_aid(s, &aid, err))
		one_line(err);
	else if (aid == 0)
		abort();
	free(s);
	return 0;
}
