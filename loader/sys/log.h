/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one log sink. Nothing below loader/cli prints: warnings, progress and
 * debug traces go through vni_log(), and the front end decides where they
 * go (vnictl: stderr; a daemon: the journal). With no sink set they are
 * dropped.
 */
#ifndef VNI_LOG_H
#define VNI_LOG_H

enum vni_log_level {
	VNI_LOG_DEBUG, /* traces asked for (VNI_DEBUG, VNI_DEBUG_CRASH_AFTER) */
	VNI_LOG_INFO,  /* what happened, for the operator (recovered an operation) */
	VNI_LOG_WARN,  /* something failed but the operation went on */
};

/* msg is one line, without a trailing newline. */
typedef void (*vni_log_fn)(enum vni_log_level level, const char *msg);

void vni_set_log(vni_log_fn fn);
void vni_log(enum vni_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
