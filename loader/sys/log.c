// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sys/log.h"

static vni_log_fn sink;

void vni_set_log(vni_log_fn fn)
{
	sink = fn;
}

void vni_log(enum vni_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!sink)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg[strcspn(msg, "\n")] = '\0';
	sink(level, msg);
}
