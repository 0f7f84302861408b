/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An instance's sendmsg program telling the guard, in the same call, "I set
 * this source, and it is my own address" (a VIP or private address of the
 * instance the socket was made in, from its live record), so that the guard
 * need not find the address's owner and the socket's tag again: about half
 * of what an instance's UDP send cost (docs/benchmarks.md, sixth pass).
 *
 * The word is the call's return value (bpf_set_retval, 5.18): it lives on
 * the stack of that one call, so no other call, thread or CPU can leave or
 * see it. The kernel runs the socket's cgroup's programs first and the
 * root's last, so this node's guard, linked to the root, runs after the
 * instance's program, and clears the word (a non-zero value would be the
 * syscall's return). It is positive: a program in between that refuses
 * replaces it with -EPERM, which the guard leaves alone, and a refusal
 * stands; a refusal before it is not written over. A program in between
 * that changed the source would not be checked: only root links one. It
 * is this node's token, random at init: another vni node's guard (each
 * node links one to the root) does not take it and checks as before.
 * vni_bpf_init links the guard before any instance can exist and unlinks it
 * after the last, so no instance program runs without it.
 * 0: the kernel has no bpf_set_retval for these programs (probed at init):
 * nothing is vouched for, and the guard checks every source.
 */
#ifndef VNI_VOUCH_BPF_H
#define VNI_VOUCH_BPF_H

#include <bpf/bpf_helpers.h>

const volatile __s32 vni_own_src_token = 0;

/* The instance's program: the source it just set is its own. Not over a
 * refusal by a program that ran before (one linked below the instance's
 * cgroup, or before its programs): that would undo it. */
static __always_inline void vouch_own_source(void)
{
	if (vni_own_src_token && !bpf_get_retval())
		bpf_set_retval(vni_own_src_token);
}

/* The guard: whether the socket's instance vouched for the source in this
 * call; the word is taken back. */
static __always_inline bool vouched(void)
{
	if (!vni_own_src_token || bpf_get_retval() != vni_own_src_token)
		return false;
	bpf_set_retval(0);
	return true;
}

#endif
