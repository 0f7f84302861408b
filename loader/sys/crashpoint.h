/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef VNI_CRASHPOINT_H
#define VNI_CRASHPOINT_H

/*
 * Crash injection for the crash-safety tests: with VNI_DEBUG_CRASH_AFTER=N in
 * the environment, the N-th step reached is logged (debug) and the
 * process SIGKILLs itself there; VNI_DEBUG_CRASH_AFTER=trace only announces
 * every step. Without the variable this does nothing.
 */
void vni_crashpoint(const char *step);

#endif
