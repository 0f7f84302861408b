// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: the hosts file reader of the NSS module. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/hostsfile.h"

static int check(const struct hosts_entry *e, void *arg)
{
	const char *const *a;

	(void)arg;
	if ((e->family != AF_INET && e->family != AF_INET6) || !e->name[0])
		abort();
	for (a = e->aliases; *a; a++)
		if (!**a)
			abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");

	if (!f)
		return 0;
	hosts_each(f, check, NULL);
	fclose(f);
	return 0;
}
