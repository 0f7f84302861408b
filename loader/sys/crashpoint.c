// SPDX-License-Identifier: GPL-2.0-only
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sys/crashpoint.h"
#include "sys/log.h"

static int muted;

void vni_crashpoint_mute(bool on)
{
	muted += on ? 1 : -1;
}

void vni_crashpoint(const char *step)
{
	static long at = -1, count;
	const char *env;

	if (at < 0) {
		env = getenv("VNI_DEBUG_CRASH_AFTER");
		at = !env ? 0 : strcmp(env, "trace") ? strtol(env, NULL, 10) : LONG_MAX;
	}
	if (at <= 0 || muted > 0)
		return;
	count++;
	if (at == LONG_MAX) {
		vni_log(VNI_LOG_DEBUG, "step %ld: %s", count, step);
	} else if (count == at) {
		vni_log(VNI_LOG_DEBUG, "killed after step %ld: %s", count, step);
		raise(SIGKILL);
	}
}
