/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef VNI_CRASHPOINT_H
#define VNI_CRASHPOINT_H

#include <stdbool.h>

/*
 * Crash injection for the crash-safety tests: with VNI_DEBUG_CRASH_AFTER=N in
 * the environment, the N-th step reached is logged (debug) and the
 * process SIGKILLs itself there; VNI_DEBUG_CRASH_AFTER=trace only announces
 * every step. Without the variable this does nothing.
 */
void vni_crashpoint(const char *step);

/* While muted (calls nest), crash points are neither counted nor taken: an
 * operation over many instances (vnictl apply) has steps of its own instead
 * of every step of every instance. */
void vni_crashpoint_mute(bool on);

#endif
